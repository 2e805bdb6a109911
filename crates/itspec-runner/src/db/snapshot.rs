//! Snapshots of the tracked tables: a checksum per table, and the rows of
//! the tables that need them. Rows are shared with a reference snapshot
//! wherever a table has not changed — and, in a table that changed,
//! wherever a row has not — so a snapshot costs a checksum per table plus
//! the rows that changed (and, on PostgreSQL, a hash per row of the tables
//! that changed).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::dialect::ChecksumQuery;
use super::rows::{
    Row, TableRows, checksum, checksums, checksums_by, fetch, fetch_raw, fetch_since, hash_rows,
    parse, parse_against,
};
use super::schema::{Schema, Table};
use super::sequences::{self, Sequences};
use super::{Database, DbError, Kind};

/// One table's state.
#[derive(Clone, Debug)]
pub struct TableState {
    /// Changes when the rows change.
    pub checksum: String,
    /// The rows, when fetched.
    pub rows: Option<Arc<TableRows>>,
}

/// The state of every tracked table.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// By table name.
    pub tables: BTreeMap<String, TableState>,
    /// The key generators of the tables.
    pub sequences: Sequences,
}

impl Snapshot {
    /// Every table with its rows.
    pub async fn full(db: &Database, schema: &Schema) -> Result<Snapshot, DbError> {
        let mut tables = BTreeMap::new();
        for table in schema.tables.values() {
            let rows = parse(db.kind, table, fetch_raw(db, table).await?)?;
            // From the rows' hashes, as the server would compute it
            // (MySQL's is the server's own).
            let sum = match rows.checksum(db.kind) {
                Some(sum) => sum,
                None => checksum(db, table).await?,
            };
            tables.insert(
                table.name.clone(),
                TableState {
                    checksum: sum,
                    rows: Some(Arc::new(rows)),
                },
            );
        }
        let sequences = sequences::read(db, schema).await?;
        Ok(Snapshot { tables, sequences })
    }

    /// The current state. Tables whose checksum equals `reference`'s share
    /// its rows; the others are read when `rows` is set.
    pub async fn capture(
        db: &Database,
        schema: &Schema,
        reference: &Snapshot,
        rows: bool,
    ) -> Result<Snapshot, DbError> {
        let mut tables = BTreeMap::new();
        // The server's checksums of every table at once; SQLite's are
        // computed here, from the rows themselves.
        let all: Vec<&Table> = schema.tables.values().collect();
        let query = db.dialect().checksum_query(&all);
        let in_process = matches!(query, ChecksumQuery::InProcess);
        let server_sums = if in_process {
            Vec::new()
        } else {
            checksums_by(db, query, &all).await?
        };
        for (i, table) in all.into_iter().enumerate() {
            let raws = if in_process {
                Some(fetch_raw(db, table).await?)
            } else {
                None
            };
            let sum = match &raws {
                Some(raws) => hash_rows(raws),
                None => server_sums.get(i).cloned().unwrap_or_default(),
            };
            let shared = reference
                .tables
                .get(&table.name)
                .filter(|r| r.checksum == sum && (r.rows.is_some() || !rows))
                .and_then(|r| r.rows.clone());
            // A changed table's unchanged rows come from the reference.
            let previous = reference.rows(&table.name).map(Arc::as_ref);
            let table_rows = match (shared, raws, previous) {
                (Some(shared), _, _) => Some(shared),
                (None, _, _) if !rows => None,
                (None, Some(raws), Some(previous)) => {
                    Some(Arc::new(parse_against(db.kind, table, raws, previous)?))
                }
                (None, Some(raws), None) => Some(Arc::new(parse(db.kind, table, raws)?)),
                (None, None, Some(previous)) => {
                    Some(Arc::new(fetch_since(db, table, previous).await?))
                }
                (None, None, None) => Some(Arc::new(fetch(db, table).await?)),
            };
            tables.insert(
                table.name.clone(),
                TableState {
                    checksum: sum,
                    rows: table_rows,
                },
            );
        }
        let sequences = sequences::read(db, schema).await?;
        Ok(Snapshot { tables, sequences })
    }

    /// The checksums of some tables now.
    pub async fn checksums(
        db: &Database,
        schema: &Schema,
        names: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, DbError> {
        let tables: Vec<&Table> = schema
            .tables
            .values()
            .filter(|t| names.contains(&t.name))
            .collect();
        let sums = checksums(db, &tables).await?;
        Ok(tables.iter().map(|t| t.name.clone()).zip(sums).collect())
    }

    /// The tables whose rows differ from `other`'s.
    pub fn changed_from(&self, other: &Snapshot) -> BTreeSet<String> {
        self.tables
            .iter()
            .filter(|(name, state)| {
                other
                    .tables
                    .get(*name)
                    .is_none_or(|o| o.checksum != state.checksum)
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// A table's rows, when this snapshot has them.
    pub fn rows(&self, table: &str) -> Option<&Arc<TableRows>> {
        self.tables.get(table).and_then(|s| s.rows.as_ref())
    }
}

/// What changed in a table between two snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableDiff {
    /// The table.
    pub table: String,
    /// Rows that appeared.
    pub inserted: Vec<Value>,
    /// Rows that disappeared.
    pub deleted: Vec<Value>,
    /// Rows whose key stayed and whose values changed: before, after.
    pub changed: Vec<(Value, Value)>,
}

impl TableDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.deleted.is_empty() && self.changed.is_empty()
    }
}

/// The row-level difference from `before` to `after`, rows shown as JSON.
pub fn diff(kind: Kind, table: &Table, before: &TableRows, after: &TableRows) -> TableDiff {
    let mut result = TableDiff {
        table: table.name.clone(),
        ..TableDiff::default()
    };
    let show = |row: &Row| row.display(kind, table);
    let keys: BTreeSet<&str> = before
        .rows
        .iter()
        .chain(&after.rows)
        .map(|r| r.key.as_str())
        .collect();
    for key in keys {
        let old: Vec<_> = before.with_key(key).collect();
        let new: Vec<_> = after.with_key(key).collect();
        match (old.as_slice(), new.as_slice()) {
            ([o], [n]) if o.text != n.text => result.changed.push((show(o), show(n))),
            _ => {
                // Without a key, rows are their own key: compare counts.
                let common = old.len().min(new.len());
                let same = old.iter().zip(&new).all(|(o, n)| o.text == n.text);
                if same {
                    result
                        .deleted
                        .extend(old.iter().skip(common).map(|r| show(r)));
                    result
                        .inserted
                        .extend(new.iter().skip(common).map(|r| show(r)));
                } else {
                    result.deleted.extend(old.iter().map(|r| show(r)));
                    result.inserted.extend(new.iter().map(|r| show(r)));
                }
            }
        }
    }
    result
}
