//! Restoring tables to a snapshot, exactly: rows added are deleted, rows
//! changed are written back, rows deleted are put back — children deleted
//! before their parents, parents inserted before their children, in one
//! transaction with foreign-key checks deferred where the database allows;
//! then the tables' key generators are put back.

use std::collections::BTreeSet;

use super::rows::{Row, TableRows};
use super::schema::{Schema, Table};
use super::sequences;
use super::snapshot::Snapshot;
use super::write::{Statement, delete, insert, update};
use super::{Database, DbError, Pool, bind_all};

/// The statements that turn `current` into `target` for one table.
fn plan_table(
    db: &Database,
    table: &Table,
    target: &TableRows,
    current: &TableRows,
) -> (Vec<Statement>, Vec<Statement>, Vec<Statement>) {
    let mut deletes = Vec::new();
    let mut updates = Vec::new();
    let mut inserts = Vec::new();
    let keys: BTreeSet<&str> = target
        .rows
        .iter()
        .chain(&current.rows)
        .map(|r| r.key.as_str())
        .collect();
    for key in keys {
        let want: Vec<&Row> = target.with_key(key).collect();
        let have: Vec<&Row> = current.with_key(key).collect();
        match (want.as_slice(), have.as_slice()) {
            ([w], [h]) if !table.primary_key.is_empty() => {
                if w.raw != h.raw {
                    match update(db, table, w) {
                        Some(statement) => updates.push(statement),
                        None => {
                            deletes.push(delete(db, table, h));
                            inserts.push(insert(db, table, w));
                        }
                    }
                }
            }
            _ => {
                // Rows without a key are matched by value: remove the extra
                // copies, add the missing ones.
                let mut unmatched_have: Vec<&Row> = have.clone();
                let mut missing: Vec<&Row> = Vec::new();
                for w in &want {
                    match unmatched_have.iter().position(|h| h.raw == w.raw) {
                        Some(i) => {
                            unmatched_have.swap_remove(i);
                        }
                        None => missing.push(w),
                    }
                }
                deletes.extend(unmatched_have.iter().map(|h| delete(db, table, h)));
                inserts.extend(missing.iter().map(|w| insert(db, table, w)));
            }
        }
    }
    (deletes, updates, inserts)
}

/// Restores every table that differs between `current` and `target`.
/// Both snapshots must hold the rows of those tables. Returns how many
/// rows were written.
pub async fn restore(
    db: &Database,
    schema: &Schema,
    target: &Snapshot,
    current: &Snapshot,
) -> Result<usize, DbError> {
    let changed = current.changed_from(target);
    if changed.is_empty() {
        sequences::reset(db, &target.sequences, &current.sequences).await?;
        return Ok(0);
    }
    let order = schema.parents_first();
    let mut deletes = Vec::new();
    let mut updates = Vec::new();
    let mut inserts = Vec::new();
    for name in order.iter().rev().filter(|n| changed.contains(*n)) {
        let (Some(table), Some(want), Some(have)) = (
            schema.tables.get(name),
            target.rows(name),
            current.rows(name),
        ) else {
            return Err(DbError(format!(
                "cannot restore table `{name}`: its rows were not read"
            )));
        };
        let (d, u, i) = plan_table(db, table, want, have);
        deletes.extend(d);
        updates.extend(u);
        // Inserts run parents first: collect per table, reverse later.
        inserts.push(i);
    }
    inserts.reverse();
    let statements: Vec<Statement> = deletes
        .into_iter()
        .chain(updates)
        .chain(inserts.into_iter().flatten())
        .collect();
    let count = statements.len();
    apply(db, &statements).await?;
    // After the rows: MySQL never sets a counter below the highest key.
    sequences::reset(db, &target.sequences, &current.sequences).await?;
    Ok(count)
}

/// Runs statements in one transaction: `relax` first, `reset` (also when a
/// statement failed) last.
macro_rules! in_transaction {
    ($pool:expr, $relax:expr, $statements:expr, $reset:expr) => {{
        let mut tx = $pool.begin().await?;
        sqlx::query($relax).execute(&mut *tx).await?;
        let mut result = Ok(());
        for (sql, params) in $statements {
            let query = bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), params);
            if let Err(error) = query.execute(&mut *tx).await {
                result = Err(error);
                break;
            }
        }
        if let Some(reset) = $reset {
            sqlx::query(reset).execute(&mut *tx).await?;
        }
        result?;
        tx.commit().await?;
    }};
}

/// Runs statements in one transaction with foreign-key checks relaxed.
async fn apply(db: &Database, statements: &[Statement]) -> Result<(), DbError> {
    match &db.pool {
        Pool::Postgres(pool) => {
            let superuser = db.is_superuser().await?;
            // As superuser, triggers and foreign keys are off: the rows go
            // back exactly as they were.
            let relax = if superuser {
                "SET LOCAL session_replication_role = replica"
            } else {
                "SET CONSTRAINTS ALL DEFERRED"
            };
            in_transaction!(pool, relax, statements, None::<&'static str>);
        }
        // The setting belongs to the pooled connection: it is put back.
        Pool::MySql(pool) => in_transaction!(
            pool,
            "SET FOREIGN_KEY_CHECKS = 0",
            statements,
            Some("SET FOREIGN_KEY_CHECKS = 1")
        ),
        Pool::Sqlite(pool) => in_transaction!(
            pool,
            "PRAGMA defer_foreign_keys = ON",
            statements,
            None::<&'static str>
        ),
    }
    Ok(())
}
