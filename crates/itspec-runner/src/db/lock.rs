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
//! file, which says who holds it and is removed when the run ends.

use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use sqlx::{ConnectOptions as _, Connection as _};

use super::{DbError, Kind, driver_url, kind_of, redact, sqlite_file};

/// The advisory lock's key: a 64-bit hash of `itspec:` and the database's
/// name, computed by the server.
const PG_KEY: &str = "hashtextextended('itspec:' || $1, 0)";

/// A lock held on a database for the life of a run.
pub struct RunLock {
    holder: Holder,
}

enum Holder {
    Postgres(sqlx::PgConnection, String),
    MySql(sqlx::MySqlConnection),
    Sqlite(PathBuf, Flock<File>),
    /// An in-memory SQLite database: nothing else can reach it.
    Nothing,
}

/// Who this run is: `itspec pid 123 on host since 2026-…Z`.
fn who() -> String {
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

fn refused(url: &str, holder: &str) -> DbError {
    DbError(format!(
        "another itspec run is using the database {} ({holder}): one run per database at a time. \
         Wait for it to end, or stop it",
        redact(url)
    ))
}

impl RunLock {
    /// Takes the lock on the database `url` names (relative SQLite paths
    /// against `dir`), or fails at once naming who holds it.
    pub async fn acquire(url: &str, dir: &Path) -> Result<RunLock, DbError> {
        let cannot_connect = |e: sqlx::Error| {
            DbError(format!(
                "cannot connect to the database {}: {}",
                redact(url),
                DbError::from(e)
            ))
        };
        let cannot = |e: sqlx::Error| {
            DbError(format!(
                "cannot lock the database {}: {}",
                redact(url),
                DbError::from(e)
            ))
        };
        let holder = match kind_of(url)? {
            Kind::Postgres => {
                let options: sqlx::postgres::PgConnectOptions =
                    driver_url(url).parse().map_err(cannot_connect)?;
                let name = options.get_database().unwrap_or_default().to_string();
                let options = options.application_name(&who());
                // The server's own database first: the lock must not keep
                // the database from being copied.
                let mut connection = None;
                for maintenance in ["postgres", "template1"] {
                    if let Ok(c) = options.clone().database(maintenance).connect().await {
                        connection = Some(c);
                        break;
                    }
                }
                let mut connection = match connection {
                    Some(c) => c,
                    None => options.connect().await.map_err(cannot_connect)?,
                };
                let got: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT pg_try_advisory_lock({PG_KEY})"
                )))
                .bind(&name)
                .fetch_one(&mut connection)
                .await
                .map_err(cannot)?;
                if !got {
                    let holder = pg_holder(&mut connection, &name).await;
                    let _ = connection.close().await;
                    return Err(refused(url, &holder));
                }
                Holder::Postgres(connection, name)
            }
            Kind::MySql => {
                let options: sqlx::mysql::MySqlConnectOptions =
                    driver_url(url).parse().map_err(cannot_connect)?;
                let mut connection = options.connect().await.map_err(cannot_connect)?;
                let name: String = sqlx::query_scalar(
                    "SELECT LEFT(CONCAT('itspec:', COALESCE(DATABASE(), '')), 64)",
                )
                .fetch_one(&mut connection)
                .await
                .map_err(cannot)?;
                let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
                    .bind(&name)
                    .fetch_one(&mut connection)
                    .await
                    .map_err(cannot)?;
                if got != Some(1) {
                    let holder = mysql_holder(&mut connection, &name).await;
                    let _ = connection.close().await;
                    return Err(refused(url, &holder));
                }
                Holder::MySql(connection)
            }
            Kind::Sqlite => {
                let file = sqlite_file(url, dir);
                if file.as_os_str() == ":memory:" {
                    Holder::Nothing
                } else {
                    match lock_file(&file) {
                        Ok(Some((path, lock))) => Holder::Sqlite(path, lock),
                        // Where no file can be made, no database can be
                        // opened either: the connection says why.
                        Ok(None) => Holder::Nothing,
                        Err(holder) => return Err(refused(url, &holder)),
                    }
                }
            }
        };
        Ok(RunLock { holder })
    }

    /// Lets the database go.
    pub async fn release(self) {
        match self.holder {
            Holder::Postgres(mut connection, name) => {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT pg_advisory_unlock({PG_KEY})"
                )))
                .bind(&name)
                .execute(&mut connection)
                .await;
                let _ = connection.close().await;
            }
            Holder::MySql(connection) => {
                // Closing the connection releases its locks.
                let _ = connection.close().await;
            }
            Holder::Sqlite(path, lock) => {
                let _ = std::fs::remove_file(&path);
                drop(lock);
            }
            Holder::Nothing => {}
        }
    }
}

/// The holder's application name, address, start and server process.
type PgHolder = (Option<String>, Option<String>, Option<String>, i32);

async fn pg_holder(connection: &mut sqlx::PgConnection, name: &str) -> String {
    let found: Option<PgHolder> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH k AS (SELECT {PG_KEY} AS key) \
             SELECT a.application_name, a.client_addr::text, a.backend_start::text, a.pid \
             FROM k, pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
               (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid \
               AND l.objsubid = 1 \
             LIMIT 1"
        )))
        .bind(name)
    .fetch_optional(&mut *connection)
    .await
    .ok()
    .flatten();
    match found {
        Some((name, address, since, pid)) => format!(
            "{}; server process {pid}, connected from {} at {}",
            name.filter(|n| !n.is_empty())
                .unwrap_or_else(|| "a session".to_string()),
            address.unwrap_or_else(|| "a local socket".to_string()),
            since.unwrap_or_default()
        ),
        None => "a session that has just ended or cannot be seen".to_string(),
    }
}

async fn mysql_holder(connection: &mut sqlx::MySqlConnection, name: &str) -> String {
    let found: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT CAST(p.id AS CHAR), CAST(p.host AS CHAR), CAST(p.time AS CHAR) \
         FROM information_schema.processlist p WHERE p.id = IS_USED_LOCK(?)",
    )
    .bind(name)
    .fetch_optional(&mut *connection)
    .await
    .ok()
    .flatten();
    match found {
        Some((id, host, idle)) => format!(
            "held by connection {} from {}, idle for {} s",
            id.unwrap_or_default(),
            host.unwrap_or_else(|| "an unknown host".to_string()),
            idle.unwrap_or_else(|| "?".to_string())
        ),
        None => "a session that has just ended or cannot be seen".to_string(),
    }
}

/// Locks `{database}.itspec-lock` beside the database file and writes
/// who holds it (`None` when the file cannot be made); when another holds
/// it, what the holder wrote.
fn lock_file(database: &Path) -> Result<Option<(PathBuf, Flock<File>)>, String> {
    let mut name = database.as_os_str().to_owned();
    name.push(".itspec-lock");
    let path = PathBuf::from(name);
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    for _ in 0..10 {
        let Ok(file) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
        else {
            return Ok(None);
        };
        let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err(_) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                return Err(if holder.is_empty() {
                    format!("it holds {}", itspec_config::shown(&path))
                } else {
                    format!("{holder}; lock file {}", itspec_config::shown(&path))
                });
            }
        };
        // The file may have been removed by the run that held it between
        // the open and the lock: then lock the new one.
        let same = match (lock.metadata(), std::fs::metadata(&path)) {
            (Ok(locked), Ok(now)) => locked.ino() == now.ino() && locked.dev() == now.dev(),
            _ => false,
        };
        if !same {
            continue;
        }
        let _ = lock.set_len(0);
        let _ = lock.write_all(who().as_bytes());
        let _ = lock.sync_all();
        return Ok(Some((path, lock)));
    }
    Err(format!(
        "its lock file {} keeps being replaced",
        itspec_config::shown(&path)
    ))
}
