//! Databases for tests: SQLite always, PostgreSQL and MySQL/MariaDB when
//! `ITSPEC_TEST_POSTGRES_URL` / `ITSPEC_TEST_MYSQL_URL` name a server (CI
//! sets both); each test gets a fresh database of its own name. Shared by
//! the runner's and the CLI's tests.

#![allow(dead_code, reason = "each test file uses part of the support")]

/// A database server tests can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file in a temporary folder: always.
    Sqlite,
    /// The server `ITSPEC_TEST_POSTGRES_URL` names.
    Postgres,
    /// The server `ITSPEC_TEST_MYSQL_URL` names.
    MySql,
}

/// A fresh, empty database of a test's own.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Which server.
    pub backend: Backend,
    /// Where SQLite files go.
    pub dir: tempfile::TempDir,
}

/// A fresh database named `name` on `backend`, or `None` (with a note)
/// when the backend's variable is not set. With the variable set, a server
/// that cannot be reached fails the test.
#[allow(
    clippy::print_stderr,
    reason = "a backend that is not configured is named, not skipped silently"
)]
pub fn fresh_db(backend: Backend, name: &str) -> Option<TestDb> {
    let dir = tempfile::tempdir().unwrap();
    let server = match backend {
        Backend::Sqlite => format!("sqlite:///{}/server.db", dir.path().display()),
        Backend::Postgres | Backend::MySql => {
            let variable = if backend == Backend::Postgres {
                "ITSPEC_TEST_POSTGRES_URL"
            } else {
                "ITSPEC_TEST_MYSQL_URL"
            };
            match std::env::var(variable) {
                Ok(url) if !url.is_empty() => url,
                _ => {
                    eprintln!("note: {name} not run on {backend:?}: {variable} is not set");
                    return None;
                }
            }
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = runtime
        .block_on(itspec_runner::db::recreate_database(
            &server,
            name,
            dir.path(),
        ))
        .unwrap_or_else(|e| panic!("{backend:?}: cannot create database {name}: {e}"));
    Some(TestDb { url, backend, dir })
}

/// Runs `future` to completion on a runtime of its own.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Declares a test per backend: `name::sqlite`, `name::postgres`,
/// `name::mysql`, each calling `name(Backend)`; with `servers:` first, on
/// the database servers only (for faults of a server, which SQLite, a file
/// the run opens itself, does not have).
#[macro_export]
macro_rules! on_every_database {
    (servers: $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn postgres() {
                    super::$name(super::databases::Backend::Postgres);
                }
                #[test]
                fn mysql() {
                    super::$name(super::databases::Backend::MySql);
                }
            }
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name(super::databases::Backend::Sqlite);
                }
                #[test]
                fn postgres() {
                    super::$name(super::databases::Backend::Postgres);
                }
                #[test]
                fn mysql() {
                    super::$name(super::databases::Backend::MySql);
                }
            }
        )*
    };
}

/// Every row of every table, and each table's checksum.
pub async fn state(test: &TestDb) -> Vec<(String, String, Vec<String>)> {
    let db = itspec_runner::db::Database::connect(&test.url, test.dir.path())
        .await
        .unwrap();
    let schema = itspec_runner::db::introspect(&db).await.unwrap();
    let mut tables = Vec::new();
    for table in schema.tables.values() {
        let rows = itspec_runner::db::fetch(&db, table).await.unwrap();
        let checksum = itspec_runner::db::checksum(&db, table).await.unwrap();
        tables.push((
            table.name.clone(),
            checksum,
            rows.rows.iter().map(|r| r.text.clone()).collect(),
        ));
    }
    db.close().await;
    tables
}

/// Runs a script on the test's database.
pub async fn sql(test: &TestDb, script: &str) {
    let db = itspec_runner::db::Database::connect(&test.url, test.dir.path())
        .await
        .unwrap();
    itspec_runner::db::apply_script(&db, script).await.unwrap();
    db.close().await;
}

/// Waits (up to a minute) until `query`'s first value on the database at
/// `url` equals `expected`, while `child` runs; whether it did.
pub fn wait_for_value(
    url: &str,
    dir: &std::path::Path,
    query: &str,
    expected: &serde_json::Value,
    child: &mut std::process::Child,
) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let value = block_on(async {
            let db = itspec_runner::db::Database::connect(url, dir).await.ok()?;
            let value = itspec_runner::db::first_value(&db, query, &Default::default())
                .await
                .ok()
                .flatten();
            db.close().await;
            value
        });
        if value.is_some_and(|v| itspec_runner::matching::database::db_equal(&v, expected)) {
            return true;
        }
        if std::time::Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Ctrl-C to `child`; its exit code.
pub fn interrupt(child: &mut std::process::Child) -> Option<i32> {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    child.wait().unwrap().code()
}
