//! The statements that write a recorded row back — insert it, update the
//! row with its key to it, delete the row with its key, or delete one row
//! equal to it in every column — from the row's lossless text
//! ([`super::record`]), values always bound.
//!
//! PostgreSQL casts the row's text to the table's row type
//! (`$1::text::schema.table`); SQLite binds each value with the storage
//! class `quote()` showed; MySQL binds each value's text (bytes through
//! `UNHEX`). A row equal "in every column" is compared in the lossless
//! form, so no conversion or collation can pick another row.

use super::record::{self, Field};
use super::rows::Row;
use super::schema::{Column, Table};
use super::{Database, DbError, Kind, Param, quote};

/// A statement and its parameters.
pub type Statement = (String, Vec<Param>);

/// PostgreSQL: the table's row type, schema-qualified (a table named
/// `text` must not be read as the built-in type).
pub(super) fn row_type(db: &Database, table: &Table) -> String {
    match &table.schema {
        Some(schema) => format!("{}.{}", quote(db.kind, schema), db.quote(&table.name)),
        None => db.quote(&table.name),
    }
}

/// PostgreSQL: the recorded row as a relation of the table's columns.
fn pg_record(db: &Database, table: &Table) -> String {
    format!("(SELECT ($1::text::{}).*)", row_type(db, table))
}

/// The fields of `row` for `columns`, by position in the table.
fn fields_of<'f>(
    table: &Table,
    fields: &'f [Field],
    columns: &[&Column],
) -> Result<Vec<&'f Field>, DbError> {
    columns
        .iter()
        .map(|c| {
            table
                .columns
                .iter()
                .position(|t| t.name == c.name)
                .and_then(|i| fields.get(i))
                .ok_or_else(|| {
                    DbError(format!(
                        "a recorded row of `{}` has no value for `{}`",
                        table.name, c.name
                    ))
                })
        })
        .collect()
}

/// `"a" = ?, "b" = UNHEX(?)` or `"a" IS ? AND …`: columns with their
/// placeholders, and the parameters.
fn assignments(
    db: &Database,
    table: &Table,
    fields: &[Field],
    columns: &[&Column],
    operator: &str,
) -> Result<(Vec<String>, Vec<Param>), DbError> {
    let mut parts = Vec::with_capacity(columns.len());
    let mut params = Vec::with_capacity(columns.len());
    for (column, field) in columns.iter().zip(fields_of(table, fields, columns)?) {
        let (placeholder, param) = record::param(db.kind, column, field)?;
        parts.push(format!(
            "{} {operator} {placeholder}",
            db.quote(&column.name)
        ));
        params.push(param);
    }
    Ok((parts, params))
}

/// INSERT of a recorded row.
pub fn insert(db: &Database, table: &Table, row: &Row) -> Result<Statement, DbError> {
    let name = db.quote(&table.name);
    let columns: Vec<&Column> = table.writable().collect();
    let list = db.column_list(columns.iter().map(|c| c.name.as_str()));
    if db.kind == Kind::Postgres {
        return Ok((
            format!(
                "INSERT INTO {name} ({list}) OVERRIDING SYSTEM VALUE SELECT {list} FROM {} AS rec",
                pg_record(db, table)
            ),
            vec![Param::Text(row.text.clone())],
        ));
    }
    let fields = row.fields(db.kind)?;
    let mut placeholders = Vec::with_capacity(columns.len());
    let mut params = Vec::with_capacity(columns.len());
    for (column, field) in columns.iter().zip(fields_of(table, &fields, &columns)?) {
        let (placeholder, param) = record::param(db.kind, column, field)?;
        placeholders.push(placeholder);
        params.push(param);
    }
    // SQLite: back in its own place.
    let mut list = list;
    if db.kind == Kind::Sqlite
        && let (Some(name), Some(rowid)) = (
            record::sqlite_rowid(table),
            record::sqlite_rowid_of(table, &fields),
        )
    {
        list = if list.is_empty() {
            name.to_string()
        } else {
            format!("{list}, {name}")
        };
        placeholders.push("?".to_string());
        params.push(Param::Int(rowid));
    }
    Ok((
        format!(
            "INSERT INTO {name} ({list}) VALUES ({})",
            placeholders.join(", ")
        ),
        params,
    ))
}

/// The key columns' match: `cur.k = rec.k AND …` (PostgreSQL).
fn pg_key_matches(db: &Database, table: &Table) -> String {
    let matches: Vec<String> = table
        .primary_key
        .iter()
        .map(|k| format!("cur.{0} = rec.{0}", db.quote(k)))
        .collect();
    matches.join(" AND ")
}

/// UPDATE of the row with `target`'s key to `target`'s values; `None` when
/// the table has no key or every column is part of it.
pub fn update(db: &Database, table: &Table, target: &Row) -> Result<Option<Statement>, DbError> {
    let name = db.quote(&table.name);
    let set: Vec<&Column> = table
        .writable()
        .filter(|c| !table.primary_key.contains(&c.name))
        .collect();
    if set.is_empty() || table.primary_key.is_empty() {
        return Ok(None);
    }
    if db.kind == Kind::Postgres {
        let assignments = set
            .iter()
            .map(|c| format!("{0} = rec.{0}", db.quote(&c.name)))
            .collect::<Vec<_>>()
            .join(", ");
        return Ok(Some((
            format!(
                "UPDATE {name} AS cur SET {assignments} FROM {} AS rec WHERE {}",
                pg_record(db, table),
                pg_key_matches(db, table)
            ),
            vec![Param::Text(target.text.clone())],
        )));
    }
    let fields = target.fields(db.kind)?;
    let key: Vec<&Column> = table.key_columns().collect();
    let (set_parts, mut params) = assignments(db, table, &fields, &set, "=")?;
    let (key_parts, key_params) = assignments(db, table, &fields, &key, key_operator(db))?;
    params.extend(key_params);
    Ok(Some((
        format!(
            "UPDATE {name} SET {} WHERE {}",
            set_parts.join(", "),
            key_parts.join(" AND ")
        ),
        params,
    )))
}

/// How a key column is matched: also when it is NULL (SQLite allows NULL
/// in a key that is not an integer one).
fn key_operator(db: &Database) -> &'static str {
    match db.kind {
        Kind::MySql => "<=>",
        _ => "IS",
    }
}

/// DELETE of the row with `row`'s key (the table has one).
pub fn delete_by_key(db: &Database, table: &Table, row: &Row) -> Result<Statement, DbError> {
    let name = db.quote(&table.name);
    if db.kind == Kind::Postgres {
        return Ok((
            format!(
                "DELETE FROM {name} AS cur USING {} AS rec WHERE {}",
                pg_record(db, table),
                pg_key_matches(db, table)
            ),
            vec![Param::Text(row.text.clone())],
        ));
    }
    let fields = row.fields(db.kind)?;
    let key: Vec<&Column> = table.key_columns().collect();
    let (parts, params) = assignments(db, table, &fields, &key, key_operator(db))?;
    let limit = if db.kind == Kind::MySql {
        " LIMIT 1"
    } else {
        ""
    };
    Ok((
        format!("DELETE FROM {name} WHERE {}{limit}", parts.join(" AND ")),
        params,
    ))
}

/// DELETE of one row equal to `row` in every column (of a table without
/// a key, or of rows sharing one).
pub fn delete_exact(db: &Database, table: &Table, row: &Row) -> Result<Statement, DbError> {
    let name = db.quote(&table.name);
    match db.kind {
        Kind::Postgres => {
            // A partition's rows have ctids of their own: its oid too.
            let alias = record::alias(table);
            Ok((
                format!(
                    "DELETE FROM {name} WHERE (tableoid, ctid) = \
                     (SELECT {alias}.tableoid, {alias}.ctid FROM {name} {alias} WHERE {alias}::text = $1 LIMIT 1)"
                ),
                vec![Param::Text(row.text.clone())],
            ))
        }
        Kind::MySql => {
            let (matches, params) = exact_matches(db, table, row, &name)?;
            Ok((
                format!("DELETE FROM {name} WHERE {matches} LIMIT 1"),
                params,
            ))
        }
        Kind::Sqlite => {
            if let Some(rowid_name) = record::sqlite_rowid(table)
                && let Some(rowid) = record::sqlite_rowid_of(table, &row.fields(db.kind)?)
            {
                // The row's own place.
                return Ok((
                    format!("DELETE FROM {name} WHERE {rowid_name} = ?"),
                    vec![Param::Int(rowid)],
                ));
            }
            if !table.primary_key.is_empty() {
                // `WITHOUT ROWID`, or an `INTEGER PRIMARY KEY`: never NULL,
                // so the key names one row.
                return delete_by_key(db, table, row);
            }
            Err(DbError(format!(
                "cannot delete one of several equal rows of `{}`: it has no primary key, \
                 and its columns take every name of SQLite's row id (rowid, _rowid_, oid); \
                 give it a primary key",
                table.name
            )))
        }
    }
}

/// Every column of `row` compared in its lossless form.
fn exact_matches(
    db: &Database,
    table: &Table,
    row: &Row,
    qualifier: &str,
) -> Result<(String, Vec<Param>), DbError> {
    let fields = row.fields(db.kind)?;
    let columns: Vec<&Column> = table.columns.iter().collect();
    let fields = fields_of(table, &fields, &columns)?;
    let matches: Vec<String> = columns
        .iter()
        .map(|c| record::same_field(db, c, qualifier))
        .collect();
    let params = fields.into_iter().map(record::field_param).collect();
    Ok((matches.join(" AND "), params))
}
