//! The template's Python shapes → model fixtures, mocks and checks.

use std::collections::HashMap;

use super::ast::{CompareOp, Expr, ExprKind, Stmt, StmtKind};
use super::lexer::tokenize;
use super::parser::parse_module;
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::CodeBlock;
use crate::model::{
    CmpOp, Column, DbCheck, DbCheckFilter, DbCheckStep, DbCheckValue, Fixture, FixtureKind,
    FixtureSource, Member, Mock, MockKind, Row, Truth, Value, ValueKind, VarRef,
};
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
        let name = Spanned::new(name.clone(), self.span(*name_start, *name_end));
        let span = self.span(statement.start, statement.end);
        let (doc, body) = split_docstring(body);
        let param_names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        let first = param_names.first().copied();
        let is_session = |p: Option<&str>| matches!(p, Some("db_session" | "session" | "db"));
        match self.section {
            Section::Checks => {
                if first == Some("mocker") {
                    self.wrong_place(statement, "a mock", "## Mocks");
                } else if param_names.len() != 2 || !is_session(first) {
                    self.cx.push(
                        Diagnostic::error(Code::InvalidCheck, name.span, format!("check `{}` must take `(db_session, expected)`", name.value))
                            .with_help("write `def assert_x(db_session, expected):`; call it from an assertion as `assert_x(variable)`"),
                    );
                } else {
                    let param = params.get(1).map_or_else(
                        || Spanned::new("expected".to_string(), name.span),
                        |p| Spanned::new(p.name.clone(), self.span(p.start, p.end)),
                    );
                    let first_param = first.unwrap_or("db_session").to_string();
                    if let Some(steps) = self.check_steps(body, &first_param, &param.value) {
                        self.items.checks.push(DbCheck {
                            name,
                            param,
                            doc,
                            steps,
                            span,
                        });
                    }
                }
            }
            Section::Mocks => {
                if first != Some("mocker") || param_names.len() != 1 {
                    self.cx.push(
                        Diagnostic::error(
                            Code::InvalidMock,
                            name.span,
                            format!("mock `{}` must take `(mocker)`", name.value),
                        )
                        .with_help(self.section.native_form()),
                    );
                } else if let Some(kind) = self.mock(body) {
                    self.items.mocks.push(Mock {
                        name,
                        doc,
                        kind,
                        span,
                    });
                }
            }
            Section::Setup | Section::DataFixtures => {
                if first == Some("mocker") {
                    self.wrong_place(statement, "a mock", "## Mocks");
                } else if is_session(first) {
                    let session = first.unwrap_or("db_session");
                    let deps: Vec<&str> = param_names.iter().skip(1).copied().collect();
                    if let Some(rows) = self.entity_rows(body, session, &deps) {
                        self.items.fixtures.push(Fixture {
                            name: Some(name),
                            doc,
                            kind: FixtureKind::Rows(rows),
                            source: FixtureSource::Python,
                            span,
                        });
                    }
                } else if let Some(value) = self.payload(body, &param_names) {
                    self.items.fixtures.push(Fixture {
                        name: Some(name),
                        doc,
                        kind: FixtureKind::Payload(value),
                        source: FixtureSource::Python,
                        span,
                    });
                }
            }
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

    /// `return {…}` (or `yield`), after simple local assignments.
    fn payload(&mut self, body: &[Stmt], deps: &[&str]) -> Option<Value> {
        let mut locals: HashMap<String, Value> = HashMap::new();
        // Every statement is read, so each problem is reported at once.
        let mut failed = false;
        for statement in body {
            match &statement.kind {
                StmtKind::Assign {
                    target:
                        Expr {
                            kind: ExprKind::Name(local),
                            ..
                        },
                    value,
                } => match self.literal(value, deps, &locals) {
                    Ok(value) => {
                        locals.insert(local.clone(), value);
                    }
                    Err(error) => {
                        self.report(error);
                        failed = true;
                        // Known, so its uses are not reported again.
                        let null = Value::new(ValueKind::Null, self.span(value.start, value.end));
                        locals.insert(local.clone(), null);
                    }
                },
                StmtKind::Return(Some(value)) | StmtKind::Yield(Some(value)) => {
                    return match self.literal(value, deps, &locals) {
                        Ok(value) if !failed => Some(value),
                        Ok(_) => None,
                        Err(error) => {
                            self.report(error);
                            None
                        }
                    };
                }
                StmtKind::Pass => {}
                _ => {
                    self.unsupported(
                        &format!("{} in a payload fixture", describe_statement(statement)),
                        statement.start,
                        statement.end,
                    );
                    failed = true;
                }
            }
        }
        let end = body.last().map_or(0, |s| s.end);
        self.unsupported("a payload fixture without `return`", end, end);
        None
    }

    /// The rows an entity fixture adds, in the order it adds them.
    fn entity_rows(&mut self, body: &[Stmt], session: &str, deps: &[&str]) -> Option<Vec<Row>> {
        let mut built: Vec<(String, Row, bool)> = Vec::new();
        let mut added: Vec<Row> = Vec::new();
        let no_locals = HashMap::new();
        let mut failed = false;
        let mut broken: Vec<String> = Vec::new();
        for statement in body {
            let result: Result<(), Unsupported> = (|| {
                match &statement.kind {
                    StmtKind::Assign {
                        target:
                            Expr {
                                kind: ExprKind::Name(local),
                                ..
                            },
                        value,
                    } => {
                        match self.entity(value, deps, &no_locals) {
                            Ok(row) => built.push((local.clone(), row, false)),
                            Err(error) => {
                                // Its uses are not reported again.
                                broken.push(local.clone());
                                return Err(error);
                            }
                        }
                    }
                    StmtKind::Expr(expr) => {
                        let ExprKind::Call { func, args, kwargs } = &expr.kind else {
                            return unsupported(
                                format!("{} in an entity fixture", describe_expr(expr)),
                                expr,
                            );
                        };
                        let method = func.dotted().unwrap_or_default();
                        let method = method
                            .strip_prefix(session)
                            .and_then(|m| m.strip_prefix('.'));
                        match method {
                            Some("add") => {
                                let [arg] = args.as_slice() else {
                                    return unsupported("`add` with several arguments", expr);
                                };
                                match &arg.kind {
                                    ExprKind::Name(local) if broken.contains(local) => {}
                                    ExprKind::Name(local) => {
                                        mark_added(&mut built, &mut added, local, arg)?;
                                    }
                                    _ => added.push(self.entity(arg, deps, &no_locals)?),
                                }
                            }
                            Some("add_all") => {
                                let Some(Expr {
                                    kind: ExprKind::List(items) | ExprKind::Tuple(items),
                                    ..
                                }) = args.first()
                                else {
                                    return unsupported("`add_all` without a list", expr);
                                };
                                for item in items {
                                    match &item.kind {
                                        ExprKind::Name(local) if broken.contains(local) => {}
                                        ExprKind::Name(local) => {
                                            mark_added(&mut built, &mut added, local, item)?
                                        }
                                        _ => added.push(self.entity(item, deps, &no_locals)?),
                                    }
                                }
                            }
                            Some(
                                "commit" | "flush" | "refresh" | "delete" | "expire_all"
                                | "rollback",
                            ) if kwargs.is_empty() => {}
                            _ => {
                                return unsupported(
                                    format!(
                                        "the call `{}`",
                                        func.dotted().unwrap_or_else(|| "…".to_string())
                                    ),
                                    expr,
                                );
                            }
                        }
                    }
                    StmtKind::Yield(_) | StmtKind::Return(_) | StmtKind::Pass => {}
                    _ => {
                        return Err(Unsupported::new(
                            format!("{} in an entity fixture", describe_statement(statement)),
                            statement.start,
                            statement.end,
                        ));
                    }
                }
                Ok(())
            })();
            if let Err(error) = result {
                // Every statement is read, so each problem is reported at once.
                self.report(error);
                failed = true;
            }
        }
        if failed {
            return None;
        }
        for (local, row, was_added) in &built {
            if !was_added {
                self.cx.push(
                    Diagnostic::warning(
                        Code::EntityNotAdded,
                        row.span,
                        format!("`{local}` is built but never added, so it will not be inserted"),
                    )
                    .with_help(format!(
                        "add `{session}.add({local})` after building it, or remove it"
                    )),
                );
            }
        }
        Some(added)
    }

    /// `Entity(col=value, …)`.
    fn entity(
        &self,
        expr: &Expr,
        deps: &[&str],
        locals: &HashMap<String, Value>,
    ) -> Result<Row, Unsupported> {
        let ExprKind::Call { func, args, kwargs } = &expr.kind else {
            return unsupported(
                format!(
                    "{} where an entity `Entity(col=value)` belongs",
                    describe_expr(expr)
                ),
                expr,
            );
        };
        let ExprKind::Name(entity) = &func.kind else {
            return unsupported(
                format!(
                    "the call `{}`",
                    func.dotted().unwrap_or_else(|| "…".to_string())
                ),
                expr,
            );
        };
        if !(entity.starts_with(|c: char| c.is_uppercase()) || entity.starts_with("{{")) {
            return unsupported(
                format!("the call `{entity}(…)`: an entity class starts with a capital letter"),
                expr,
            );
        }
        if let Some(arg) = args.first() {
            return unsupported(
                format!(
                    "a positional argument to `{entity}(…)`: name each column, like `sku=\"SKU-1\"`"
                ),
                arg,
            );
        }
        let mut columns = Vec::with_capacity(kwargs.len());
        for keyword in kwargs {
            columns.push(Column {
                name: Spanned::new(keyword.name.clone(), self.span(keyword.start, keyword.end)),
                value: self.literal(&keyword.value, deps, locals)?,
            });
        }
        Ok(Row {
            entity: Some(Spanned::new(
                entity.clone(),
                self.span(func.start, func.end),
            )),
            table: None,
            columns,
            span: self.span(expr.start, expr.end),
        })
    }

    /// A Python literal as a [`Value`].
    fn literal(
        &self,
        expr: &Expr,
        deps: &[&str],
        locals: &HashMap<String, Value>,
    ) -> Result<Value, Unsupported> {
        let mut found = expr.unsupported_all().into_iter();
        if let Some((what, start, end)) = found.next() {
            let mut error = Unsupported::new(what, start, end);
            error.more = found.map(|(w, s, e)| (w.to_string(), s, e)).collect();
            return Err(error);
        }
        let span = self.span(expr.start, expr.end);
        let kind = match &expr.kind {
            ExprKind::Str { value, .. } => ValueKind::String(value.clone()),
            ExprKind::Int(text) => ValueKind::Number(int_value(text).ok_or_else(|| {
                Unsupported::new(format!("the number `{text}`"), expr.start, expr.end)
            })?),
            ExprKind::Float(text) => ValueKind::Number(float_value(text).ok_or_else(|| {
                Unsupported::new(format!("the number `{text}`"), expr.start, expr.end)
            })?),
            ExprKind::Bool(b) => ValueKind::Bool(*b),
            ExprKind::None => ValueKind::Null,
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                let mut errors = Errors::default();
                let values = items
                    .iter()
                    .filter_map(|item| errors.keep(self.literal(item, deps, locals)))
                    .collect();
                errors.into_result()?;
                ValueKind::Array(values)
            }
            ExprKind::Dict(entries) => {
                let mut errors = Errors::default();
                let mut members = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    let name = match &key.kind {
                        ExprKind::Str { value, .. } => value.clone(),
                        ExprKind::Int(text) => text.clone(),
                        _ => {
                            errors.keep::<()>(unsupported("a dict key that is not a string", key));
                            continue;
                        }
                    };
                    if let Some(value) = errors.keep(self.literal(value, deps, locals)) {
                        members.push(Member {
                            key: Spanned::new(name, self.span(key.start, key.end)),
                            value,
                        });
                    }
                }
                errors.into_result()?;
                ValueKind::Object(members)
            }
            ExprKind::Unary { op: "-", operand } => match &operand.kind {
                ExprKind::Int(text) => {
                    ValueKind::Number(int_value(&format!("-{text}")).ok_or_else(|| {
                        Unsupported::new(format!("the number `-{text}`"), expr.start, expr.end)
                    })?)
                }
                ExprKind::Float(text) => {
                    ValueKind::Number(float_value(&format!("-{text}")).ok_or_else(|| {
                        Unsupported::new(format!("the number `-{text}`"), expr.start, expr.end)
                    })?)
                }
                _ => return unsupported("arithmetic (`-`)", expr),
            },
            ExprKind::Name(name) if is_placeholder(name) => ValueKind::Var(VarRef {
                name: name
                    .trim_start_matches('{')
                    .trim_end_matches('}')
                    .trim()
                    .to_string(),
                span,
            }),
            ExprKind::Name(name) => match locals.get(name) {
                Some(value) => return Ok(value.clone()),
                None if deps.contains(&name.as_str()) => ValueKind::Var(VarRef {
                    name: name.clone(),
                    span,
                }),
                None => {
                    let hint = match name.as_str() {
                        "true" => ": JSON writes `true`; Python writes `True`",
                        "false" => ": JSON writes `false`; Python writes `False`",
                        "null" => ": JSON writes `null`; Python writes `None`",
                        _ => "",
                    };
                    return unsupported(
                        format!("a reference to `{name}`, which is not a fixture parameter{hint}"),
                        expr,
                    );
                }
            },
            ExprKind::Attr { .. } | ExprKind::Subscript { .. } => match dependency_path(expr) {
                Some((root, path)) if deps.contains(&root.as_str()) => ValueKind::Var(VarRef {
                    name: format!("{root}.{path}"),
                    span,
                }),
                _ => return unsupported(format!("{} in a value", describe_expr(expr)), expr),
            },
            ExprKind::Call { func, args, kwargs }
                if func.dotted().as_deref() == Some("Decimal") && kwargs.is_empty() =>
            {
                match args.as_slice() {
                    [
                        Expr {
                            kind: ExprKind::Str { value, .. },
                            ..
                        },
                    ] => match value.parse::<serde_json::Number>() {
                        Ok(number) => ValueKind::Number(number),
                        Err(_) => {
                            return unsupported(
                                format!("`Decimal(\"{value}\")`, which is not a number"),
                                expr,
                            );
                        }
                    },
                    _ => return unsupported("`Decimal` without a string argument", expr),
                }
            }
            ExprKind::Call { func, .. } => {
                let name = func.dotted().unwrap_or_else(|| "…".to_string());
                let hint = match name.as_str() {
                    "uuid4" | "uuid.uuid4" => ": write \"{{uuid}}\" for a fresh UUID",
                    "datetime.now" | "datetime.utcnow" | "datetime.datetime.now" => {
                        ": write \"{{now}}\" for the current time"
                    }
                    _ => "",
                };
                return unsupported(format!("the call `{name}(…)`{hint}"), expr);
            }
            ExprKind::Binary { op, .. } => {
                return unsupported(format!("an expression with `{op}`"), expr);
            }
            _ => return unsupported(format!("{} in a value", describe_expr(expr)), expr),
        };
        Ok(Value::new(kind, span))
    }

    fn mock(&mut self, body: &[Stmt]) -> Option<MockKind> {
        let mut patch: Option<&Expr> = None;
        let mut local: Option<&str> = None;
        for statement in body {
            match &statement.kind {
                StmtKind::Return(Some(expr))
                | StmtKind::Yield(Some(expr))
                | StmtKind::Expr(expr) => {
                    if matches!(&expr.kind, ExprKind::Name(n) if Some(n.as_str()) == local) {
                        continue;
                    }
                    if patch.is_some() {
                        self.unsupported(
                            "a second statement after `mocker.patch(…)`",
                            statement.start,
                            statement.end,
                        );
                        return None;
                    }
                    patch = Some(expr);
                }
                StmtKind::Assign {
                    target:
                        Expr {
                            kind: ExprKind::Name(name),
                            ..
                        },
                    value,
                } if patch.is_none() => {
                    patch = Some(value);
                    local = Some(name);
                }
                StmtKind::Pass => {}
                _ => {
                    self.unsupported(
                        &format!("{} in a mock fixture", describe_statement(statement)),
                        statement.start,
                        statement.end,
                    );
                    return None;
                }
            }
        }
        let Some(expr) = patch else {
            let end = body.last().map_or(0, |s| s.end);
            self.unsupported("a mock fixture without `mocker.patch(…)`", end, end);
            return None;
        };
        let result = (|| {
            let ExprKind::Call { func, args, kwargs } = &expr.kind else {
                return unsupported(
                    format!("{} where `mocker.patch(…)` belongs", describe_expr(expr)),
                    expr,
                );
            };
            let called = func.dotted().unwrap_or_default();
            if called != "mocker.patch" {
                return unsupported(
                    format!(
                        "the call `{called}(…)`: only `mocker.patch(\"module.path\", return_value=…)` is read"
                    ),
                    expr,
                );
            }
            let Some(Expr {
                kind: ExprKind::Str { value: target, .. },
                start,
                end,
            }) = args.first()
            else {
                return unsupported("`mocker.patch` without a module path string", expr);
            };
            if let Some(extra) = args.get(1) {
                return unsupported("a second positional argument to `mocker.patch`", extra);
            }
            let mut return_value = Value::new(ValueKind::Null, self.span(expr.start, expr.end));
            for keyword in kwargs {
                if keyword.name == "return_value" {
                    return_value = self.literal(&keyword.value, &[], &HashMap::new())?;
                } else {
                    return Err(Unsupported::new(
                        format!(
                            "`{}=` in `mocker.patch`: use the YAML form for status codes, delays and faults",
                            keyword.name
                        ),
                        keyword.start,
                        keyword.value.end,
                    ));
                }
            }
            Ok(MockKind::Patch {
                target: Spanned::new(target.clone(), self.span(*start, *end)),
                return_value,
            })
        })();
        match result {
            Ok(kind) => Some(kind),
            Err(error) => {
                self.report(error);
                None
            }
        }
    }

    fn check_steps(
        &mut self,
        body: &[Stmt],
        session: &str,
        param: &str,
    ) -> Option<Vec<DbCheckStep>> {
        let mut steps = Vec::new();
        // Names whose assignment was reported: their uses are not reported again.
        let mut broken: Vec<String> = Vec::new();
        for statement in body {
            let span = self.span(statement.start, statement.end);
            if let StmtKind::Assert(test) = &statement.kind
                && mentions(test, &broken)
            {
                steps.push(DbCheckStep::Unreadable { span });
                continue;
            }
            let step = match &statement.kind {
                StmtKind::Assign {
                    target:
                        Expr {
                            kind: ExprKind::Name(var),
                            ..
                        },
                    value,
                } => match self.query(value, session, param) {
                    Ok((entity, filters, terminal))
                        if matches!(terminal.as_str(), "first" | "one" | "one_or_none") =>
                    {
                        Ok(DbCheckStep::Query {
                            var: var.clone(),
                            entity,
                            filters,
                            span,
                        })
                    }
                    Ok((_, _, terminal)) => unsupported(
                        format!(
                            "`.{terminal}()` in a query assigned to a name: end it with `.first()`"
                        ),
                        value,
                    ),
                    Err(error) => Err(error),
                },
                StmtKind::Assert(test) => self.check_assert(test, session, param, span),
                StmtKind::Pass => continue,
                _ => Err(Unsupported::new(
                    format!("{} in a check", describe_statement(statement)),
                    statement.start,
                    statement.end,
                )),
            };
            match step {
                Ok(step) => steps.push(step),
                Err(error) => {
                    if let StmtKind::Assign {
                        target:
                            Expr {
                                kind: ExprKind::Name(var),
                                ..
                            },
                        ..
                    } = &statement.kind
                    {
                        broken.push(var.clone());
                    }
                    // Every statement is read, so each problem is reported
                    // at once; the check is kept, so its calls are not
                    // reported as calls of a check that does not exist.
                    for (what, start, end) in error.each() {
                        let span = self.span(start, end);
                        self.cx.push(
                            Diagnostic::error(Code::InvalidCheck, span, format!("unsupported Python in a check: {what}"))
                                .with_help(
                                    "a check holds `result = db_session.query(E).filter_by(col=expected[\"k\"]).first()`, `assert result is not None`, `assert result.col == expected[\"k\"]` (or `is True`, `is None`, `assert result.col`, `assert not result.col`) and `assert db_session.query(E).filter_by(…).count() == N`; or write assertion lines like `row reservations where sku = \"SKU-1\" has status = \"confirmed\"`",
                                ),
                        );
                    }
                    steps.push(DbCheckStep::Unreadable { span });
                }
            }
        }
        Some(steps)
    }

    fn check_assert(
        &self,
        test: &Expr,
        session: &str,
        param: &str,
        span: Span,
    ) -> Result<DbCheckStep, Unsupported> {
        match &test.kind {
            ExprKind::Name(var) => Ok(DbCheckStep::AssertFound {
                var: var.clone(),
                found: true,
                span,
            }),
            ExprKind::Attr { .. } => self.truth(test, Truth::Truthy, span),
            ExprKind::Unary { op: "not", operand } => match &operand.kind {
                ExprKind::Name(var) => Ok(DbCheckStep::AssertFound {
                    var: var.clone(),
                    found: false,
                    span,
                }),
                ExprKind::Attr { .. } => self.truth(operand, Truth::Falsy, span),
                _ => unsupported(
                    "`assert not …` of anything but a query result or its column",
                    test,
                ),
            },
            ExprKind::Compare { left, op, right } => {
                if let (ExprKind::Name(var), CompareOp::Is | CompareOp::IsNot, ExprKind::None) =
                    (&left.kind, op, &right.kind)
                {
                    return Ok(DbCheckStep::AssertFound {
                        var: var.clone(),
                        found: *op == CompareOp::IsNot,
                        span,
                    });
                }
                if matches!(op, CompareOp::Is | CompareOp::IsNot) {
                    let is = *op == CompareOp::Is;
                    let test = match &right.kind {
                        ExprKind::Bool(true) if is => Truth::IsTrue,
                        ExprKind::Bool(true) => Truth::IsNotTrue,
                        ExprKind::Bool(false) if is => Truth::IsFalse,
                        ExprKind::Bool(false) => Truth::IsNotFalse,
                        ExprKind::None if is => Truth::IsNone,
                        ExprKind::None => Truth::IsNotNone,
                        _ => {
                            return unsupported(
                                "`is` with anything but `True`, `False` or `None`: compare values with `==`",
                                test,
                            );
                        }
                    };
                    return self.truth(left, test, span);
                }
                let op = cmp_op(*op).ok_or_else(|| {
                    Unsupported::new(
                        "this comparison: use `==`, `!=`, `<`, `<=`, `>` or `>=`".to_string(),
                        test.start,
                        test.end,
                    )
                })?;
                let value = self.check_value(right, param)?;
                if let ExprKind::Attr {
                    value: object,
                    attr,
                    attr_start,
                } = &left.kind
                    && let ExprKind::Name(var) = &object.kind
                {
                    return Ok(DbCheckStep::AssertColumn {
                        var: var.clone(),
                        column: Spanned::new(attr.clone(), self.span(*attr_start, left.end)),
                        op,
                        value,
                        span,
                    });
                }
                let (entity, filters, terminal) = self.query(left, session, param)?;
                if terminal != "count" {
                    return unsupported(
                        format!("`.{terminal}()` compared with a value: compare `.count()`"),
                        left,
                    );
                }
                Ok(DbCheckStep::AssertCount {
                    entity,
                    filters,
                    op,
                    value,
                    span,
                })
            }
            _ => unsupported(format!("`assert` of {}", describe_expr(test)), test),
        }
    }

    /// `result.col` under an identity or truth test.
    fn truth(&self, expr: &Expr, test: Truth, span: Span) -> Result<DbCheckStep, Unsupported> {
        if let ExprKind::Attr {
            value: object,
            attr,
            attr_start,
        } = &expr.kind
            && let ExprKind::Name(var) = &object.kind
        {
            return Ok(DbCheckStep::AssertTruth {
                var: var.clone(),
                column: Spanned::new(attr.clone(), self.span(*attr_start, expr.end)),
                test,
                span,
            });
        }
        unsupported(
            format!(
                "`{}` of {}: test a column of a query result, like `result.active`",
                test.as_str(),
                describe_expr(expr)
            ),
            expr,
        )
    }

    /// `db_session.query(E)[.filter_by(…)].TERMINAL()`.
    fn query(
        &self,
        expr: &Expr,
        session: &str,
        param: &str,
    ) -> Result<(Spanned<String>, Vec<DbCheckFilter>, String), Unsupported> {
        let ExprKind::Call { func, args, .. } = &expr.kind else {
            return unsupported(
                format!("{} where a query belongs", describe_expr(expr)),
                expr,
            );
        };
        let ExprKind::Attr {
            value: inner,
            attr: terminal,
            ..
        } = &func.kind
        else {
            return unsupported("a call that is not a query", expr);
        };
        if !args.is_empty() {
            return unsupported(format!("arguments to `.{terminal}()`"), expr);
        }
        let mut filters = Vec::new();
        let mut query = inner.as_ref();
        if let ExprKind::Call { func, kwargs, args } = &query.kind
            && let ExprKind::Attr { value, attr, .. } = &func.kind
        {
            if attr == "filter" {
                return unsupported(
                    "`filter(…)` with SQLAlchemy expressions: use `filter_by(col=value)`",
                    query,
                );
            }
            if attr == "filter_by" {
                if let Some(arg) = args.first() {
                    return unsupported("a positional argument to `filter_by`", arg);
                }
                for keyword in kwargs {
                    filters.push(DbCheckFilter {
                        column: Spanned::new(
                            keyword.name.clone(),
                            self.span(keyword.start, keyword.end),
                        ),
                        value: self.check_value(&keyword.value, param)?,
                    });
                }
                query = value;
            }
        }
        let ExprKind::Call { func, args, .. } = &query.kind else {
            return unsupported(
                "a query that does not start with `db_session.query(Entity)`",
                query,
            );
        };
        if func.dotted().as_deref() != Some(&format!("{session}.query")) {
            return unsupported(
                "a query that does not start with `db_session.query(Entity)`",
                query,
            );
        }
        let [
            Expr {
                kind: ExprKind::Name(entity),
                start,
                end,
            },
        ] = args.as_slice()
        else {
            return unsupported("`query(…)` of anything but one entity class", query);
        };
        Ok((
            Spanned::new(entity.clone(), self.span(*start, *end)),
            filters,
            terminal.clone(),
        ))
    }

    fn check_value(&self, expr: &Expr, param: &str) -> Result<DbCheckValue, Unsupported> {
        let mut keys = Vec::new();
        let mut current = expr;
        while let ExprKind::Subscript { value, index } = &current.kind {
            match &index.kind {
                ExprKind::Str { value: key, .. } => keys.push(key.clone()),
                ExprKind::Int(i) => keys.push(i.clone()),
                _ => return unsupported("a subscript that is not a string key", index),
            }
            current = value;
        }
        if let ExprKind::Name(name) = &current.kind
            && name == param
        {
            keys.reverse();
            return Ok(DbCheckValue::Argument(Spanned::new(
                keys,
                self.span(expr.start, expr.end),
            )));
        }
        if !keys.is_empty() {
            return unsupported(
                format!(
                    "{} in a check: read the argument as `{param}[\"key\"]`",
                    describe_expr(expr)
                ),
                expr,
            );
        }
        Ok(DbCheckValue::Literal(self.literal(
            expr,
            &[],
            &HashMap::new(),
        )?))
    }
}

/// Whether an expression reads one of the names.
fn mentions(expr: &Expr, names: &[String]) -> bool {
    let inner = |e: &Expr| mentions(e, names);
    match &expr.kind {
        ExprKind::Name(name) => names.contains(name),
        ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().any(inner),
        ExprKind::Dict(items) => items.iter().any(|(k, v)| inner(k) || inner(v)),
        ExprKind::Call { func, args, kwargs } => {
            inner(func) || args.iter().any(inner) || kwargs.iter().any(|k| inner(&k.value))
        }
        ExprKind::Attr { value, .. } => inner(value),
        ExprKind::Subscript { value, index } => inner(value) || inner(index),
        ExprKind::Compare { left, right, .. } | ExprKind::Binary { left, right, .. } => {
            inner(left) || inner(right)
        }
        ExprKind::Unary { operand, .. } => inner(operand),
        _ => false,
    }
}

fn mark_added(
    built: &mut [(String, Row, bool)],
    added: &mut Vec<Row>,
    local: &str,
    expr: &Expr,
) -> Result<(), Unsupported> {
    match built.iter_mut().find(|(name, _, _)| name == local) {
        Some((_, row, was_added)) => {
            if !*was_added {
                *was_added = true;
                added.push(row.clone());
            }
            Ok(())
        }
        None => unsupported(
            format!("adding `{local}`, which this fixture does not build"),
            expr,
        ),
    }
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

fn is_placeholder(name: &str) -> bool {
    name.starts_with("{{") && name.ends_with("}}") && name.matches("{{").count() == 1
}

/// `customer.id` or `customer["id"]` → (`customer`, `id`).
fn dependency_path(expr: &Expr) -> Option<(String, String)> {
    let mut parts = Vec::new();
    let mut current = expr;
    loop {
        match &current.kind {
            ExprKind::Attr { value, attr, .. } => {
                parts.push(attr.clone());
                current = value;
            }
            ExprKind::Subscript { value, index } => {
                match &index.kind {
                    ExprKind::Str { value: key, .. } => parts.push(key.clone()),
                    ExprKind::Int(i) => parts.push(i.clone()),
                    _ => return None,
                }
                current = value;
            }
            ExprKind::Name(root) => {
                parts.reverse();
                return Some((root.clone(), parts.join(".")));
            }
            _ => return None,
        }
    }
}

fn int_value(text: &str) -> Option<serde_json::Number> {
    let clean = text.replace('_', "");
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, clean),
    };
    let lower = digits.to_ascii_lowercase();
    let magnitude = if let Some(hex) = lower.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = lower.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if let Some(bin) = lower.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()?
    } else if lower.ends_with('j') {
        return None;
    } else {
        return format!("{}{lower}", if negative { "-" } else { "" })
            .parse()
            .ok();
    };
    Some(serde_json::Number::from(if negative {
        -magnitude
    } else {
        magnitude
    }))
}

fn float_value(text: &str) -> Option<serde_json::Number> {
    if text.to_ascii_lowercase().ends_with('j') {
        return None;
    }
    serde_json::Number::from_f64(text.replace('_', "").parse().ok()?)
}

fn cmp_op(op: CompareOp) -> Option<CmpOp> {
    Some(match op {
        CompareOp::Eq => CmpOp::Eq,
        CompareOp::Ne => CmpOp::Ne,
        CompareOp::Lt => CmpOp::Lt,
        CompareOp::Le => CmpOp::Le,
        CompareOp::Gt => CmpOp::Gt,
        CompareOp::Ge => CmpOp::Ge,
        _ => return None,
    })
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
