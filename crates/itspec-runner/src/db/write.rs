//! Writing rows: the statements that insert, update and delete one row
//! (for fixtures and for restoring), values always bound.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::rows::{Row, json_expression};
use super::schema::{Column, Table};
use super::{Database, DbError, Kind, Param};

/// A statement and its parameters.
pub type Statement = (String, Vec<Param>);

/// The parameter of a column's raw JSON value, and how to write its
/// placeholder (`UNHEX(?)` for bytes). MySQL and SQLite: PostgreSQL reads
/// whole rows with `jsonb_populate_record`.
fn param_of(db: &Database, column: &Column, raw: Option<&RawValue>) -> (String, Param) {
    let placeholder = "?".to_string();
    let text = raw.map_or("null", RawValue::get);
    let param = match serde_json::from_str::<Value>(text).unwrap_or(Value::Null) {
        Value::Null => Param::Null,
        Value::Bool(b) => Param::Int(i64::from(b)),
        Value::Number(number) => match db.kind {
            Kind::Sqlite => match number.as_i64() {
                Some(i) => Param::Int(i),
                None => Param::Float(number.as_f64().unwrap_or(0.0)),
            },
            // Written as it was read, so no digit is lost.
            _ => Param::Text(text.to_string()),
        },
        Value::String(s) => Param::Text(s),
        other @ (Value::Array(_) | Value::Object(_)) => Param::Text(other.to_string()),
    };
    let placeholder = if column.binary && param != Param::Null {
        match db.kind {
            Kind::MySql => format!("UNHEX({placeholder})"),
            _ => format!("unhex({placeholder})"),
        }
    } else {
        placeholder
    };
    (placeholder, param)
}

/// The placeholders and parameters of some columns of a row read from the
/// database.
fn row_params(db: &Database, columns: &[&Column], row: &Row) -> (Vec<String>, Vec<Param>) {
    let raw = row.columns();
    columns
        .iter()
        .map(|c| param_of(db, c, raw.get(&c.name).map(AsRef::as_ref)))
        .unzip()
}

/// `t.k = r.k AND …` over the primary key (PostgreSQL, where `r` is the
/// row read back with `jsonb_populate_record`).
fn key_matches(db: &Database, table: &Table) -> String {
    let matches: Vec<String> = table
        .primary_key
        .iter()
        .map(|k| format!("t.{0} = r.{0}", db.quote(k)))
        .collect();
    matches.join(" AND ")
}

/// INSERT of a row read from the database (restore).
pub fn insert(db: &Database, table: &Table, row: &Row) -> Statement {
    let name = db.quote(&table.name);
    let columns: Vec<&Column> = table.writable().collect();
    let list = db.column_list(columns.iter().map(|c| c.name.as_str()));
    if db.kind == Kind::Postgres {
        return (
            format!(
                "INSERT INTO {name} ({list}) OVERRIDING SYSTEM VALUE SELECT {list} FROM jsonb_populate_record(NULL::{name}, $1::jsonb)"
            ),
            vec![Param::Text(row.raw.clone())],
        );
    }
    let (placeholders, params) = row_params(db, &columns, row);
    (
        format!(
            "INSERT INTO {name} ({list}) VALUES ({})",
            placeholders.join(", ")
        ),
        params,
    )
}

/// UPDATE of the row with `target`'s key to `target`'s values; `None` when
/// every column is part of the key.
pub fn update(db: &Database, table: &Table, target: &Row) -> Option<Statement> {
    let name = db.quote(&table.name);
    let set: Vec<&Column> = table
        .writable()
        .filter(|c| !table.primary_key.contains(&c.name))
        .collect();
    if set.is_empty() || table.primary_key.is_empty() {
        return None;
    }
    if db.kind == Kind::Postgres {
        let assignments = set
            .iter()
            .map(|c| format!("{0} = r.{0}", db.quote(&c.name)))
            .collect::<Vec<_>>()
            .join(", ");
        let matches = key_matches(db, table);
        return Some((
            format!(
                "UPDATE {name} AS t SET {assignments} FROM jsonb_populate_record(NULL::{name}, $1::jsonb) AS r WHERE {matches}"
            ),
            vec![Param::Text(target.raw.clone())],
        ));
    }
    let key_columns: Vec<&Column> = table.key_columns().collect();
    let (set_placeholders, mut params) = row_params(db, &set, target);
    let (key_placeholders, key_params) = row_params(db, &key_columns, target);
    params.extend(key_params);
    let pairs = |columns: &[&Column], placeholders: Vec<String>| -> Vec<String> {
        columns
            .iter()
            .zip(placeholders)
            .map(|(c, p)| format!("{} = {p}", db.quote(&c.name)))
            .collect()
    };
    let assignments = pairs(&set, set_placeholders);
    let matches = pairs(&key_columns, key_placeholders);
    Some((
        format!(
            "UPDATE {name} SET {} WHERE {}",
            assignments.join(", "),
            matches.join(" AND ")
        ),
        params,
    ))
}

/// DELETE of one row: by key, or (without a key) of one row equal to it.
pub fn delete(db: &Database, table: &Table, row: &Row) -> Statement {
    let name = db.quote(&table.name);
    if db.kind == Kind::Postgres {
        if table.primary_key.is_empty() {
            return (
                format!(
                    "DELETE FROM {name} WHERE ctid = (SELECT t.ctid FROM {name} t WHERE row_to_json(t)::text = $1 LIMIT 1)"
                ),
                vec![Param::Text(row.raw.clone())],
            );
        }
        let matches = key_matches(db, table);
        return (
            format!(
                "DELETE FROM {name} AS t USING jsonb_populate_record(NULL::{name}, $1::jsonb) AS r WHERE {matches}"
            ),
            vec![Param::Text(row.raw.clone())],
        );
    }
    let columns: Vec<&Column> = if table.primary_key.is_empty() {
        table.columns.iter().collect()
    } else {
        table.key_columns().collect()
    };
    let equal = if db.kind == Kind::MySql { "<=>" } else { "IS" };
    let (placeholders, params) = row_params(db, &columns, row);
    let matches: Vec<String> = columns
        .iter()
        .zip(placeholders)
        .map(|(c, placeholder)| format!("{} {equal} {placeholder}", db.quote(&c.name)))
        .collect();
    let sql = match db.kind {
        Kind::MySql => format!("DELETE FROM {name} WHERE {} LIMIT 1", matches.join(" AND ")),
        _ => format!(
            "DELETE FROM {name} WHERE rowid = (SELECT rowid FROM {name} WHERE {} LIMIT 1)",
            matches.join(" AND ")
        ),
    };
    (sql, params)
}

/// A fixture value made to fit its column: booleans from 0/1 and back,
/// MySQL date-times from RFC 3339, JSON as text where the database wants text.
fn fit(db: &Database, column: &Column, value: &Value) -> Value {
    match (value, db.kind) {
        (Value::Number(n), Kind::Postgres) if column.is_bool() => {
            Value::Bool(n.as_i64().unwrap_or(0) != 0)
        }
        (Value::String(s), Kind::MySql) if column.is_datetime() => {
            match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(at) => Value::String(
                    at.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%d %H:%M:%S%.6f")
                        .to_string(),
                ),
                Err(_) => value.clone(),
            }
        }
        _ => value.clone(),
    }
}

/// The placeholders and parameters of fixture values (MySQL, SQLite).
fn bound_values(db: &Database, given: &[(&Column, Value)]) -> (Vec<String>, Vec<Param>) {
    given
        .iter()
        .map(|(column, value)| {
            let raw = RawValue::from_string(value.to_string()).ok();
            param_of(db, column, raw.as_deref())
        })
        .unzip()
}

/// Inserts a fixture row (only the columns given; the database fills the
/// rest) and returns the row as stored, generated keys included.
pub async fn insert_fixture(
    db: &Database,
    table: &Table,
    values: &Map<String, Value>,
) -> Result<Value, DbError> {
    let mut given: Vec<(&Column, Value)> = Vec::with_capacity(values.len());
    for (name, value) in values {
        let Some(column) = table.column(name) else {
            let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(DbError(format!(
                "table `{}` has no column `{name}` (its columns are {})",
                table.name,
                known.join(", ")
            )));
        };
        if column.generated {
            return Err(DbError(format!(
                "column `{}.{name}` is generated by the database and cannot be written",
                table.name
            )));
        }
        given.push((column, fit(db, column, value)));
    }
    let name = db.quote(&table.name);
    let list = db.column_list(given.iter().map(|(c, _)| c.name.as_str()));
    let row_json = |raw: &str| {
        serde_json::from_str::<Value>(raw)
            .map_err(|e| DbError(format!("the inserted row is not JSON: {e}")))
    };
    match db.kind {
        Kind::Postgres => {
            let object: Map<String, Value> = given
                .iter()
                .map(|(c, v)| (c.name.clone(), v.clone()))
                .collect();
            let (columns_sql, select_sql) = if given.is_empty() {
                (String::new(), "DEFAULT VALUES".to_string())
            } else {
                (
                    format!(" ({list})"),
                    format!(
                        "OVERRIDING SYSTEM VALUE SELECT {list} FROM jsonb_populate_record(NULL::{name}, $1::jsonb)"
                    ),
                )
            };
            let sql = format!(
                "INSERT INTO {name} AS t{columns_sql} {select_sql} RETURNING row_to_json(t)::text"
            );
            let params = if given.is_empty() {
                Vec::new()
            } else {
                vec![Param::Text(Value::Object(object).to_string())]
            };
            let raw = db.fetch_first(&sql, &params).await?.unwrap_or_default();
            row_json(&raw)
        }
        Kind::Sqlite => {
            let (expression, mut params) = json_expression(db, table, "");
            let (placeholders, mut values_params) = bound_values(db, &given);
            let sql = if given.is_empty() {
                format!("INSERT INTO {name} DEFAULT VALUES RETURNING {expression}")
            } else {
                format!(
                    "INSERT INTO {name} ({list}) VALUES ({}) RETURNING {expression}",
                    placeholders.join(", ")
                )
            };
            values_params.append(&mut params);
            let raw = db
                .fetch_first(&sql, &values_params)
                .await?
                .unwrap_or_default();
            row_json(&raw)
        }
        Kind::MySql => insert_fixture_mysql(db, table, &given).await,
    }
}

async fn insert_fixture_mysql(
    db: &Database,
    table: &Table,
    given: &[(&Column, Value)],
) -> Result<Value, DbError> {
    use sqlx::Row as _;
    let super::Pool::MySql(pool) = &db.pool else {
        return Err(DbError("not a MySQL database".to_string()));
    };
    let name = db.quote(&table.name);
    let list = db.column_list(given.iter().map(|(c, _)| c.name.as_str()));
    let (placeholders, params) = bound_values(db, given);
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO {name} ({list}) VALUES ({})",
        placeholders.join(", ")
    ));
    let mut connection = pool.acquire().await?;
    super::bind_all!(sqlx::query(sql), &params)
        .execute(&mut *connection)
        .await?;
    let mut key: HashMap<String, Value> = given
        .iter()
        .map(|(c, v)| (c.name.clone(), v.clone()))
        .collect();
    if let Some(auto) = table
        .columns
        .iter()
        .find(|c| c.auto && !key.contains_key(&c.name))
    {
        let id: u64 = sqlx::query("SELECT LAST_INSERT_ID()")
            .fetch_one(&mut *connection)
            .await?
            .try_get(0)?;
        key.insert(auto.name.clone(), Value::from(id));
    }
    drop(connection);
    if table.primary_key.is_empty() || !table.primary_key.iter().all(|k| key.contains_key(k)) {
        return Ok(Value::Object(
            given
                .iter()
                .map(|(c, v)| (c.name.clone(), v.clone()))
                .collect(),
        ));
    }
    let (expression, mut select_params) = json_expression(db, table, "t.");
    let matches: Vec<String> = table
        .primary_key
        .iter()
        .map(|k| format!("t.{} = ?", db.quote(k)))
        .collect();
    for k in &table.primary_key {
        let raw =
            RawValue::from_string(key.get(k).cloned().unwrap_or(Value::Null).to_string()).ok();
        let column = table.column(k).cloned().unwrap_or(Column {
            name: k.clone(),
            data_type: String::new(),
            generated: false,
            auto: false,
            json: false,
            binary: false,
        });
        select_params.push(param_of(db, &column, raw.as_deref()).1);
    }
    let sql = format!(
        "SELECT {expression} FROM {name} t WHERE {} LIMIT 1",
        matches.join(" AND ")
    );
    let raw = db
        .fetch_first(&sql, &select_params)
        .await?
        .unwrap_or_default();
    serde_json::from_str(&raw).map_err(|e| DbError(format!("the inserted row is not JSON: {e}")))
}
