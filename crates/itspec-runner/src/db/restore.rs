//! Restoring tables to a recorded state, exactly, and proving it: rows
//! added are deleted, rows changed are written back, rows deleted are put
//! back, in one transaction with foreign-key checks off (or deferred) and
//! the user's triggers kept from firing where the database allows
//! ([`Triggers`]); then the tables' key generators are put back. After
//! every restore every tracked table is compared with the record again: a
//! row a trigger or a cascade wrote meanwhile is undone by another pass.
//!
//! Order matters where foreign keys stay live (PostgreSQL without
//! superuser): updates run before deletes, so a child re-parented under
//! `ON DELETE CASCADE` is moved back before its new parent goes. Where a
//! unique key stands in the way of one order, the next is tried: deletes
//! first, then every changed row deleted and inserted again.

use std::collections::BTreeSet;

use super::rows::{Row, TableRows};
use super::schema::{Schema, Table};
use super::sequences;
use super::snapshot::Snapshot;
use super::statements::{Statement, delete_by_key, delete_exact, insert, update};
use super::triggers::{Guard, Triggers};
use super::{Database, DbError, bind_all, with_pool};

/// How many times a restore is run and checked before itspec gives up:
/// each pass undoes what triggers and cascades wrote during the last.
const PASSES: usize = 4;

/// The pass from which SQLite's triggers are dropped for the restore.
const DROP_TRIGGERS: usize = 2;

/// What the rows of a restore need, by kind of statement.
#[derive(Default)]
struct Plan {
    deletes: Vec<Statement>,
    updates: Vec<Statement>,
    inserts: Vec<Vec<Statement>>,
    /// Each changed row deleted, then inserted: the way around a unique
    /// key that two rows swap.
    rewrite_deletes: Vec<Statement>,
    rewrite_inserts: Vec<Vec<Statement>>,
}

/// The statements that turn `current` into `target` for one table.
fn plan_table(
    db: &Database,
    table: &Table,
    target: &TableRows,
    current: &TableRows,
    plan: &mut Plan,
) -> Result<(), DbError> {
    let mut inserts = Vec::new();
    let mut rewrite_inserts = Vec::new();
    let keys: BTreeSet<&str> = target
        .rows
        .iter()
        .chain(&current.rows)
        .map(|r| r.key.as_str())
        .collect();
    let keyed = !table.primary_key.is_empty();
    for key in keys {
        let want: Vec<&Row> = target.with_key(key).collect();
        let have: Vec<&Row> = current.with_key(key).collect();
        match (want.as_slice(), have.as_slice()) {
            ([w], [h]) if keyed => {
                if w.text != h.text {
                    let delete = delete_by_key(db, table, h)?;
                    let reinsert = insert(db, table, w)?;
                    match update(db, table, w)? {
                        Some(statement) => {
                            plan.updates.push(statement);
                            plan.rewrite_deletes.push(delete);
                            rewrite_inserts.push(reinsert);
                        }
                        None => {
                            plan.deletes.push(delete);
                            inserts.push(reinsert);
                        }
                    }
                }
            }
            ([], [h]) if keyed => plan.deletes.push(delete_by_key(db, table, h)?),
            _ => {
                // Rows without a key (or several sharing one) are matched
                // by value: remove the extra copies, add the missing ones.
                let mut unmatched_have: Vec<&Row> = have.clone();
                let mut missing: Vec<&Row> = Vec::new();
                for w in &want {
                    match unmatched_have.iter().position(|h| h.text == w.text) {
                        Some(i) => {
                            unmatched_have.swap_remove(i);
                        }
                        None => missing.push(w),
                    }
                }
                for h in unmatched_have {
                    plan.deletes.push(delete_exact(db, table, h)?);
                }
                for w in missing {
                    inserts.push(insert(db, table, w)?);
                }
            }
        }
    }
    plan.inserts.push(inserts);
    plan.rewrite_inserts.push(rewrite_inserts);
    Ok(())
}

/// The tables of `current` whose rows differ from `target`'s: their
/// checksums differ and (when both hold rows) so do the rows.
fn differing(target: &Snapshot, current: &Snapshot) -> BTreeSet<String> {
    current
        .changed_from(target)
        .into_iter()
        .filter(|name| match (target.rows(name), current.rows(name)) {
            (Some(want), Some(have)) => !want.same_as(have),
            _ => true,
        })
        .collect()
}

/// Puts every table of `schema` back to `target` (a snapshot with rows),
/// checks the tables afterwards — every one where triggers fire or
/// cascades act during a restore, else those written — and runs again
/// while something changed meanwhile. Returns how many statements were
/// run; fails naming the tables that still differ.
pub async fn restore(
    db: &Database,
    schema: &Schema,
    triggers: &Triggers,
    target: &Snapshot,
) -> Result<usize, DbError> {
    let mut written = 0;
    let superuser = db.is_superuser().await?;
    // Where triggers fire or cascades act during a restore, any table may
    // change: every one is checked again; elsewhere, those written.
    let wide = triggers.may_write_elsewhere(db.kind, superuser);
    let mut current = Snapshot::capture(db, schema, target, true).await?;
    let mut pass = 0;
    loop {
        let changed = differing(target, &current);
        if changed.is_empty() && current.sequences == target.sequences {
            return Ok(written);
        }
        if pass >= PASSES {
            break;
        }
        if changed.is_empty() {
            sequences::reset(db, &target.sequences, &current.sequences).await?;
        } else {
            match restore_once(db, schema, triggers, target, &current, &changed, pass).await {
                Ok(count) => written += count,
                // SQLite: a trigger that refuses what is put back is
                // dropped for the restore (the third pass's way).
                Err(_)
                    if pass < DROP_TRIGGERS
                        && db.dialect().drops_triggers()
                        && changed.iter().any(|t| !triggers.on(t).is_empty()) =>
                {
                    pass = DROP_TRIGGERS;
                    continue;
                }
                Err(error) => return Err(error),
            }
        }
        pass += 1;
        current = if wide {
            Snapshot::capture(db, schema, target, true).await?
        } else {
            recapture(db, schema, target, current, &changed).await?
        };
    }
    let still = differing(target, &current);
    let named: Vec<String> = still
        .iter()
        .map(|table| {
            let on = triggers.on(table);
            if on.is_empty() {
                format!("`{table}`")
            } else {
                format!("`{table}` (its triggers: {})", on.join(", "))
            }
        })
        .collect();
    Err(DbError::new(format!(
        "after {PASSES} restores, {} still differ{} from the recorded state: something keeps writing to {} as rows are put back (a trigger, or the service)",
        if named.is_empty() {
            "the key generators".to_string()
        } else {
            named.join(", ")
        },
        if named.len() == 1 { "s" } else { "" },
        if named.len() == 1 { "it" } else { "them" }
    )))
}

/// `current` with the tables `written` read again (and the key
/// generators): what a restore could change where no trigger fires and no
/// cascade acts.
async fn recapture(
    db: &Database,
    schema: &Schema,
    target: &Snapshot,
    mut current: Snapshot,
    written: &BTreeSet<String>,
) -> Result<Snapshot, DbError> {
    let some = Schema {
        tables: schema
            .tables
            .iter()
            .filter(|(name, _)| written.contains(*name))
            .map(|(name, table)| (name.clone(), table.clone()))
            .collect(),
        sequences: schema.sequences.clone(),
    };
    let now = Snapshot::capture(db, &some, target, true).await?;
    current.tables.extend(now.tables);
    current.sequences = now.sequences;
    Ok(current)
}

/// One restore of the tables `changed` from `current` to `target`.
async fn restore_once(
    db: &Database,
    schema: &Schema,
    triggers: &Triggers,
    target: &Snapshot,
    current: &Snapshot,
    changed: &BTreeSet<String>,
    pass: usize,
) -> Result<usize, DbError> {
    let order = schema.parents_first();
    let mut plan = Plan::default();
    // Children before parents for deletes; inserts are reversed below.
    for name in order.iter().rev().filter(|n| changed.contains(*n)) {
        let (Some(table), Some(want), Some(have)) = (
            schema.tables.get(name),
            target.rows(name),
            current.rows(name),
        ) else {
            return Err(DbError::new(format!(
                "cannot restore table `{name}`: its rows were not read"
            )));
        };
        plan_table(db, table, want, have, &mut plan)?;
    }
    plan.inserts.reverse();
    plan.rewrite_inserts.reverse();
    let superuser = db.is_superuser().await?;
    // SQLite: a trigger that keeps changing what is put back is dropped
    // for the restore, from the third pass.
    let guard = triggers.guard(db, superuser, changed, pass >= DROP_TRIGGERS);
    // Where foreign keys stay live, updates first (cascades); elsewhere
    // deletes first (unique keys).
    let live_keys = db.dialect().live_foreign_keys(superuser);
    let inserts: Vec<Statement> = plan.inserts.into_iter().flatten().collect();
    let (first, second) = if live_keys {
        (&plan.updates, &plan.deletes)
    } else {
        (&plan.deletes, &plan.updates)
    };
    let rewrite: Vec<&Statement> = plan
        .deletes
        .iter()
        .chain(&plan.rewrite_deletes)
        .chain(&inserts)
        .chain(plan.rewrite_inserts.iter().flatten())
        .collect();
    let mut orders: Vec<Vec<&Statement>> = vec![
        first.iter().chain(second).chain(&inserts).collect(),
        second.iter().chain(first).chain(&inserts).collect(),
    ];
    // After a pass that did not hold (an update trigger rewrote what was
    // put back), changed rows are deleted and inserted instead.
    if pass == 0 {
        orders.push(rewrite);
    } else {
        orders.insert(0, rewrite);
    }
    let mut first_error = None;
    for statements in &orders {
        match apply(db, superuser, &guard, statements).await {
            Ok(()) => {
                // After the rows: MySQL never sets a counter below the
                // highest key.
                sequences::reset(db, &target.sequences, &current.sequences).await?;
                return Ok(statements.len());
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| DbError::new("the restore failed".to_string())))
}

/// Runs statements in one transaction: the session's first statements,
/// the guard's statements around the rows.
macro_rules! in_transaction {
    ($conn:expr, $first:expr, $guard:expr, $statements:expr) => {{
        // The transaction begun with its settings, in one round trip.
        let mut tx = if $first.is_empty() {
            sqlx::Connection::begin(&mut *$conn).await?
        } else {
            let begin: Vec<&str> = std::iter::once("BEGIN")
                .chain($first.iter().copied())
                .collect();
            sqlx::Connection::begin_with(&mut *$conn, sqlx::AssertSqlSafe(begin.join("; "))).await?
        };
        let run = |sql: &String| sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for sql in &$guard.before {
            run(sql).execute(&mut *tx).await?;
        }
        for (sql, params) in $statements.iter().copied() {
            bind_all!(run(sql), params).execute(&mut *tx).await?;
        }
        for sql in &$guard.after {
            run(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<(), DbError>(())
    }};
}

/// Runs statements in one transaction with foreign-key checks off (or
/// deferred) and triggers kept from firing where the database allows:
/// the dialect's settings before the transaction (connection settings,
/// which work only outside one), first inside it, and after it — put back
/// also when it failed.
async fn apply(
    db: &Database,
    superuser: bool,
    guard: &Guard,
    statements: &[&Statement],
) -> Result<(), DbError> {
    let session = db.dialect().restore_session(superuser, db.disposable);
    with_pool!(&db.pool, pool => {
        let mut conn = pool.acquire().await?;
        if let Some(before) = session.before {
            sqlx::query(before).execute(&mut *conn).await?;
        }
        let result = async { in_transaction!(conn, &session.first, guard, statements) }.await;
        if result.is_err() {
            // A setting refused in the `BEGIN` leaves a transaction begun
            // and aborted that sqlx does not roll back: a connection that
            // failed a restore is not given back to the pool.
            conn.close_on_drop();
        }
        if let Some(after) = session.after {
            sqlx::query(after).execute(&mut *conn).await?;
        }
        result
    })
}
