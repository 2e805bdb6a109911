//! Recorded rows saved to a file when a restore cannot be completed — the
//! database stopped answering, or the restore did not take — and put back
//! later (`itspec restore FILE`), so that nothing is lost even then.
//!
//! The file holds every tracked table's rows as the database rendered them
//! when they were recorded, and the tables' key generators: enough to put
//! each table back exactly, whatever happened to it since.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::rows::{TableRows, hash_text, parse};
use super::schema::Schema;
use super::sequences::Sequences;
use super::snapshot::{Snapshot, TableState};
use super::{Database, DbError, redact, restore};

/// What the file says it is, so another JSON file is not taken for one.
const FORMAT: &str = "itspec recorded rows, version 1";

/// The contents of a rescue file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rescue {
    /// [`FORMAT`].
    pub format: String,
    /// The database's URL, without its password.
    pub database: String,
    /// When the rows were saved (RFC 3339).
    pub saved_at: String,
    /// What the rows are the state before (a case id).
    pub before: String,
    /// Every tracked table's rows, as the database rendered them.
    pub tables: BTreeMap<String, Vec<Box<RawValue>>>,
    /// The tables' key generators.
    pub sequences: Sequences,
}

/// What putting rows back did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PutBack {
    /// The tables that differed and were put back.
    pub tables: Vec<String>,
    /// The rows written.
    pub written: usize,
}

impl Rescue {
    /// The rows of every table `snapshot` holds rows for.
    pub fn of(snapshot: &Snapshot, database: &str, before: &str) -> Rescue {
        let tables = snapshot
            .tables
            .iter()
            .filter_map(|(name, state)| {
                let rows = state.rows.as_ref()?;
                let raws = rows
                    .rows
                    .iter()
                    .filter_map(|row| RawValue::from_string(row.raw.clone()).ok())
                    .collect();
                Some((name.clone(), raws))
            })
            .collect();
        Rescue {
            format: FORMAT.to_string(),
            database: redact(database),
            saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            before: before.to_string(),
            tables,
            sequences: snapshot.sequences.clone(),
        }
    }

    /// Writes the file into `dir` and returns its path.
    pub fn save(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let file = dir.join(format!("recorded-rows-{stamp}.json"));
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&file, text)?;
        Ok(file)
    }

    /// Reads a file [`Rescue::save`] wrote.
    pub fn load(path: &Path) -> Result<Rescue, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let rescue: Rescue = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a file of recorded rows: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if rescue.format != FORMAT {
            return Err(format!(
                "{}: not a file of recorded rows (its format is `{}`, not `{FORMAT}`)",
                path.display(),
                rescue.format
            ));
        }
        Ok(rescue)
    }

    /// Puts every table of the file back to its saved rows, and its key
    /// generators with it; checks that each table then holds exactly those
    /// rows. Tables that already do are not touched.
    pub async fn put_back(&self, db: &Database, schema: &Schema) -> Result<PutBack, DbError> {
        let missing: Vec<&str> = self
            .tables
            .keys()
            .filter(|name| !schema.tables.contains_key(*name))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(DbError(format!(
                "the database has no table {}: is it the one the rows were recorded from ({})?",
                missing.join(", "),
                self.database
            )));
        }
        let saved = self.saved_rows(schema)?;
        let current = Snapshot::full(db, schema).await?;
        let mut target = Snapshot {
            tables: BTreeMap::new(),
            sequences: current.sequences.clone(),
        };
        target.sequences.extend(self.sequences.clone());
        let mut differing = Vec::new();
        for (name, state) in &current.tables {
            let state = match saved.get(name) {
                Some(rows) if !same_rows(rows, state.rows.as_deref()) => {
                    differing.push(name.clone());
                    TableState {
                        checksum: format!("saved {}", state.checksum),
                        rows: Some(Arc::clone(rows)),
                    }
                }
                _ => state.clone(),
            };
            target.tables.insert(name.clone(), state);
        }
        let written = restore(db, schema, &target, &current).await?;
        let after = Snapshot::full(db, schema).await?;
        let still: BTreeSet<&String> = saved
            .iter()
            .filter(|(name, rows)| !same_rows(rows, after.rows(name).map(Arc::as_ref)))
            .map(|(name, _)| name)
            .collect();
        if !still.is_empty() {
            let names: Vec<&str> = still.iter().map(|n| n.as_str()).collect();
            return Err(DbError(format!(
                "after putting the rows back, {} still differ{} from the file",
                names.join(", "),
                if names.len() == 1 { "s" } else { "" }
            )));
        }
        Ok(PutBack {
            tables: differing,
            written,
        })
    }

    fn saved_rows(&self, schema: &Schema) -> Result<BTreeMap<String, Arc<TableRows>>, DbError> {
        let mut saved = BTreeMap::new();
        for (name, raws) in &self.tables {
            let Some(table) = schema.tables.get(name) else {
                continue;
            };
            let raws = raws
                .iter()
                .map(|raw| (raw.get().to_string(), hash_text(raw.get())))
                .collect();
            saved.insert(name.clone(), Arc::new(parse(table, raws)?));
        }
        Ok(saved)
    }
}

/// Whether two tables hold the same rows (both sorted by key, then text).
fn same_rows(a: &TableRows, b: Option<&TableRows>) -> bool {
    b.is_some_and(|b| {
        a.rows.len() == b.rows.len() && a.rows.iter().zip(&b.rows).all(|(x, y)| x.raw == y.raw)
    })
}
