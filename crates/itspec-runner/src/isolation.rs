//! Isolation (FORMAT §9): the tracked tables are recorded before each case
//! and restored exactly after it, whatever the service did — on pass, on
//! failure and, through [`Isolation::restore`] run after the case was
//! cancelled, on Ctrl-C.
//!
//! A record costs a checksum per table plus the rows of the tables whose
//! checksum changed since the last record; a restore writes only the rows
//! that differ, and is verified by checksums afterwards. A database that
//! stops answering is waited for; when a restore cannot be completed, the
//! recorded rows are written to a file ([`db::Rescue`]) that `itspec
//! restore` puts back, so that nothing is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::db::{self, Database, DbError, Rescue, Schema, Snapshot};

/// How long a restore waits, by default, for a database that stopped
/// answering.
pub const DEFAULT_RECONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// How long a restore waits for a database that stopped answering.
    pub reconnect_timeout: Duration,
    /// The state the current case started from (after the last restore).
    base: Snapshot,
    /// A case has begun and its changes are not undone yet.
    pending: bool,
    /// `base` is the database's state as of the last record or verified
    /// restore, so the next case can start from it without reading again.
    verified: bool,
    /// Where recorded rows are saved when a restore fails.
    rescue_dir: PathBuf,
    /// The case that began last, named in a rescue file.
    case: String,
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
            reconnect_timeout: DEFAULT_RECONNECT_TIMEOUT,
            base,
            pending: false,
            verified: true,
            rescue_dir: rescue_dir.to_path_buf(),
            case: String::new(),
        })
    }

    /// Records the tracked tables before a case (`case` names it in a
    /// rescue file). Right after a verified restore the record is already
    /// at hand.
    pub async fn begin(&mut self, case: &str) -> Result<(), DbError> {
        if self.pending {
            self.restore().await?;
        }
        self.case = case.to_string();
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
    /// pending. A database that stopped answering is waited for, up to
    /// [`Isolation::reconnect_timeout`]; when the restore still cannot be
    /// completed, every recorded row is saved to a file, named in the error.
    pub async fn restore(&mut self) -> Result<usize, DbError> {
        if !self.pending {
            return Ok(0);
        }
        let deadline = Instant::now() + self.reconnect_timeout;
        loop {
            let error = match self.restore_once().await {
                Ok(written) => {
                    self.pending = false;
                    self.verified = true;
                    return Ok(written);
                }
                Err(error) => error,
            };
            // A database that answers refused the restore itself: waiting
            // will not help.
            if self.answers_within(Duration::from_secs(1)).await {
                return Err(self.rescue(&error));
            }
            if !self.answers_by(deadline).await {
                let waited = DbError(format!(
                    "the database stopped answering ({error}) and did not answer again within {} s",
                    self.reconnect_timeout.as_secs_f64()
                ));
                return Err(self.rescue(&waited));
            }
        }
    }

    /// Waits for the database to answer, until `deadline`; whether it did.
    async fn answers_by(&self, deadline: Instant) -> bool {
        let mut pause = Duration::from_millis(100);
        while Instant::now() + pause < deadline {
            tokio::time::sleep(pause).await;
            if self.answers_within(Duration::from_secs(1)).await {
                return true;
            }
            pause = (pause * 2).min(Duration::from_secs(1));
        }
        false
    }

    async fn answers_within(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.db.answers())
            .await
            .unwrap_or(false)
    }

    async fn restore_once(&self) -> Result<usize, DbError> {
        let current = self.snapshot(None).await?;
        let changed = current.changed_from(&self.base);
        if changed.is_empty() && current.sequences == self.base.sequences {
            return Ok(0);
        }
        let written = db::restore(&self.db, &self.tracked, &self.base, &current).await?;
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
            return Err(DbError(format!(
                "after the restore, {} still differ{} from the recorded state",
                list(&still),
                if still.len() == 1 { "s" } else { "" }
            )));
        }
        Ok(written)
    }

    /// Saves every recorded row to a file and says where, and how to put
    /// the rows back. The case is no longer pending: its record is in the
    /// file, and is not saved twice.
    fn rescue(&mut self, error: &DbError) -> DbError {
        self.pending = false;
        let rescue = Rescue::of(&self.base, &self.db.url, &self.case);
        let where_saved = match rescue.save(&self.rescue_dir) {
            Ok(file) => format!(
                "the rows recorded before {} are saved in {}: once the database answers, `itspec restore {}` puts them back",
                self.case,
                file.display(),
                file.display()
            ),
            Err(e) => format!("the recorded rows could not be saved either ({e})"),
        };
        DbError(format!(
            "cannot restore the tracked tables: {error}; {where_saved}"
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
