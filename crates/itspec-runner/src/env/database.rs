//! Getting the database ready before the service starts: connect by URL,
//! refuse a database on another host unless `allow_remote`, and apply
//! `[database] schema` to a database that has no tables yet.

use std::path::Path;

use super::EnvError;
use crate::db::{self, Database};
use crate::settings::DatabaseSettings;

/// Refuses a database that may not be on this machine, unless
/// `allow_remote`: decided from the options the driver will use.
pub async fn check_local(settings: &DatabaseSettings) -> Result<(), EnvError> {
    let url = &settings.url;
    db::kind_of(url).map_err(|e| EnvError(e.to_string()))?;
    if !settings.allow_remote
        && let Some(reason) = db::remote_reason(url).await
    {
        return Err(EnvError(format!(
            "refusing to use the database at {}: itspec writes to the database (fixtures, and the restore after every case) \
             and it may not be on this machine: {reason}. If it is a disposable test database, set `allow_remote = true` under [database] in itspec.toml",
            db::redact(url)
        )));
    }
    Ok(())
}

/// Connects to the configured database and gives a fresh one its schema.
pub async fn prepare(settings: &DatabaseSettings, dir: &Path) -> Result<Database, EnvError> {
    let url = &settings.url;
    check_local(settings).await?;
    let database = Database::connect(url, dir)
        .await
        .map_err(|e| EnvError(e.to_string()))?;
    if let Some(schema) = &settings.schema {
        apply_schema(&database, schema).await?;
    }
    Ok(database)
}

/// Applies the schema file when the database has no tables (besides
/// migration bookkeeping); a database that has tables is left as it is.
async fn apply_schema(database: &Database, file: &Path) -> Result<(), EnvError> {
    let tables = db::introspect(database)
        .await
        .map_err(|e| EnvError(format!("cannot read the database's tables: {e}")))?;
    if !tables.tracked(&[]).tables.is_empty() {
        return Ok(());
    }
    let script = std::fs::read_to_string(file).map_err(|e| {
        EnvError(format!(
            "[database] schema: cannot read {}: {e}",
            itspec_config::shown(file)
        ))
    })?;
    db::apply_script(database, &script).await.map_err(|e| {
        EnvError(format!(
            "[database] schema {}: {e}",
            itspec_config::shown(file)
        ))
    })?;
    Ok(())
}
