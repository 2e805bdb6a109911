//! A table's rows as JSON, exactly as the database has them, a hash of
//! each row, and cheap checksums to tell whether a table changed. When a
//! table changed, the rows whose hashes the last record already holds are
//! taken from it, and only the others are read (PostgreSQL) or parsed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

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
    /// A 64-bit hash of the row: PostgreSQL's `hashtextextended` of its
    /// text (what the server's checksum sums), else of its JSON text.
    pub hash: u64,
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
    /// The rows, sorted by key; shared with the snapshots they did not
    /// change in.
    pub rows: Vec<Arc<Row>>,
}

impl TableRows {
    /// The rows whose key is `key`: a binary search, the rows being
    /// sorted by key.
    pub fn with_key<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        let start = self.rows.partition_point(|row| row.key.as_str() < key);
        self.rows
            .iter()
            .skip(start)
            .map(|row| &**row)
            .take_while(move |row| row.key == key)
    }

    /// The rows of `self` whose hashes are in `now` (each hash matched
    /// once), and the indexes of `now` that no row of `self` accounts for.
    fn kept_and_new(&self, now: &[u64]) -> (Vec<Arc<Row>>, Vec<usize>) {
        let mut unmatched: HashMap<u64, Vec<usize>> = HashMap::with_capacity(now.len());
        for (i, hash) in now.iter().enumerate() {
            unmatched.entry(*hash).or_default().push(i);
        }
        let kept = self
            .rows
            .iter()
            .filter(|row| unmatched.get_mut(&row.hash).and_then(Vec::pop).is_some())
            .cloned()
            .collect();
        let mut new: Vec<usize> = unmatched.into_values().flatten().collect();
        new.sort_unstable();
        (kept, new)
    }

    /// The checksum of these rows as the database computes it: the count
    /// and the sum of the hashes (PostgreSQL: as signed integers, exactly;
    /// SQLite: wrapping, in hex). `None` for MySQL, whose checksum is the
    /// server's own.
    pub fn checksum(&self, kind: Kind) -> Option<String> {
        sum_hashes(kind, self.rows.iter().map(|r| r.hash))
    }
}

fn sum_hashes(kind: Kind, hashes: impl Iterator<Item = u64>) -> Option<String> {
    let mut count = 0u64;
    match kind {
        Kind::Postgres => {
            let mut sum = 0i128;
            for hash in hashes {
                sum += i128::from(hash.cast_signed());
                count += 1;
            }
            Some(format!("{count}:{sum}"))
        }
        Kind::Sqlite => {
            let mut sum = 0u64;
            for hash in hashes {
                sum = sum.wrapping_add(hash);
                count += 1;
            }
            Some(format!("{count}:{sum:016x}"))
        }
        Kind::MySql => None,
    }
}

/// The hash of a row's JSON text, computed here.
pub fn hash_text(raw: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    raw.hash(&mut hasher);
    hasher.finish()
}

/// PostgreSQL's hash of a row of `t`: one text for the checksum and the
/// per-row hashes, which must agree.
macro_rules! pg_row_hash {
    () => {
        "hashtextextended(t::text, 0)"
    };
}

/// PostgreSQL's hash of a row of `t`, as the checksum computes it.
const PG_ROW_HASH: &str = pg_row_hash!();

/// PostgreSQL's checksum of the rows of `t`: their count and the exact
/// sum of their hashes (`sum` of `bigint` is a `numeric`).
const PG_CHECKSUM: &str = concat!(
    "count(*)::text || ':' || coalesce(sum(",
    pg_row_hash!(),
    "), 0)::text"
);

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

/// A row's JSON text and its hash, as read.
pub type RawRow = (String, u64);

/// Rows of a table (those matching `filter`, a condition on `t` whose
/// parameters follow the expression's) as the
/// JSON text the database renders, with their hashes, in no particular
/// order.
async fn fetch_raw_where(
    db: &Database,
    table: &Table,
    filter: &str,
    filter_params: Vec<Param>,
) -> Result<Vec<RawRow>, DbError> {
    let (expression, mut params) = json_expression(db, table, "t.");
    params.extend(filter_params);
    let hash = if db.kind == Kind::Postgres {
        format!(", {PG_ROW_HASH}::text")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT {expression}{hash} FROM {} t{filter}",
        db.quote(&table.name)
    );
    Ok(db
        .fetch_text(&sql, &params)
        .await?
        .into_iter()
        .filter_map(|fetched| {
            let mut values = fetched.into_iter();
            let raw = values.next().flatten()?;
            let hash = match values.next().flatten() {
                Some(hash) => hash.parse::<i64>().ok()?.cast_unsigned(),
                None => hash_text(&raw),
            };
            Some((raw, hash))
        })
        .collect())
}

/// Every row of a table as the JSON text the database renders, with its
/// hash, in no particular order.
pub async fn fetch_raw(db: &Database, table: &Table) -> Result<Vec<RawRow>, DbError> {
    fetch_raw_where(db, table, "", Vec::new()).await
}

/// Rows from their JSON texts, sorted by key.
pub fn parse(table: &Table, raws: Vec<RawRow>) -> Result<TableRows, DbError> {
    let mut rows = Vec::with_capacity(raws.len());
    for raw in raws {
        rows.push(Arc::new(parse_row(table, raw)?));
    }
    Ok(sorted(rows))
}

fn parse_row(table: &Table, (raw, hash): RawRow) -> Result<Row, DbError> {
    let value: Value = serde_json::from_str(&raw)
        .map_err(|e| DbError(format!("a row of {} is not JSON: {e}", table.name)))?;
    let key = key_of(table, &raw, &value);
    Ok(Row {
        raw,
        value,
        key,
        hash,
    })
}

fn sorted(mut rows: Vec<Arc<Row>>) -> TableRows {
    rows.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.raw.cmp(&b.raw)));
    TableRows { rows }
}

/// The rows `raws` stand for, with those `reference` holds (same hash)
/// shared with it: only the others are parsed.
pub fn parse_against(
    table: &Table,
    raws: Vec<RawRow>,
    reference: &TableRows,
) -> Result<TableRows, DbError> {
    let hashes: Vec<u64> = raws.iter().map(|(_, hash)| *hash).collect();
    let (mut rows, new) = reference.kept_and_new(&hashes);
    let mut raws: Vec<Option<RawRow>> = raws.into_iter().map(Some).collect();
    for i in new {
        if let Some(raw) = raws.get_mut(i).and_then(Option::take) {
            rows.push(Arc::new(parse_row(table, raw)?));
        }
    }
    Ok(sorted(rows))
}

/// Every row of a table.
pub async fn fetch(db: &Database, table: &Table) -> Result<TableRows, DbError> {
    parse(table, fetch_raw(db, table).await?)
}

/// The rows of a table that changed since `reference` was read. PostgreSQL
/// sends each row's hash and place (`ctid`), and then only the rows
/// `reference` does not hold; the other databases send every row, and
/// only the new ones are parsed.
pub async fn fetch_since(
    db: &Database,
    table: &Table,
    reference: &TableRows,
) -> Result<TableRows, DbError> {
    if db.kind != Kind::Postgres {
        return parse_against(table, fetch_raw(db, table).await?, reference);
    }
    let sql = format!(
        "SELECT ctid::text, {PG_ROW_HASH}::text FROM {} t",
        db.quote(&table.name)
    );
    let mut places = Vec::new();
    let mut hashes = Vec::new();
    for row in db.fetch_text(&sql, &[]).await? {
        let mut values = row.into_iter();
        if let (Some(Some(place)), Some(Some(hash))) = (values.next(), values.next())
            && let Ok(hash) = hash.parse::<i64>()
        {
            places.push(place);
            hashes.push(hash.cast_unsigned());
        }
    }
    let (mut rows, new) = reference.kept_and_new(&hashes);
    if new.is_empty() {
        return Ok(sorted(rows));
    }
    // One array parameter, so the statement is the same every time (and
    // prepared once); `row_to_json` takes none, so it is `$1`.
    let wanted: Vec<&str> = new
        .iter()
        .filter_map(|&i| places.get(i))
        .map(String::as_str)
        .collect();
    let array = format!("{{\"{}\"}}", wanted.join("\",\""));
    let fetched = fetch_raw_where(
        db,
        table,
        " WHERE t.ctid = ANY($1::text::tid[])",
        vec![Param::Text(array)],
    )
    .await?;
    // A row that moved between the two reads: read the whole table.
    let mut expected: Vec<u64> = new.iter().filter_map(|&i| hashes.get(i).copied()).collect();
    let mut got: Vec<u64> = fetched.iter().map(|(_, hash)| *hash).collect();
    expected.sort_unstable();
    got.sort_unstable();
    if expected != got {
        return fetch(db, table).await;
    }
    for raw in fetched {
        rows.push(Arc::new(parse_row(table, raw)?));
    }
    Ok(sorted(rows))
}

/// A checksum of rows read in process, whatever their order: the count
/// and the sum of the rows' hashes.
pub fn hash_rows(raws: &[RawRow]) -> String {
    sum_hashes(Kind::Sqlite, raws.iter().map(|(_, hash)| *hash)).unwrap_or_default()
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
                        "SELECT '{i}' AS i, {PG_CHECKSUM} FROM {} t",
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
                if let Some(slot) = tables
                    .iter()
                    .position(|t| t.name == name)
                    .and_then(|i| sums.get_mut(i))
                {
                    *slot = sum.unwrap_or_default();
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
            let sql = format!("SELECT {PG_CHECKSUM} FROM {} t", db.quote(&table.name));
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
            Ok(hash_rows(&raws))
        }
    }
}
