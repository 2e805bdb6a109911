//! MySQL's and MariaDB's dialect: `` `quoted` `` names and `?`
//! placeholders; a row's lossless text is each column as text
//! (`CAST(… AS CHAR)`, `FLOAT` widened to `DOUBLE` first; bytes, `BIT` and
//! spatial values as `HEX`, written back with `UNHEX`) as a JSON array,
//! rows matched with `<=>` and compared in that form (`utf8mb4_bin`);
//! rows hashed here and checksums the server's own (`CHECKSUM TABLE`);
//! introspection through `information_schema`; `AUTO_INCREMENT`
//! counters; triggers that cannot be switched off; foreign key checks off
//! around a restore; fixtures read back by `LAST_INSERT_ID()`.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use sqlx::{ConnectOptions as _, Connection as _};

use serde_json::Value;

use super::{
    ChecksumQuery, DbFuture, Dialect, FixtureInsert, HeldLock, Introspection, Lexer,
    RestoreSession, RowPlaces, SequenceSource,
};
use crate::db::copies::{database_name, server_database_name, server_databases};
use crate::db::lock::{cannot_connect, cannot_lock, refused};
use crate::db::provision::server_url_with_database;
use crate::db::record::{self, Field};
use crate::db::rows::Row;
use crate::db::schema::{Column, Table};
use crate::db::sql;
use crate::db::statements::{
    NewValue, Statement, delete_key_fields, fields_of, insert_fields, update_column_fields,
    update_fields,
};
use crate::db::triggers::Trigger;
use crate::db::write::fixture_param;
use crate::db::{Database, DbError, Param, Pool, driver_url};

/// MySQL or MariaDB.
pub(crate) struct MySql;

/// A `GET_LOCK` lock, on a connection of its own.
struct NamedLock(sqlx::MySqlConnection);

impl HeldLock for NamedLock {
    fn release(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let NamedLock(connection) = *self;
        Box::pin(async move {
            // Closing the connection releases its locks.
            let _ = connection.close().await;
        })
    }
}

/// Takes `GET_LOCK` named after the database.
async fn named_lock(url: &str) -> Result<Box<dyn HeldLock>, DbError> {
    let options: sqlx::mysql::MySqlConnectOptions = driver_url(url)
        .parse()
        .map_err(|e| cannot_connect(url, e))?;
    let mut connection = options
        .connect()
        .await
        .map_err(|e| cannot_connect(url, e))?;
    let name: String =
        sqlx::query_scalar("SELECT LEFT(CONCAT('itspec:', COALESCE(DATABASE(), '')), 64)")
            .fetch_one(&mut connection)
            .await
            .map_err(|e| cannot_lock(url, e))?;
    let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
        .bind(&name)
        .fetch_one(&mut connection)
        .await
        .map_err(|e| cannot_lock(url, e))?;
    if got != Some(1) {
        let holder = mysql_holder(&mut connection, &name).await;
        let _ = connection.close().await;
        return Err(refused(url, &holder));
    }
    Ok(Box::new(NamedLock(connection)))
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

/// How a key column is matched: also when it is NULL.
const KEY_OPERATOR: &str = "<=>";

/// How MySQL renders a column as exact text.
fn mysql_text(d: &MySql, column: &Column, alias: &str) -> String {
    let name = format!("{alias}.{}", d.quote(&column.name));
    if mysql_hex(column) {
        format!("HEX({name})")
    } else if column.data_type.starts_with("float") {
        format!("CAST(CAST({name} AS DOUBLE) AS CHAR CHARACTER SET utf8mb4)")
    } else {
        format!("CAST({name} AS CHAR CHARACTER SET utf8mb4)")
    }
}

/// Whether a MySQL column is read as hex: bytes, bits, spatial values.
fn mysql_hex(column: &Column) -> bool {
    const SPATIAL: [&str; 8] = [
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
    ];
    let base = column
        .data_type
        .split(['(', ' '])
        .next()
        .unwrap_or_default();
    column.binary || base == "bit" || SPATIAL.contains(&base)
}

/// The SQL that is true when `column` of the row read through `alias`
/// holds exactly the value of a field: compared in the lossless form, so
/// that no conversion or collation can match another value.
fn same_field(d: &MySql, column: &Column, alias: &str) -> String {
    if mysql_hex(column) {
        format!("{} <=> ?", mysql_text(d, column, alias))
    } else {
        format!("{} COLLATE utf8mb4_bin <=> ?", mysql_text(d, column, alias))
    }
}

/// The placeholder and parameter that write a field back into `column`:
/// its text, bytes through `UNHEX`.
fn field_param(column: &Column, field: &Field) -> Result<(String, Param), DbError> {
    Ok(match field {
        Field::Null => ("?".to_string(), Param::Null),
        Field::Literal(text) if mysql_hex(column) => {
            ("UNHEX(?)".to_string(), Param::Text(text.clone()))
        }
        Field::Literal(text) => ("?".to_string(), Param::Text(text.clone())),
    })
}

/// A fixture's number, written as it was read, so no digit is lost.
fn fixture_number(_number: &serde_json::Number, text: &str) -> Param {
    Param::Text(text.to_string())
}

/// The placeholders and parameters of fixture values.
fn bound_values(given: &[(&Column, Value)]) -> (Vec<String>, Vec<Param>) {
    given
        .iter()
        .map(|(column, value)| fixture_param(column, value, fixture_number, "UNHEX"))
        .unzip()
}

/// Inserts fixture values (fitted) into `table` and reads the row back
/// as stored: the generated key by `LAST_INSERT_ID()` on the insert's
/// connection, then the row by its key.
pub(crate) async fn insert_fixture(
    db: &Database,
    table: &Table,
    given: &[(&Column, Value)],
) -> Result<Value, DbError> {
    use sqlx::Row as _;
    let d = &MySql;
    let pool = match &db.pool {
        Pool::MySql(pool) => pool,
        Pool::Sqlite(_) | Pool::Postgres(_) => {
            return Err(DbError::new("not a MySQL database".to_string()));
        }
    };
    let name = d.quote(&table.name);
    let list = db.column_list(given.iter().map(|(c, _)| c.name.as_str()));
    let (placeholders, params) = bound_values(given);
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO {name} ({list}) VALUES ({})",
        placeholders.join(", ")
    ));
    let mut connection = pool.acquire().await?;
    crate::db::bind_all!(sqlx::query(sql), &params)
        .execute(&mut *connection)
        .await?;
    let mut key: HashMap<String, Value> = given
        .iter()
        .map(|(c, v)| (c.name.clone(), v.clone()))
        .collect();
    if let Some(auto) = table
        .columns
        .iter()
        .find(|c| c.auto && !key.contains_key(&c.name))
    {
        let id: u64 = sqlx::query("SELECT LAST_INSERT_ID()")
            .fetch_one(&mut *connection)
            .await?
            .try_get(0)?;
        key.insert(auto.name.clone(), Value::from(id));
    }
    drop(connection);
    if table.primary_key.is_empty() || !table.primary_key.iter().all(|k| key.contains_key(k)) {
        return Ok(Value::Object(
            given
                .iter()
                .map(|(c, v)| (c.name.clone(), v.clone()))
                .collect(),
        ));
    }
    let (expression, mut select_params) = d.json_object(table, "t", "t.");
    let matches: Vec<String> = table
        .primary_key
        .iter()
        .map(|k| format!("t.{} = ?", d.quote(k)))
        .collect();
    for k in &table.primary_key {
        let value = key.get(k).cloned().unwrap_or(Value::Null);
        let column = table.column(k).cloned().unwrap_or(Column {
            name: k.clone(),
            data_type: String::new(),
            generated: false,
            auto: false,
            json: false,
            binary: false,
        });
        select_params.push(fixture_param(&column, &value, fixture_number, "UNHEX").1);
    }
    let sql = format!(
        "SELECT {expression} FROM {name} t WHERE {} LIMIT 1",
        matches.join(" AND ")
    );
    let raw = db
        .fetch_first(&sql, &select_params)
        .await?
        .unwrap_or_default();
    serde_json::from_str(&raw)
        .map_err(|e| DbError::new(format!("the inserted row is not JSON: {e}")))
}

/// Copies the base as `name`: a database with each table's definition
/// and rows.
async fn copy_mysql(url: &str, name: &str, dir: &Path) -> Result<(), DbError> {
    let base = Database::connect(url, dir).await?;
    let copied = copy_mysql_tables(&base, &database_name(url)?, name).await;
    base.close().await;
    copied
}

/// On one connection: foreign key checks off while tables are created
/// and filled in any order.
async fn copy_mysql_tables(base: &Database, from: &str, to: &str) -> Result<(), DbError> {
    let d = &MySql;
    let pool = match &base.pool {
        Pool::MySql(pool) => pool,
        Pool::Sqlite(_) | Pool::Postgres(_) => {
            return Err(DbError::new("not a MySQL database".to_string()));
        }
    };
    let mut connection = pool.acquire().await?;
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    let (from_q, to_q) = (d.quote(from), d.quote(to));
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
            let table_q = d.quote(&table);
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
                    &[Param::Text(table.clone())],
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

/// The tables' `AUTO_INCREMENT` counters, on one connection: (table,
/// value), unsigned.
fn read_counters(db: &Database) -> DbFuture<'_, Vec<(String, Option<u64>)>> {
    Box::pin(async move {
        let pool = match &db.pool {
            Pool::MySql(pool) => pool,
            Pool::Sqlite(_) | Pool::Postgres(_) => return Ok(Vec::new()),
        };
        let mut connection = pool.acquire().await?;
        // MySQL 8 caches these figures unless told not to; MariaDB has no
        // such setting.
        let _ = sqlx::query("SET SESSION information_schema_stats_expiry = 0")
            .execute(&mut *connection)
            .await;
        let rows: Vec<(String, Option<u64>)> = sqlx::query_as(
            "SELECT table_name, CAST(auto_increment AS UNSIGNED) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND auto_increment IS NOT NULL",
        )
        .fetch_all(&mut *connection)
        .await?;
        Ok(rows)
    })
}

impl Dialect for MySql {
    fn engine(&self) -> &'static str {
        "mysql"
    }

    fn scheme(&self) -> &'static str {
        "mysql"
    }

    fn server_address(&self, url: &str) -> Result<Option<(String, u16)>, sqlx::Error> {
        let options: sqlx::mysql::MySqlConnectOptions = driver_url(url).parse()?;
        if options.get_socket().is_some() {
            return Ok(None);
        }
        Ok(Some((options.get_host().to_string(), options.get_port())))
    }

    fn lexer(&self) -> Lexer {
        Lexer::MySql
    }

    fn quote(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }

    fn placeholder(&self, _n: usize) -> String {
        "?".to_string()
    }

    fn row_text(&self, table: &Table, alias: &str) -> String {
        let parts: Vec<String> = table
            .columns
            .iter()
            .map(|c| mysql_text(self, c, alias))
            .collect();
        format!("JSON_ARRAY({})", parts.join(", "))
    }

    fn row_fields(&self, text: &str) -> Result<Vec<Field>, DbError> {
        record::json_array_fields(text)
    }

    fn row_id(&self, _table: &Table) -> Option<&'static str> {
        None
    }

    fn display_field(&self, column: &Column, field: &Field) -> Value {
        record::display_text(column, field, None)
    }

    fn row_hash(&self, _alias: &str) -> Option<String> {
        None
    }

    fn sum_hashes(&self, _hashes: &mut dyn Iterator<Item = u64>) -> Option<String> {
        // The checksum is the server's own.
        None
    }

    fn checksum_query(&self, tables: &[&Table]) -> ChecksumQuery {
        // One row per table, in the order asked: `database.table` (either
        // may hold dots), checksum.
        let names: Vec<String> = tables.iter().map(|t| self.quote(&t.name)).collect();
        ChecksumQuery::InOrder(format!("CHECKSUM TABLE {}", names.join(", ")))
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
                    format!("ADDTIME({c}, '01:00:00')")
                } else {
                    format!("{c} + INTERVAL 1 DAY")
                }
            },
        )
    }

    fn delete_by_key(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        delete_key_fields(self, field_param, KEY_OPERATOR, " LIMIT 1", table, row)
    }

    fn delete_exact(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        // Every column compared in its lossless form.
        let name = self.quote(&table.name);
        let fields = self.row_fields(&row.text)?;
        let columns: Vec<&Column> = table.columns.iter().collect();
        let fields = fields_of(table, &fields, &columns)?;
        let matches: Vec<String> = columns.iter().map(|c| same_field(self, c, &name)).collect();
        let params = fields.into_iter().map(record::field_param).collect();
        Ok((
            format!("DELETE FROM {name} WHERE {} LIMIT 1", matches.join(" AND ")),
            params,
        ))
    }

    fn json_object(&self, table: &Table, _alias: &str, prefix: &str) -> (String, Vec<Param>) {
        // Column names are bound; JSON stays JSON, bytes become hex.
        let mut params = Vec::with_capacity(table.columns.len());
        let parts: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                params.push(Param::Text(c.name.clone()));
                let column = format!("{prefix}{}", self.quote(&c.name));
                if c.json {
                    format!("?, JSON_EXTRACT({column}, '$')")
                } else if c.binary {
                    format!("?, HEX({column})")
                } else if c.data_type.starts_with("bit") {
                    format!("?, CAST({column} AS UNSIGNED)")
                } else {
                    format!("?, {column}")
                }
            })
            .collect();
        (format!("JSON_OBJECT({})", parts.join(", ")), params)
    }

    fn fixture_value(&self, column: &Column, value: &Value) -> Value {
        // Date-times from RFC 3339.
        match value {
            Value::String(s) if column.is_datetime() => {
                match chrono::DateTime::parse_from_rfc3339(s) {
                    Ok(at) => Value::String(
                        at.with_timezone(&chrono::Utc)
                            .format("%Y-%m-%d %H:%M:%S%.6f")
                            .to_string(),
                    ),
                    Err(_) => value.clone(),
                }
            }
            _ => value.clone(),
        }
    }

    fn fixture_insert(
        &self,
        _table: &Table,
        _given: &[(&Column, Value)],
    ) -> Result<FixtureInsert, DbError> {
        Ok(FixtureInsert::ThenReadByKey)
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
            tables: "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
            columns: "SELECT c.table_name, c.column_name, c.column_type, \
                    CASE WHEN c.extra LIKE '%GENERATED%' THEN 'ALWAYS' ELSE 'NEVER' END, \
                    CASE WHEN c.extra LIKE '%auto_increment%' THEN 'YES' ELSE 'NO' END, \
                    CASE WHEN c.data_type = 'json' OR EXISTS (SELECT 1 FROM information_schema.check_constraints k \
                        WHERE k.constraint_schema = c.table_schema AND k.table_name = c.table_name \
                          AND k.check_clause LIKE CONCAT('%json_valid(`', c.column_name, '`)%')) THEN 'json' ELSE '' END \
             FROM information_schema.columns c WHERE c.table_schema = DATABASE() ORDER BY c.table_name, c.ordinal_position",
            keys: "SELECT table_name, column_name FROM information_schema.key_column_usage \
             WHERE table_schema = DATABASE() AND constraint_name = 'PRIMARY' ORDER BY table_name, ordinal_position",
            references: "SELECT table_name, referenced_table_name FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()",
            schema_qualified: false,
            sequences: None,
        }
    }

    fn sequence_source(&self) -> SequenceSource {
        SequenceSource::Counters(read_counters)
    }

    fn reset_sequence(&self, _name: &str, table: &str, value: Option<String>) -> Vec<Statement> {
        // InnoDB takes the larger of this and the highest key + 1.
        let next = value.unwrap_or_else(|| "1".to_string());
        if next.chars().all(|c| c.is_ascii_digit()) {
            vec![(
                format!("ALTER TABLE {} AUTO_INCREMENT = {next}", self.quote(table)),
                Vec::new(),
            )]
        } else {
            Vec::new()
        }
    }

    fn triggers_query(&self) -> &'static str {
        "SELECT event_object_table, trigger_name, '', '', '' FROM information_schema.triggers \
         WHERE trigger_schema = DATABASE() ORDER BY 1, 2"
    }

    fn rules_query(&self) -> Option<&'static str> {
        None
    }

    fn may_write_elsewhere(&self, any_trigger: bool, _rules: bool, _superuser: bool) -> bool {
        any_trigger
    }

    fn fires_during_restore(&self, _trigger: &Trigger, _superuser: bool) -> bool {
        // Triggers cannot be switched off, nor changed inside a transaction.
        true
    }

    fn trigger_guard(
        &self,
        _trigger: &Trigger,
        _superuser: bool,
        _drop: bool,
    ) -> Option<(String, String)> {
        None
    }

    fn drops_triggers(&self) -> bool {
        false
    }

    fn live_foreign_keys(&self, _superuser: bool) -> bool {
        false
    }

    fn restore_session(&self, _superuser: bool, _disposable: bool) -> RestoreSession {
        // A connection's setting, which works only outside a transaction.
        RestoreSession {
            before: Some("SET FOREIGN_KEY_CHECKS = 0"),
            first: Vec::new(),
            after: Some("SET FOREIGN_KEY_CHECKS = 1"),
        }
    }

    fn database_name(&self, url: &str) -> String {
        server_database_name(url)
    }

    fn url_with_database(&self, url: &str, name: &str) -> String {
        server_url_with_database(url, name)
    }

    fn databases<'a>(&'a self, url: &'a str, dir: &'a Path) -> DbFuture<'a, Vec<(String, String)>> {
        Box::pin(server_databases(
            url,
            dir,
            "SELECT schema_name FROM information_schema.schemata",
        ))
    }

    fn copy_database<'a>(
        &'a self,
        url: &'a str,
        name: &'a str,
        _copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(copy_mysql(url, name, dir))
    }

    fn drop_database<'a>(
        &'a self,
        url: &'a str,
        name: &'a str,
        _copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(async move {
            Database::connect(url, dir)
                .await?
                .execute_once(
                    &format!("DROP DATABASE IF EXISTS {}", self.quote(name)),
                    &[],
                )
                .await
        })
    }

    fn recreate_database<'a>(
        &'a self,
        server: &'a Database,
        name: &'a str,
        _target: &'a str,
        _dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(async move {
            let quoted = self.quote(name);
            server
                .execute(&format!("DROP DATABASE IF EXISTS {quoted}"), &[])
                .await?;
            server
                .execute(&format!("CREATE DATABASE {quoted}"), &[])
                .await
                .map(|_| ())
        })
    }

    fn lock<'a>(&'a self, url: &'a str, _dir: &'a Path) -> DbFuture<'a, Box<dyn HeldLock>> {
        Box::pin(named_lock(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(MySql.quote("user"), "`user`");
        assert_eq!(MySql.quote("a`b"), "`a``b`");
    }
}
