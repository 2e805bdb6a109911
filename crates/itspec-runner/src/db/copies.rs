//! A copy of the database for each parallel worker, made from the prepared
//! base and dropped after the run: PostgreSQL `CREATE DATABASE … TEMPLATE`,
//! MySQL/MariaDB a database with each table's definition (`SHOW CREATE
//! TABLE`) and rows, SQLite `VACUUM INTO` a file beside the base. The base
//! itself is only read. Each copy's name carries the run's own id, so two
//! runs never share, drop or break each other's copies; the copies a
//! killed run left behind are dropped by the next run on the same base,
//! which holds the base's lock ([`super::RunLock`]) and so knows no other
//! run is using them.

use std::path::Path;
use std::time::Duration;

use super::{
    Database, DbError, Kind, Pool, kind_of, quote, redact, remove_sqlite_files, sqlite_file,
    sqlite_path, url_with_database,
};

/// How long PostgreSQL is given for other sessions to leave the base.
const TEMPLATE_RETRIES: u32 = 25;

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
    let mut dropped = Vec::new();
    match kind_of(url)? {
        Kind::Sqlite => {
            let file = sqlite_file(url, dir);
            let folder = file.parent().unwrap_or(Path::new("."));
            let Ok(entries) = std::fs::read_dir(folder) else {
                return Ok(dropped);
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".db")
                    && stale(stem)
                {
                    remove_sqlite_files(&entry.path());
                    dropped.push(name);
                }
            }
        }
        kind @ (Kind::Postgres | Kind::MySql) => {
            let listing = if kind == Kind::Postgres {
                "SELECT datname::text FROM pg_database"
            } else {
                "SELECT schema_name FROM information_schema.schemata"
            };
            let base_db = Database::connect(url, dir).await?;
            let names = base_db.fetch_text(listing, &[]).await;
            base_db.close().await;
            for name in names?
                .into_iter()
                .filter_map(|row| row.into_iter().next().flatten())
            {
                if stale(&name) {
                    drop_copy(url, &url_with_database(url, &name), dir).await?;
                    dropped.push(name);
                }
            }
        }
    }
    Ok(dropped)
}

/// The database (or SQLite file stem) a URL names.
fn database_name(url: &str) -> Result<String, DbError> {
    let name = if kind_of(url)? == Kind::Sqlite {
        Path::new(sqlite_path(url))
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        let rest = url.split_once("://").map_or("", |(_, rest)| rest);
        let rest = rest.split('?').next().unwrap_or("");
        rest.split_once('/')
            .map(|(_, name)| name.to_string())
            .unwrap_or_default()
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(DbError(format!(
            "cannot copy the database {} for parallel workers: name the database in [database] url \
             with letters, digits, _ and - (like postgres://127.0.0.1/app_test)",
            redact(url)
        )));
    }
    Ok(name)
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
    let copied = match kind_of(url)? {
        Kind::Sqlite => copy_sqlite(url, &copy_url, dir).await,
        Kind::Postgres => copy_postgres(url, &name, dir).await,
        Kind::MySql => copy_mysql(url, &name, dir).await,
    };
    copied.map_err(|e| {
        DbError(format!(
            "cannot copy the database {} for worker {worker}: {e}",
            redact(url)
        ))
    })?;
    Ok(copy_url)
}

/// Drops worker copy `copy_url` of the database `url` names.
pub async fn drop_copy(url: &str, copy_url: &str, dir: &Path) -> Result<(), DbError> {
    let name = database_name(copy_url)?;
    match kind_of(url)? {
        Kind::Sqlite => {
            remove_sqlite_files(&sqlite_file(copy_url, dir));
            Ok(())
        }
        Kind::Postgres => {
            let server = maintenance(url, dir).await?;
            let dropped = server
                .execute(
                    &format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        quote(Kind::Postgres, &name)
                    ),
                    &[],
                )
                .await;
            server.close().await;
            dropped.map(|_| ())
        }
        Kind::MySql => {
            let server = Database::connect(url, dir).await?;
            let dropped = server
                .execute(
                    &format!("DROP DATABASE IF EXISTS {}", quote(Kind::MySql, &name)),
                    &[],
                )
                .await;
            server.close().await;
            dropped.map(|_| ())
        }
    }
}

async fn copy_sqlite(url: &str, copy_url: &str, dir: &Path) -> Result<(), DbError> {
    let target = sqlite_file(copy_url, dir);
    remove_sqlite_files(&target);
    let base = Database::connect(url, dir).await?;
    let copied = base
        .execute(
            "VACUUM INTO ?",
            &[super::Param::Text(target.to_string_lossy().into_owned())],
        )
        .await;
    base.close().await;
    copied.map(|_| ())
}

/// A connection to the server for `CREATE`/`DROP DATABASE`: the
/// `postgres` database, else `template1`.
async fn maintenance(url: &str, dir: &Path) -> Result<Database, DbError> {
    match Database::connect(&url_with_database(url, "postgres"), dir).await {
        Ok(server) => Ok(server),
        Err(first) => Database::connect(&url_with_database(url, "template1"), dir)
            .await
            .map_err(|_| first),
    }
}

async fn copy_postgres(url: &str, name: &str, dir: &Path) -> Result<(), DbError> {
    let base = database_name(url)?;
    let server = maintenance(url, dir).await?;
    let quoted = quote(Kind::Postgres, name);
    let mut result = server
        .execute(
            &format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"),
            &[],
        )
        .await
        .map(|_| ());
    if result.is_ok() {
        let create = format!(
            "CREATE DATABASE {quoted} TEMPLATE {}",
            quote(Kind::Postgres, &base)
        );
        for attempt in 0..=TEMPLATE_RETRIES {
            result = server.execute(&create, &[]).await.map(|_| ());
            match &result {
                Err(e)
                    if e.0.contains("being accessed by other users")
                        && attempt < TEMPLATE_RETRIES =>
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                _ => break,
            }
        }
    }
    server.close().await;
    result.map_err(|e| {
        if e.0.contains("being accessed by other users") {
            DbError(format!(
                "{e} (PostgreSQL copies a database only while nothing is connected to it: close the other sessions on `{base}`)"
            ))
        } else {
            e
        }
    })
}

async fn copy_mysql(url: &str, name: &str, dir: &Path) -> Result<(), DbError> {
    let base = Database::connect(url, dir).await?;
    let copied = copy_mysql_tables(&base, &database_name(url)?, name).await;
    base.close().await;
    copied
}

/// On one connection: foreign key checks off while tables are created
/// and filled in any order.
async fn copy_mysql_tables(base: &Database, from: &str, to: &str) -> Result<(), DbError> {
    let Pool::MySql(pool) = &base.pool else {
        return Err(DbError("not a MySQL database".to_string()));
    };
    let mut connection = pool.acquire().await?;
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    let (from_q, to_q) = (quote(Kind::MySql, from), quote(Kind::MySql, to));
    run(format!("DROP DATABASE IF EXISTS {to_q}"))
        .execute(&mut *connection)
        .await?;
    run(format!("CREATE DATABASE {to_q}"))
        .execute(&mut *connection)
        .await?;
    let tables = base
        .fetch_text(
            "SELECT table_name FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
            &[],
        )
        .await?;
    run("SET FOREIGN_KEY_CHECKS = 0".to_string())
        .execute(&mut *connection)
        .await?;
    let copied = async {
        for table in tables.iter().filter_map(|row| row.first().cloned().flatten()) {
            let table_q = quote(Kind::MySql, &table);
            let row = run(format!("SHOW CREATE TABLE {from_q}.{table_q}"))
                .fetch_one(&mut *connection)
                .await?;
            let create: String = sqlx::Row::try_get(&row, 1)?;
            run(format!("USE {to_q}")).execute(&mut *connection).await?;
            run(create).execute(&mut *connection).await?;
            let columns = base
                .fetch_text(
                    "SELECT column_name FROM information_schema.columns \
                     WHERE table_schema = DATABASE() AND table_name = ? AND extra NOT LIKE '%GENERATED%' \
                     ORDER BY ordinal_position",
                    &[super::Param::Text(table.clone())],
                )
                .await?;
            let list = base.column_list(columns.iter().filter_map(|row| row.first().and_then(|c| c.as_deref())));
            run(format!("INSERT INTO {to_q}.{table_q} ({list}) SELECT {list} FROM {from_q}.{table_q}"))
                .execute(&mut *connection)
                .await?;
        }
        Ok::<(), DbError>(())
    }
    .await;
    let _ = run("SET FOREIGN_KEY_CHECKS = 1".to_string())
        .execute(&mut *connection)
        .await;
    let _ = run(format!("USE {from_q}")).execute(&mut *connection).await;
    copied
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
