//! A copy of the database for each parallel worker, made from the prepared
//! base and dropped after the run: PostgreSQL `CREATE DATABASE … TEMPLATE`,
//! MySQL/MariaDB a database with each table's definition (`SHOW CREATE
//! TABLE`) and rows, SQLite `VACUUM INTO` a file beside the base — each
//! engine's dialect's way ([`super::dialect::Dialect::copy_database`]). The
//! base itself is only read. Each copy's name carries the run's own id, so
//! two runs never share, drop or break each other's copies; the copies a
//! killed run left behind are dropped by the next run on the same base,
//! which holds the base's lock ([`super::RunLock`]) and so knows no other
//! run is using them.

use std::path::Path;

use super::{Database, DbError, kind_of, redact, url_with_database};

/// The name of worker `worker`'s copy in run `run`:
/// `{base}_itspec_{run}_w{worker}`.
pub fn copy_name(url: &str, run: &str, worker: usize) -> Result<String, DbError> {
    let base = database_name(url)?;
    Ok(format!("{base}_itspec_{run}_w{worker}"))
}

/// Drops the worker copies of the database `url` names that earlier runs
/// left behind (killed before they could drop them); returns their names.
/// Only while holding the base's lock.
pub async fn drop_stale_copies(url: &str, dir: &Path) -> Result<Vec<String>, DbError> {
    // A database whose name cannot be copied has no copies.
    let Ok(base) = database_name(url) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{base}_itspec_");
    let stale = |name: &str| {
        name.strip_prefix(&prefix).is_some_and(|rest| {
            rest.split_once("_w").is_some_and(|(run, worker)| {
                !run.is_empty()
                    && run.chars().all(|c| c.is_ascii_alphanumeric())
                    && !worker.is_empty()
                    && worker.chars().all(|c| c.is_ascii_digit())
            })
        })
    };
    let dialect = kind_of(url)?.dialect();
    let mut dropped = Vec::new();
    for (shown, name) in dialect.databases(url, dir).await? {
        if stale(&name) {
            drop_copy(url, &url_with_database(url, &name), dir).await?;
            dropped.push(shown);
        }
    }
    Ok(dropped)
}

/// The names of the databases on the server `url` names.
pub(super) async fn server_databases(
    url: &str,
    dir: &Path,
    listing: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let base_db = Database::connect(url, dir).await?;
    let names = base_db.fetch_text(listing, &[]).await;
    base_db.close().await;
    Ok(names?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .map(|name| (name.clone(), name))
        .collect())
}

/// The database (or SQLite file stem) a URL names.
pub(super) fn database_name(url: &str) -> Result<String, DbError> {
    let name = kind_of(url)?.dialect().database_name(url);
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(DbError::new(format!(
            "cannot copy the database {} for parallel workers: name the database in [database] url \
             with letters, digits, _ and - (like postgres://127.0.0.1/app_test)",
            redact(url)
        )));
    }
    Ok(name)
}

/// The database a server URL names: its path.
pub(super) fn server_database_name(url: &str) -> String {
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    let rest = rest.split('?').next().unwrap_or("");
    rest.split_once('/')
        .map(|(_, name)| name.to_string())
        .unwrap_or_default()
}

/// Copies the database `url` names (schema and rows) as worker `worker`'s
/// of run `run`; returns the copy's URL. Nothing may be connected to the
/// base (PostgreSQL copies only then).
pub async fn copy_database(
    url: &str,
    run: &str,
    worker: usize,
    dir: &Path,
) -> Result<String, DbError> {
    let name = copy_name(url, run, worker)?;
    let copy_url = url_with_database(url, &name);
    let copied = kind_of(url)?
        .dialect()
        .copy_database(url, &name, &copy_url, dir)
        .await;
    copied.map_err(|e| {
        DbError::new(format!(
            "cannot copy the database {} for worker {worker}: {e}",
            redact(url)
        ))
    })?;
    Ok(copy_url)
}

/// Drops worker copy `copy_url` of the database `url` names.
pub async fn drop_copy(url: &str, copy_url: &str, dir: &Path) -> Result<(), DbError> {
    let name = database_name(copy_url)?;
    kind_of(url)?
        .dialect()
        .drop_database(url, &name, copy_url, dir)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_named_after_the_base() {
        assert_eq!(
            copy_name("postgres://u@127.0.0.1:5432/app?sslmode=disable", "ab12", 2).unwrap(),
            "app_itspec_ab12_w2"
        );
        assert_eq!(
            copy_name("sqlite://target/itspec/shop.db", "ab12", 1).unwrap(),
            "shop_itspec_ab12_w1"
        );
        assert_eq!(
            copy_name("postgresql+psycopg://u@127.0.0.1/app", "ab12", 1).unwrap(),
            "app_itspec_ab12_w1"
        );
        assert_eq!(
            copy_name("sqlite:///accounts.db", "ab12", 1).unwrap(),
            "accounts_itspec_ab12_w1"
        );
        assert!(copy_name("postgres://127.0.0.1:5432", "ab12", 1).is_err());
        assert!(copy_name("mysql://root@127.0.0.1/a;b", "ab12", 1).is_err());
    }
}
