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
//!   own ([`sqlite_rowid`]), so a row goes back to its own place.
//! - MySQL/MariaDB: each column as text (`CAST(… AS CHAR)`), `FLOAT`
//!   widened to `DOUBLE` first so no digit is lost, and bytes, `BIT` and
//!   spatial values as hex (`HEX`, written back with `UNHEX`), as a JSON
//!   array.
//!
//! Never through a JSON number or a normalised JSON document. The JSON
//! view of a row, for reports, is made from these texts ([`display`]).

use serde_json::Value;

use super::schema::{Column, Table};
use super::{Database, DbError, Kind, Param};

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

/// The SQL that renders one row of `table` (read through `alias`) as one
/// lossless text.
pub fn expression(db: &Database, table: &Table, alias: &str) -> String {
    match db.kind {
        Kind::Postgres => format!("{alias}::text"),
        Kind::Sqlite => {
            let mut parts: Vec<String> = table
                .columns
                .iter()
                .map(|c| format!("quote({alias}.{})", db.quote(&c.name)))
                .collect();
            if let Some(rowid) = sqlite_rowid(table) {
                parts.push(format!("quote({alias}.{rowid})"));
            }
            format!("json_array({})", parts.join(", "))
        }
        Kind::MySql => {
            let parts: Vec<String> = table
                .columns
                .iter()
                .map(|c| mysql_text(db, c, alias))
                .collect();
            format!("JSON_ARRAY({})", parts.join(", "))
        }
    }
}

/// The name under which a SQLite table's row id is recorded: a rowid
/// table whose row id is not its `INTEGER PRIMARY KEY` — its rows' order
/// and identity — under whichever of `rowid`, `_rowid_`, `oid` no column
/// takes. `None` for a `WITHOUT ROWID` table, an `INTEGER PRIMARY KEY`
/// (the key is the row id), and a table whose columns take all three.
pub fn sqlite_rowid(table: &Table) -> Option<&'static str> {
    let integer_key =
        table.primary_key.len() == 1 && table.key_columns().next().is_some_and(|c| c.auto);
    if table.without_rowid || integer_key {
        return None;
    }
    ["rowid", "_rowid_", "oid"].into_iter().find(|name| {
        !table
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(name))
    })
}

/// SQLite: the recorded row id of a row's fields, when the table has one.
pub fn sqlite_rowid_of(table: &Table, fields: &[Field]) -> Option<i64> {
    sqlite_rowid(table)?;
    fields.get(table.columns.len())?.text()?.parse().ok()
}

/// How MySQL renders a column as exact text.
fn mysql_text(db: &Database, column: &Column, alias: &str) -> String {
    let name = format!("{alias}.{}", db.quote(&column.name));
    if mysql_hex(column) {
        format!("HEX({name})")
    } else if column.data_type.starts_with("float") {
        format!("CAST(CAST({name} AS DOUBLE) AS CHAR CHARACTER SET utf8mb4)")
    } else {
        format!("CAST({name} AS CHAR CHARACTER SET utf8mb4)")
    }
}

/// Whether a MySQL column is read as hex: bytes, bits, spatial values.
fn mysql_hex(column: &Column) -> bool {
    const SPATIAL: [&str; 8] = [
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
    ];
    let base = column
        .data_type
        .split(['(', ' '])
        .next()
        .unwrap_or_default();
    column.binary || base == "bit" || SPATIAL.contains(&base)
}

/// The SQL that is true when `column` of the row read through `alias`
/// holds exactly the value of a field: compared in the lossless form, so
/// that no conversion or collation can match another value. What MySQL
/// deletes one of several equal rows by (SQLite deletes by row id, and
/// PostgreSQL compares whole rows); SQLite's form is `quote()`.
pub fn same_field(db: &Database, column: &Column, alias: &str) -> String {
    match db.kind {
        Kind::MySql if mysql_hex(column) => {
            format!("{} <=> ?", mysql_text(db, column, alias))
        }
        Kind::MySql => format!(
            "{} COLLATE utf8mb4_bin <=> ?",
            mysql_text(db, column, alias)
        ),
        _ => format!("quote({alias}.{}) = ?", db.quote(&column.name)),
    }
}

/// The parameter that [`same_field`] compares with.
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
    match kind {
        Kind::Postgres => postgres_fields(text),
        Kind::Sqlite | Kind::MySql => {
            let values: Vec<Option<String>> = serde_json::from_str(text)
                .map_err(|e| DbError(format!("a recorded row is not a list of texts: {e}")))?;
            Ok(values
                .into_iter()
                .map(|v| v.map_or(Field::Null, Field::Literal))
                .collect())
        }
    }
}

/// The fields of PostgreSQL's row text: `(1,abc,"a b",,"say ""hi""")`;
/// an empty field is NULL, `""` is the empty text.
fn postgres_fields(text: &str) -> Result<Vec<Field>, DbError> {
    let malformed = || DbError(format!("`{text}` is not a row's text"));
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(malformed)?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        let mut value = String::new();
        let mut quoted = false;
        let mut any = false;
        let mut more = false;
        loop {
            match chars.next() {
                None => break,
                Some(',') if !quoted => {
                    more = true;
                    break;
                }
                Some('"') if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    value.push('"');
                }
                Some('"') => {
                    quoted = !quoted;
                    any = true;
                }
                Some('\\') => value.push(chars.next().ok_or_else(malformed)?),
                Some(c) => {
                    any = true;
                    value.push(c);
                }
            }
        }
        if quoted {
            return Err(malformed());
        }
        fields.push(if any {
            Field::Literal(value)
        } else {
            Field::Null
        });
        if !more {
            return Ok(fields);
        }
    }
}

/// The placeholder and parameter that write a field back into `column`
/// (SQLite and MySQL; PostgreSQL writes whole rows).
pub fn param(kind: Kind, column: &Column, field: &Field) -> Result<(String, Param), DbError> {
    match kind {
        Kind::Sqlite => Ok(("?".to_string(), sqlite_param(field)?)),
        _ => Ok(match field {
            Field::Null => ("?".to_string(), Param::Null),
            Field::Literal(text) if mysql_hex(column) => {
                ("UNHEX(?)".to_string(), Param::Text(text.clone()))
            }
            Field::Literal(text) => ("?".to_string(), Param::Text(text.clone())),
        }),
    }
}

/// A value as SQLite's `quote()` wrote it, with its storage class.
fn sqlite_param(field: &Field) -> Result<Param, DbError> {
    let Field::Literal(literal) = field else {
        return Ok(Param::Null);
    };
    let bad = || DbError(format!("`{literal}` is not a value SQLite wrote"));
    if literal == "NULL" {
        return Ok(Param::Null);
    }
    if let Some(text) = literal.strip_prefix('\'') {
        let text = text.strip_suffix('\'').ok_or_else(bad)?;
        return Ok(Param::Text(text.replace("''", "'")));
    }
    if let Some(hex) = literal
        .strip_prefix("X'")
        .or_else(|| literal.strip_prefix("x'"))
    {
        let hex = hex.strip_suffix('\'').ok_or_else(bad)?;
        return unhex(hex).map(Param::Blob).ok_or_else(bad);
    }
    if let Ok(int) = literal.parse::<i64>() {
        return Ok(Param::Int(int));
    }
    // Reals: `1.5`, `3.00000000000000044408e-01`, `9.0e+999`, `Inf`.
    match literal.to_ascii_lowercase().as_str() {
        "inf" => Ok(Param::Float(f64::INFINITY)),
        "-inf" => Ok(Param::Float(f64::NEG_INFINITY)),
        _ => literal.parse::<f64>().map(Param::Float).map_err(|_| bad()),
    }
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A lossless row as a JSON object, for reports: numbers as numbers where
/// they fit, booleans and JSON columns as such, bytes as hex, everything
/// else as its text.
pub fn display(kind: Kind, table: &Table, text: &str) -> Value {
    let Ok(fields) = fields(kind, text) else {
        return Value::String(text.to_string());
    };
    let object = table
        .columns
        .iter()
        .zip(fields)
        .map(|(column, field)| (column.name.clone(), display_field(kind, column, &field)))
        .collect();
    Value::Object(object)
}

fn display_field(kind: Kind, column: &Column, field: &Field) -> Value {
    let Field::Literal(text) = field else {
        return Value::Null;
    };
    if kind == Kind::Sqlite {
        return match sqlite_param(field) {
            Ok(Param::Null) => Value::Null,
            Ok(Param::Int(i)) => Value::from(i),
            Ok(Param::Float(f)) => serde_json::Number::from_f64(f)
                .map_or_else(|| Value::String(text.clone()), Value::Number),
            Ok(Param::Text(t)) if column.json => {
                serde_json::from_str(&t).unwrap_or(Value::String(t))
            }
            Ok(Param::Text(t)) => Value::String(t),
            Ok(Param::Blob(_)) => Value::String(
                text.trim_start_matches(['X', 'x'])
                    .trim_matches('\'')
                    .to_string(),
            ),
            Err(_) => Value::String(text.clone()),
        };
    }
    let base = column
        .data_type
        .split(['(', ' '])
        .next()
        .unwrap_or_default();
    let numeric = matches!(
        base,
        "smallint"
            | "integer"
            | "bigint"
            | "int"
            | "tinyint"
            | "mediumint"
            | "numeric"
            | "decimal"
            | "real"
            | "double"
            | "float"
    );
    if numeric {
        if let Ok(number) = text.parse::<serde_json::Number>() {
            return Value::Number(number);
        }
    } else if column.json {
        if let Ok(value) = serde_json::from_str(text) {
            return value;
        }
    } else if kind == Kind::Postgres && column.is_bool() {
        return Value::Bool(text == "t");
    }
    Value::String(text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Field {
        Field::Literal(text.to_string())
    }

    #[test]
    fn postgres_row_texts_split_into_fields() {
        assert_eq!(
            postgres_fields(r#"(1,abc,"a b",,"say ""hi""","back\\slash","")"#).unwrap(),
            vec![
                literal("1"),
                literal("abc"),
                literal("a b"),
                Field::Null,
                literal("say \"hi\""),
                literal("back\\slash"),
                literal(""),
            ]
        );
        assert_eq!(
            postgres_fields("(,)").unwrap(),
            vec![Field::Null, Field::Null]
        );
        assert_eq!(postgres_fields("()").unwrap(), Vec::<Field>::new());
        assert_eq!(
            postgres_fields(r#"("[0:1]={1,2}","{""a"":1, ""a"":2 }")"#).unwrap(),
            vec![literal("[0:1]={1,2}"), literal(r#"{"a":1, "a":2 }"#)]
        );
        assert!(postgres_fields("1,2").is_err());
        assert!(postgres_fields(r#"("open)"#).is_err());
    }

    #[test]
    fn sqlite_literals_keep_their_storage_class() {
        assert_eq!(sqlite_param(&literal("NULL")).unwrap(), Param::Null);
        assert_eq!(sqlite_param(&literal("-42")).unwrap(), Param::Int(-42));
        assert_eq!(
            sqlite_param(&literal("3.00000000000000044408e-01")).unwrap(),
            Param::Float(0.1 + 0.2)
        );
        assert_eq!(
            sqlite_param(&literal("1.00000000000000022204e+00")).unwrap(),
            Param::Float(1.000_000_000_000_000_2)
        );
        assert_eq!(
            sqlite_param(&literal("Inf")).unwrap(),
            Param::Float(f64::INFINITY)
        );
        assert_eq!(
            sqlite_param(&literal("-9.0e+999")).unwrap(),
            Param::Float(f64::NEG_INFINITY)
        );
        assert_eq!(
            sqlite_param(&literal("1.79769313486231570815e+308")).unwrap(),
            Param::Float(f64::MAX)
        );
        assert_eq!(
            sqlite_param(&literal("'it''s'")).unwrap(),
            Param::Text("it's".to_string())
        );
        assert_eq!(
            sqlite_param(&literal("X'00FF'")).unwrap(),
            Param::Blob(vec![0, 255])
        );
        assert!(sqlite_param(&literal("X'0'")).is_err());
        assert!(sqlite_param(&literal("what")).is_err());
    }

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
