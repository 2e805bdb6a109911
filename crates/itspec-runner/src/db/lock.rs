//! One run per database: a run holds a lock on its database for its whole
//! life, and a second run on the same database is refused at once, naming
//! the holder. PostgreSQL: a session advisory lock (`pg_try_advisory_lock`)
//! keyed by the database's name, on a connection of its own to the
//! server's `postgres` database (else `template1`, else the database
//! itself) — not to the database, which PostgreSQL copies for parallel
//! workers only while nothing is connected to it — whose
//! `application_name` says who holds it;
//! MySQL/MariaDB: `GET_LOCK` on a connection of its own, named after the
//! database; SQLite: an exclusive `flock` on a file beside the database
//! file, which says who holds it and is removed when the run ends. Each
//! is its engine's dialect's ([`super::dialect::Dialect::lock`]).

use std::path::Path;

use super::dialect::HeldLock;
use super::{DbError, kind_of, redact};

/// A lock held on a database for the life of a run.
pub struct RunLock {
    holder: Box<dyn HeldLock>,
}

/// Who this run is: `itspec pid 123 on host since 2026-…Z`.
pub(super) fn who() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "an unknown host".to_string());
    let host: String = host.chars().take(20).collect();
    format!(
        "itspec pid {} on {host} since {}",
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// Another run holds the database `url` names: `holder` says who.
pub(super) fn refused(url: &str, holder: &str) -> DbError {
    DbError::new(format!(
        "another itspec run is using the database {} ({holder}): one run per database at a time. \
         Wait for it to end, or stop it",
        redact(url)
    ))
}

/// The lock's connection could not be made.
pub(super) fn cannot_connect(url: &str, e: sqlx::Error) -> DbError {
    DbError::new(format!(
        "cannot connect to the database {}: {}",
        redact(url),
        DbError::from(e)
    ))
}

/// The lock could not be asked for.
pub(super) fn cannot_lock(url: &str, e: sqlx::Error) -> DbError {
    DbError::new(format!(
        "cannot lock the database {}: {}",
        redact(url),
        DbError::from(e)
    ))
}

impl RunLock {
    /// Takes the lock on the database `url` names (relative SQLite paths
    /// against `dir`), or fails at once naming who holds it.
    pub async fn acquire(url: &str, dir: &Path) -> Result<RunLock, DbError> {
        let holder = kind_of(url)?.dialect().lock(url, dir).await?;
        Ok(RunLock { holder })
    }

    /// Lets the database go.
    pub async fn release(self) {
        self.holder.release().await;
    }
}
