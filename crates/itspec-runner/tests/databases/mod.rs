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
        Backend::Sqlite => format!("sqlite://{}/server.db", dir.path().display()),
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
/// `name::mysql`, each calling `name(Backend)`.
#[macro_export]
macro_rules! on_every_database {
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
