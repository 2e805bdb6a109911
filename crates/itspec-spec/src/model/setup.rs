//! Setup of a case (FORMAT §5.3).

use serde::Serialize;

use super::fixture::{Column, Fixture};
use super::mock::MockOverride;
use crate::source::{Span, Spanned};

/// `**Setup:**`: Python fixtures and setup lines.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Setup {
    /// Python payload fixtures (variables) and entity fixtures (rows for this case).
    pub fixtures: Vec<Fixture>,
    /// Setup lines, in order.
    pub lines: Vec<SetupLine>,
}

/// One setup line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetupLine {
    /// What it does.
    pub kind: SetupLineKind,
    /// Where it is.
    pub span: Span,
}

/// The setup line forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SetupLineKind {
    /// `row TABLE: col = V, col = V`: a row for this case only.
    Row {
        /// The table.
        table: Spanned<String>,
        /// Its columns.
        columns: Vec<Column>,
    },
    /// `sql "UPDATE …"`: a statement run before the request.
    Sql {
        /// The statement.
        statement: Spanned<String>,
    },
    /// `fixture NAME` (or a bare name): use that Data Fixture.
    Fixture {
        /// The fixture.
        name: Spanned<String>,
    },
    /// `mock NAME METHOD PATH -> …`: override a mock route for this case.
    Mock {
        /// The mock.
        mock: Spanned<String>,
        /// The method, uppercase, or `*`.
        method: Spanned<String>,
        /// The path.
        path: Spanned<String>,
        /// What the route answers instead.
        answer: MockOverride,
    },
    /// `mail -> CODE ["TEXT"]`: the SMTP server answers the case's
    /// e-mails with this code instead of 250.
    Mail {
        /// The reply code, 400 to 599.
        code: Spanned<u16>,
        /// The reply's text.
        text: Option<Spanned<String>>,
    },
    /// A line that is none of the above; it does not run. Kept so a run
    /// can show it under its case as unverified.
    Prose {
        /// The line as written (without enclosing backticks).
        text: String,
        /// What `check` found nearest to a setup form: where the line
        /// stopped reading as one, or the fix it suggested.
        hint: Option<String>,
    },
}
