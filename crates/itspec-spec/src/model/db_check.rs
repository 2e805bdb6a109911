//! Database State Verification checks (FORMAT §7).

use serde::Serialize;

use super::assertion::CmpOp;
use super::value::Value;
use crate::source::{Span, Spanned};

/// `def assert_x(db_session, expected):` in the check shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DbCheck {
    /// Its name, called from assertions.
    pub name: Spanned<String>,
    /// The name of its argument (`expected`).
    pub param: Spanned<String>,
    /// The docstring.
    pub doc: Option<String>,
    /// Its statements, in order.
    pub steps: Vec<DbCheckStep>,
    /// The definition.
    pub span: Span,
}

/// One statement of a check.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum DbCheckStep {
    /// `result = db_session.query(E).filter_by(…).first()`.
    Query {
        /// The local name bound to the row.
        var: String,
        /// The entity class.
        entity: Spanned<String>,
        /// The filters.
        filters: Vec<DbCheckFilter>,
        /// The statement.
        span: Span,
    },
    /// `assert result is None` / `assert result is not None`.
    AssertFound {
        /// The local name.
        var: String,
        /// `is not None`: a row must have been found.
        found: bool,
        /// The statement.
        span: Span,
    },
    /// `assert result.col == expected["k"]`.
    AssertColumn {
        /// The local name.
        var: String,
        /// The column.
        column: Spanned<String>,
        /// The comparison.
        op: CmpOp,
        /// The value compared with.
        value: DbCheckValue,
        /// The statement.
        span: Span,
    },
    /// `assert result.col is True` (`is False`, `is None`, `is not …`),
    /// `assert result.col`, `assert not result.col`: Python's identity and
    /// truth tests on a column.
    AssertTruth {
        /// The local name.
        var: String,
        /// The column.
        column: Spanned<String>,
        /// The test.
        test: Truth,
        /// The statement.
        span: Span,
    },
    /// A statement `check` reported as not executable. A spec with one
    /// does not run; were it run, the check fails here rather than pass
    /// without it.
    Unreadable {
        /// The statement.
        span: Span,
    },
    /// `assert db_session.query(E).filter_by(…).count() == N`.
    AssertCount {
        /// The entity class.
        entity: Spanned<String>,
        /// The filters.
        filters: Vec<DbCheckFilter>,
        /// The comparison.
        op: CmpOp,
        /// The count compared with.
        value: DbCheckValue,
        /// The statement.
        span: Span,
    },
}

/// `col=value` in `filter_by(…)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DbCheckFilter {
    /// The column.
    pub column: Spanned<String>,
    /// The value.
    pub value: DbCheckValue,
}

/// A value in a check: a literal, or a key of the argument.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum DbCheckValue {
    /// A Python literal.
    Literal(Value),
    /// `expected["k"]["j"]`: the keys into the argument.
    Argument(Spanned<Vec<String>>),
}

/// A Python identity or truth test of a column's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// `is True`.
    IsTrue,
    /// `is not True`.
    IsNotTrue,
    /// `is False`.
    IsFalse,
    /// `is not False`.
    IsNotFalse,
    /// `is None`.
    IsNone,
    /// `is not None`.
    IsNotNone,
    /// `assert result.col`: the value is truthy.
    Truthy,
    /// `assert not result.col`: the value is falsy.
    Falsy,
}

impl Truth {
    /// How the test reads after the column: `is True`, `is truthy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truth::IsTrue => "is True",
            Truth::IsNotTrue => "is not True",
            Truth::IsFalse => "is False",
            Truth::IsNotFalse => "is not False",
            Truth::IsNone => "is None",
            Truth::IsNotNone => "is not None",
            Truth::Truthy => "is truthy",
            Truth::Falsy => "is falsy",
        }
    }
}
