//! Database mutants: after a case's requests, one column of one row the
//! case wrote is changed in the database — a typed UPDATE of that row, by
//! its key, in the engine's own SQL — before the case's database checks
//! run. An error case that wrote nothing gets, instead, a change to a row
//! each tracked table held: the `database unchanged` it should assert
//! finds it. A case that still passes checks too little of what it wrote.
//! The restore after the mutant's run puts the row back with the rest.
//!
//! What a column becomes, by its type: a number one more, a boolean the
//! other, a text reversed, a date or timestamp a day later, a time of day
//! an hour later; anything else (JSON, bytes, enums, UUIDs) NULL, which a
//! NOT NULL column refuses — that mutant is then counted as not applied.

use serde_json::Value;

use super::Mutant;
use super::response::{altered, shown};
use crate::db::{self, Column, DbError, Kind, NewValue, Row, Schema, Snapshot, Table};
use crate::isolation::{Isolation, WrittenRow};

/// The most database mutants of one case.
pub const MAX_PER_CASE: usize = 24;

/// One changed column of one row.
#[derive(Clone, Debug, PartialEq)]
pub struct DbMutant {
    /// The table.
    pub table: String,
    /// Which of its rows.
    pub row: Which,
    /// The column.
    pub column: String,
    /// What it does, as the report says it.
    pub description: String,
}

/// Which row a database mutant changes: found again in its own run, since
/// a key the service generates (a UUID) differs from run to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The `n`th row, in key order, that the case wrote to the table.
    Written(usize),
    /// The first row, in key order, that the table held after Setup.
    Held,
}

/// The mutants of what a case wrote: every column it gave a value (each
/// column of a row it inserted, each column it changed of another); for
/// an error case that wrote nothing, one column of a row of each tracked
/// table.
pub fn mutants_of(written: &Written, error_case: bool) -> Vec<Mutant> {
    let Written {
        tracked,
        kind,
        after_setup,
        rows: written,
    } = written;
    let kind = *kind;
    let mut out = Vec::new();
    let mut nth_of_table: Vec<(&str, usize)> = Vec::new();
    for w in written {
        let Some(table) = tracked.tables.get(&w.table) else {
            continue;
        };
        let n = match nth_of_table.iter_mut().find(|(t, _)| *t == w.table) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                nth_of_table.push((&w.table, 0));
                0
            }
        };
        let (Ok(after), before) = (
            w.row.fields(kind),
            w.before.as_ref().and_then(|b| b.fields(kind).ok()),
        ) else {
            continue;
        };
        for (i, column) in table.columns.iter().enumerate() {
            let given = before.as_ref().is_none_or(|b| b.get(i) != after.get(i));
            if !given || !changeable(table, column) {
                continue;
            }
            let Some(field) = after.get(i) else { continue };
            if let Some(mutant) = mutant(kind, table, &w.row, column, field, Which::Written(n)) {
                out.push(mutant);
            }
        }
    }
    if written.is_empty() && error_case {
        for table in tracked.tables.values() {
            let Some(row) = held(after_setup, &table.name) else {
                continue;
            };
            let Ok(fields) = row.fields(kind) else {
                continue;
            };
            // The first column that changes into a value, not NULL.
            let first = table
                .columns
                .iter()
                .zip(&fields)
                .filter(|(column, _)| changeable(table, column))
                .filter_map(|(column, field)| mutant(kind, table, row, column, field, Which::Held))
                .next();
            out.extend(first);
        }
    }
    out.truncate(MAX_PER_CASE);
    out
}

/// What a case's first run wrote, for its database mutants.
#[derive(Clone, Debug)]
pub struct Written {
    /// The tracked tables.
    pub tracked: Schema,
    /// The engine.
    pub kind: Kind,
    /// The tracked tables after Setup.
    pub after_setup: Snapshot,
    /// The rows the case wrote after Setup.
    pub rows: Vec<WrittenRow>,
}

/// The first row, in key order, of a table in a snapshot.
fn held<'s>(snapshot: &'s Snapshot, table: &str) -> Option<&'s Row> {
    snapshot.rows(table)?.rows.first().map(|row| &**row)
}

/// Whether a column of a table can be changed: not part of its key, not
/// computed, not filled by the database.
fn changeable(table: &Table, column: &Column) -> bool {
    !table.primary_key.contains(&column.name) && !column.generated && !column.auto
}

/// The mutant of one column of one row; `None` when it is NULL.
fn mutant(
    kind: Kind,
    table: &Table,
    row: &Row,
    column: &Column,
    field: &db::Field,
    which: Which,
) -> Option<Mutant> {
    let (_, after) = new_value(kind, column, field)?;
    let before = db::display_field(kind, column, field);
    let whose = match which {
        Which::Written(_) => "written",
        Which::Held => "held before the requests",
    };
    Some(Mutant::Database(DbMutant {
        table: table.name.clone(),
        row: which,
        column: column.name.clone(),
        description: format!(
            "`{}.{}` of the row {} ({whose}): {} → {after}",
            table.name,
            column.name,
            key_of(kind, table, row),
            shown(&before),
        ),
    }))
}

/// A row's key, as the report shows it: `id 7`.
fn key_of(kind: Kind, table: &Table, row: &Row) -> String {
    let display = row.display(kind, table);
    table
        .primary_key
        .iter()
        .map(|k| format!("{k} {}", display.get(k).unwrap_or(&Value::Null)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a field becomes, and how the report shows that; `None` for NULL.
fn new_value(kind: Kind, column: &Column, field: &db::Field) -> Option<(NewValue, String)> {
    let text = field.text()?;
    // SQLite's `quote()` literals: 'text', X'bytes', NULL, or a number.
    let (text, quoted) = match kind {
        Kind::Sqlite if text == "NULL" => return None,
        Kind::Sqlite if text.starts_with("X'") => return Some((NewValue::Null, "`NULL`".into())),
        Kind::Sqlite if text.starts_with('\'') => {
            let inner = text.strip_prefix('\'').unwrap_or(text);
            let inner = inner.strip_suffix('\'').unwrap_or(inner);
            (inner.replace("''", "'"), true)
        }
        _ => (text.to_string(), false),
    };
    let base = column.base_type();
    if column.binary || column.json {
        return Some((NewValue::Null, "`NULL`".into()));
    }
    if column.is_bool() {
        let now = matches!(text.as_str(), "t" | "true" | "1");
        return Some((NewValue::Negated, format!("`{}`", !now)));
    }
    let numeric = match kind {
        Kind::Sqlite => !quoted,
        _ => column.is_numeric(),
    };
    if numeric {
        let shown = match (text.parse::<i64>(), text.parse::<f64>()) {
            (Ok(i), _) => format!("`{}`", i.saturating_add(1)),
            (_, Ok(f)) => format!("`{}`", f + 1.0),
            _ => "one more".to_string(),
        };
        return Some((NewValue::PlusOne, shown));
    }
    if column.is_datetime() || base == "date" {
        return Some((NewValue::DayLater, "a day later".into()));
    }
    if base == "time" {
        return Some((NewValue::HourLater, "an hour later".into()));
    }
    let textual = quoted
        || matches!(
            base,
            "text"
                | "character"
                | "char"
                | "varchar"
                | "citext"
                | "name"
                | "bpchar"
                | "tinytext"
                | "mediumtext"
                | "longtext"
        );
    if textual {
        let changed = altered(&text);
        let shown = shown(&Value::String(changed.clone()));
        return Some((NewValue::Text(changed), shown));
    }
    Some((NewValue::Null, "`NULL`".into()))
}

impl DbMutant {
    /// Changes its row in the database; `Ok(false)` when the row is not
    /// there in this run. `after_setup`: the tracked tables after Setup.
    pub async fn apply(
        &self,
        isolation: &Isolation,
        after_setup: &Snapshot,
    ) -> Result<bool, DbError> {
        let kind = isolation.db.kind;
        let (Some(table), row) = (
            isolation.tracked.tables.get(&self.table),
            match self.row {
                Which::Written(n) => isolation
                    .written(after_setup)
                    .await?
                    .into_iter()
                    .filter(|w| w.table == self.table)
                    .nth(n)
                    .map(|w| w.row),
                Which::Held => held(after_setup, &self.table).cloned(),
            },
        ) else {
            return Ok(false);
        };
        let Some(row) = row else { return Ok(false) };
        let Some((i, column)) = table
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == self.column)
        else {
            return Ok(false);
        };
        let fields = row.fields(kind)?;
        let Some((value, _)) = fields.get(i).and_then(|f| new_value(kind, column, f)) else {
            return Ok(false);
        };
        let (sql, params) = db::update_column(&isolation.db, table, &row, column, &value)?;
        Ok(isolation.db.execute(&sql, &params).await? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(data_type: &str) -> Column {
        Column {
            name: "c".to_string(),
            data_type: data_type.to_string(),
            generated: false,
            auto: false,
            json: false,
            binary: false,
        }
    }

    fn literal(text: &str) -> db::Field {
        db::Field::Literal(text.to_string())
    }

    #[test]
    fn each_type_changes_its_own_way() {
        let pg = |t: &str, v: &str| new_value(Kind::Postgres, &column(t), &literal(v));
        assert_eq!(pg("integer", "7"), Some((NewValue::PlusOne, "`8`".into())));
        assert_eq!(
            pg("numeric", "2.5"),
            Some((NewValue::PlusOne, "`3.5`".into()))
        );
        assert_eq!(
            pg("boolean", "t"),
            Some((NewValue::Negated, "`false`".into()))
        );
        assert_eq!(
            pg("character varying", "confirmed"),
            Some((NewValue::Text("demrifnoc".into()), "`\"demrifnoc\"`".into()))
        );
        assert_eq!(
            pg("timestamp with time zone", "2026-01-01 00:00:00+00").map(|v| v.0),
            Some(NewValue::DayLater)
        );
        assert_eq!(
            pg("date", "2026-01-01").map(|v| v.0),
            Some(NewValue::DayLater)
        );
        assert_eq!(
            pg("time without time zone", "10:00:00").map(|v| v.0),
            Some(NewValue::HourLater)
        );
        assert_eq!(pg("uuid", "0b4f…").map(|v| v.0), Some(NewValue::Null));
        assert_eq!(
            new_value(Kind::Postgres, &column("integer"), &db::Field::Null),
            None
        );
        let my = |t: &str, v: &str| new_value(Kind::MySql, &column(t), &literal(v));
        assert_eq!(
            my("tinyint(1)", "1"),
            Some((NewValue::Negated, "`false`".into()))
        );
        assert_eq!(
            my("decimal(10,2)", "9.99").map(|v| v.0),
            Some(NewValue::PlusOne)
        );
        assert_eq!(
            my("varchar(20)", "ab").map(|v| v.0),
            Some(NewValue::Text("ba".into()))
        );
        // SQLite: by the literal `quote()` wrote, whatever the declared type.
        let lite = |t: &str, v: &str| new_value(Kind::Sqlite, &column(t), &literal(v));
        assert_eq!(lite("", "41"), Some((NewValue::PlusOne, "`42`".into())));
        assert_eq!(
            lite("VARCHAR", "'it''s'").map(|v| v.0),
            Some(NewValue::Text("s'ti".into()))
        );
        assert_eq!(lite("", "NULL"), None);
        assert_eq!(lite("", "X'00'").map(|v| v.0), Some(NewValue::Null));
    }
}
