//! Isolation (FORMAT §9): the tracked tables are recorded before each case
//! and restored exactly after it, whatever the service did — on pass, on
//! failure and, through [`Isolation::restore`] run after the case was
//! cancelled, on Ctrl-C — and compared once more after the service has
//! stopped ([`Isolation::finish`]), so that what it wrote late is undone
//! too.
//!
//! The record is in each database's lossless form. On the user's own
//! database it is also written to disk before the first case (synced, and
//! locked while the run lives), and removed only once the last restore is
//! verified: whatever ends the run — a failed restore, a database that
//! stopped answering, SIGKILL — the rows are on disk for `itspec restore`.
//!
//! A record costs a checksum per table plus the rows of the tables whose
//! checksum changed since the last record; a restore writes only the rows
//! that differ and is verified against every tracked table afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::db::{self, Database, DbError, Rescue, RescueFile, Row, Schema, Snapshot, Triggers};

/// How long a restore waits, by default, for a database that stopped
/// answering.
pub const DEFAULT_RECONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A row a case wrote: inserted, or changed from `before`.
#[derive(Clone, Debug)]
pub struct WrittenRow {
    /// Its table.
    pub table: String,
    /// The row now.
    pub row: Row,
    /// The row before the case, when it was there.
    pub before: Option<Row>,
}

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
    /// `[database.entities.NAME] defaults`.
    pub defaults: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// How long a restore waits for a database that stopped answering.
    pub reconnect_timeout: Duration,
    /// The user's triggers on the tracked tables.
    triggers: Triggers,
    /// The state every case starts from.
    base: Snapshot,
    /// A case has begun and its changes are not undone yet.
    pending: bool,
    /// A restore failed: the record on disk is the rows' only copy now,
    /// and stays for `itspec restore`.
    failed: bool,
    /// The record on disk (the user's own database only), removed once the
    /// last restore is verified.
    on_disk: Option<RescueFile>,
    /// The case that began last.
    case: String,
    /// What the run should be told when it starts.
    warnings: Vec<String>,
    /// The database's write marker ([`db::Marker`]), when it has one.
    marker: Option<db::Marker>,
    /// Where the marker stood when the pending case began.
    mark: Option<String>,
    /// Restores the marker proved needless: cases that wrote nothing.
    unwritten: usize,
}

impl Isolation {
    /// Reads the schema and records every tracked table; with `write_ahead`
    /// (the user's own database, not a worker's copy), writes the record to
    /// a file in `rescue_dir` first.
    pub async fn open(
        db: Database,
        exclude: &[String],
        entities: BTreeMap<String, String>,
        rescue_dir: &Path,
        write_ahead: bool,
    ) -> Result<Isolation, DbError> {
        let schema = db::introspect(&db).await?;
        let tracked = schema.tracked(exclude);
        let triggers = Triggers::read(&db, &tracked).await?;
        let base = Snapshot::full(&db, &tracked).await?;
        let on_disk = if write_ahead {
            let rescue = Rescue::of(&base, &tracked, db.kind, &db.url, "the run");
            Some(rescue.save(rescue_dir).map_err(|e| {
                DbError::new(format!(
                    "cannot save the recorded rows to {} before the first case: {e}",
                    itspec_config::shown(rescue_dir)
                ))
            })?)
        } else {
            None
        };
        let superuser = db.is_superuser().await?;
        let warnings = triggers
            .firing_during_restore(db.kind, superuser)
            .into_iter()
            .map(|(table, names)| {
                format!(
                    "table `{table}` has triggers ({}) that itspec cannot switch off while it puts rows back; \
                     what they write then is found and undone by the checks after each restore",
                    names.join(", ")
                )
            })
            .collect();
        let marker = db::Marker::open(&db).await;
        Ok(Isolation {
            marker,
            mark: None,
            unwritten: 0,
            db,
            schema,
            tracked,
            entities,
            defaults: BTreeMap::new(),
            reconnect_timeout: DEFAULT_RECONNECT_TIMEOUT,
            triggers,
            base,
            pending: false,
            failed: false,
            on_disk,
            case: String::new(),
            warnings,
        })
    }

    /// What the run should be told when it starts (triggers that fire
    /// during restores).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The file the record is saved in, while the run lives.
    pub fn record_file(&self) -> Option<&Path> {
        self.on_disk.as_ref().map(RescueFile::path)
    }

    /// Marks the start of a case (`case` names it in messages); a case
    /// still pending is restored first. Every case starts from the record.
    pub async fn begin(&mut self, case: &str) -> Result<(), DbError> {
        if self.pending {
            self.restore().await?;
        }
        self.case = case.to_string();
        self.pending = true;
        self.mark = match &self.marker {
            Some(marker) => marker.read(&self.db).await.ok(),
            None => None,
        };
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
        db::restore(&self.db, &self.tracked, &self.triggers, target).await
    }

    /// The rows of tracked tables with a primary key that differ now from
    /// `since` (a snapshot with rows) — inserted or changed — by table, in
    /// key order.
    pub async fn written(&self, since: &Snapshot) -> Result<Vec<WrittenRow>, DbError> {
        let now = self.snapshot(Some(since)).await?;
        let mut written = Vec::new();
        for name in now.changed_from(since) {
            let (Some(table), Some(after)) = (self.tracked.tables.get(&name), now.rows(&name))
            else {
                continue;
            };
            if table.primary_key.is_empty() {
                continue;
            }
            let before = since.rows(&name);
            for row in &after.rows {
                let old = before.and_then(|b| b.with_key(&row.key).next());
                if old.is_some_and(|old| old.text == row.text) {
                    continue;
                }
                written.push(WrittenRow {
                    table: name.clone(),
                    row: Row::clone(row),
                    before: old.cloned(),
                });
            }
        }
        Ok(written)
    }

    /// Whether a table is tracked (and so may be written).
    pub fn is_tracked(&self, table: &str) -> bool {
        self.tracked.tables.contains_key(table)
    }

    /// Puts every tracked table back as it was recorded and verifies every
    /// one. Returns the number of statements run. Does nothing when no case
    /// is pending. A database that stopped answering is waited for, up to
    /// [`Isolation::reconnect_timeout`]; when the restore still cannot be
    /// completed, the error says where the recorded rows are saved.
    pub async fn restore(&mut self) -> Result<usize, DbError> {
        if !self.pending {
            return Ok(0);
        }
        if self.nothing_written().await {
            self.pending = false;
            self.unwritten += 1;
            return Ok(0);
        }
        let deadline = Instant::now() + self.reconnect_timeout;
        loop {
            let error = match db::restore(&self.db, &self.tracked, &self.triggers, &self.base).await
            {
                Ok(written) => {
                    self.pending = false;
                    return Ok(written);
                }
                Err(error) => error,
            };
            // A database that answers refused the restore itself: waiting
            // will not help.
            if self.answers_within(Duration::from_secs(1)).await {
                return Err(self.rescue(&error, true));
            }
            if !self.answers_by(deadline).await {
                let waited = DbError::new(format!(
                    "the database stopped answering ({error}) and did not answer again within {} s",
                    self.reconnect_timeout.as_secs_f64()
                ));
                return Err(self.rescue(&waited, false));
            }
        }
    }

    /// After the service has stopped: compares every tracked table with the
    /// record once more, undoes what was written since the last restore
    /// (work the service flushed as it stopped), and removes the record
    /// from disk. Returns a note naming the tables written late.
    pub async fn finish(&mut self) -> Result<Option<String>, DbError> {
        if self.failed {
            // Said when it failed; the file stays for `itspec restore`.
            return Ok(None);
        }
        let late = if self.pending {
            BTreeSet::new()
        } else {
            let now = self.snapshot(None).await?;
            let mut written = now.changed_from(&self.base);
            if now.sequences != self.base.sequences {
                written.insert("key generators".to_string());
            }
            written
        };
        self.pending = true;
        // The last check compares every table, whatever the marker says.
        self.mark = None;
        if self.case.is_empty() {
            self.case = "the end of the run".to_string();
        }
        self.restore().await?;
        if let Some(file) = self.on_disk.take() {
            let path = file.path().to_path_buf();
            file.remove().map_err(|e| {
                DbError::new(format!(
                    "every table is back as it was, but {} could not be removed: {e}",
                    itspec_config::shown(&path)
                ))
            })?;
        }
        Ok((!late.is_empty()).then(|| {
            format!(
                "the service wrote to {} after the last case (after its restore); undone",
                late.iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }))
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

    /// How many restores the database's write marker proved needless: the
    /// cases that wrote nothing.
    pub fn unwritten_cases(&self) -> usize {
        self.unwritten
    }

    /// Whether the write marker proves that nothing was written since the
    /// pending case began: it has not moved, and neither has any key
    /// generator (PostgreSQL logs `nextval` only every 32nd value).
    async fn nothing_written(&mut self) -> bool {
        let (Some(marker), Some(before)) = (&self.marker, self.mark.take()) else {
            return false;
        };
        if !marker.read(&self.db).await.is_ok_and(|now| now == before) {
            return false;
        }
        db::read_sequences(&self.db, &self.tracked)
            .await
            .is_ok_and(|now| now == self.base.sequences)
    }

    async fn answers_within(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.db.answers())
            .await
            .unwrap_or(false)
    }

    /// Says where the recorded rows are, and how to put them back: the
    /// record written before the first case, or (a worker's copy of the
    /// database) that the configured database was never touched. The case
    /// is no longer pending: its changes are the file's to undo.
    fn rescue(&mut self, error: &DbError, answered: bool) -> DbError {
        self.pending = false;
        self.failed = true;
        let when = if answered {
            "once what refused the restore is fixed"
        } else {
            "once the database answers again"
        };
        let where_saved = match &self.on_disk {
            Some(file) => format!(
                "the rows recorded before the first case are saved in {}: {when}, `itspec restore {}` puts them back",
                itspec_config::shown(file.path()),
                itspec_config::shown(file.path())
            ),
            None => "this is a worker's copy of the database, dropped after the run: the configured database was not touched".to_string(),
        };
        DbError::new(format!(
            "cannot restore the tracked tables after {}: {error}; {where_saved}",
            self.case
        ))
    }

    /// Closes the connections. The record stays on disk unless
    /// [`Isolation::finish`] verified every table.
    pub async fn close(&mut self) {
        // Dropped, not removed: the file stays, and its lock ends.
        self.on_disk = None;
        if let Some(marker) = self.marker.take() {
            marker.close().await;
        }
        self.db.close().await;
    }
}
