//! A table's rows as JSON, exactly as the database has them, and cheap
//! checksums to tell whether a table changed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde_json::Value;
use serde_json::value::RawValue;

use super::schema::Table;
use super::{Database, DbError, Kind, Param};

/// One row: its JSON text as the database rendered it (kept to write it
/// back exactly), its parsed value, and its identity.
#[derive(Clone, Debug)]
pub struct Row {
    /// The JSON text, verbatim.
    pub raw: String,
    /// The parsed object.
    pub value: Value,
    /// The primary key's values (the whole row when there is none).
    pub key: String,
}

impl Row {
    /// The raw JSON text of each column.
    pub fn columns(&self) -> HashMap<String, Box<RawValue>> {
        serde_json::from_str(&self.raw).unwrap_or_default()
    }
}

/// The rows of a table, in a stable order.
#[derive(Clone, Debug, Default)]
pub struct TableRows {
    /// The rows, sorted by key.
    pub rows: Vec<Row>,
}

impl TableRows {
    /// The rows whose key is `key`: a binary search, the rows being
    /// sorted by key.
    pub fn with_key<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        let start = self.rows.partition_point(|row| row.key.as_str() < key);
        self.rows[start..]
            .iter()
            .take_while(move |row| row.key == key)
    }
}

/// The expression that renders a row of `table` as one JSON text; columns
/// are read through `prefix` (`t.`, or nothing in a RETURNING clause).
pub(super) fn json_expression(db: &Database, table: &Table, prefix: &str) -> (String, Vec<Param>) {
    let function = match db.kind {
        Kind::Postgres => return ("row_to_json(t)::text".to_string(), Vec::new()),
        Kind::MySql => "JSON_OBJECT",
        Kind::Sqlite => "json_object",
    };
    // Column names are bound; each value is rendered so JSON stays JSON
    // and bytes become hex.
    let mut params = Vec::with_capacity(table.columns.len());
    let parts: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            params.push(Param::Text(c.name.clone()));
            let column = format!("{prefix}{}", db.quote(&c.name));
            match db.kind {
                Kind::MySql if c.json => format!("?, JSON_EXTRACT({column}, '$')"),
                Kind::MySql if c.binary => format!("?, HEX({column})"),
                Kind::MySql if c.data_type.starts_with("bit") => {
                    format!("?, CAST({column} AS UNSIGNED)")
                }
                Kind::Sqlite => format!(
                    "?, CASE WHEN typeof({column}) = 'blob' THEN hex({column}) ELSE {column} END"
                ),
                _ => format!("?, {column}"),
            }
        })
        .collect();
    (format!("{function}({})", parts.join(", ")), params)
}

/// Every row of a table as the JSON text the database renders, in no
/// particular order.
pub async fn fetch_raw(db: &Database, table: &Table) -> Result<Vec<String>, DbError> {
    let (expression, params) = json_expression(db, table, "t.");
    let sql = format!("SELECT {expression} FROM {} t", db.quote(&table.name));
    Ok(db
        .fetch_text(&sql, &params)
        .await?
        .into_iter()
        .filter_map(|fetched| fetched.into_iter().next().flatten())
        .collect())
}

/// Rows from their JSON texts, sorted by key.
pub fn parse(table: &Table, raws: Vec<String>) -> Result<TableRows, DbError> {
    let mut rows = Vec::with_capacity(raws.len());
    for raw in raws {
        let value: Value = serde_json::from_str(&raw)
            .map_err(|e| DbError(format!("a row of {} is not JSON: {e}", table.name)))?;
        let key = key_of(table, &raw, &value);
        rows.push(Row { raw, value, key });
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.raw.cmp(&b.raw)));
    Ok(TableRows { rows })
}

/// Every row of a table.
pub async fn fetch(db: &Database, table: &Table) -> Result<TableRows, DbError> {
    parse(table, fetch_raw(db, table).await?)
}

/// A checksum of rows read in process, whatever their order: the count
/// and the sum of the rows' hashes.
pub fn hash_rows<'a>(raws: impl IntoIterator<Item = &'a str>) -> String {
    let mut count = 0u64;
    let mut sum = 0u64;
    for raw in raws {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        raw.hash(&mut hasher);
        sum = sum.wrapping_add(hasher.finish());
        count += 1;
    }
    format!("{count}:{sum:016x}")
}

/// The identity of a row: its primary key's values, else the whole row.
pub fn key_of(table: &Table, raw: &str, value: &Value) -> String {
    if table.primary_key.is_empty() {
        return raw.to_string();
    }
    let parts: Vec<String> = table
        .primary_key
        .iter()
        .map(|column| {
            value
                .get(column)
                .map_or_else(|| "null".to_string(), Value::to_string)
        })
        .collect();
    parts.join("\u{1f}")
}

/// The checksums of several tables, in their order, in one round trip on
/// PostgreSQL (`UNION ALL`) and MySQL (`CHECKSUM TABLE a, b`); SQLite reads
/// each table's rows.
pub async fn checksums(db: &Database, tables: &[&Table]) -> Result<Vec<String>, DbError> {
    match db.kind {
        _ if tables.is_empty() => Ok(Vec::new()),
        Kind::Postgres => {
            let parts: Vec<String> = tables
                .iter()
                .enumerate()
                .map(|(i, table)| {
                    format!(
                        "SELECT '{i}' AS i, count(*)::text || ':' || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text FROM {} t",
                        db.quote(&table.name)
                    )
                })
                .collect();
            let rows = db.fetch_text(&parts.join(" UNION ALL "), &[]).await?;
            let mut sums = vec![String::new(); tables.len()];
            for row in rows {
                let index = row
                    .first()
                    .cloned()
                    .flatten()
                    .and_then(|i| i.parse::<usize>().ok());
                if let (Some(index), Some(sum)) = (index, row.get(1).cloned().flatten())
                    && let Some(slot) = sums.get_mut(index)
                {
                    *slot = sum;
                }
            }
            Ok(sums)
        }
        Kind::MySql => {
            let names: Vec<String> = tables.iter().map(|t| db.quote(&t.name)).collect();
            let rows = db
                .fetch_text(&format!("CHECKSUM TABLE {}", names.join(", ")), &[])
                .await?;
            // One row per table: `db.table`, checksum.
            let mut sums = vec![String::new(); tables.len()];
            for row in rows {
                let mut values = row.into_iter();
                let (Some(Some(name)), Some(sum)) = (values.next(), values.next()) else {
                    continue;
                };
                let name = name
                    .split_once('.')
                    .map_or(name.as_str(), |(_, table)| table);
                if let Some(i) = tables.iter().position(|t| t.name == name) {
                    sums[i] = sum.unwrap_or_default();
                }
            }
            Ok(sums)
        }
        Kind::Sqlite => {
            let mut sums = Vec::with_capacity(tables.len());
            for table in tables {
                sums.push(checksum(db, table).await?);
            }
            Ok(sums)
        }
    }
}

/// A checksum that changes when the table's rows change: computed by the
/// server on PostgreSQL (a 64-bit hash of each row, summed) and MySQL
/// (`CHECKSUM TABLE`), from the rows read on SQLite.
pub async fn checksum(db: &Database, table: &Table) -> Result<String, DbError> {
    match db.kind {
        Kind::Postgres => {
            let sql = format!(
                "SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text FROM {} t",
                db.quote(&table.name)
            );
            Ok(db.fetch_first(&sql, &[]).await?.unwrap_or_default())
        }
        Kind::MySql => {
            let sql = format!("CHECKSUM TABLE {}", db.quote(&table.name));
            let rows = db.fetch_text(&sql, &[]).await?;
            Ok(rows
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().nth(1).flatten())
                .unwrap_or_default())
        }
        Kind::Sqlite => {
            let raws = fetch_raw(db, table).await?;
            Ok(hash_rows(raws.iter().map(String::as_str)))
        }
    }
}
