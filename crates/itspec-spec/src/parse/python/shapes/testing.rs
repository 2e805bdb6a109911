//! Test helpers for the shape readers: read a Python block of a section,
//! and show what was read in one compact line per item, so the tables of
//! the tests compare whole model values.
//!
//! The compact form: a value as JSON, except an unquoted variable is
//! `{{name}}`; a row `Entity(col=value, …)`; a check argument
//! `arg["key"]`; a query `var = Entity[col=value, …]`.

use super::{PythonItems, Section, read_block};
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::{Block, parse_blocks};
use crate::model::{
    DbCheck, DbCheckFilter, DbCheckStep, DbCheckValue, Fixture, FixtureKind, FixtureSource, Mock,
    MockKind, Row, Value, ValueKind,
};
use crate::parse::context::Cx;
use crate::source::{Source, Span};

/// What a block read to: its items and diagnostics, with the block's
/// Markdown text to show what the spans cover.
pub(super) struct Read {
    pub text: String,
    pub items: PythonItems,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `python` as the only code block of a `section`.
pub(super) fn read(section: Section, python: &str) -> Read {
    let text = format!("```python\n{python}\n```\n");
    let source = Source::new(&text);
    let blocks = parse_blocks(&source);
    let mut cx = Cx::new(&source);
    let Some(Block::Code(code)) = blocks.first() else {
        panic!("no code block in {text:?}");
    };
    let items = read_block(&mut cx, code, section);
    let diagnostics = cx.diagnostics;
    Read {
        text,
        items,
        diagnostics,
    }
}

impl Read {
    /// The text a span covers.
    pub fn at(&self, span: Span) -> &str {
        &self.text[span.range()]
    }

    /// Each diagnostic: its code, message and the text it points at.
    pub fn diagnostics(&self) -> Vec<(Code, &str, &str)> {
        self.diagnostics
            .iter()
            .map(|d| (d.code, d.message.as_str(), self.at(d.span)))
            .collect()
    }

    /// Every item read, compactly: fixtures, then mocks, then checks.
    pub fn shown(&self) -> Vec<String> {
        let items = &self.items;
        let fixtures = items.fixtures.iter().map(fixture);
        let mocks = items.mocks.iter().map(mock);
        let checks = items.checks.iter().map(check);
        fixtures.chain(mocks).chain(checks).collect()
    }

    /// Asserts the block read without diagnostics to exactly `expected`.
    pub fn assert_reads(&self, expected: &[&str]) {
        assert!(
            self.diagnostics.is_empty(),
            "unexpected diagnostics for {:?}: {:#?}",
            self.text,
            self.diagnostics()
        );
        assert_eq!(self.shown(), expected, "read from {:?}", self.text);
    }

    /// Asserts the block read to exactly `expected` diagnostics (code,
    /// message, text pointed at) and `items`.
    pub fn assert_refuses(&self, expected: &[(Code, &str, &str)], items: &[&str]) {
        assert_eq!(
            self.diagnostics(),
            expected,
            "diagnostics of {:?}",
            self.text
        );
        assert_eq!(self.shown(), items, "read from {:?}", self.text);
    }

    /// [`Read::assert_refuses`] with only `unsupported Python: WHAT`
    /// errors, given as (WHAT, text pointed at).
    pub fn assert_unsupported(&self, expected: &[(&str, &str)], items: &[&str]) {
        let messages: Vec<String> = expected
            .iter()
            .map(|(what, _)| format!("unsupported Python: {what}"))
            .collect();
        let expected: Vec<(Code, &str, &str)> = expected
            .iter()
            .zip(&messages)
            .map(|((_, at), message)| (Code::UnsupportedPython, message.as_str(), *at))
            .collect();
        self.assert_refuses(&expected, items);
    }
}

/// A value: JSON, with `{{name}}` for an unquoted variable.
pub(super) fn value(value: &Value) -> String {
    match &value.kind {
        ValueKind::Null => "null".to_string(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Number(n) => n.to_string(),
        ValueKind::String(s) => serde_json::Value::String(s.clone()).to_string(),
        ValueKind::Array(items) => {
            let items: Vec<String> = items.iter().map(self::value).collect();
            format!("[{}]", items.join(", "))
        }
        ValueKind::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|m| {
                    let key = serde_json::Value::String(m.key.value.clone());
                    format!("{key}: {}", self::value(&m.value))
                })
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        ValueKind::Var(var) => format!("{{{{{}}}}}", var.name),
    }
}

fn row(row: &Row) -> String {
    let entity = row.entity.as_ref().map_or("?", |e| e.as_str());
    let table = row
        .table
        .as_ref()
        .map_or(String::new(), |t| format!(" table {}", t.value));
    let columns: Vec<String> = row
        .columns
        .iter()
        .map(|c| format!("{}={}", c.name.value, value(&c.value)))
        .collect();
    format!("{entity}({}){table}", columns.join(", "))
}

fn doc(doc: Option<&String>) -> String {
    doc.map_or(String::new(), |d| format!(" {d:?}"))
}

/// `name "doc": payload VALUE` or `name "doc": rows ROW; ROW`.
fn fixture(fixture: &Fixture) -> String {
    assert_eq!(fixture.source, FixtureSource::Python);
    let name = fixture.name.as_ref().map_or("?", |n| n.as_str());
    let doc = doc(fixture.doc.as_ref());
    match &fixture.kind {
        FixtureKind::Payload(payload) => format!("{name}{doc}: payload {}", value(payload)),
        FixtureKind::Rows(rows) => {
            let rows: Vec<String> = rows.iter().map(row).collect();
            format!("{name}{doc}: rows {}", rows.join("; "))
        }
        FixtureKind::Sql(sql) => format!("{name}{doc}: sql {}", sql.value),
    }
}

/// `name "doc": patch TARGET -> VALUE`.
fn mock(mock: &Mock) -> String {
    let doc = doc(mock.doc.as_ref());
    match &mock.kind {
        MockKind::Patch {
            target,
            return_value,
        } => format!(
            "{}{doc}: patch {} -> {}",
            mock.name.value,
            target.value,
            value(return_value)
        ),
        MockKind::Routes { routes } => format!("{}{doc}: {} routes", mock.name.value, routes.len()),
    }
}

fn check_value(value: &DbCheckValue) -> String {
    match value {
        DbCheckValue::Literal(literal) => self::value(literal),
        DbCheckValue::Argument(keys) => {
            let keys: String = keys.value.iter().map(|k| format!("[{k:?}]")).collect();
            format!("arg{keys}")
        }
    }
}

fn filters(entity: &str, filters: &[DbCheckFilter]) -> String {
    let filters: Vec<String> = filters
        .iter()
        .map(|f| format!("{}={}", f.column.value, check_value(&f.value)))
        .collect();
    format!("{entity}[{}]", filters.join(", "))
}

fn step(step: &DbCheckStep) -> String {
    match step {
        DbCheckStep::Query {
            var,
            entity,
            filters: f,
            ..
        } => format!("{var} = {}", filters(&entity.value, f)),
        DbCheckStep::AssertFound { var, found, .. } => {
            format!("{var} {}", if *found { "found" } else { "not found" })
        }
        DbCheckStep::AssertColumn {
            var,
            column,
            op,
            value,
            ..
        } => format!(
            "{var}.{} {} {}",
            column.value,
            op.as_str(),
            check_value(value)
        ),
        DbCheckStep::AssertTruth {
            var, column, test, ..
        } => format!("{var}.{} {}", column.value, test.as_str()),
        DbCheckStep::AssertCount {
            entity,
            filters: f,
            op,
            value,
            ..
        } => format!(
            "count {} {} {}",
            filters(&entity.value, f),
            op.as_str(),
            check_value(value)
        ),
        DbCheckStep::Unreadable { .. } => "unreadable".to_string(),
    }
}

/// `name(param) "doc": STEP; STEP`.
fn check(check: &DbCheck) -> String {
    let steps: Vec<String> = check.steps.iter().map(step).collect();
    format!(
        "{}({}){}: {}",
        check.name.value,
        check.param.value,
        doc(check.doc.as_ref()),
        steps.join("; ")
    )
}
