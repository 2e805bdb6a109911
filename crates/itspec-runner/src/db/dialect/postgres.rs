//! PostgreSQL's dialect: `"quoted"` names and `$n` placeholders; a row's
//! lossless text is the row's own (`r::text`), hashed by the server
//! (`hashtextextended`) for checksums and for reading only the rows that
//! changed (by `ctid`); recorded rows are written back whole, cast to the
//! table's row type; introspection through `pg_catalog` and
//! `information_schema`; sequences (`setval`, `ALTER SEQUENCE … RESTART`);
//! triggers disabled by name (or by `session_replication_role` as
//! superuser) and rules; restores with constraints deferred or off.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use sqlx::{ConnectOptions as _, Connection as _, Executor as _, Statement as _};

use serde_json::{Map, Value};

use super::{
    ChecksumQuery, DbFuture, Dialect, FixtureInsert, HeldLock, Introspection, Lexer,
    RestoreSession, RowPlaces, SequenceSource,
};
use crate::db::copies::{database_name, server_database_name, server_databases};
use crate::db::lock::{cannot_connect, cannot_lock, refused, who};
use crate::db::provision::server_url_with_database;

/// PostgreSQL's SQLSTATE for an object in use: a database copied as a
/// template while another session is connected to it.
const OBJECT_IN_USE: &str = "55006";
use crate::db::record::{self, Field};
use crate::db::rows::Row;
use crate::db::schema::{Column, Table};
use crate::db::sql::rewrite_placeholders;
use crate::db::statements::{NewValue, Statement, column_list};
use crate::db::triggers::Trigger;
use crate::db::{Database, DbError, Param, Pool, driver_url, url_with_database};
use crate::vars::to_text;

/// PostgreSQL.
pub(crate) struct Postgres;

/// The run lock's key: a 64-bit hash of `itspec:` and the database's
/// name, computed by the server.
const PG_KEY: &str = "hashtextextended('itspec:' || $1, 0)";

/// A session advisory lock, on a connection of its own.
struct AdvisoryLock(sqlx::PgConnection, String);

impl HeldLock for AdvisoryLock {
    fn release(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let AdvisoryLock(mut connection, name) = *self;
        Box::pin(async move {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT pg_advisory_unlock({PG_KEY})"
            )))
            .bind(&name)
            .execute(&mut connection)
            .await;
            let _ = connection.close().await;
        })
    }
}

/// Takes the advisory lock keyed by the database's name, on a connection
/// to the server's own database (the lock must not keep the database
/// from being copied) named after who holds it.
async fn advisory_lock(url: &str) -> Result<Box<dyn HeldLock>, DbError> {
    let options: sqlx::postgres::PgConnectOptions = driver_url(url)
        .parse()
        .map_err(|e| cannot_connect(url, e))?;
    let name = options.get_database().unwrap_or_default().to_string();
    let options = options.application_name(&who());
    // The server's own database first: the lock must not keep
    // the database from being copied.
    let mut connection = None;
    for maintenance in ["postgres", "template1"] {
        if let Ok(c) = options.clone().database(maintenance).connect().await {
            connection = Some(c);
            break;
        }
    }
    let mut connection = match connection {
        Some(c) => c,
        None => options
            .connect()
            .await
            .map_err(|e| cannot_connect(url, e))?,
    };
    let got: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT pg_try_advisory_lock({PG_KEY})"
    )))
    .bind(&name)
    .fetch_one(&mut connection)
    .await
    .map_err(|e| cannot_lock(url, e))?;
    if !got {
        let holder = pg_holder(&mut connection, &name).await;
        let _ = connection.close().await;
        return Err(refused(url, &holder));
    }
    Ok(Box::new(AdvisoryLock(connection, name)))
}

/// The holder's application name, address, start and server process.
type PgHolder = (Option<String>, Option<String>, Option<String>, i32);

async fn pg_holder(connection: &mut sqlx::PgConnection, name: &str) -> String {
    let found: Option<PgHolder> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH k AS (SELECT {PG_KEY} AS key) \
             SELECT a.application_name, a.client_addr::text, a.backend_start::text, a.pid \
             FROM k, pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
               (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid \
               AND l.objsubid = 1 \
             LIMIT 1"
        )))
        .bind(name)
    .fetch_optional(&mut *connection)
    .await
    .ok()
    .flatten();
    match found {
        Some((name, address, since, pid)) => format!(
            "{}; server process {pid}, connected from {} at {}",
            name.filter(|n| !n.is_empty())
                .unwrap_or_else(|| "a session".to_string()),
            address.unwrap_or_else(|| "a local socket".to_string()),
            since.unwrap_or_default()
        ),
        None => "a session that has just ended or cannot be seen".to_string(),
    }
}

/// For PostgreSQL, which types parameters strictly: every value goes as
/// text, cast in the SQL to the type the server infers for its place.
async fn typed_statement(
    db: &Database,
    sql: String,
    values: Vec<Value>,
) -> Result<Statement, DbError> {
    let pool = match &db.pool {
        Pool::Postgres(pool) => pool,
        Pool::Sqlite(_) | Pool::MySql(_) => {
            return Err(DbError::new("not a PostgreSQL database".to_string()));
        }
    };
    let params: Vec<Param> = values
        .iter()
        .map(|v| {
            if v.is_null() {
                Param::Null
            } else {
                Param::Text(to_text(v))
            }
        })
        .collect();
    if values.is_empty() {
        return Ok((sql, params));
    }
    let describe = pool
        .prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(
            sql.clone(),
        )))
        .await?;
    let types: Vec<String> = match describe.parameters() {
        Some(sqlx::Either::Left(types)) => types
            .iter()
            .map(|t| sqlx::TypeInfo::name(t).to_string())
            .collect(),
        _ => Vec::new(),
    };
    let sql = rewrite_placeholders(&sql, |n| {
        let type_name = types.get(n.checked_sub(1)?)?;
        let safe = type_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']' | ' '));
        (safe && !type_name.eq_ignore_ascii_case("text"))
            .then(|| format!("CAST(${n}::text AS {type_name})"))
    });
    Ok((sql, params))
}

/// How long PostgreSQL is given for other sessions to leave the base.
const TEMPLATE_RETRIES: u32 = 25;

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

/// Copies the base as `name` with `CREATE DATABASE … TEMPLATE`, while
/// nothing is connected to it.
async fn copy_postgres(url: &str, name: &str, dir: &Path) -> Result<(), DbError> {
    let d = &Postgres;
    let base = database_name(url)?;
    let server = maintenance(url, dir).await?;
    let quoted = d.quote(name);
    let mut result = server
        .execute(
            &format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"),
            &[],
        )
        .await
        .map(|_| ());
    if result.is_ok() {
        let create = format!("CREATE DATABASE {quoted} TEMPLATE {}", d.quote(&base));
        for attempt in 0..=TEMPLATE_RETRIES {
            result = server.execute(&create, &[]).await.map(|_| ());
            match &result {
                Err(e) if e.code() == Some(OBJECT_IN_USE) && attempt < TEMPLATE_RETRIES => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                _ => break,
            }
        }
    }
    server.close().await;
    result.map_err(|e| {
        if e.code() == Some(OBJECT_IN_USE) {
            DbError::new(format!(
                "{e} (PostgreSQL copies a database only while nothing is connected to it: close the other sessions on `{base}`)"
            ))
        } else {
            e
        }
    })
}

/// The table's row type, schema-qualified (a table named `text` must not
/// be read as the built-in type).
fn row_type(d: &Postgres, table: &Table) -> String {
    match &table.schema {
        Some(schema) => format!("{}.{}", d.quote(schema), d.quote(&table.name)),
        None => d.quote(&table.name),
    }
}

/// The recorded row as a relation of the table's columns.
fn pg_record(d: &Postgres, table: &Table) -> String {
    format!("(SELECT ($1::text::{}).*)", row_type(d, table))
}

/// The key columns' match: `cur.k = rec.k AND …`.
fn key_matches(d: &Postgres, table: &Table) -> String {
    let matches: Vec<String> = table
        .primary_key
        .iter()
        .map(|k| format!("cur.{0} = rec.{0}", d.quote(k)))
        .collect();
    matches.join(" AND ")
}

/// Whether a trigger fires: as superuser the restore runs as a replica
/// (`ENABLE REPLICA` and `ENABLE ALWAYS` triggers fire), else as an origin
/// (ordinary and `ENABLE ALWAYS` triggers fire).
fn fires(trigger: &Trigger, replica: bool) -> bool {
    match trigger.mode.as_str() {
        "A" => true,
        "R" => replica,
        "O" => !replica,
        _ => false,
    }
}

/// The fields of PostgreSQL's row text: `(1,abc,"a b",,"say ""hi""")`;
/// an empty field is NULL, `""` is the empty text.
fn postgres_fields(text: &str) -> Result<Vec<Field>, DbError> {
    let malformed = || DbError::new(format!("`{text}` is not a row's text"));
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(malformed)?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        let mut value = String::new();
        let mut quoted = false;
        let mut any = false;
        let mut more = false;
        loop {
            match chars.next() {
                None => break,
                Some(',') if !quoted => {
                    more = true;
                    break;
                }
                Some('"') if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    value.push('"');
                }
                Some('"') => {
                    quoted = !quoted;
                    any = true;
                }
                Some('\\') => value.push(chars.next().ok_or_else(malformed)?),
                Some(c) => {
                    any = true;
                    value.push(c);
                }
            }
        }
        if quoted {
            return Err(malformed());
        }
        fields.push(if any {
            Field::Literal(value)
        } else {
            Field::Null
        });
        if !more {
            return Ok(fields);
        }
    }
}

/// The hash of a row read through `alias`: one expression for the
/// checksum and the per-row hashes, which must agree.
fn row_hash(alias: &str) -> String {
    format!("hashtextextended({alias}::text, 0)")
}

/// The checksum of the rows read through `alias`: their count and the
/// exact sum of their hashes (`sum` of `bigint` is a `numeric`).
fn checksum(alias: &str) -> String {
    format!(
        "count(*)::text || ':' || coalesce(sum({}), 0)::text",
        row_hash(alias)
    )
}

/// A sequence's value, or NULL when it was never used.
fn sequence_value(i: usize, name: &str) -> String {
    format!("SELECT '{i}', CASE WHEN is_called THEN last_value::text END FROM {name}")
}

impl Dialect for Postgres {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn scheme(&self) -> &'static str {
        "postgres"
    }

    fn server_address(&self, url: &str) -> Result<Option<(String, u16)>, sqlx::Error> {
        let options: sqlx::postgres::PgConnectOptions = driver_url(url).parse()?;
        if options.get_socket().is_some() || options.get_host().starts_with('/') {
            return Ok(None);
        }
        Ok(Some((options.get_host().to_string(), options.get_port())))
    }

    fn lexer(&self) -> Lexer {
        Lexer::Postgres
    }

    fn quote(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn row_text(&self, _table: &Table, alias: &str) -> String {
        format!("{alias}::text")
    }

    fn row_fields(&self, text: &str) -> Result<Vec<Field>, DbError> {
        postgres_fields(text)
    }

    fn row_id(&self, _table: &Table) -> Option<&'static str> {
        None
    }

    fn display_field(&self, column: &Column, field: &Field) -> Value {
        record::display_text(column, field, Some("t"))
    }

    fn row_hash(&self, alias: &str) -> Option<String> {
        Some(row_hash(alias))
    }

    fn sum_hashes(&self, hashes: &mut dyn Iterator<Item = u64>) -> Option<String> {
        // As signed integers, exactly.
        let mut count = 0u64;
        let mut sum = 0i128;
        for hash in hashes {
            sum += i128::from(hash.cast_signed());
            count += 1;
        }
        Some(format!("{count}:{sum}"))
    }

    fn checksum_query(&self, tables: &[&Table]) -> ChecksumQuery {
        let parts: Vec<String> = tables
            .iter()
            .enumerate()
            .map(|(i, table)| {
                let alias = record::alias(table);
                format!(
                    "SELECT '{i}' AS i, {} FROM {} {alias}",
                    checksum(&alias),
                    self.quote(&table.name)
                )
            })
            .collect();
        ChecksumQuery::Indexed(parts.join(" UNION ALL "))
    }

    fn row_places(&self, table: &Table, alias: &str) -> Option<RowPlaces> {
        // A partition's rows have ctids of their own: its oid too.
        let place = if table.partitioned {
            format!("{alias}.tableoid::text || ':' || {alias}.ctid::text")
        } else {
            format!("{alias}.ctid::text")
        };
        let filter = if table.partitioned {
            format!(" WHERE ({place}) = ANY($1::text[])")
        } else {
            format!(" WHERE {alias}.ctid = ANY($1::text::tid[])")
        };
        Some(RowPlaces { place, filter })
    }

    fn insert_row(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        let name = self.quote(&table.name);
        let list = column_list(self, table.writable().map(|c| c.name.as_str()));
        Ok((
            format!(
                "INSERT INTO {name} ({list}) OVERRIDING SYSTEM VALUE SELECT {list} FROM {} AS rec",
                pg_record(self, table)
            ),
            vec![Param::Text(row.text.clone())],
        ))
    }

    fn update_row(&self, table: &Table, row: &Row) -> Result<Option<Statement>, DbError> {
        let name = self.quote(&table.name);
        let set: Vec<&Column> = table
            .writable()
            .filter(|c| !table.primary_key.contains(&c.name))
            .collect();
        if set.is_empty() || table.primary_key.is_empty() {
            return Ok(None);
        }
        let assignments = set
            .iter()
            .map(|c| format!("{0} = rec.{0}", self.quote(&c.name)))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Some((
            format!(
                "UPDATE {name} AS cur SET {assignments} FROM {} AS rec WHERE {}",
                pg_record(self, table),
                key_matches(self, table)
            ),
            vec![Param::Text(row.text.clone())],
        )))
    }

    fn update_column(
        &self,
        table: &Table,
        row: &Row,
        column: &Column,
        value: &NewValue,
    ) -> Result<Statement, DbError> {
        let c = self.quote(&column.name);
        let mut params = vec![Param::Text(row.text.clone())];
        let set = match value {
            NewValue::PlusOne => format!("cur.{c} + 1"),
            NewValue::Negated => format!("NOT cur.{c}"),
            NewValue::Text(text) => {
                params.push(Param::Text(text.clone()));
                // Through text, to whatever text type the column has.
                format!("$2::text::{}", column.data_type)
            }
            NewValue::DayLater => format!("cur.{c} + interval '1 day'"),
            NewValue::HourLater => format!("cur.{c} + interval '1 hour'"),
            NewValue::Null => "NULL".to_string(),
        };
        Ok((
            format!(
                "UPDATE {} AS cur SET {c} = {set} FROM {} AS rec WHERE {}",
                self.quote(&table.name),
                pg_record(self, table),
                key_matches(self, table)
            ),
            params,
        ))
    }

    fn delete_by_key(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        let name = self.quote(&table.name);
        Ok((
            format!(
                "DELETE FROM {name} AS cur USING {} AS rec WHERE {}",
                pg_record(self, table),
                key_matches(self, table)
            ),
            vec![Param::Text(row.text.clone())],
        ))
    }

    fn delete_exact(&self, table: &Table, row: &Row) -> Result<Statement, DbError> {
        let name = self.quote(&table.name);
        // A partition's rows have ctids of their own: its oid too.
        let alias = record::alias(table);
        Ok((
            format!(
                "DELETE FROM {name} WHERE (tableoid, ctid) = \
                 (SELECT {alias}.tableoid, {alias}.ctid FROM {name} {alias} WHERE {alias}::text = $1 LIMIT 1)"
            ),
            vec![Param::Text(row.text.clone())],
        ))
    }

    fn json_object(&self, _table: &Table, alias: &str, _prefix: &str) -> (String, Vec<Param>) {
        (format!("row_to_json({alias})::text"), Vec::new())
    }

    fn fixture_value(&self, column: &Column, value: &Value) -> Value {
        match value {
            Value::Number(n) if column.is_bool() => Value::Bool(n.as_i64().unwrap_or(0) != 0),
            _ => value.clone(),
        }
    }

    fn fixture_insert(
        &self,
        table: &Table,
        given: &[(&Column, Value)],
    ) -> Result<FixtureInsert, DbError> {
        // The whole row read with `jsonb_populate_record`.
        let name = self.quote(&table.name);
        let list = column_list(self, given.iter().map(|(c, _)| c.name.as_str()));
        let object: Map<String, Value> = given
            .iter()
            .map(|(c, v)| (c.name.clone(), v.clone()))
            .collect();
        let (columns_sql, select_sql) = if given.is_empty() {
            (String::new(), "DEFAULT VALUES".to_string())
        } else {
            (
                format!(" ({list})"),
                format!(
                    "OVERRIDING SYSTEM VALUE SELECT {list} FROM jsonb_populate_record(NULL::{}, $1::jsonb)",
                    row_type(self, table)
                ),
            )
        };
        let alias = record::alias(table);
        let sql = format!(
            "INSERT INTO {name} AS {alias}{columns_sql} {select_sql} RETURNING row_to_json({alias})::text"
        );
        let params = if given.is_empty() {
            Vec::new()
        } else {
            vec![Param::Text(Value::Object(object).to_string())]
        };
        Ok(FixtureInsert::Returning((sql, params)))
    }

    fn bind_values<'a>(
        &'a self,
        db: &'a Database,
        sql: String,
        values: Vec<Value>,
    ) -> DbFuture<'a, Statement> {
        Box::pin(typed_statement(db, sql, values))
    }

    fn first_row_as_json(&self, sql: &str) -> Option<String> {
        Some(format!(
            "SELECT row_to_json(q.*)::text FROM ({sql}) AS q LIMIT 1"
        ))
    }

    fn introspection(&self) -> Introspection {
        Introspection {
            tables: "SELECT c.relname::text, (c.relkind = 'p')::text, n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
            columns: "SELECT table_name::text, column_name::text, \
                    CASE WHEN data_type = 'USER-DEFINED' OR data_type = 'ARRAY' THEN udt_name::text ELSE data_type::text END, \
                    is_generated::text, \
                    CASE WHEN is_identity = 'YES' OR coalesce(column_default, '') LIKE 'nextval(%' THEN 'YES' ELSE 'NO' END \
             FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
            keys: "SELECT tc.table_name::text, kcu.column_name::text FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name \
               AND tc.table_schema = kcu.table_schema AND tc.table_name = kcu.table_name \
             WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() \
             ORDER BY tc.table_name, kcu.ordinal_position",
            references: "SELECT cl.relname::text, ref.relname::text FROM pg_constraint co \
             JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_class ref ON ref.oid = co.confrelid \
             JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE co.contype = 'f' AND n.nspname = current_schema()",
            schema_qualified: true,
            // Every sequence of the current schema, as (qualified, quoted
            // name; the table whose column owns it — serial, identity — or
            // takes its next value by default, else empty). A sequence the
            // service calls by name, owned by no column, is put back too.
            sequences: Some(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(seq.relname), coalesce( \
               (SELECT tbl.relname::text FROM pg_depend d JOIN pg_class tbl ON tbl.oid = d.refobjid \
                WHERE d.objid = seq.oid AND d.classid = 'pg_class'::regclass \
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1), \
               (SELECT tbl.relname::text FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid \
                JOIN pg_class tbl ON tbl.oid = ad.adrelid \
                WHERE d.refobjid = seq.oid AND d.classid = 'pg_attrdef'::regclass LIMIT 1), '') \
             FROM pg_class seq JOIN pg_namespace n ON n.oid = seq.relnamespace \
             WHERE seq.relkind = 'S' AND n.nspname = current_schema() ORDER BY 1",
            ),
        }
    }

    fn sequence_source(&self) -> SequenceSource {
        SequenceSource::Named(sequence_value)
    }

    fn reset_sequence(&self, name: &str, _table: &str, value: Option<String>) -> Vec<Statement> {
        match value {
            Some(value) => vec![(
                "SELECT setval($1::regclass, $2::bigint, true)".to_string(),
                vec![Param::Text(name.to_string()), Param::Text(value)],
            )],
            // Never used before: back to its start.
            None => vec![(format!("ALTER SEQUENCE {name} RESTART"), Vec::new())],
        }
    }

    fn triggers_query(&self) -> &'static str {
        "SELECT c.relname::text, t.tgname::text, t.tgenabled::text, pg_has_role(c.relowner, 'USAGE')::text, '' \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT t.tgisinternal AND n.nspname = current_schema() ORDER BY 1, 2"
    }

    fn rules_query(&self) -> Option<&'static str> {
        Some(
            "SELECT count(*)::text FROM pg_rules WHERE schemaname = current_schema() AND rulename <> '_RETURN'",
        )
    }

    fn may_write_elsewhere(&self, _any_trigger: bool, rules: bool, superuser: bool) -> bool {
        // Rules rewrite writes; without superuser, cascades act and the
        // triggers of tables the role does not own fire.
        rules || !superuser
    }

    fn fires_during_restore(&self, trigger: &Trigger, superuser: bool) -> bool {
        !superuser && !trigger.owned && fires(trigger, false)
    }

    fn trigger_guard(
        &self,
        trigger: &Trigger,
        superuser: bool,
        _drop: bool,
    ) -> Option<(String, String)> {
        if !(fires(trigger, superuser) && (superuser || trigger.owned)) {
            return None;
        }
        let table = self.quote(&trigger.table);
        let name = self.quote(&trigger.name);
        let mode = match trigger.mode.as_str() {
            "A" => "ALWAYS ",
            "R" => "REPLICA ",
            _ => "",
        };
        Some((
            format!("ALTER TABLE {table} DISABLE TRIGGER {name}"),
            format!("ALTER TABLE {table} ENABLE {mode}TRIGGER {name}"),
        ))
    }

    fn drops_triggers(&self) -> bool {
        false
    }

    fn live_foreign_keys(&self, superuser: bool) -> bool {
        !superuser
    }

    fn restore_session(&self, superuser: bool, disposable: bool) -> RestoreSession {
        // As superuser, ordinary triggers and foreign keys are off: the
        // rows go back exactly as they were.
        let relax = if superuser {
            "SET LOCAL session_replication_role = replica"
        } else {
            "SET CONSTRAINTS ALL DEFERRED"
        };
        // A service's transaction left open must not hold the restore
        // forever: it fails, and the rows stay saved.
        let mut first = vec![relax, "SET LOCAL lock_timeout = '30s'"];
        if disposable {
            // A worker's copy: the commit need not wait for the disk.
            first.push("SET LOCAL synchronous_commit = off");
        }
        RestoreSession {
            before: None,
            first,
            after: None,
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
            "SELECT datname::text FROM pg_database",
        ))
    }

    fn copy_database<'a>(
        &'a self,
        url: &'a str,
        name: &'a str,
        _copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(copy_postgres(url, name, dir))
    }

    fn drop_database<'a>(
        &'a self,
        url: &'a str,
        name: &'a str,
        _copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()> {
        Box::pin(async move {
            maintenance(url, dir)
                .await?
                .execute_once(
                    &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.quote(name)),
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
            // Connections left open do not keep it alive; a server without
            // `FORCE` (before PostgreSQL 13) drops it as it can.
            let forced = server
                .execute(
                    &format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"),
                    &[],
                )
                .await
                .is_ok();
            if !forced {
                server
                    .execute(&format!("DROP DATABASE IF EXISTS {quoted}"), &[])
                    .await?;
            }
            server
                .execute(&format!("CREATE DATABASE {quoted}"), &[])
                .await
                .map(|_| ())
        })
    }

    fn lock<'a>(&'a self, url: &'a str, _dir: &'a Path) -> DbFuture<'a, Box<dyn HeldLock>> {
        Box::pin(advisory_lock(url))
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
        for superuser in [false, true] {
            let own = Postgres.restore_session(superuser, false);
            assert!(
                !own.first.iter().any(|s| s.contains("synchronous_commit")),
                "the user's own database: {:?}",
                own.first
            );
            let copy = Postgres.restore_session(superuser, true);
            assert!(
                copy.first.contains(&"SET LOCAL synchronous_commit = off"),
                "{:?}",
                copy.first
            );
        }
    }

    #[test]
    fn postgres_row_texts_split_into_fields() {
        assert_eq!(
            postgres_fields(r#"(1,abc,"a b",,"say ""hi""","back\\slash","")"#).unwrap(),
            vec![
                literal("1"),
                literal("abc"),
                literal("a b"),
                Field::Null,
                literal("say \"hi\""),
                literal("back\\slash"),
                literal(""),
            ]
        );
        assert_eq!(
            postgres_fields("(,)").unwrap(),
            vec![Field::Null, Field::Null]
        );
        assert_eq!(postgres_fields("()").unwrap(), Vec::<Field>::new());
        assert_eq!(
            postgres_fields(r#"("[0:1]={1,2}","{""a"":1, ""a"":2 }")"#).unwrap(),
            vec![literal("[0:1]={1,2}"), literal(r#"{"a":1, "a":2 }"#)]
        );
        assert!(postgres_fields("1,2").is_err());
        assert!(postgres_fields(r#"("open)"#).is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(Postgres.quote("order"), "\"order\"");
    }
}
