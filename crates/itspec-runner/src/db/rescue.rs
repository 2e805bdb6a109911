//! The recorded rows on disk, so that nothing is lost even when itspec
//! itself is: written (and synced) before the first case, as the rows of
//! every tracked table in their lossless form ([`super::record`]) with the
//! tables' key generators, kept for the run's life under a lock, and
//! removed once the last restore is verified. A run that dies — killed,
//! out of memory, the machine gone — or that cannot restore leaves the
//! file behind; `itspec restore FILE` puts every table back from it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::rows::{TableRows, hash_text, parse};
use super::schema::Schema;
use super::sequences::Sequences;
use super::snapshot::{Snapshot, TableState};
use super::triggers::Triggers;
use super::{Database, DbError, Kind, redact, restore};

/// What the file says it is, so another JSON file is not taken for one.
const FORMAT: &str = "itspec recorded rows, version 2";

/// The contents of a rescue file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rescue {
    /// [`FORMAT`].
    pub format: String,
    /// The database's URL, without its password.
    pub database: String,
    /// `sqlite`, `postgres` or `mysql`: how the rows are written.
    pub engine: String,
    /// When the rows were saved (RFC 3339).
    pub saved_at: String,
    /// What the rows are the state before.
    pub before: String,
    /// Every tracked table's columns and rows.
    pub tables: BTreeMap<String, SavedTable>,
    /// The tables' key generators.
    pub sequences: Sequences,
}

/// One table of a rescue file.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedTable {
    /// Its columns, in order: the rows' fields follow them.
    pub columns: Vec<String>,
    /// Its rows in their lossless form.
    pub rows: Vec<String>,
}

/// What putting rows back did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PutBack {
    /// The tables that differed and were put back.
    pub tables: Vec<String>,
    /// The statements run.
    pub written: usize,
}

/// A rescue file on disk, locked while its run lives.
#[derive(Debug)]
pub struct RescueFile {
    path: PathBuf,
    _lock: Option<Flock<File>>,
}

fn engine(kind: Kind) -> &'static str {
    kind.dialect().engine()
}

/// A file `itspec restore` cannot read as recorded rows.
#[derive(Debug, thiserror::Error)]
pub enum RescueFileError {
    /// It cannot be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file, as shown.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Rows recorded in another format (an earlier itspec's, or none of
    /// itspec's).
    #[error(
        "{path}: not a file of recorded rows this itspec reads (its format is `{format}`, not `{FORMAT}`){}",
        if format.starts_with("itspec recorded rows") {
            " (written by an earlier itspec, whose rows were JSON: put them back with that version)"
        } else {
            ""
        }
    )]
    OtherFormat {
        /// The file, as shown.
        path: String,
        /// Its `format`.
        format: String,
    },
    /// Not JSON of recorded rows.
    #[error("{path}:{}:{}: not a file of recorded rows: {source}", source.line(), source.column())]
    NotRecordedRows {
        /// The file, as shown.
        path: String,
        /// Where and what the JSON reader found.
        source: serde_json::Error,
    },
}

impl Rescue {
    /// The rows of every table `snapshot` holds rows for.
    pub fn of(
        snapshot: &Snapshot,
        schema: &Schema,
        kind: Kind,
        database: &str,
        before: &str,
    ) -> Rescue {
        let tables = snapshot
            .tables
            .iter()
            .filter_map(|(name, state)| {
                let rows = state.rows.as_ref()?;
                let table = schema.tables.get(name)?;
                Some((
                    name.clone(),
                    SavedTable {
                        columns: table.columns.iter().map(|c| c.name.clone()).collect(),
                        rows: rows.rows.iter().map(|row| row.text.clone()).collect(),
                    },
                ))
            })
            .collect();
        Rescue {
            format: FORMAT.to_string(),
            database: redact(database),
            engine: engine(kind).to_string(),
            saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            before: before.to_string(),
            tables,
            sequences: snapshot.sequences.clone(),
        }
    }

    /// Writes the file into `dir`, readable by its owner only, synced to
    /// disk (file and folder), and locked until the returned handle is
    /// dropped or removed.
    pub fn save(&self, dir: &Path) -> std::io::Result<RescueFile> {
        std::fs::create_dir_all(dir)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let path = dir.join(format!("recorded-rows-{stamp}-{}.json", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        file.write_all(&text)?;
        file.sync_all()?;
        File::open(dir)?.sync_all()?;
        let lock = Flock::lock(file, FlockArg::LockExclusiveNonblock).ok();
        Ok(RescueFile { path, _lock: lock })
    }

    /// Reads a file [`Rescue::save`] wrote.
    pub fn load(path: &Path) -> Result<Rescue, RescueFileError> {
        let shown = itspec_config::shown(path);
        let text = std::fs::read_to_string(path).map_err(|source| RescueFileError::Unreadable {
            path: shown.clone(),
            source,
        })?;
        let format = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("format")?.as_str().map(str::to_string));
        if let Some(format) = format.filter(|f| f != FORMAT) {
            return Err(RescueFileError::OtherFormat {
                path: shown,
                format,
            });
        }
        serde_json::from_str(&text).map_err(|source| RescueFileError::NotRecordedRows {
            path: shown,
            source,
        })
    }

    /// Puts every table of the file back to its saved rows, and its key
    /// generators with it; checks that every table then holds exactly those
    /// rows. Tables that already do are not touched.
    pub async fn put_back(
        &self,
        db: &Database,
        schema: &Schema,
        triggers: &Triggers,
    ) -> Result<PutBack, DbError> {
        if self.engine != engine(db.kind) {
            return Err(DbError::new(format!(
                "the rows were recorded from a {} database, and this one is {}",
                self.engine,
                engine(db.kind)
            )));
        }
        let saved = self.saved_rows(db.kind, schema)?;
        let current = Snapshot::full(db, schema).await?;
        let mut target = Snapshot {
            tables: BTreeMap::new(),
            sequences: current.sequences.clone(),
        };
        target.sequences.extend(self.sequences.clone());
        let mut differing = Vec::new();
        for (name, state) in &current.tables {
            let state = match saved.get(name) {
                Some(rows) if !state.rows.as_deref().is_some_and(|r| r.same_as(rows)) => {
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
        let written = restore(db, schema, triggers, &target).await?;
        Ok(PutBack {
            tables: differing,
            written,
        })
    }

    /// The saved rows of each table, after checking that the database
    /// still has the table and its columns.
    fn saved_rows(
        &self,
        kind: Kind,
        schema: &Schema,
    ) -> Result<BTreeMap<String, Arc<TableRows>>, DbError> {
        let mut saved = BTreeMap::new();
        for (name, table_rows) in &self.tables {
            let Some(table) = schema.tables.get(name) else {
                return Err(DbError::new(format!(
                    "the database has no table `{name}`: is it the one the rows were recorded from ({})?",
                    self.database
                )));
            };
            let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            if columns != table_rows.columns {
                return Err(DbError::new(format!(
                    "table `{name}` has the columns {} now, and had {} when the rows were recorded: \
                     put its columns back as they were first",
                    columns.join(", "),
                    table_rows.columns.join(", ")
                )));
            }
            let raws = table_rows
                .rows
                .iter()
                .map(|text| (text.clone(), hash_text(text)))
                .collect();
            saved.insert(name.clone(), Arc::new(parse(kind, table, raws)?));
        }
        Ok(saved)
    }
}

impl RescueFile {
    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file: its rows are back and verified.
    pub fn remove(self) -> std::io::Result<()> {
        std::fs::remove_file(&self.path)
    }
}

/// Whether a living run holds the rescue file at `path` (it is its
/// record, not a leftover).
pub fn rescue_in_use(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    Flock::lock(file, FlockArg::LockExclusiveNonblock).is_err()
}
