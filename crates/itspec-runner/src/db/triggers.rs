//! The user's triggers on the tracked tables, and keeping them from firing
//! while rows are put back, where the database lets itspec:
//!
//! - PostgreSQL: as superuser, `session_replication_role = replica` stops
//!   ordinary triggers and foreign-key actions; the triggers that fire even
//!   then (`ENABLE ALWAYS`/`ENABLE REPLICA`), and, as the tables' owner,
//!   every trigger that would fire, are disabled by name inside the
//!   restore's transaction and enabled again, each in its own mode, before
//!   it commits.
//! - SQLite has no way to switch a trigger off: when a restore does not
//!   hold because a trigger keeps changing rows, the triggers of the
//!   tables written are dropped and created again from their own SQL
//!   inside the restore's transaction.
//! - MySQL/MariaDB cannot switch triggers off, nor change them inside a
//!   transaction: they fire, and what they write is undone by the checks
//!   and passes after every restore.
//!
//! Where triggers fire during a restore, the run says so when it starts.
//! The queries and statements are each engine's dialect's.

use std::collections::{BTreeMap, BTreeSet};

use super::schema::Schema;
use super::{Database, DbError, Kind};

/// A trigger of a tracked table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    /// The table it is on.
    pub table: String,
    /// Its name.
    pub name: String,
    /// PostgreSQL: `tgenabled` (`O`, `A`, `R`, `D`).
    pub(super) mode: String,
    /// PostgreSQL: whether the role may alter the table (owns it).
    pub(super) owned: bool,
    /// SQLite: the statement that creates it.
    pub(super) sql: String,
}

/// The triggers of the tracked tables.
#[derive(Clone, Debug, Default)]
pub struct Triggers {
    list: Vec<Trigger>,
    /// PostgreSQL: rules (`CREATE RULE`) on tables of the schema, which
    /// rewrite writes even for a replica.
    rules: bool,
}

/// Statements run inside a restore's transaction: before the rows are
/// written, and after (before it commits).
#[derive(Clone, Debug, Default)]
pub struct Guard {
    /// Before.
    pub before: Vec<String>,
    /// After.
    pub after: Vec<String>,
}

impl Triggers {
    /// Reads the triggers of the tables of `schema`.
    pub async fn read(db: &Database, schema: &Schema) -> Result<Triggers, DbError> {
        let dialect = db.dialect();
        let sql = dialect.triggers_query();
        let mut list = Vec::new();
        for row in db.fetch_text(sql, &[]).await? {
            let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
            let table = text(0);
            if !schema.tables.contains_key(&table) {
                continue;
            }
            list.push(Trigger {
                table,
                name: text(1),
                mode: text(2),
                owned: text(3) == "true",
                sql: text(4),
            });
        }
        let rules = match dialect.rules_query() {
            Some(query) => db.fetch_first(query, &[]).await?.is_some_and(|n| n != "0"),
            None => false,
        };
        Ok(Triggers { list, rules })
    }

    /// Whether a restore may change tables it does not write: triggers
    /// fire (MySQL, SQLite), or, on PostgreSQL, rules rewrite writes or —
    /// without superuser — cascades act and triggers of tables the role
    /// does not own fire.
    pub fn may_write_elsewhere(&self, kind: Kind, superuser: bool) -> bool {
        kind.dialect()
            .may_write_elsewhere(!self.list.is_empty(), self.rules, superuser)
    }

    /// The triggers of `table`, by name.
    pub fn on(&self, table: &str) -> Vec<&str> {
        self.list
            .iter()
            .filter(|t| t.table == table)
            .map(|t| t.name.as_str())
            .collect()
    }

    /// The tables whose triggers fire while rows are put back, each with
    /// them: every table with triggers on MySQL and SQLite (SQLite's are
    /// dropped only when they keep a restore from holding); on PostgreSQL,
    /// those the role may not disable.
    pub fn firing_during_restore(&self, kind: Kind, superuser: bool) -> BTreeMap<&str, Vec<&str>> {
        let dialect = kind.dialect();
        let mut firing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for trigger in &self.list {
            if dialect.fires_during_restore(trigger, superuser) {
                firing
                    .entry(trigger.table.as_str())
                    .or_default()
                    .push(trigger.name.as_str());
            }
        }
        firing
    }

    /// What keeps the triggers of `written` from firing inside a restore's
    /// transaction. `drop` (SQLite): drop and create them again.
    pub fn guard(
        &self,
        db: &Database,
        superuser: bool,
        written: &BTreeSet<String>,
        drop: bool,
    ) -> Guard {
        let mut guard = Guard::default();
        for trigger in self.list.iter().filter(|t| written.contains(&t.table)) {
            if let Some((before, after)) = db.dialect().trigger_guard(trigger, superuser, drop) {
                guard.before.push(before);
                guard.after.push(after);
            }
        }
        guard
    }
}
