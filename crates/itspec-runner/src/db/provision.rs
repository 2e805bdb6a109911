//! Fresh databases on a server: a database of its own for each worker or
//! test, created next to the one a URL names.

use std::path::Path;

use super::{Database, DbError, redact};

/// `url` with its database replaced by `name`: the path of a PostgreSQL or
/// MySQL URL, or the file name (`name.db`) of a SQLite URL.
pub fn url_with_database(url: &str, name: &str) -> String {
    match super::kind_of(url) {
        Ok(kind) => kind.dialect().url_with_database(url, name),
        Err(_) => server_url_with_database(url, name),
    }
}

/// A server URL with its path replaced by `name`.
pub(super) fn server_url_with_database(url: &str, name: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// Creates an empty database `name` on the server `url` names (dropping one
/// of that name first) and returns its URL. For SQLite, an empty file
/// `name.db` next to the one `url` names, relative to `dir`.
pub async fn recreate_database(url: &str, name: &str, dir: &Path) -> Result<String, DbError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(DbError::new(format!(
            "`{name}` cannot name a database: use letters, digits and _"
        )));
    }
    let target = url_with_database(url, name);
    let server = Database::connect(url, dir).await?;
    let result = server
        .dialect()
        .recreate_database(&server, name, &target, dir)
        .await;
    server.close().await;
    result.map_err(|e| {
        DbError::new(format!(
            "cannot create database `{name}` on {}: {e}",
            redact(url)
        ))
    })?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_replace_the_path() {
        assert_eq!(
            url_with_database("postgres://u@127.0.0.1:5432/test", "w1"),
            "postgres://u@127.0.0.1:5432/w1"
        );
        assert_eq!(
            url_with_database("mysql://root@127.0.0.1/test?ssl-mode=disabled", "w1"),
            "mysql://root@127.0.0.1/w1?ssl-mode=disabled"
        );
        assert_eq!(
            url_with_database("postgres://localhost", "w1"),
            "postgres://localhost/w1"
        );
        assert_eq!(
            url_with_database("sqlite://target/itspec/shop.db", "w1"),
            "sqlite://target/itspec/w1.db"
        );
        // In the form it was written: a driver, three or four slashes, a query.
        assert_eq!(
            url_with_database("postgresql+psycopg://u@127.0.0.1:5432/app?x=1", "w1"),
            "postgresql+psycopg://u@127.0.0.1:5432/w1?x=1"
        );
        assert_eq!(
            url_with_database("sqlite:///data/app.db", "w1"),
            "sqlite:///data/w1.db"
        );
        assert_eq!(
            url_with_database("sqlite:////srv/app.db?mode=rwc", "w1"),
            "sqlite:////srv/w1.db?mode=rwc"
        );
        assert_eq!(
            url_with_database("sqlite+pysqlite:///app.db", "w1"),
            "sqlite+pysqlite:///w1.db"
        );
    }
}
