//! Data fixtures (FORMAT §5): rows, payload variables and SQL.

use serde::Serialize;

use super::value::Value;
use crate::source::{Span, Spanned};

/// A fixture from Data Fixtures or a case's Setup.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fixture {
    /// The pytest function name, or the word after a block's language.
    /// Unnamed blocks are used by every case that uses all fixtures.
    pub name: Option<Spanned<String>>,
    /// The docstring.
    pub doc: Option<String>,
    /// What it provides.
    pub kind: FixtureKind,
    /// How it was written.
    pub source: FixtureSource,
    /// The definition.
    pub span: Span,
}

/// What a fixture provides.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum FixtureKind {
    /// A payload fixture: a variable bound to a literal.
    Payload(Value),
    /// Rows to insert before the case and remove after it.
    Rows(Vec<Row>),
    /// SQL statements to run before the case.
    Sql(Spanned<String>),
}

/// The notation a fixture was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixtureSource {
    /// A pytest fixture.
    Python,
    /// A `yaml` block.
    Yaml,
    /// A `json` block.
    Json,
    /// A `sql` block.
    Sql,
}

/// One row to insert.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The Python entity class (`Inventory`), whose table is resolved at run time.
    pub entity: Option<Spanned<String>>,
    /// The table, when written directly (YAML, JSON, setup lines).
    pub table: Option<Spanned<String>>,
    /// The column values, in written order.
    pub columns: Vec<Column>,
    /// The definition.
    pub span: Span,
}

/// `column = value`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Column {
    /// The column name.
    pub name: Spanned<String>,
    /// The value.
    pub value: Value,
}
