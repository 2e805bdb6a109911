//! A cheap proof that nothing was written: a database-wide position that
//! every committed write moves, read before a case and after it. When it
//! has not moved, the case wrote nothing and its restore has nothing to
//! do — no checksum of any table is needed. When it has moved (a write of
//! the case, of itspec's fixtures, or of anyone else on the server), the
//! restore makes its usual pass.
//!
//! - PostgreSQL: the WAL insert position (`pg_current_wal_insert_lsn()`).
//!   Every transaction that changes a row writes WAL, committed or not,
//!   except on unlogged tables: with an unlogged table in the database
//!   there is no marker. A sequence's `nextval` logs only every 32nd
//!   value, so the key generators are compared as well.
//! - SQLite: `PRAGMA data_version` on a connection of the marker's own,
//!   which changes whenever another connection — the service's, or
//!   itspec's pool — commits.
//! - MySQL/MariaDB: none (InnoDB's log sequence number is read only
//!   through `SHOW ENGINE INNODB STATUS`, as text, or a metric that is off
//!   by default).

use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use tokio::sync::Mutex;

use super::{Database, DbError, Pool};

/// Where a database's write marker is read.
#[derive(Debug)]
pub enum Marker {
    /// PostgreSQL's WAL insert position, through the pool.
    Wal,
    /// SQLite's `data_version`, on a connection of its own.
    DataVersion(Mutex<sqlx::SqliteConnection>),
}

impl Marker {
    /// The marker of a database; `None` when it has none that proves
    /// nothing was written.
    pub async fn open(db: &Database) -> Option<Marker> {
        let marker = match &db.pool {
            Pool::Postgres(_) => {
                let unlogged = db
                    .fetch_text(
                        "SELECT count(*) FROM pg_class WHERE relpersistence = 'u' AND relkind IN ('r', 'p')",
                        &[],
                    )
                    .await
                    .ok()?;
                let none = unlogged.first()?.first()?.as_deref() == Some("0");
                none.then_some(Marker::Wal)?
            }
            Pool::Sqlite(pool) => {
                let connection = pool.connect_options().connect().await.ok()?;
                Marker::DataVersion(Mutex::new(connection))
            }
            Pool::MySql(_) => return None,
        };
        // One that cannot be read (a standby) is none.
        marker.read(db).await.ok()?;
        Some(marker)
    }

    /// The position now.
    pub async fn read(&self, db: &Database) -> Result<String, DbError> {
        match self {
            Marker::Wal => {
                let rows = db
                    .fetch_text("SELECT pg_current_wal_insert_lsn()::text", &[])
                    .await?;
                first(rows)
            }
            Marker::DataVersion(connection) => {
                let mut connection = connection.lock().await;
                let version: i64 = sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut *connection)
                    .await
                    .map_err(DbError::from)?;
                Ok(version.to_string())
            }
        }
    }

    /// Closes its own connection.
    pub async fn close(self) {
        if let Marker::DataVersion(connection) = self {
            let _ = connection.into_inner().close().await;
        }
    }
}

/// The one value of a one-row answer.
fn first(rows: Vec<Vec<Option<String>>>) -> Result<String, DbError> {
    rows.into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten())
        .ok_or_else(|| DbError::new("the write marker answered nothing".to_string()))
}
