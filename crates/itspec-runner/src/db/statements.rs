//! The statements that write a recorded row back — insert it, update the
//! row with its key to it, delete the row with its key, or delete one row
//! equal to it in every column — from the row's lossless text
//! ([`super::record`]), values always bound. Each engine's
//! [`super::dialect::Dialect`] chooses its form; the field-by-field form
//! SQLite and MySQL share is here.
//!
//! PostgreSQL casts the row's text to the table's row type
//! (`$1::text::schema.table`); SQLite binds each value with the storage
//! class `quote()` showed; MySQL binds each value's text (bytes through
//! `UNHEX`). A row equal "in every column" is compared in the lossless
//! form, so no conversion or collation can pick another row.

use super::dialect::Dialect;
use super::record::Field;
use super::rows::Row;
use super::schema::{Column, Table};
use super::{Database, DbError, Param};

/// A statement and its parameters.
pub type Statement = (String, Vec<Param>);

/// How a field is written back into its column: its placeholder and
/// parameter.
pub(super) type FieldParam = fn(&Column, &Field) -> Result<(String, Param), DbError>;

/// Column names quoted and joined: `"a", "b"`.
pub(super) fn column_list<'c>(d: &dyn Dialect, names: impl IntoIterator<Item = &'c str>) -> String {
    names
        .into_iter()
        .map(|name| d.quote(name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields of `row` for `columns`, by position in the table.
pub(super) fn fields_of<'f>(
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
                    DbError::new(format!(
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
    d: &dyn Dialect,
    param: FieldParam,
    table: &Table,
    fields: &[Field],
    columns: &[&Column],
    operator: &str,
) -> Result<(Vec<String>, Vec<Param>), DbError> {
    let mut parts = Vec::with_capacity(columns.len());
    let mut params = Vec::with_capacity(columns.len());
    for (column, field) in columns.iter().zip(fields_of(table, fields, columns)?) {
        let (placeholder, param) = param(column, field)?;
        parts.push(format!(
            "{} {operator} {placeholder}",
            d.quote(&column.name)
        ));
        params.push(param);
    }
    Ok((parts, params))
}

/// INSERT of a recorded row, field by field (and its row id, where the
/// dialect records one).
pub(super) fn insert_fields(
    d: &dyn Dialect,
    param: FieldParam,
    table: &Table,
    row: &Row,
) -> Result<Statement, DbError> {
    let name = d.quote(&table.name);
    let columns: Vec<&Column> = table.writable().collect();
    let list = column_list(d, columns.iter().map(|c| c.name.as_str()));
    let fields = d.row_fields(&row.text)?;
    let mut placeholders = Vec::with_capacity(columns.len());
    let mut params = Vec::with_capacity(columns.len());
    for (column, field) in columns.iter().zip(fields_of(table, &fields, &columns)?) {
        let (placeholder, param) = param(column, field)?;
        placeholders.push(placeholder);
        params.push(param);
    }
    // SQLite: back in its own place.
    let mut list = list;
    if let (Some(name), Some(rowid)) = (d.row_id(table), row_id_of(d, table, &fields)) {
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

/// The recorded row id of a row's fields, when the table has one.
pub(super) fn row_id_of(d: &dyn Dialect, table: &Table, fields: &[Field]) -> Option<i64> {
    d.row_id(table)?;
    fields.get(table.columns.len())?.text()?.parse().ok()
}

/// UPDATE of the row with `target`'s key, field by field; the key matched
/// with `key_operator` (also when it is NULL).
pub(super) fn update_fields(
    d: &dyn Dialect,
    param: FieldParam,
    key_operator: &str,
    table: &Table,
    target: &Row,
) -> Result<Option<Statement>, DbError> {
    let name = d.quote(&table.name);
    let set: Vec<&Column> = table
        .writable()
        .filter(|c| !table.primary_key.contains(&c.name))
        .collect();
    if set.is_empty() || table.primary_key.is_empty() {
        return Ok(None);
    }
    let fields = d.row_fields(&target.text)?;
    let key: Vec<&Column> = table.key_columns().collect();
    let (set_parts, mut params) = assignments(d, param, table, &fields, &set, "=")?;
    let (key_parts, key_params) = assignments(d, param, table, &fields, &key, key_operator)?;
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

/// What one column of a row becomes, for `itspec mutate`.
#[derive(Clone, Debug, PartialEq)]
pub enum NewValue {
    /// One more.
    PlusOne,
    /// The other boolean.
    Negated,
    /// This text.
    Text(String),
    /// A day later (dates and timestamps).
    DayLater,
    /// An hour later (times of day).
    HourLater,
    /// NULL.
    Null,
}

/// UPDATE of one column of the row with `row`'s key, field by field, to
/// `value`; `later` is the engine's SQL for the column a day later
/// (`false`) or an hour later (`true`).
pub(super) fn update_column_fields(
    d: &dyn Dialect,
    (param, key_operator): (FieldParam, &str),
    table: &Table,
    row: &Row,
    column: &Column,
    value: &NewValue,
    later: fn(&str, bool) -> String,
) -> Result<Statement, DbError> {
    let c = d.quote(&column.name);
    let (set, bound) = match value {
        NewValue::PlusOne => (format!("{c} + 1"), None),
        NewValue::Negated => (format!("NOT {c}"), None),
        NewValue::Text(text) => ("?".to_string(), Some(Param::Text(text.clone()))),
        NewValue::DayLater => (later(&c, false), None),
        NewValue::HourLater => (later(&c, true), None),
        NewValue::Null => ("NULL".to_string(), None),
    };
    let fields = d.row_fields(&row.text)?;
    let key: Vec<&Column> = table.key_columns().collect();
    let (key_parts, key_params) = assignments(d, param, table, &fields, &key, key_operator)?;
    Ok((
        format!(
            "UPDATE {} SET {c} = {set} WHERE {}",
            d.quote(&table.name),
            key_parts.join(" AND ")
        ),
        bound.into_iter().chain(key_params).collect(),
    ))
}

/// UPDATE of one column of the row with `row`'s key (the table has one)
/// to `value`.
pub fn update_column(
    db: &Database,
    table: &Table,
    row: &Row,
    column: &Column,
    value: &NewValue,
) -> Result<Statement, DbError> {
    db.dialect().update_column(table, row, column, value)
}

/// DELETE of the row with `row`'s key, field by field; `limit` follows
/// the condition.
pub(super) fn delete_key_fields(
    d: &dyn Dialect,
    param: FieldParam,
    key_operator: &str,
    limit: &str,
    table: &Table,
    row: &Row,
) -> Result<Statement, DbError> {
    let name = d.quote(&table.name);
    let fields = d.row_fields(&row.text)?;
    let key: Vec<&Column> = table.key_columns().collect();
    let (parts, params) = assignments(d, param, table, &fields, &key, key_operator)?;
    Ok((
        format!("DELETE FROM {name} WHERE {}{limit}", parts.join(" AND ")),
        params,
    ))
}

/// INSERT of a recorded row.
pub fn insert(db: &Database, table: &Table, row: &Row) -> Result<Statement, DbError> {
    db.dialect().insert_row(table, row)
}

/// UPDATE of the row with `target`'s key to `target`'s values; `None` when
/// the table has no key or every column is part of it.
pub fn update(db: &Database, table: &Table, target: &Row) -> Result<Option<Statement>, DbError> {
    db.dialect().update_row(table, target)
}

/// DELETE of the row with `row`'s key (the table has one).
pub fn delete_by_key(db: &Database, table: &Table, row: &Row) -> Result<Statement, DbError> {
    db.dialect().delete_by_key(table, row)
}

/// DELETE of one row equal to `row` in every column (of a table without
/// a key, or of rows sharing one).
pub fn delete_exact(db: &Database, table: &Table, row: &Row) -> Result<Statement, DbError> {
    db.dialect().delete_exact(table, row)
}
