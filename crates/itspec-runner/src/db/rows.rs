//! A table's rows in their lossless form ([`super::record`]), a hash of
//! each row, and cheap checksums to tell whether a table changed. When a
//! table changed, the rows whose hashes the last record already holds are
//! taken from it, and only the others are read (PostgreSQL) or parsed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;

use super::dialect::ChecksumQuery;
use super::record::{self, Field};
use super::schema::Table;
use super::statements::row_id_of;
use super::{Database, DbError, Kind, Param};

/// One row: its lossless text (kept to write it back exactly) and its
/// identity.
#[derive(Clone, Debug)]
pub struct Row {
    /// The row in its database's lossless form ([`record`]).
    pub text: String,
    /// The primary key's values (the whole row when there is none).
    pub key: String,
    /// A 64-bit hash of the row: PostgreSQL's `hashtextextended` of its
    /// text (what the server's checksum sums), else of the text here.
    pub hash: u64,
}

impl Row {
    /// The row's columns, in the table's order.
    pub fn fields(&self, kind: Kind) -> Result<Vec<Field>, DbError> {
        record::fields(kind, &self.text)
    }

    /// The row as a JSON object, for reports.
    pub fn display(&self, kind: Kind, table: &Table) -> Value {
        record::display(kind, table, &self.text)
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

    /// Whether two tables hold the same rows.
    pub fn same_as(&self, other: &TableRows) -> bool {
        self.rows.len() == other.rows.len()
            && self
                .rows
                .iter()
                .zip(&other.rows)
                .all(|(a, b)| a.text == b.text)
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

fn sum_hashes(kind: Kind, mut hashes: impl Iterator<Item = u64>) -> Option<String> {
    kind.dialect().sum_hashes(&mut hashes)
}

/// The count and the wrapping sum of hashes, in hex: a checksum of rows
/// computed here.
pub(super) fn wrapping_sum(hashes: &mut dyn Iterator<Item = u64>) -> String {
    let mut count = 0u64;
    let mut sum = 0u64;
    for hash in hashes {
        sum = sum.wrapping_add(hash);
        count += 1;
    }
    format!("{count}:{sum:016x}")
}

/// The hash of a row's text, computed here.
pub fn hash_text(raw: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    raw.hash(&mut hasher);
    hasher.finish()
}

/// A row's lossless text and its hash, as read.
pub type RawRow = (String, u64);

/// Rows of a table (those matching `filter`, a condition on the row alias
/// whose parameters are `params`) in their lossless form, with their
/// hashes, in no particular order.
async fn fetch_raw_where(
    db: &Database,
    table: &Table,
    filter: &str,
    params: Vec<Param>,
) -> Result<Vec<RawRow>, DbError> {
    let alias = record::alias(table);
    let dialect = db.dialect();
    let expression = dialect.row_text(table, &alias);
    let hash = dialect
        .row_hash(&alias)
        .map_or_else(String::new, |hash| format!(", {hash}::text"));
    let sql = format!(
        "SELECT {expression}{hash} FROM {} {alias}{filter}",
        db.quote(&table.name)
    );
    let fetched = db.fetch_text(&sql, &params).await.map_err(|e| {
        if e.to_string().contains("invalid utf-8") {
            DbError::new(format!(
                "table `{}` holds text that is not valid UTF-8, which itspec cannot record exactly ({e}): \
                 store such values as BLOBs, or exclude the table under [database] exclude",
                table.name
            ))
        } else {
            e
        }
    })?;
    let mut rows = Vec::new();
    for fetched in fetched {
        let mut values = fetched.into_iter();
        let Some(text) = values.next().flatten() else {
            return Err(DbError::new(format!(
                "a row of `{}` could not be read in its exact form",
                table.name
            )));
        };
        let hash = match values.next().flatten() {
            Some(hash) => hash
                .parse::<i64>()
                .map_err(|e| DbError::new(format!("a row hash of `{}`: {e}", table.name)))?
                .cast_unsigned(),
            None => hash_text(&text),
        };
        rows.push((text, hash));
    }
    Ok(rows)
}

/// Every row of a table in its lossless form, with its hash, in no
/// particular order.
pub async fn fetch_raw(db: &Database, table: &Table) -> Result<Vec<RawRow>, DbError> {
    fetch_raw_where(db, table, "", Vec::new()).await
}

/// Rows from their texts, sorted by key.
pub fn parse(kind: Kind, table: &Table, raws: Vec<RawRow>) -> Result<TableRows, DbError> {
    let mut rows = Vec::with_capacity(raws.len());
    for raw in raws {
        rows.push(Arc::new(parse_row(kind, table, raw)?));
    }
    Ok(sorted(rows))
}

fn parse_row(kind: Kind, table: &Table, (text, hash): RawRow) -> Result<Row, DbError> {
    let key = key_of(kind, table, &text)?;
    Ok(Row { text, key, hash })
}

fn sorted(mut rows: Vec<Arc<Row>>) -> TableRows {
    rows.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.text.cmp(&b.text)));
    TableRows { rows }
}

/// The rows `raws` stand for, with those `reference` holds (same hash)
/// shared with it: only the others are parsed.
pub fn parse_against(
    kind: Kind,
    table: &Table,
    raws: Vec<RawRow>,
    reference: &TableRows,
) -> Result<TableRows, DbError> {
    let hashes: Vec<u64> = raws.iter().map(|(_, hash)| *hash).collect();
    let (mut rows, new) = reference.kept_and_new(&hashes);
    let mut raws: Vec<Option<RawRow>> = raws.into_iter().map(Some).collect();
    for i in new {
        if let Some(raw) = raws.get_mut(i).and_then(Option::take) {
            rows.push(Arc::new(parse_row(kind, table, raw)?));
        }
    }
    Ok(sorted(rows))
}

/// Every row of a table.
pub async fn fetch(db: &Database, table: &Table) -> Result<TableRows, DbError> {
    parse(db.kind, table, fetch_raw(db, table).await?)
}

/// The rows of a table that changed since `reference` was read. PostgreSQL
/// sends each row's hash and place (`ctid`, with `tableoid` in a
/// partitioned table, where each partition has its own ctids), and then
/// only the rows `reference` does not hold; the other databases send every
/// row, and only the new ones are parsed.
pub async fn fetch_since(
    db: &Database,
    table: &Table,
    reference: &TableRows,
) -> Result<TableRows, DbError> {
    let alias = record::alias(table);
    let dialect = db.dialect();
    let (Some(places_of), Some(row_hash)) =
        (dialect.row_places(table, &alias), dialect.row_hash(&alias))
    else {
        return parse_against(db.kind, table, fetch_raw(db, table).await?, reference);
    };
    let sql = format!(
        "SELECT {}, {row_hash}::text FROM {} {alias}",
        places_of.place,
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
    // prepared once).
    let wanted: Vec<&str> = new
        .iter()
        .filter_map(|&i| places.get(i))
        .map(String::as_str)
        .collect();
    let array = format!("{{\"{}\"}}", wanted.join("\",\""));
    let fetched = fetch_raw_where(db, table, &places_of.filter, vec![Param::Text(array)]).await?;
    // A row that moved between the two reads: read the whole table.
    let mut expected: Vec<u64> = new.iter().filter_map(|&i| hashes.get(i).copied()).collect();
    let mut got: Vec<u64> = fetched.iter().map(|(_, hash)| *hash).collect();
    expected.sort_unstable();
    got.sort_unstable();
    if expected != got {
        return fetch(db, table).await;
    }
    for raw in fetched {
        rows.push(Arc::new(parse_row(db.kind, table, raw)?));
    }
    Ok(sorted(rows))
}

/// A checksum of rows read in process, whatever their order: the count
/// and the sum of the rows' hashes.
pub fn hash_rows(raws: &[RawRow]) -> String {
    wrapping_sum(&mut raws.iter().map(|(_, hash)| *hash))
}

/// The identity of a row: its primary key's fields, else (SQLite) its row
/// id, else the whole row.
pub fn key_of(kind: Kind, table: &Table, text: &str) -> Result<String, DbError> {
    if table.primary_key.is_empty() {
        let dialect = kind.dialect();
        if dialect.row_id(table).is_some() {
            let fields = dialect.row_fields(text)?;
            if let Some(rowid) = row_id_of(dialect, table, &fields) {
                return Ok(format!("{rowid:020}"));
            }
        }
        return Ok(text.to_string());
    }
    let fields = record::fields(kind, text)?;
    let parts: Vec<&str> = table
        .primary_key
        .iter()
        .map(|key| {
            table
                .columns
                .iter()
                .position(|c| &c.name == key)
                .and_then(|i| fields.get(i))
                .and_then(Field::text)
                .unwrap_or("\u{0}")
        })
        .collect();
    Ok(parts.join("\u{1f}"))
}

/// The checksums of several tables, in their order, in one round trip on
/// PostgreSQL (`UNION ALL`) and MySQL (`CHECKSUM TABLE a, b`); SQLite reads
/// each table's rows.
pub async fn checksums(db: &Database, tables: &[&Table]) -> Result<Vec<String>, DbError> {
    checksums_by(db, db.dialect().checksum_query(tables), tables).await
}

/// The checksums of `tables`, asked for by `query`.
pub(super) async fn checksums_by(
    db: &Database,
    query: ChecksumQuery,
    tables: &[&Table],
) -> Result<Vec<String>, DbError> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    match query {
        ChecksumQuery::Indexed(sql) => {
            let rows = db.fetch_text(&sql, &[]).await?;
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
        ChecksumQuery::InOrder(sql) => {
            let rows = db.fetch_text(&sql, &[]).await?;
            let mut sums = vec![String::new(); tables.len()];
            for (slot, row) in sums.iter_mut().zip(rows) {
                *slot = row.into_iter().nth(1).flatten().unwrap_or_default();
            }
            Ok(sums)
        }
        ChecksumQuery::InProcess => {
            let mut sums = Vec::with_capacity(tables.len());
            for table in tables {
                sums.push(hash_rows(&fetch_raw(db, table).await?));
            }
            Ok(sums)
        }
    }
}

/// A checksum that changes when the table's rows change: computed by the
/// server on PostgreSQL (a 64-bit hash of each row, summed) and MySQL
/// (`CHECKSUM TABLE`), from the rows read on SQLite.
pub async fn checksum(db: &Database, table: &Table) -> Result<String, DbError> {
    Ok(checksums(db, &[table])
        .await?
        .into_iter()
        .next()
        .unwrap_or_default())
}
