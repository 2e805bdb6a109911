//! A row in its database's own lossless text form — what isolation
//! records, checksums, writes back and saves to a rescue file, so that
//! every value comes back bit for bit:
//!
//! - PostgreSQL: the row's text (`r::text`, the composite type's output),
//!   written back by casting it to the table's row type. Floats are read
//!   with `extra_float_digits = 3`, so the text is the shortest exact form.
//! - SQLite: `quote()` of each column — REALs to the last bit, BLOBs as
//!   `X'…'`, text as text whatever the column's declared type — as a JSON
//!   array of those literals, each bound back with its own storage class;
//!   and, last, the row id of a table whose row id is not a column of its
//!   own ([`super::dialect::Dialect::row_id`]), so a row goes back to its
//!   own place.
//! - MySQL/MariaDB: each column as text (`CAST(… AS CHAR)`), `FLOAT`
//!   widened to `DOUBLE` first so no digit is lost, and bytes, `BIT` and
//!   spatial values as hex (`HEX`, written back with `UNHEX`), as a JSON
//!   array.
//!
//! Never through a JSON number or a normalised JSON document. The JSON
//! view of a row, for reports, is made from these texts ([`display`]).
//! Each engine's form is its dialect's ([`super::dialect`]); what they
//! share is here.

use serde_json::Value;

use super::schema::{Column, Table};
use super::{DbError, Kind, Param};

/// A name for the row alias of `table` that none of its columns has: in
/// PostgreSQL a bare `t` would mean a column `t` before the row.
pub fn alias(table: &Table) -> String {
    let mut alias = "r".to_string();
    while table
        .columns
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(&alias))
    {
        alias.push('_');
    }
    alias
}

/// The parameter that a dialect's comparison of a field in its lossless
/// form compares with.
pub fn field_param(field: &Field) -> Param {
    match field {
        Field::Null => Param::Null,
        Field::Literal(text) => Param::Text(text.clone()),
    }
}

/// One column of a lossless row: SQL NULL, or its text (SQLite: the
/// literal `quote()` wrote, `NULL` included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// SQL NULL (PostgreSQL, MySQL).
    Null,
    /// The text.
    Literal(String),
}

impl Field {
    /// The text, `None` for NULL.
    pub fn text(&self) -> Option<&str> {
        match self {
            Field::Null => None,
            Field::Literal(text) => Some(text),
        }
    }
}

/// The columns of a lossless row, in the table's column order.
pub fn fields(kind: Kind, text: &str) -> Result<Vec<Field>, DbError> {
    kind.dialect().row_fields(text)
}

/// A lossless row written as a JSON array of texts and NULLs (SQLite,
/// MySQL): its fields.
pub(super) fn json_array_fields(text: &str) -> Result<Vec<Field>, DbError> {
    let values: Vec<Option<String>> = serde_json::from_str(text)
        .map_err(|e| DbError::new(format!("a recorded row is not a list of texts: {e}")))?;
    Ok(values
        .into_iter()
        .map(|v| v.map_or(Field::Null, Field::Literal))
        .collect())
}

/// A lossless row as a JSON object, for reports: numbers as numbers where
/// they fit, booleans and JSON columns as such, bytes as hex, everything
/// else as its text.
pub fn display(kind: Kind, table: &Table, text: &str) -> Value {
    let dialect = kind.dialect();
    let Ok(fields) = dialect.row_fields(text) else {
        return Value::String(text.to_string());
    };
    let object = table
        .columns
        .iter()
        .zip(fields)
        .map(|(column, field)| (column.name.clone(), dialect.display_field(column, &field)))
        .collect();
    Value::Object(object)
}

/// One field of a lossless row as JSON, for reports.
pub fn display_field(kind: Kind, column: &Column, field: &Field) -> Value {
    kind.dialect().display_field(column, field)
}

/// A field's text as JSON by its column's type (PostgreSQL, MySQL):
/// numbers as numbers, JSON as JSON, and, where booleans are written
/// `true_text` (PostgreSQL's `t`), booleans.
pub(super) fn display_text(column: &Column, field: &Field, true_text: Option<&str>) -> Value {
    let Field::Literal(text) = field else {
        return Value::Null;
    };
    let numeric = column.is_numeric();
    if numeric {
        if let Ok(number) = text.parse::<serde_json::Number>() {
            return Value::Number(number);
        }
    } else if column.json {
        if let Ok(value) = serde_json::from_str(text) {
            return value;
        }
    } else if let Some(true_text) = true_text
        && column.is_bool()
    {
        return Value::Bool(text == true_text);
    }
    Value::String(text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_avoid_column_names() {
        let column = |name: &str| Column {
            name: name.to_string(),
            data_type: "text".to_string(),
            generated: false,
            auto: false,
            json: false,
            binary: false,
        };
        let mut table = Table {
            name: "x".to_string(),
            columns: vec![column("id")],
            primary_key: Vec::new(),
            references: Default::default(),
            schema: None,
            partitioned: false,
            without_rowid: false,
        };
        assert_eq!(alias(&table), "r");
        table.columns.push(column("R"));
        table.columns.push(column("r_"));
        assert_eq!(alias(&table), "r__");
    }
}
