//! The template's Python shapes → model fixtures, mocks and checks.
//!
//! This module owns the reader: it tokenizes and parses a block, reports
//! syntax errors and constructs outside the subset, and hands each
//! `def` to the reader of its section — [`fixtures`] (Setup and Data
//! Fixtures), [`mocks`] (Mocks) or [`checks`] (Database State
//! Verification). [`literals`] turns the values they hold into model values.

mod checks;
mod fixtures;
mod literals;
mod mocks;
#[cfg(test)]
mod testing;

use super::ast::{Expr, ExprKind, Param, Stmt, StmtKind};
use super::lexer::tokenize;
use super::parser::parse_module;
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::CodeBlock;
use crate::model::{DbCheck, Fixture, Mock};
use crate::parse::context::Cx;
use crate::parse::located::Located;
use crate::source::{Span, Spanned};

/// Where a Python block stands, which decides the shapes it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// A case's `**Setup:**`: payload fixtures and rows for the case.
    Setup,
    /// `## Data Fixtures`: entity fixtures (and payload fixtures).
    DataFixtures,
    /// `## Mocks`: `mocker.patch` fixtures.
    Mocks,
    /// `## Database State Verification`: checks.
    Checks,
}

impl Section {
    fn native_form(self) -> &'static str {
        match self {
            Section::Setup => {
                "use setup lines instead, like `- row inventory: sku = \"SKU-1\", stock = 5` or `- sql \"UPDATE inventory SET stock = 0\"`"
            }
            Section::DataFixtures => {
                "write the rows as a YAML block instead:\n```yaml\ninventory:\n  - { sku: SKU-1, stock: 5 }\n```"
            }
            Section::Mocks => {
                "write the mock as a YAML block instead:\n```yaml\npayments:\n  - when: POST /charges\n    then: { status: 201, body: { id: ch_1 } }\n```"
            }
            Section::Checks => {
                "write the check as assertion lines instead, like `row reservations where sku = \"SKU-1\" has status = \"confirmed\"` or `rows reservations where sku = \"SKU-1\" count == 1`"
            }
        }
    }
}

/// What a Python block defines.
#[derive(Debug, Default)]
pub(crate) struct PythonItems {
    pub fixtures: Vec<Fixture>,
    pub mocks: Vec<Mock>,
    pub checks: Vec<DbCheck>,
}

/// Reads a Python block of a section.
pub(crate) fn read_block(cx: &mut Cx<'_>, block: &CodeBlock, section: Section) -> PythonItems {
    let located = Located::block(&block.content);
    let mut reader = Reader {
        cx,
        located,
        section,
        items: PythonItems::default(),
    };
    let tokens = match tokenize(located.text) {
        Ok(tokens) => tokens,
        Err(error) => {
            reader.syntax(error.start, error.end, &error.message);
            return reader.items;
        }
    };
    let (statements, errors) = parse_module(tokens);
    for error in &errors {
        if error.too_deep {
            let span = reader.span(error.start, error.end);
            reader.cx.push(crate::limits::too_deep(
                span,
                "this Python code",
                "write the value flatter, or as a YAML or JSON block",
            ));
        } else {
            reader.syntax(error.start, error.end, &error.message);
        }
    }
    for statement in &statements {
        reader.top_level(statement);
    }
    reader.items
}

struct Reader<'c, 's, 't> {
    cx: &'c mut Cx<'s>,
    located: Located<'t>,
    section: Section,
    items: PythonItems,
}

/// A construct outside the subset: what it is and where, and any others
/// found in the same value.
struct Unsupported {
    what: String,
    start: usize,
    end: usize,
    more: Vec<(String, usize, usize)>,
}

impl Unsupported {
    fn new(what: impl Into<String>, start: usize, end: usize) -> Self {
        Self {
            what: what.into(),
            start,
            end,
            more: Vec::new(),
        }
    }

    /// Each construct: the first, then the others.
    fn each(self) -> Vec<(String, usize, usize)> {
        let mut all = vec![(self.what, self.start, self.end)];
        all.extend(self.more);
        all
    }
}

/// The problems of the parts of a list or dict, so each is reported.
#[derive(Default)]
struct Errors(Option<Unsupported>);

impl Errors {
    fn keep<T>(&mut self, result: Result<T, Unsupported>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                match &mut self.0 {
                    Some(first) => first.more.extend(error.each()),
                    None => self.0 = Some(error),
                }
                None
            }
        }
    }

    fn into_result(self) -> Result<(), Unsupported> {
        self.0.map_or(Ok(()), Err)
    }
}

fn unsupported<T>(what: impl Into<String>, expr: &Expr) -> Result<T, Unsupported> {
    Err(Unsupported::new(what.into(), expr.start, expr.end))
}

impl Reader<'_, '_, '_> {
    fn span(&self, start: usize, end: usize) -> Span {
        self.located.span(self.cx.source, start, end)
    }

    fn syntax(&mut self, start: usize, end: usize, message: &str) {
        let span = self.span(start, end);
        self.cx.push(
            Diagnostic::error(
                Code::PythonSyntax,
                span,
                format!("Python syntax error: {message}"),
            )
            .with_help(self.section.native_form()),
        );
    }

    fn unsupported(&mut self, what: &str, start: usize, end: usize) {
        let span = self.span(start, end);
        self.cx.push(
            Diagnostic::error(
                Code::UnsupportedPython,
                span,
                format!("unsupported Python: {what}"),
            )
            .with_label("itspec reads only the template's Python shapes")
            .with_help(self.section.native_form()),
        );
    }

    fn report(&mut self, error: Unsupported) {
        for (what, start, end) in error.each() {
            self.unsupported(&what, start, end);
        }
    }

    fn top_level(&mut self, statement: &Stmt) {
        match &statement.kind {
            StmtKind::Import | StmtKind::Pass => {}
            StmtKind::Expr(Expr {
                kind: ExprKind::Str { .. },
                ..
            }) => {}
            StmtKind::Def { .. } => self.def(statement),
            StmtKind::Unsupported(what) => self.unsupported(what, statement.start, statement.end),
            _ => self.unsupported(
                &format!("{} outside a function", describe_statement(statement)),
                statement.start,
                statement.end,
            ),
        }
    }

    fn def(&mut self, statement: &Stmt) {
        let StmtKind::Def {
            decorators,
            name,
            name_start,
            name_end,
            params,
            body,
        } = &statement.kind
        else {
            return;
        };
        for decorator in decorators {
            let target = match &decorator.kind {
                ExprKind::Call { func, .. } => func.dotted(),
                _ => decorator.dotted(),
            };
            if !matches!(target.as_deref(), Some("pytest.fixture" | "fixture")) {
                self.unsupported(
                    &format!(
                        "the decorator `@{}`",
                        target.unwrap_or_else(|| "…".to_string())
                    ),
                    decorator.start,
                    decorator.end,
                );
            }
        }
        if let Some(param) = params.iter().find(|p| p.unusual) {
            self.unsupported(
                "a parameter with a default value or `*`",
                param.start,
                param.end,
            );
            return;
        }
        let (doc, body) = split_docstring(body);
        let def = Def {
            statement,
            name: Spanned::new(name.clone(), self.span(*name_start, *name_end)),
            doc,
            params,
            body,
            span: self.span(statement.start, statement.end),
        };
        match self.section {
            Section::Checks => self.check_def(def),
            Section::Mocks => self.mock_def(def),
            Section::Setup | Section::DataFixtures => self.fixture_def(def),
        }
    }

    fn wrong_place(&mut self, statement: &Stmt, what: &str, section: &str) {
        let span = self.span(statement.start, statement.end);
        self.cx.push(
            Diagnostic::error(
                Code::UnsupportedPython,
                span,
                format!("unsupported Python: {what} in this section"),
            )
            .with_help(format!("move it to {section}")),
        );
    }
}

/// A `def` whose decorators and parameters are in the subset, handed to
/// the reader of its section.
struct Def<'a> {
    statement: &'a Stmt,
    name: Spanned<String>,
    doc: Option<String>,
    params: &'a [Param],
    body: &'a [Stmt],
    span: Span,
}

impl<'a> Def<'a> {
    /// The parameters' names, which decide the fixture's shape.
    fn param_names(&self) -> Vec<&'a str> {
        self.params.iter().map(|p| p.name.as_str()).collect()
    }
}

/// The names the template gives the database session parameter.
fn is_session(param: Option<&str>) -> bool {
    matches!(param, Some("db_session" | "session" | "db"))
}

fn split_docstring(body: &[Stmt]) -> (Option<String>, &[Stmt]) {
    match body.split_first() {
        Some((
            Stmt {
                kind:
                    StmtKind::Expr(Expr {
                        kind: ExprKind::Str { value, .. },
                        ..
                    }),
                ..
            },
            rest,
        )) => (Some(value.trim().to_string()), rest),
        _ => (None, body),
    }
}

fn describe_statement(statement: &Stmt) -> String {
    match &statement.kind {
        StmtKind::Def { .. } => "a nested function".to_string(),
        StmtKind::Return(_) => "a `return`".to_string(),
        StmtKind::Yield(_) => "a `yield`".to_string(),
        StmtKind::Assert(_) => "an `assert`".to_string(),
        StmtKind::Assign { .. } => "an assignment".to_string(),
        StmtKind::Expr(expr) => describe_expr(expr),
        StmtKind::Pass => "`pass`".to_string(),
        StmtKind::Import => "an import".to_string(),
        StmtKind::Unsupported(what) => (*what).to_string(),
    }
}

fn describe_expr(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Call { func, .. } => format!(
            "the call `{}(…)`",
            func.dotted().unwrap_or_else(|| "…".to_string())
        ),
        ExprKind::Name(name) => format!("the name `{name}`"),
        ExprKind::Attr { .. } => format!(
            "the attribute `{}`",
            expr.dotted().unwrap_or_else(|| "…".to_string())
        ),
        ExprKind::Subscript { .. } => "a subscript".to_string(),
        ExprKind::Compare { .. } => "a comparison".to_string(),
        ExprKind::Binary { op, .. } => format!("an expression with `{op}`"),
        ExprKind::Unary { op, .. } => format!("an expression with `{op}`"),
        ExprKind::Unsupported(what) => (*what).to_string(),
        _ => "a literal".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::Section;
    use super::testing::read;
    use crate::diagnostic::Code;

    const SECTIONS: [Section; 4] = [
        Section::Setup,
        Section::DataFixtures,
        Section::Mocks,
        Section::Checks,
    ];

    #[test]
    fn skips_imports_pass_and_docstrings() {
        for section in SECTIONS {
            read(
                section,
                "\"\"\"Module doc.\"\"\"\nimport pytest\nfrom shop.models import Inventory\npass\n",
            )
            .assert_reads(&[]);
        }
    }

    #[test]
    fn hands_each_def_to_its_section() {
        let table = [
            (Section::Setup, "def p():\n    return 1", "p: payload 1"),
            (
                Section::DataFixtures,
                "def f(db_session):\n    db_session.add(E(a=1))",
                "f: rows E(a=1)",
            ),
            (
                Section::Mocks,
                "def m(mocker):\n    return mocker.patch(\"a\")",
                "m: patch a -> null",
            ),
            (
                Section::Checks,
                "def assert_x(db_session, expected):\n    assert db_session.query(E).count() == 1",
                "assert_x(expected): count E[] == 1",
            ),
        ];
        for (section, python, expected) in table {
            read(section, python).assert_reads(&[expected]);
            for decorator in [
                "@pytest.fixture",
                "@pytest.fixture(scope=\"function\")",
                "@fixture",
            ] {
                read(section, &format!("{decorator}\n{python}")).assert_reads(&[expected]);
            }
        }
    }

    #[test]
    fn refuses_what_is_not_a_fixture_definition() {
        /// The Python; each error's (what, text pointed at); the items read.
        type Case = (
            &'static str,
            &'static [(&'static str, &'static str)],
            &'static [&'static str],
        );
        let table: &[Case] = &[
            (
                "x = 1",
                &[("an assignment outside a function", "x = 1")],
                &[],
            ),
            (
                "assert True",
                &[("an `assert` outside a function", "assert True")],
                &[],
            ),
            (
                "print(1)",
                &[("the call `print(…)` outside a function", "print(1)")],
                &[],
            ),
            ("if x:\n    pass", &[("an `if` statement", "if x:")], &[]),
            (
                "class Foo:\n    pass",
                &[("a class definition", "class Foo:")],
                &[],
            ),
            // The function is still read.
            (
                "@app.route(\"/x\")\ndef p():\n    return 1",
                &[("the decorator `@app.route`", "app.route(\"/x\")")],
                &["p: payload 1"],
            ),
            (
                "def p(x=1):\n    return 1",
                &[("a parameter with a default value or `*`", "x")],
                &[],
            ),
            (
                "def p(*args):\n    return 1",
                &[("a parameter with a default value or `*`", "args")],
                &[],
            ),
        ];
        for (python, expected, items) in table {
            read(Section::Setup, python).assert_unsupported(expected, items);
        }
    }

    #[test]
    fn a_mock_belongs_in_mocks() {
        let python = "def payments(mocker):\n    return mocker.patch(\"a\")";
        for section in [Section::Setup, Section::DataFixtures, Section::Checks] {
            let read = read(section, python);
            read.assert_unsupported(&[("a mock in this section", python)], &[]);
            assert_eq!(
                read.diagnostics[0].help.as_deref(),
                Some("move it to ## Mocks")
            );
        }
    }

    #[test]
    fn syntax_errors() {
        let table = [
            (
                "def p(:\n    return 1",
                "Python syntax error: expected a parameter name",
                ":",
            ),
            (
                "x = \"open",
                "Python syntax error: this string is never closed on its line",
                "\"",
            ),
            (
                "def p():\nreturn 1",
                "Python syntax error: expected an indented block",
                "return",
            ),
        ];
        for (python, message, at) in table {
            read(Section::Setup, python).assert_refuses(&[(Code::PythonSyntax, message, at)], &[]);
        }
    }

    #[test]
    fn too_deep() {
        let python = format!("def p():\n    return {}1{}", "[".repeat(40), "]".repeat(40));
        let read = read(Section::Setup, &python);
        assert_eq!(
            read.diagnostics().first(),
            Some(&(
                Code::TooComplex,
                "this Python code nests deeper than 32 levels, the most itspec reads",
                "[",
            )),
        );
        assert!(read.shown().is_empty());
    }

    #[test]
    fn help_shows_the_native_form_of_the_section() {
        let table = [
            (Section::Setup, "use setup lines instead"),
            (
                Section::DataFixtures,
                "write the rows as a YAML block instead",
            ),
            (Section::Mocks, "write the mock as a YAML block instead"),
            (
                Section::Checks,
                "write the check as assertion lines instead",
            ),
        ];
        for (section, help) in table {
            for python in ["x = 1", "def p(:"] {
                let read = read(section, python);
                let found = read.diagnostics[0].help.as_deref().unwrap_or_default();
                assert!(found.starts_with(help), "{section:?} {python}: {found}");
            }
        }
    }
}
