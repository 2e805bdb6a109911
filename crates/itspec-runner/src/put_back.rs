//! `itspec restore FILE`: the rows a failed restore saved to a file
//! ([`db::Rescue`]) put back into the configured database, once it answers
//! again.

use std::path::Path;

use crate::db::{self, PutBack, Rescue};
use crate::env::prepare_database;
use crate::settings::Settings;

/// Why rows could not be put back.
#[derive(Debug)]
pub enum PutBackError {
    /// The file, or the configuration, does not allow it.
    Usage(String),
    /// The database refused or did not answer.
    Database(String),
}

/// Puts the rows of `file` back into the configured database and removes
/// the file once every table is verified to hold them.
pub fn put_back(settings: &Settings, file: &Path) -> Result<(Rescue, PutBack), PutBackError> {
    if db::rescue_in_use(file) {
        return Err(PutBackError::Usage(format!(
            "{} is the record of a run that is still going: it removes the file itself once the database is back. \
             Stop that run first if it is stuck",
            itspec_config::shown(file)
        )));
    }
    let rescue = Rescue::load(file).map_err(|e| PutBackError::Usage(e.to_string()))?;
    let Some(database) = &settings.database else {
        return Err(PutBackError::Usage(
            "no [database] in itspec.toml: name the database the rows come from".to_string(),
        ));
    };
    if db::redact(&database.url) != rescue.database {
        return Err(PutBackError::Usage(format!(
            "{} holds rows of {}, but the configured database is {}: name it with `--set database.url=…`",
            itspec_config::shown(file),
            rescue.database,
            db::redact(&database.url)
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PutBackError::Database(e.to_string()))?;
    let done = runtime.block_on(async {
        // Connected as a run would, without applying a schema, holding the
        // database's lock as a run does.
        let mut connect = database.clone();
        connect.schema = None;
        crate::env::check_local(&connect)
            .await
            .map_err(|e| PutBackError::Database(e.to_string()))?;
        let lock = db::RunLock::acquire(&connect.url, &settings.dir)
            .await
            .map_err(|e| PutBackError::Database(e.to_string()))?;
        let db = match prepare_database(&connect, &settings.dir).await {
            Ok(db) => db,
            Err(e) => {
                lock.release().await;
                return Err(PutBackError::Database(e.to_string()));
            }
        };
        let result = async {
            let schema = db::introspect(&db).await?;
            // Only the tables the file holds are read and written.
            let others: Vec<String> = schema
                .tables
                .keys()
                .filter(|name| !rescue.tables.contains_key(*name))
                .cloned()
                .collect();
            let tables = schema.tracked(&others);
            let triggers = db::Triggers::read(&db, &tables).await?;
            rescue.put_back(&db, &tables, &triggers).await
        }
        .await;
        db.close().await;
        lock.release().await;
        result.map_err(|e| PutBackError::Database(e.to_string()))
    })?;
    std::fs::remove_file(file).map_err(|e| {
        PutBackError::Usage(format!(
            "the rows are back, but {} could not be removed: {e}",
            itspec_config::shown(file)
        ))
    })?;
    Ok((rescue, done))
}
