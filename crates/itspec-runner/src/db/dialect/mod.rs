//! What each database engine says in SQL, and what it knows: one
//! [`Dialect`] per engine ([`sqlite`], [`postgres`], [`mysql`]). The code
//! that records, restores, reads and writes rows asks the dialect for
//! every engine-specific choice — quoting, placeholders, a row's lossless
//! text, hashes and checksums, introspection, key generators, triggers,
//! the settings of a restore — instead of matching on [`Kind`]. Every
//! method is required: a new engine does not compile until it answers
//! them all. Where an operation needs the driver's typed pool, the
//! dialect's answer says which form it takes and the operation keeps one
//! exhaustive `Pool` match.

pub(crate) mod mysql;
pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use serde_json::Value;

use super::record::Field;
use super::rows::Row;
use super::schema::{Column, Table};
use super::sql::lex::Dialect as Lexer;
use super::statements::{NewValue, Statement};
use super::triggers::Trigger;
use super::{Database, DbError, Kind};

/// An operation on a database server's (or folder's) databases, on
/// connections of its own.
pub(crate) type DbFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DbError>> + Send + 'a>>;

/// A run's lock on its database ([`super::RunLock`]), held until
/// released.
pub(crate) trait HeldLock: Send {
    /// Lets the database go.
    fn release(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// How the checksums of tables are asked for.
pub(crate) enum ChecksumQuery {
    /// One query whose rows are (index of the table, checksum).
    Indexed(String),
    /// One query with one row per table, in the order asked, the checksum
    /// in the second column.
    InOrder(String),
    /// No server checksum: the rows are read and hashed here.
    InProcess,
}

/// Where each row of a table is (PostgreSQL's `ctid`), so that only the
/// rows a record does not hold are read again.
pub(crate) struct RowPlaces {
    /// The expression of a row's place, as text.
    pub place: String,
    /// The condition (with its leading ` WHERE`) that keeps the rows whose
    /// places are in the text-array parameter `$1`.
    pub filter: String,
}

/// How a fixture row is inserted and read back as stored.
pub(crate) enum FixtureInsert {
    /// One statement inserts the row and returns it as JSON text.
    Returning(Statement),
    /// The insert, then the generated key (`LAST_INSERT_ID()`) on the same
    /// connection, then the row read by its key ([`mysql::insert_fixture`]).
    ThenReadByKey,
}

/// The four introspection queries: tables (name, `true` when partitioned
/// or `rowless` for `WITHOUT ROWID`, schema), columns (table, name, type,
/// `ALWAYS` when generated, `YES` when filled by the database, `json`),
/// primary keys (table, column, in order), foreign keys (table, table).
pub(crate) struct Introspection {
    /// Tables.
    pub tables: &'static str,
    /// Columns.
    pub columns: &'static str,
    /// Primary keys.
    pub keys: &'static str,
    /// Foreign keys.
    pub references: &'static str,
    /// Whether the tables' third column is the schema they are in (their
    /// row types are named with it).
    pub schema_qualified: bool,
    /// The query of the schema's sequences, when it has sequences of its
    /// own ([`super::sequences::of_schema`]).
    pub sequences: Option<&'static str>,
}

/// Reads the tables' counters: (table, value).
pub(crate) type ReadCounters = for<'a> fn(&'a Database) -> DbFuture<'a, Vec<(String, Option<u64>)>>;

/// Where the key generators' states are read from.
pub(crate) enum SequenceSource {
    /// The sequences found with the schema, in one `UNION ALL` of
    /// `query(index, name)`, whose rows are (index, value).
    Named(fn(usize, &str) -> String),
    /// The tables' counters, read by the function: (table, value).
    Counters(ReadCounters),
    /// A table of counters that exists once a counter is used: `exists`
    /// answers `1` then; `query`'s rows are (name, table, value).
    Table {
        /// Whether the table exists.
        exists: &'static str,
        /// Rows (name, table, value).
        query: &'static str,
    },
}

/// The settings around a restore's transaction: foreign keys relaxed
/// (and, on PostgreSQL, triggers and a lock timeout).
pub(crate) struct RestoreSession {
    /// Run on the connection before the transaction.
    pub before: Option<&'static str>,
    /// Run first inside the transaction, sent with its `BEGIN` in one
    /// round trip.
    pub first: Vec<&'static str>,
    /// Run on the connection after the transaction, also when it failed.
    pub after: Option<&'static str>,
}

/// What one database engine says in SQL, and what it knows.
pub(crate) trait Dialect: Send + Sync {
    /// Its name in rescue files: `sqlite`, `postgres`, `mysql`.
    fn engine(&self) -> &'static str;
    /// The URL scheme the driver reads: `sqlite`, `postgres`, `mysql`.
    fn scheme(&self) -> &'static str;
    /// The host and port the driver will connect to for `url`, from the
    /// options it will actually use (`None`: a file or a Unix socket, on
    /// this machine).
    fn server_address(&self, url: &str) -> Result<Option<(String, u16)>, sqlx::Error>;
    /// How [`super::sql::lex`] finds the regions of its statements.
    fn lexer(&self) -> Lexer;

    /// Quotes an identifier, inner quotes doubled.
    fn quote(&self, name: &str) -> String;
    /// The `n`th (from 1) parameter placeholder.
    fn placeholder(&self, n: usize) -> String;

    /// The SQL that renders one row of `table` (read through `alias`) as
    /// one lossless text ([`super::record`]).
    fn row_text(&self, table: &Table, alias: &str) -> String;
    /// The columns of a lossless row text, in the table's column order
    /// (SQLite: and the row id last, when recorded).
    fn row_fields(&self, text: &str) -> Result<Vec<Field>, DbError>;
    /// The name under which a table's row id is recorded with its rows,
    /// when it is (SQLite's rowid tables).
    fn row_id(&self, table: &Table) -> Option<&'static str>;
    /// A field of a lossless row as JSON, for reports.
    fn display_field(&self, column: &Column, field: &Field) -> Value;

    /// The server's 64-bit hash of a row read through `alias`, as a
    /// `bigint` (`None`: rows are hashed here, from their text).
    fn row_hash(&self, alias: &str) -> Option<String>;
    /// The checksum of rows with these hashes, as the server computes it
    /// (`None`: only the server computes it).
    fn sum_hashes(&self, hashes: &mut dyn Iterator<Item = u64>) -> Option<String>;
    /// How the checksums of `tables` are asked for.
    fn checksum_query(&self, tables: &[&Table]) -> ChecksumQuery;
    /// Where each row of `table` is, when only changed rows can be read.
    fn row_places(&self, table: &Table, alias: &str) -> Option<RowPlaces>;

    /// INSERT of a recorded row, in its own place.
    fn insert_row(&self, table: &Table, row: &Row) -> Result<Statement, DbError>;
    /// UPDATE of the row with `row`'s key to `row`'s values; `None` when
    /// the table has no key or every column is part of it.
    fn update_row(&self, table: &Table, row: &Row) -> Result<Option<Statement>, DbError>;
    /// UPDATE of one column of the row with `row`'s key to `value`.
    fn update_column(
        &self,
        table: &Table,
        row: &Row,
        column: &Column,
        value: &NewValue,
    ) -> Result<Statement, DbError>;
    /// DELETE of the row with `row`'s key (the table has one).
    fn delete_by_key(&self, table: &Table, row: &Row) -> Result<Statement, DbError>;
    /// DELETE of one row equal to `row` in every column.
    fn delete_exact(&self, table: &Table, row: &Row) -> Result<Statement, DbError>;

    /// The expression that renders a row of `table` as one JSON object
    /// text, and its parameters; columns through `prefix`, the whole row
    /// through `alias` ([`super::values`]).
    fn json_object(&self, table: &Table, alias: &str, prefix: &str) -> (String, Vec<super::Param>);
    /// A fixture value made to fit its column.
    fn fixture_value(&self, column: &Column, value: &Value) -> Value;
    /// How fixture values (`given`, fitted) are inserted into `table`.
    fn fixture_insert(
        &self,
        table: &Table,
        given: &[(&Column, Value)],
    ) -> Result<FixtureInsert, DbError>;

    /// A spec's statement (`sql`, its variables made placeholders) with
    /// their `values` bound: the SQL as it runs, and its parameters.
    fn bind_values<'a>(
        &'a self,
        db: &'a Database,
        sql: String,
        values: Vec<Value>,
    ) -> DbFuture<'a, Statement>;
    /// A spec's query wrapped to return its first row as a JSON object
    /// text (`None`: its first value is read as text).
    fn first_row_as_json(&self, sql: &str) -> Option<String>;

    /// The introspection queries.
    fn introspection(&self) -> Introspection;
    /// Where the key generators are read from.
    fn sequence_source(&self) -> SequenceSource;
    /// The statements that put generator `name` (of `table`) back to
    /// `value` (`None`: never used).
    fn reset_sequence(&self, name: &str, table: &str, value: Option<String>) -> Vec<Statement>;

    /// The triggers: rows (table, name, mode, owned `true`, creating SQL).
    fn triggers_query(&self) -> &'static str;
    /// The count of rules that rewrite writes, where there are such.
    fn rules_query(&self) -> Option<&'static str>;
    /// Whether a restore may change tables it does not write.
    fn may_write_elsewhere(&self, any_trigger: bool, rules: bool, superuser: bool) -> bool;
    /// Whether `trigger` fires while rows are put back.
    fn fires_during_restore(&self, trigger: &Trigger, superuser: bool) -> bool;
    /// The statements that keep `trigger` from firing inside a restore's
    /// transaction, before and after the rows (`drop`: by dropping it).
    fn trigger_guard(
        &self,
        trigger: &Trigger,
        superuser: bool,
        drop: bool,
    ) -> Option<(String, String)>;
    /// Whether a trigger that refuses what is put back can be dropped for
    /// the restore.
    fn drops_triggers(&self) -> bool;

    /// Whether foreign keys stay live during a restore (updates then run
    /// before deletes).
    fn live_foreign_keys(&self, superuser: bool) -> bool;
    /// The settings around a restore's transaction; `disposable`: the
    /// database is a worker's copy ([`super::Database::disposable`]).
    fn restore_session(&self, superuser: bool, disposable: bool) -> RestoreSession;

    /// The database a URL names (SQLite: its file's stem), as written.
    fn database_name(&self, url: &str) -> String;
    /// `url` with its database replaced by `name`, in the form it was
    /// written in.
    fn url_with_database(&self, url: &str, name: &str) -> String;
    /// The databases beside the one `url` names (SQLite: the `.db` files
    /// in its folder), each as (what to call it, its database name).
    fn databases<'a>(&'a self, url: &'a str, dir: &'a Path) -> DbFuture<'a, Vec<(String, String)>>;
    /// Copies the database `url` names (schema and rows) as `name`, whose
    /// URL is `copy_url`. Nothing may be connected to the base.
    fn copy_database<'a>(
        &'a self,
        url: &'a str,
        name: &'a str,
        copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()>;
    /// Drops the database `name` (URL `copy_url`) beside the one `url`
    /// names.
    fn drop_database<'a>(
        &'a self,
        url: &'a str,
        name: &'a str,
        copy_url: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()>;
    /// Takes a run's lock on the database `url` names (relative SQLite
    /// paths against `dir`), or fails at once naming who holds it.
    fn lock<'a>(&'a self, url: &'a str, dir: &'a Path) -> DbFuture<'a, Box<dyn HeldLock>>;
    /// Makes `name` (URL `target`) an empty database beside `server`'s,
    /// dropping one of that name first.
    fn recreate_database<'a>(
        &'a self,
        server: &'a Database,
        name: &'a str,
        target: &'a str,
        dir: &'a Path,
    ) -> DbFuture<'a, ()>;
}

impl Kind {
    /// This engine's dialect.
    pub(crate) fn dialect(self) -> &'static dyn Dialect {
        match self {
            Kind::Sqlite => &sqlite::Sqlite,
            Kind::Postgres => &postgres::Postgres,
            Kind::MySql => &mysql::MySql,
        }
    }
}
