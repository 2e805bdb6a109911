//! The database as a side-effect channel: observing records the tracked
//! tables after Setup (when an assertion or the iterations need them),
//! resetting puts them back to that record, collecting records them again
//! after the last request, and nothing happened when no tracked table
//! changed.

use futures_util::future::LocalBoxFuture;
use itspec_spec::model::DbCheck;

use super::{Channel, ChannelError, Journal};
use crate::assert::{DbContext, Failure, unchanged_in};
use crate::db::Snapshot;
use crate::isolation::Isolation;

/// The database, for one case.
pub(crate) struct DatabaseChannel<'a> {
    isolation: &'a Isolation,
    /// The spec's Database State Verification checks.
    checks: &'a [DbCheck],
    /// The spec's text.
    source: &'a str,
    /// Record the tables after Setup: an assertion compares them, or the
    /// iterations start from them.
    records: bool,
    /// Record them after the last request too: an assertion compares them.
    compares: bool,
    /// The tracked tables after Setup.
    after_setup: Option<Snapshot>,
    /// The tracked tables after the last request.
    after: Option<Snapshot>,
}

impl<'a> DatabaseChannel<'a> {
    /// The channel of a case's database. `compares`: an assertion compares
    /// the tables before and after (`database unchanged`, `no side
    /// effects`); `records`: the case runs more than once, or `itspec
    /// mutate` needs what it wrote.
    pub fn new(
        isolation: &'a Isolation,
        checks: &'a [DbCheck],
        source: &'a str,
        compares: bool,
        records: bool,
    ) -> Self {
        Self {
            isolation,
            checks,
            source,
            records: compares || records,
            compares,
            after_setup: None,
            after: None,
        }
    }

    /// The database.
    pub fn isolation(&self) -> &'a Isolation {
        self.isolation
    }

    /// The tracked tables after Setup, when recorded.
    pub fn after_setup(&self) -> Option<&Snapshot> {
        self.after_setup.as_ref()
    }

    /// What the database assertions of the attempt read.
    pub fn context(&self) -> DbContext<'_> {
        DbContext {
            isolation: self.isolation,
            checks: self.checks,
            source: self.source,
            before: self.after_setup.as_ref(),
            after: self.after.as_ref(),
        }
    }
}

/// The failure to record the tracked tables.
fn unrecorded(error: impl std::fmt::Display) -> ChannelError {
    ChannelError {
        what: "database snapshot",
        message: format!("cannot record the database: {error}"),
    }
}

impl Channel for DatabaseChannel<'_> {
    fn observe(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            if self.records {
                self.after_setup = Some(self.isolation.snapshot(None).await.map_err(unrecorded)?);
            }
            Ok(())
        })
    }

    fn reset(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            self.after = None;
            if let Some(after_setup) = &self.after_setup {
                self.isolation
                    .restore_to(after_setup)
                    .await
                    .map_err(|e| ChannelError {
                        what: "database",
                        message: format!(
                            "cannot restore the database to the state after Setup: {e}"
                        ),
                    })?;
            }
            Ok(())
        })
    }

    fn collect(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            self.after = None;
            if let (true, Some(before)) = (self.compares, &self.after_setup) {
                self.after = Some(
                    self.isolation
                        .snapshot(Some(before))
                        .await
                        .map_err(unrecorded)?,
                );
            }
            Ok(())
        })
    }

    fn nothing_happened(&self) -> Result<(), Failure> {
        unchanged_in(None, &self.context())
    }

    /// The database keeps no journal: what changed is the evidence of the
    /// assertion that compared.
    fn journal(&self, _: &mut Journal) {}
}
