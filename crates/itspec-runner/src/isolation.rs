//! Isolation (FORMAT §9): the tracked tables are recorded before each case
//! and restored exactly after it, whatever the service did — on pass, on
//! failure and, through [`Isolation::restore`] run after the case was
//! cancelled, on Ctrl-C.
//!
//! A record costs a checksum per table plus the rows of the tables whose
//! checksum changed since the last record; a restore writes only the rows
//! that differ, and is verified by checksums afterwards. When a restore
//! cannot be completed, the recorded rows are written to a file so that
//! nothing is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::db::{self, Database, DbError, Schema, Snapshot};

/// The database of a run and the recorded state of its tracked tables.
pub struct Isolation {
    /// The connection.
    pub db: Database,
    /// Every table: what assertions may read.
    pub schema: Schema,
    /// The tracked tables: what is recorded, restored and may be written.
    pub tracked: Schema,
    /// `[database.entities]`.
    pub entities: BTreeMap<String, String>,
    /// The state the current case started from (after the last restore).
    base: Snapshot,
    /// A case has begun and its changes are not undone yet.
    pending: bool,
    /// `base` is the database's state as of the last record or verified
    /// restore, so the next case can start from it without reading again.
    verified: bool,
    /// Where recorded rows are saved when a restore fails.
    rescue_dir: PathBuf,
}

impl Isolation {
    /// Reads the schema and records every tracked table.
    pub async fn open(
        db: Database,
        exclude: &[String],
        entities: BTreeMap<String, String>,
        rescue_dir: &Path,
    ) -> Result<Isolation, DbError> {
        let schema = db::introspect(&db).await?;
        let tracked = schema.tracked(exclude);
        let base = Snapshot::full(&db, &tracked).await?;
        Ok(Isolation {
            db,
            schema,
            tracked,
            entities,
            base,
            pending: false,
            verified: true,
            rescue_dir: rescue_dir.to_path_buf(),
        })
    }

    /// Records the tracked tables before a case. Right after a verified
    /// restore the record is already at hand.
    pub async fn begin(&mut self) -> Result<(), DbError> {
        if self.pending {
            self.restore().await?;
        }
        if !self.verified {
            self.base = Snapshot::capture(&self.db, &self.tracked, &self.base, true).await?;
        }
        self.verified = false;
        self.pending = true;
        Ok(())
    }

    /// The state of the tracked tables now, rows included; tables that did
    /// not change since `reference` share its rows.
    pub async fn snapshot(&self, reference: Option<&Snapshot>) -> Result<Snapshot, DbError> {
        Snapshot::capture(
            &self.db,
            &self.tracked,
            reference.unwrap_or(&self.base),
            true,
        )
        .await
    }

    /// Puts the tracked tables back to `target` (a snapshot with rows, taken
    /// during the current case): the state after Setup, before another
    /// iteration of a concurrency case. The case's own record is kept.
    pub async fn restore_to(&self, target: &Snapshot) -> Result<usize, DbError> {
        let current = Snapshot::capture(&self.db, &self.tracked, target, true).await?;
        if current.changed_from(target).is_empty() && current.sequences == target.sequences {
            return Ok(0);
        }
        db::restore(&self.db, &self.tracked, target, &current).await
    }

    /// Whether a table is tracked (and so may be written).
    pub fn is_tracked(&self, table: &str) -> bool {
        self.tracked.tables.contains_key(table)
    }

    /// Puts every tracked table back as it was recorded before the case.
    /// Returns the number of rows written. Does nothing when no case is
    /// pending.
    pub async fn restore(&mut self) -> Result<usize, DbError> {
        if !self.pending {
            return Ok(0);
        }
        let current = self.snapshot(None).await?;
        let changed = current.changed_from(&self.base);
        if changed.is_empty() && current.sequences == self.base.sequences {
            self.pending = false;
            self.verified = true;
            return Ok(0);
        }
        let written = match db::restore(&self.db, &self.tracked, &self.base, &current).await {
            Ok(written) => written,
            Err(error) => return Err(self.rescue(&changed, &error)),
        };
        // Verified by the checksums of the tables written.
        let sums = Snapshot::checksums(&self.db, &self.tracked, &changed).await?;
        let still: BTreeSet<String> = sums
            .into_iter()
            .filter(|(name, sum)| {
                self.base
                    .tables
                    .get(name)
                    .is_none_or(|b| &b.checksum != sum)
            })
            .map(|(name, _)| name)
            .collect();
        if !still.is_empty() {
            let error = DbError(format!(
                "after the restore, {} still differ{} from the recorded state",
                list(&still),
                if still.len() == 1 { "s" } else { "" }
            ));
            return Err(self.rescue(&still, &error));
        }
        self.pending = false;
        self.verified = true;
        Ok(written)
    }

    /// Saves the recorded rows of `tables` to a file and says where.
    fn rescue(&self, tables: &BTreeSet<String>, error: &DbError) -> DbError {
        let rows: serde_json::Map<String, Value> = tables
            .iter()
            .filter_map(|name| {
                let rows = self.base.rows(name)?;
                Some((
                    name.clone(),
                    Value::Array(rows.rows.iter().map(|r| r.value.clone()).collect()),
                ))
            })
            .collect();
        let file = self.rescue_dir.join(format!(
            "recorded-rows-{}.json",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        ));
        let saved = std::fs::create_dir_all(&self.rescue_dir).and_then(|()| {
            std::fs::write(
                &file,
                serde_json::to_string_pretty(&Value::Object(rows)).unwrap_or_default(),
            )
        });
        let where_saved = match saved {
            Ok(()) => format!(
                "the rows recorded before the case are saved in {}",
                file.display()
            ),
            Err(e) => format!("the recorded rows could not be saved either ({e})"),
        };
        DbError(format!(
            "cannot restore {}: {error}; {where_saved}",
            list(tables)
        ))
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.db.close().await;
    }
}

fn list(tables: &BTreeSet<String>) -> String {
    let names: Vec<String> = tables.iter().map(|t| format!("table `{t}`")).collect();
    names.join(", ")
}
