//! SQLite's dialect: `"quoted"` names and `?` placeholders; a row's
//! lossless text is `quote()` of each column (and the row id of a rowid
//! table whose row id is no column of its own) as a JSON array, each
//! value written back with the storage class `quote()` showed, rows
//! deleted by their row id; rows hashed and checksums computed here;
//! introspection through `sqlite_master` and the `pragma_*` functions;
//! `sqlite_sequence` for `AUTOINCREMENT`; triggers that keep a restore
//! from holding dropped and created again inside its transaction;
//! foreign keys off (`PRAGMA foreign_keys`) around a restore.

use serde_json::Value;

use std::fs::File;
use std::future::Future;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;

use nix::fcntl::{Flock, FlockArg};

use super::{
    ChecksumQuery, DbFuture, Dialect, FixtureInsert, HeldLock, Introspection, Lexer,
    RestoreSession, RowPlaces, SequenceSource,
};
use crate::db::lock::{refused, who};
use crate::db::record::{self, Field};
use crate::db::rows::{Row, wrapping_sum};
use crate::db::schema::{Column, Table};
use crate::db::sql;
use crate::db::statements::{
    NewValue, Statement, column_list, delete_key_fields, insert_fields, row_id_of,
    update_column_fields, update_fields,
};
use crate::db::triggers::Trigger;
use crate::db::write::fixture_param;
use crate::db::{
    Database, DbError, Param, remove_sqlite_files, sqlite_file, sqlite_path, sqlite_path_range,
};

/// SQLite.
pub(crate) struct Sqlite;

/// An exclusive `flock` on a file beside the database file.
struct FileLock(PathBuf, Flock<File>);

impl HeldLock for FileLock {
    fn release(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let FileLock(path, lock) = *self;
        let _ = std::fs::remove_file(&path);
        drop(lock);
        Box::pin(async {})
    }
}

/// An in-memory database, which nothing else can reach, or one where no
/// lock file can be made (nor the database opened: the connection says
/// why).
struct NoLock;

impl HeldLock for NoLock {
    fn release(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async {})
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

/// How a key column is matched: also when it is NULL (SQLite allows NULL
/// in a key that is not an integer one).
const KEY_OPERATOR: &str = "IS";

/// The placeholder and parameter that write a field back: its own
/// storage class.
fn field_param(_column: &Column, field: &Field) -> Result<(String, Param), DbError> {
    Ok(("?".to_string(), sqlite_param(field)?))
}

/// A value as SQLite's `quote()` wrote it, with its storage class.
fn sqlite_param(field: &Field) -> Result<Param, DbError> {
    let Field::Literal(literal) = field else {
        return Ok(Param::Null);
    };
    let bad = || DbError::new(format!("`{literal}` is not a value SQLite wrote"));
    if literal == "NULL" {
        return Ok(Param::Null);
    }
    if let Some(text) = literal.strip_prefix('\'') {
        let text = text.strip_suffix('\'').ok_or_else(bad)?;
        return Ok(Param::Text(text.replace("''", "'")));
    }
    if let Some(hex) = literal
        .strip_prefix("X'")
        .or_else(|| literal.strip_prefix("x'"))
    {
        let hex = hex.strip_suffix('\'').ok_or_else(bad)?;
        return unhex(hex).map(Param::Blob).ok_or_else(bad);
    }
    if let Ok(int) = literal.parse::<i64>() {
        return Ok(Param::Int(int));
    }
    // Reals: `1.5`, `3.00000000000000044408e-01`, `9.0e+999`, `Inf`.
    match literal.to_ascii_lowercase().as_str() {
        "inf" => Ok(Param::Float(f64::INFINITY)),
        "-inf" => Ok(Param::Float(f64::NEG_INFINITY)),
        _ => literal.parse::<f64>().map(Param::Float).map_err(|_| bad()),
    }
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A fixture's number, bound as a number.
fn fixture_number(number: &serde_json::Number, _text: &str) -> Param {
    match number.as_i64() {
        Some(i) => Param::Int(i),
        None => Param::Float(number.as_f64().unwrap_or(0.0)),
    }
}

impl Dialect for Sqlite {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    fn scheme(&self) -> &'static str {
        "sqlite"
    }

    fn server_address(&self, _url: &str) -> Result<Option<(String, u16)>, sqlx::Error> {
        Ok(None)
    }

    fn lexer(&self) -> Lexer {
        Lexer::Sqlite
    }

    fn quote(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn placeholder(&self, _n: usize) -> String {
        "?".to_string()
    }

    fn row_text(&self, table: &Table, alias: &str) -> String {
        let mut parts: Vec<String> = table
            .columns
            .iter()
            .map(|c| format!("quote({alias}.{})", self.quote(&c.name)))
            .collect();
        if let Some(rowid) = self.row_id(table) {
            parts.push(format!("quote({alias}.{rowid})"));
        }
        format!("json_array({})", parts.join(", "))
    }

    fn row_fields(&self, text: &str) -> Result<Vec<Field>, DbError> {
        record::json_array_fields(text)
    }

    /// A rowid table whose row id is not its `INTEGER PRIMARY KEY` — its
    /// rows' order and identity — under whichever of `rowid`, `_rowid_`,
    /// `oid` no column takes. `None` for a `WITHOUT ROWID` table, an
    /// `INTEGER PRIMARY KEY` (the key is the row id), and a table whose
    /// columns take all three.
    fn row_id(&self, table: &Table) -> Option<&'static str> {
        let integer_key =
            table.primary_key.len() == 1 && table.key_columns().next().is_some_and(|c| c.auto);
        if table.without_rowid || integer_key {
            return None;
        }
        ["rowid", "_rowid_", "oid"].into_iter().find(|name| {
            !table
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(name))
        })
    }

    fn display_field(&self, column: &Column, field: &Field) -> Value {
        let Field::Literal(text) = field else {
            return Value::Null;
        };
        match sqlite_param(field) {
            Ok(Param::Null) => Value::Null,
            Ok(Param::Int(i)) => Value::from(i),
            Ok(Param::Float(f)) => serde_json::Number::from_f64(f)
                .map_or_else(|| Value::String(text.clone()), Value::Number),
            Ok(Param::Text(t)) if column.json => {
                serde_json::from_str(&t).unwrap_or(Value::String(t))
            }
            Ok(Param::Text(t)) => Value::String(t),
            Ok(Param::Blob(_)) => Value::String(
                text.trim_start_matches(['X', 'x'])
                    .trim_matches('\'')
                    .to_string(),
            ),
            Err(_) => Value::String(text.clone()),
        }
    }

    fn row_hash(&self, _alias: &str) -> Option<String> {
        None
    }

    fn sum_hashes(&self, hashes: &mut dyn Iterator<Item = u64>) -> Option<String> {
        Some(wrapping_sum(hashes))
    }

    fn checksum_query(&self, _tables: &[&Table]) -> ChecksumQuery {
        ChecksumQuery::InProcess
    }

    fn row_places(&self, _table: &Table, _alias: &str) -> Option<RowPlaces> {
        None
    }

    fn insert_row(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        insert_fields(self, field_param, table, row)
    }

    fn update_row(&self, table: &Table, row: &Row) -> Result<Option<Statement>, DbError> {
        update_fields(self, field_param, KEY_OPERATOR, table, row)
    }

    fn update_column(
        &self,
        table: &Table,
        row: &Row,
        column: &Column,
        value: &NewValue,
    ) -> Result<Statement, DbError> {
        update_column_fields(
            self,
            (field_param, KEY_OPERATOR),
            table,
            row,
            column,
            value,
            |c, hour| {
                if hour {
                    format!("time({c}, '+1 hour')")
                } else {
                    format!("datetime({c}, '+1 day')")
                }
            },
        )
    }

    fn delete_by_key(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        delete_key_fields(self, field_param, KEY_OPERATOR, "", table, row)
    }

    fn delete_exact(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        let name = self.quote(&table.name);
        if let Some(rowid_name) = self.row_id(table)
            && let Some(rowid) = row_id_of(self, table, &self.row_fields(&row.text)?)
        {
            // The row's own place.
            return Ok((
                format!("DELETE FROM {name} WHERE {rowid_name} = ?"),
                vec![Param::Int(rowid)],
            ));
        }
        if !table.primary_key.is_empty() {
            // `WITHOUT ROWID`, or an `INTEGER PRIMARY KEY`: never NULL,
            // so the key names one row.
            return self.delete_by_key(table, row);
        }
        Err(DbError::new(format!(
            "cannot delete one of several equal rows of `{}`: it has no primary key, \
             and its columns take every name of SQLite's row id (rowid, _rowid_, oid); \
             give it a primary key",
            table.name
        )))
    }

    fn json_object(&self, table: &Table, _alias: &str, prefix: &str) -> (String, Vec<Param>) {
        // Column names are bound; bytes become hex.
        let mut params = Vec::with_capacity(table.columns.len());
        let parts: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                params.push(Param::Text(c.name.clone()));
                let column = format!("{prefix}{}", self.quote(&c.name));
                format!(
                    "?, CASE WHEN typeof({column}) = 'blob' THEN hex({column}) ELSE {column} END"
                )
            })
            .collect();
        (format!("json_object({})", parts.join(", ")), params)
    }

    fn fixture_value(&self, _column: &Column, value: &Value) -> Value {
        value.clone()
    }

    fn fixture_insert(
        &self,
        table: &Table,
        given: &[(&Column, Value)],
    ) -> Result<FixtureInsert, DbError> {
        let name = self.quote(&table.name);
        let list = column_list(self, given.iter().map(|(c, _)| c.name.as_str()));
        let (expression, mut params) = self.json_object(table, "", "");
        let (placeholders, mut values_params): (Vec<String>, Vec<Param>) = given
            .iter()
            .map(|(column, value)| fixture_param(column, value, fixture_number, "unhex"))
            .unzip();
        let sql = if given.is_empty() {
            format!("INSERT INTO {name} DEFAULT VALUES RETURNING {expression}")
        } else {
            format!(
                "INSERT INTO {name} ({list}) VALUES ({}) RETURNING {expression}",
                placeholders.join(", ")
            )
        };
        values_params.append(&mut params);
        Ok(FixtureInsert::Returning((sql, values_params)))
    }

    fn bind_values<'a>(
        &'a self,
        _db: &'a Database,
        sql: String,
        values: Vec<Value>,
    ) -> DbFuture<'a, Statement> {
        Box::pin(async move { Ok((sql, sql::params(&values))) })
    }

    fn first_row_as_json(&self, _sql: &str) -> Option<String> {
        None
    }

    fn introspection(&self) -> Introspection {
        Introspection {
            tables: "SELECT m.name, CASE WHEN l.wr = 1 THEN 'rowless' ELSE '' END FROM sqlite_master m \
             LEFT JOIN pragma_table_list l ON l.name = m.name AND l.schema = 'main' \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name",
            columns: "SELECT m.name, p.name, lower(p.type), CASE WHEN p.hidden IN (2, 3) THEN 'ALWAYS' ELSE 'NEVER' END, \
                    CASE WHEN p.pk = 1 AND lower(p.type) = 'integer' AND \
                      (SELECT count(*) FROM pragma_table_info(m.name) q WHERE q.pk > 0) = 1 THEN 'YES' ELSE 'NO' END \
             FROM sqlite_master m, pragma_table_xinfo(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            keys: "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk > 0 ORDER BY m.name, p.pk",
            references: "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
            schema_qualified: false,
            sequences: None,
        }
    }

    fn sequence_source(&self) -> SequenceSource {
        SequenceSource::Table {
            exists: "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'",
            query: "SELECT name, name, CAST(seq AS TEXT) FROM sqlite_sequence",
        }
    }

    fn reset_sequence(&self, name: &str, _table: &str, value: Option<String>) -> Vec<Statement> {
        let mut statements = vec![(
            "DELETE FROM sqlite_sequence WHERE name = ?".to_string(),
            vec![Param::Text(name.to_string())],
        )];
        if let Some(value) = value {
            statements.push((
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, CAST(? AS INTEGER))"
                    .to_string(),
                vec![Param::Text(name.to_string()), Param::Text(value)],
            ));
        }
        statements
    }

    fn triggers_query(&self) -> &'static str {
        "SELECT tbl_name, name, '', '', sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid"
    }

    fn rules_query(&self) -> Option<&'static str> {
        None
    }

    fn may_write_elsewhere(&self, any_trigger: bool, _rules: bool, _superuser: bool) -> bool {
        any_trigger
    }

    fn fires_during_restore(&self, _trigger: &Trigger, _superuser: bool) -> bool {
        // Dropped only when they keep a restore from holding.
        true
    }

    fn trigger_guard(
        &self,
        trigger: &Trigger,
        _superuser: bool,
        drop: bool,
    ) -> Option<(String, String)> {
        (drop && !trigger.sql.is_empty()).then(|| {
            (
                format!("DROP TRIGGER {}", self.quote(&trigger.name)),
                trigger.sql.clone(),
            )
        })
    }

    fn drops_triggers(&self) -> bool {
        true
    }

    fn live_foreign_keys(&self, _superuser: bool) -> bool {
        false
    }

    fn restore_session(&self, _superuser: bool, disposable: bool) -> RestoreSession {
        // A connection's setting, which works only outside a transaction.
        // A worker's copy: the commit need not wait for the disk (kept on
        // that connection, which only ever writes to the copy).
        let before = if disposable {
            "PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF"
        } else {
            "PRAGMA foreign_keys = OFF"
        };
        RestoreSession {
            before: Some(before),
            first: Vec::new(),
            after: Some("PRAGMA foreign_keys = ON"),
        }
    }

    fn database_name(&self, url: &str) -> String {
        Path::new(sqlite_path(url))
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn url_with_database(&self, url: &str, name: &str) -> String {
        // The URL keeps the form it was written in (`sqlite:///app.db`
        // stays relative, `sqlite:////srv/app.db` absolute).
        let range = sqlite_path_range(url);
        let file = Path::new(sqlite_path(url)).with_file_name(format!("{name}.db"));
        format!(
            "{}{}{}",
            url.get(..range.start).unwrap_or(""),
            file.display(),
            url.get(range.end..).unwrap_or("")
        )
    }

    fn databases<'a>(&'a self, url: &'a str, dir: &'a Path) -> DbFuture<'a, Vec<(String, String)>> {
        Box::pin(async move {
            let file = sqlite_file(url, dir);
            let folder = file.parent().unwrap_or(Path::new("."));
            let Ok(entries) = std::fs::read_dir(folder) else {
                return Ok(Vec::new());
            };
            Ok(entries
                .flatten()
                .filter_map(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let stem = name.strip_suffix(".db")?.to_string();
                    Some((name, stem))
                })
                .collect())
        })
    }

    fn copy_database<'a>(
        &'a self,
        url: &'a str,
        _name: &'a str,
        copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(async move {
            let target = sqlite_file(copy_url, dir);
            remove_sqlite_files(&target);
            Database::connect(url, dir)
                .await?
                .execute_once(
                    "VACUUM INTO ?",
                    &[Param::Text(target.to_string_lossy().into_owned())],
                )
                .await
        })
    }

    fn drop_database<'a>(
        &'a self,
        _url: &'a str,
        _name: &'a str,
        copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(async move {
            remove_sqlite_files(&sqlite_file(copy_url, dir));
            Ok(())
        })
    }

    fn recreate_database<'a>(
        &'a self,
        _server: &'a Database,
        _name: &'a str,
        target: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(async move {
            remove_sqlite_files(&sqlite_file(target, dir));
            Ok(())
        })
    }

    fn lock<'a>(&'a self, url: &'a str, dir: &'a Path) -> DbFuture<'a, Box<dyn HeldLock>> {
        Box::pin(async move {
            let file = sqlite_file(url, dir);
            if file.as_os_str() == ":memory:" {
                return Ok(Box::new(NoLock) as Box<dyn HeldLock>);
            }
            match lock_file(&file) {
                Ok(Some((path, lock))) => Ok(Box::new(FileLock(path, lock)) as Box<dyn HeldLock>),
                // Where no file can be made, no database can be opened
                // either: the connection says why.
                Ok(None) => Ok(Box::new(NoLock) as Box<dyn HeldLock>),
                Err(holder) => Err(refused(url, &holder)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Field {
        Field::Literal(text.to_string())
    }

    #[test]
    fn only_a_workers_copy_is_restored_without_waiting_for_the_disk() {
        let own = Sqlite.restore_session(false, false);
        assert_eq!(own.before, Some("PRAGMA foreign_keys = OFF"));
        let copy = Sqlite.restore_session(false, true);
        assert!(
            copy.before
                .is_some_and(|s| s.contains("PRAGMA synchronous = OFF")),
            "{:?}",
            copy.before
        );
        assert_eq!(copy.after, own.after);
    }

    #[test]
    fn sqlite_literals_keep_their_storage_class() {
        assert_eq!(sqlite_param(&literal("NULL")).unwrap(), Param::Null);
        assert_eq!(sqlite_param(&literal("-42")).unwrap(), Param::Int(-42));
        assert_eq!(
            sqlite_param(&literal("3.00000000000000044408e-01")).unwrap(),
            Param::Float(0.1 + 0.2)
        );
        assert_eq!(
            sqlite_param(&literal("1.00000000000000022204e+00")).unwrap(),
            Param::Float(1.000_000_000_000_000_2)
        );
        assert_eq!(
            sqlite_param(&literal("Inf")).unwrap(),
            Param::Float(f64::INFINITY)
        );
        assert_eq!(
            sqlite_param(&literal("-9.0e+999")).unwrap(),
            Param::Float(f64::NEG_INFINITY)
        );
        assert_eq!(
            sqlite_param(&literal("1.79769313486231570815e+308")).unwrap(),
            Param::Float(f64::MAX)
        );
        assert_eq!(
            sqlite_param(&literal("'it''s'")).unwrap(),
            Param::Text("it's".to_string())
        );
        assert_eq!(
            sqlite_param(&literal("X'00FF'")).unwrap(),
            Param::Blob(vec![0, 255])
        );
        assert!(sqlite_param(&literal("X'0'")).is_err());
        assert!(sqlite_param(&literal("what")).is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(Sqlite.quote("a\"b"), "\"a\"\"b\"");
    }
}
