//! The database of a run: SQLite, PostgreSQL or MySQL/MariaDB, chosen by
//! URL; introspection, rows in each database's lossless form (and as JSON
//! for assertions), fixtures, snapshots and the exact restore that keeps a
//! run from leaving anything behind (FORMAT §5, §7, §9).
//!
//! Identifiers are always quoted; values are always bound as parameters.

mod copies;
mod dialect;
mod entities;
mod locality;
mod lock;
mod marker;
mod provision;
mod record;
mod rescue;
mod restore;
mod rows;
mod schema;
mod sequences;
mod snapshot;
mod sql;
mod statements;
mod triggers;
mod values;
mod write;

use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

pub use copies::{copy_database, copy_name, drop_copy, drop_stale_copies};
pub use entities::table_of;
pub use locality::{host_reason, remote_reason};
pub use lock::RunLock;
pub use marker::Marker;
pub use provision::{recreate_database, url_with_database};
pub use record::{Field, display_field};
pub use rescue::{PutBack, Rescue, RescueFile, RescueFileError, rescue_in_use};
pub use restore::restore;
pub use rows::{Row, TableRows, checksum, fetch};
pub use schema::{Column, MIGRATION_TABLES, Schema, Table, introspect};
pub use sequences::{Sequence, Sequences, read as read_sequences};
pub use snapshot::{Snapshot, TableDiff, diff};
pub use sql::{apply_script, first_value, run_statement, split_statements};
pub use statements::{NewValue, update_column};
pub use triggers::Triggers;
pub use values::fetch_objects;
pub use write::insert_fixture;

/// What went wrong with the database.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// The database refused a statement: its message, and the code it
    /// gave (PostgreSQL's SQLSTATE, MySQL's and SQLite's own) when it gave
    /// one.
    #[error("{message}")]
    Refused {
        /// The database's message.
        message: String,
        /// Its code.
        code: Option<String>,
    },
    /// Anything else: the connection failed or was lost, a value could not
    /// be read, or what itspec found wrong.
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        DbError::Other(message.into())
    }

    /// The code the database refused a statement with.
    pub fn code(&self) -> Option<&str> {
        match self {
            DbError::Refused { code, .. } => code.as_deref(),
            DbError::Other(_) => None,
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Database(db) => DbError::Refused {
                message: db.message().to_string(),
                code: db.code().map(|code| code.into_owned()),
            },
            other => DbError::Other(other.to_string()),
        }
    }
}

/// Which database it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

/// A value bound to a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text (numbers written exactly, JSON, dates).
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// A connection pool.
#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
    /// MySQL or MariaDB.
    MySql(MySqlPool),
}

/// Runs the same code for whichever pool it is.
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
            $crate::db::Pool::MySql($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Binds params to a query, whatever the backend.
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                $crate::db::Param::Null => query.bind(None::<String>),
                $crate::db::Param::Int(i) => query.bind(*i),
                $crate::db::Param::Float(f) => query.bind(*f),
                $crate::db::Param::Text(t) => query.bind(t.clone()),
                $crate::db::Param::Blob(b) => query.bind(b.clone()),
            };
        }
        query
    }};
}
pub(crate) use bind_all;

/// The database of a run.
#[derive(Clone, Debug)]
pub struct Database {
    /// The pool.
    pub pool: Pool,
    /// Which database.
    pub kind: Kind,
    /// The URL.
    pub url: String,
    /// Whether the connection's role is a PostgreSQL superuser (asked once).
    superuser: std::sync::Arc<tokio::sync::OnceCell<bool>>,
    /// A worker's copy, dropped when the run ends: what itspec writes to
    /// it need not outlast a crash of the server.
    pub disposable: bool,
}

impl Database {
    /// Connects by URL: `sqlite://…`, `postgres://…`/`postgresql://…`,
    /// `mysql://…`/`mariadb://…`. Relative SQLite paths resolve against `dir`.
    pub async fn connect(url: &str, dir: &std::path::Path) -> Result<Database, DbError> {
        use sqlx::ConnectOptions as _;
        let connect_error = |error: sqlx::Error| {
            DbError::new(format!(
                "cannot connect to the database {}: {}",
                redact(url),
                DbError::from(error)
            ))
        };
        let (pool, kind) = match kind_of(url)? {
            Kind::Sqlite => {
                let file = sqlite_file(url, dir);
                if let Some(parent) = file.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let options = SqliteConnectOptions::new()
                    .filename(&file)
                    .create_if_missing(true)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let pool = tested_when_idle(SqlitePoolOptions::new())
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?;
                (Pool::Sqlite(pool), Kind::Sqlite)
            }
            Kind::Postgres => {
                let options: PgConnectOptions = driver_url(url).parse().map_err(connect_error)?;
                // Rows are read and written back as text: floats in their
                // shortest exact form, intervals in one style.
                let options = options
                    .extra_float_digits(3)
                    .options([("IntervalStyle", "postgres")]);
                // One connection first, for the server's own error (a
                // refused connection, an unknown database) at once.
                let first = options.connect().await.map_err(connect_error)?;
                let _ = sqlx::Connection::close(first).await;
                let pool = tested_when_idle(PgPoolOptions::new())
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?;
                (Pool::Postgres(pool), Kind::Postgres)
            }
            Kind::MySql => {
                let options: MySqlConnectOptions =
                    driver_url(url).parse().map_err(connect_error)?;
                let first = options.connect().await.map_err(connect_error)?;
                let _ = sqlx::Connection::close(first).await;
                let pool = tested_when_idle(MySqlPoolOptions::new())
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?;
                (Pool::MySql(pool), Kind::MySql)
            }
        };
        Ok(Database {
            pool,
            kind,
            url: url.to_string(),
            superuser: Default::default(),
            disposable: false,
        })
    }

    /// Whether the database answers a query now.
    pub async fn answers(&self) -> bool {
        self.execute("SELECT 1", &[]).await.is_ok()
    }

    /// Whether the role is a PostgreSQL superuser (false elsewhere): asked
    /// once per connection pool.
    pub async fn is_superuser(&self) -> Result<bool, DbError> {
        let pool = match &self.pool {
            Pool::Postgres(pool) => pool,
            Pool::Sqlite(_) | Pool::MySql(_) => return Ok(false),
        };
        let answer = self
            .superuser
            .get_or_try_init(|| async {
                sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                    .fetch_optional(pool)
                    .await
                    .map(|found| found.unwrap_or(false))
            })
            .await?;
        Ok(*answer)
    }

    /// What this database's engine says in SQL, and knows.
    pub(crate) fn dialect(&self) -> &'static dyn dialect::Dialect {
        self.kind.dialect()
    }

    /// Quotes an identifier for this database.
    pub fn quote(&self, name: &str) -> String {
        self.dialect().quote(name)
    }

    /// Column names quoted and joined: `"a", "b"`.
    pub fn column_list<'c>(&self, names: impl IntoIterator<Item = &'c str>) -> String {
        statements::column_list(self.dialect(), names)
    }

    /// The `n`th (from 1) parameter placeholder.
    pub fn placeholder(&self, n: usize) -> String {
        self.dialect().placeholder(n)
    }

    /// Runs a statement; the rows it changed.
    pub async fn execute(&self, sql: &str, params: &[Param]) -> Result<u64, DbError> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        Ok(with_pool!(&self.pool, pool => {
            bind_all!(sqlx::query(sql), params).execute(pool).await?.rows_affected()
        }))
    }

    /// Runs a query; each row's values as text (numbers written out).
    pub async fn fetch_text(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<Vec<Option<String>>>, DbError> {
        use sqlx::Row as _;
        macro_rules! text_at {
            ($row:expr, $i:expr $(, $extra:ty)*) => {{
                if let Ok(value) = $row.try_get::<Option<String>, _>($i) {
                    Ok(value)
                } else if let Ok(value) = $row.try_get::<Option<i64>, _>($i) {
                    Ok(value.map(|v| v.to_string()))
                } $(else if let Ok(value) = $row.try_get::<Option<$extra>, _>($i) {
                    Ok(value.map(|v| v.to_string()))
                })* else if let Ok(value) = $row.try_get::<Option<f64>, _>($i) {
                    Ok(value.map(|v| v.to_string()))
                } else {
                    $row.try_get_unchecked::<Option<String>, _>($i)
                }
            }};
        }
        let statement = sqlx::AssertSqlSafe(sql.to_string());
        macro_rules! all_as_text {
            ($pool:expr $(, $extra:ty)*) => {{
                let rows = bind_all!(sqlx::query(statement), params).fetch_all($pool).await?;
                rows.iter()
                    .map(|row| (0..row.len()).map(|i| text_at!(row, i $(, $extra)*)).collect::<Result<Vec<_>, sqlx::Error>>())
                    .collect::<Result<Vec<_>, _>>()?
            }};
        }
        let rows = match &self.pool {
            Pool::Sqlite(pool) => all_as_text!(pool),
            Pool::Postgres(pool) => all_as_text!(pool),
            Pool::MySql(pool) => all_as_text!(pool, u64),
        };
        Ok(rows)
    }

    /// The first column of the first row of a query, as text.
    pub async fn fetch_first(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Option<String>, DbError> {
        let rows = self.fetch_text(sql, params).await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten()))
    }

    /// Closes the pool.
    pub async fn close(&self) {
        with_pool!(&self.pool, pool => pool.close().await);
    }

    /// Runs one statement on a connection opened for it, then closes it
    /// whether the statement ran or not.
    pub(crate) async fn execute_once(self, sql: &str, params: &[Param]) -> Result<(), DbError> {
        let executed = self.execute(sql, params).await;
        self.close().await;
        executed.map(|_| ())
    }
}

/// The path of a `sqlite:` URL, as SQLAlchemy reads it:
/// `sqlite:///app.db` (three slashes) → `app.db`, relative;
/// `sqlite:////srv/app.db` (four) → `/srv/app.db`, absolute; and, as
/// before, `sqlite://target/app.db` → `target/app.db`, relative, and
/// `sqlite:app.db` → `app.db`. A driver (`sqlite+pysqlite://`) changes
/// nothing.
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.get(sqlite_path_range(url)).unwrap_or("")
}

/// Where [`sqlite_path`] is in the URL.
pub(crate) fn sqlite_path_range(url: &str) -> std::ops::Range<usize> {
    let start = url.find(':').map_or(url.len(), |colon| colon + 1);
    let rest = url.get(start..).unwrap_or("");
    let skip = match rest.strip_prefix("//") {
        // Four slashes: an absolute path, which keeps its own slash.
        Some(after) if after.starts_with("//") => 3,
        // Three: relative to the configuration's folder.
        Some(after) if after.starts_with('/') => 3,
        Some(_) => 2,
        None => 0,
    };
    let path = rest.get(skip..).unwrap_or("");
    let len = path.find('?').unwrap_or(path.len());
    start + skip..start + skip + len
}

/// The file a `sqlite:` URL names, relative paths against `dir`.
pub(crate) fn sqlite_file(url: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let path = sqlite_path(url);
    if path.starts_with('/') || path == ":memory:" {
        std::path::PathBuf::from(path)
    } else {
        dir.join(path)
    }
}

/// Removes a SQLite database file and the journal files beside it.
pub(crate) fn remove_sqlite_files(file: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

/// A pool whose connections are tested only when they have been idle a
/// while. sqlx already tests every connection as it goes back to the pool
/// (a round trip); testing it again as it is taken out doubled every
/// query's round trips. One that has waited longer than
/// [`TESTED_AFTER_IDLE`] may have been cut off since (a server restarted)
/// and is tested first, and replaced if it fails.
fn tested_when_idle<DB: sqlx::Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= TESTED_AFTER_IDLE {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
}

/// How long a pooled connection may have been idle and still be used
/// without a test.
const TESTED_AFTER_IDLE: Duration = Duration::from_millis(250);

/// Which database a URL names, by its scheme; a driver as SQLAlchemy
/// writes it (`postgresql+psycopg://`, `mysql+pymysql://`,
/// `mariadb+mariadbconnector://`, `sqlite+pysqlite://`) is allowed and
/// changes nothing.
pub fn kind_of(url: &str) -> Result<Kind, DbError> {
    let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
    let (scheme, driver) = scheme.split_once('+').unwrap_or((scheme.as_str(), "x"));
    let driver_ok = !driver.is_empty()
        && driver
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    match scheme {
        "sqlite" if driver_ok => Ok(Kind::Sqlite),
        "postgres" | "postgresql" if driver_ok => Ok(Kind::Postgres),
        "mysql" | "mariadb" if driver_ok => Ok(Kind::MySql),
        _ => Err(DbError::new(format!(
            "`{}` is not a database URL itspec knows: use sqlite://, postgres:// or mysql:// (mariadb://)",
            redact(url)
        ))),
    }
}

/// The URL the driver reads: the scheme without SQLAlchemy's driver
/// (`postgresql+asyncpg://` → `postgres://`, `mariadb+…://` → `mysql://`).
pub(crate) fn driver_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let scheme = match kind_of(url) {
        Ok(kind) => kind.dialect().scheme(),
        Err(_) => scheme,
    };
    format!("{scheme}://{rest}")
}

/// A URL without its password, for messages: `postgres://u:***@host/db`
/// — also one written raw with `/` or `?` in it, and `?password=***`.
pub fn redact(url: &str) -> String {
    crate::redact::url::hide_credentials(url, "***")
}

/// Quotes an identifier: `"name"` (`` `name` `` on MySQL), inner quotes doubled.
pub fn quote(kind: Kind, name: &str) -> String {
    kind.dialect().quote(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_statement_keeps_the_database_code_and_says_only_its_message() {
        let refused = DbError::Refused {
            message: "source database \"shop\" is being accessed by other users".to_string(),
            code: Some("55006".to_string()),
        };
        assert_eq!(refused.code(), Some("55006"));
        assert_eq!(
            refused.to_string(),
            "source database \"shop\" is being accessed by other users"
        );
        let other = DbError::new("the restore failed");
        assert_eq!(
            (other.code(), other.to_string().as_str()),
            (None, "the restore failed")
        );
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(redact("sqlite://target/x.db"), "sqlite://target/x.db");
        assert_eq!(
            redact("postgres://u:pa/ss?w@host/db"),
            "postgres://u:***@host/db"
        );
        assert_eq!(
            redact("postgres://u@h/db?password=s3cret"),
            "postgres://u@h/db?password=***"
        );
    }

    #[test]
    fn urls_as_sqlalchemy_writes_them() {
        for (url, kind) in [
            ("postgresql+psycopg://u@127.0.0.1/db", Kind::Postgres),
            ("postgresql+psycopg2://u@127.0.0.1/db", Kind::Postgres),
            ("postgresql+asyncpg://u@127.0.0.1/db", Kind::Postgres),
            ("mysql+pymysql://root@127.0.0.1/db", Kind::MySql),
            ("mysql+mysqldb://root@127.0.0.1/db", Kind::MySql),
            ("mariadb+mariadbconnector://root@127.0.0.1/db", Kind::MySql),
            ("sqlite+pysqlite:///app.db", Kind::Sqlite),
            ("SQLite:///app.db", Kind::Sqlite),
        ] {
            assert_eq!(kind_of(url).unwrap(), kind, "{url}");
        }
        for url in ["postgresql+://h/db", "mysql+a b://h/db", "oracle+cx://h/db"] {
            assert!(kind_of(url).is_err(), "{url}");
        }
        assert_eq!(
            driver_url("postgresql+psycopg://u:p@127.0.0.1:5432/db?sslmode=disable"),
            "postgres://u:p@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(
            driver_url("mariadb+mariadbconnector://root@h/db"),
            "mysql://root@h/db"
        );
        assert_eq!(driver_url("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn sqlite_paths_as_sqlalchemy_reads_them() {
        let dir = std::path::Path::new("/project");
        for (url, file) in [
            ("sqlite:///accounts.db", "/project/accounts.db"),
            ("sqlite:////var/lib/app.db", "/var/lib/app.db"),
            ("sqlite://target/shop.db", "/project/target/shop.db"),
            ("sqlite://shop.db?mode=rwc", "/project/shop.db"),
            ("sqlite+pysqlite:///data/app.db", "/project/data/app.db"),
            ("sqlite:app.db", "/project/app.db"),
            ("sqlite://:memory:", ":memory:"),
        ] {
            assert_eq!(
                sqlite_file(url, dir),
                std::path::PathBuf::from(file),
                "{url}"
            );
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote(Kind::Postgres, "order"), "\"order\"");
        assert_eq!(quote(Kind::Sqlite, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quote(Kind::MySql, "user"), "`user`");
        assert_eq!(quote(Kind::MySql, "a`b"), "`a``b`");
    }
}
