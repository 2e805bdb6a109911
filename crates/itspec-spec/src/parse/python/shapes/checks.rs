//! Checks: `def assert_x(db_session, expected):` in Database State
//! Verification, read as a [`DbCheck`] of [`DbCheckStep`]s — queries
//! `db_session.query(E).filter_by(…).first()`, found / column / truth
//! asserts on the result, and `.count()` asserts.

use std::collections::HashMap;

use super::{Def, Reader, Unsupported, describe_expr, describe_statement, is_session, unsupported};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{CmpOp, DbCheck, DbCheckFilter, DbCheckStep, DbCheckValue, Truth};
use crate::parse::python::ast::{CompareOp, Expr, ExprKind, Stmt, StmtKind};
use crate::source::{Span, Spanned};

impl Reader<'_, '_, '_> {
    /// A `def` in Database State Verification.
    pub(super) fn check_def(&mut self, def: Def<'_>) {
        let param_names = def.param_names();
        let first = param_names.first().copied();
        let Def {
            statement,
            name,
            doc,
            params,
            body,
            span,
        } = def;
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

#[cfg(test)]
mod tests {
    use super::super::Section;
    use super::super::testing::read;
    use crate::diagnostic::Code;

    /// A check that queries `r`, then runs `statement`.
    fn check(statement: &str) -> String {
        format!(
            "def assert_x(db_session, expected):\n    r = db_session.query(E).first()\n    {statement}"
        )
    }

    #[test]
    fn reads_asserts() {
        let table = [
            ("assert r", "r found"),
            ("assert not r", "r not found"),
            ("assert r is None", "r not found"),
            ("assert r is not None", "r found"),
            (
                r#"assert r.status == "confirmed""#,
                r#"r.status == "confirmed""#,
            ),
            (
                r#"assert r.qty != expected["qty"]"#,
                r#"r.qty != arg["qty"]"#,
            ),
            ("assert r.qty < 3", "r.qty < 3"),
            ("assert r.qty <= -1.5", "r.qty <= -1.5"),
            ("assert r.qty > None", "r.qty > null"),
            ("assert r.qty >= {{min}}", "r.qty >= {{min}}"),
            (
                r#"assert r.total == expected["order"]["total"]"#,
                r#"r.total == arg["order"]["total"]"#,
            ),
            (
                r#"assert r.sku == expected["items"][0]"#,
                r#"r.sku == arg["items"]["0"]"#,
            ),
            ("assert r.data == expected", "r.data == arg"),
            ("assert r.active is True", "r.active is True"),
            ("assert r.active is not True", "r.active is not True"),
            ("assert r.active is False", "r.active is False"),
            ("assert r.active is not False", "r.active is not False"),
            ("assert r.note is None", "r.note is None"),
            ("assert r.note is not None", "r.note is not None"),
            ("assert r.paid", "r.paid is truthy"),
            ("assert not r.paid", "r.paid is falsy"),
            ("assert db_session.query(E).count() == 0", "count E[] == 0"),
            (
                r#"assert db_session.query(E).filter_by(a=1, b=expected["b"]).count() >= expected["n"]"#,
                r#"count E[a=1, b=arg["b"]] >= arg["n"]"#,
            ),
        ];
        for (statement, step) in table {
            read(Section::Checks, &check(statement))
                .assert_reads(&[&format!("assert_x(expected): r = E[]; {step}")]);
        }
    }

    #[test]
    fn reads_queries() {
        let table = [
            (
                "def assert_created(db_session, expected):\n    \"\"\"The row.\"\"\"\n    row = db_session.query(Reservation).filter_by(sku=expected[\"sku\"], status=\"pending\").first()\n    pass\n    assert row is not None",
                "assert_created(expected) \"The row.\": row = Reservation[sku=arg[\"sku\"], status=\"pending\"]; row found",
            ),
            (
                "def assert_one(session, want):\n    row = session.query(Order).filter_by(id=want[\"id\"]).one()\n    assert row.total == want[\"total\"]",
                "assert_one(want): row = Order[id=arg[\"id\"]]; row.total == arg[\"total\"]",
            ),
            (
                "def assert_gone(db, expected):\n    row = db.query(Order).one_or_none()\n    assert row is None",
                "assert_gone(expected): row = Order[]; row not found",
            ),
        ];
        for (python, expected) in table {
            read(Section::Checks, python).assert_reads(&[expected]);
        }
    }

    #[test]
    fn refuses_statements_outside_the_shape() {
        let table = [
            (
                "r2 = db_session.query(E).all()",
                "`.all()` in a query assigned to a name: end it with `.first()`",
                "db_session.query(E).all()",
            ),
            (
                r#"r2 = db_session.query(E).filter(E.sku == "A").first()"#,
                "`filter(…)` with SQLAlchemy expressions: use `filter_by(col=value)`",
                r#"db_session.query(E).filter(E.sku == "A")"#,
            ),
            (
                r#"r2 = db_session.query(E).filter_by("A").first()"#,
                "a positional argument to `filter_by`",
                r#""A""#,
            ),
            (
                "r2 = db_session.query(E, F).first()",
                "`query(…)` of anything but one entity class",
                "db_session.query(E, F)",
            ),
            (
                "r2 = other.query(E).first()",
                "a query that does not start with `db_session.query(Entity)`",
                "other.query(E)",
            ),
            (
                "r2 = db_session.query(E).first(1)",
                "arguments to `.first()`",
                "db_session.query(E).first(1)",
            ),
            ("r2 = fetch(E)", "a call that is not a query", "fetch(E)"),
            ("r2 = 5", "a literal where a query belongs", "5"),
            (
                "assert r.active is 5",
                "`is` with anything but `True`, `False` or `None`: compare values with `==`",
                "r.active is 5",
            ),
            (
                "assert r.x in [1]",
                "this comparison: use `==`, `!=`, `<`, `<=`, `>` or `>=`",
                "r.x in [1]",
            ),
            (
                "assert db_session.query(E).first() == 1",
                "`.first()` compared with a value: compare `.count()`",
                "db_session.query(E).first()",
            ),
            (
                r#"assert r.x == other["k"]"#,
                r#"a subscript in a check: read the argument as `expected["key"]`"#,
                r#"other["k"]"#,
            ),
            (
                "assert r.x == expected[k]",
                "a subscript that is not a string key",
                "k",
            ),
            (
                "assert r.x == uuid4()",
                "the call `uuid4(…)`: write \"{{uuid}}\" for a fresh UUID",
                "uuid4()",
            ),
            (
                "assert not 5",
                "`assert not …` of anything but a query result or its column",
                "not 5",
            ),
            ("assert 5", "`assert` of a literal", "5"),
            (
                "assert r.a.b",
                "`is truthy` of the attribute `r.a.b`: test a column of a query result, like `result.active`",
                "r.a.b",
            ),
            ("print(r)", "the call `print(…)` in a check", "print(r)"),
        ];
        for (statement, what, at) in table {
            let message = format!("unsupported Python in a check: {what}");
            // The check is kept, with the statement unreadable, so its
            // calls are not reported as calls of a missing check.
            read(Section::Checks, &check(statement)).assert_refuses(
                &[(Code::InvalidCheck, &message, at)],
                &["assert_x(expected): r = E[]; unreadable"],
            );
        }
    }

    #[test]
    fn reports_each_problem_once() {
        // Every statement is read; the uses of a name whose query was
        // refused are not reported again.
        let read = read(
            Section::Checks,
            "def assert_x(db_session, expected):\n    r = db_session.query(E).all()\n    assert r is not None\n    assert r.x == 1\n    assert 5\n    assert db_session.query(E).count() == 1",
        );
        read.assert_refuses(
            &[
                (
                    Code::InvalidCheck,
                    "unsupported Python in a check: `.all()` in a query assigned to a name: end it with `.first()`",
                    "db_session.query(E).all()",
                ),
                (
                    Code::InvalidCheck,
                    "unsupported Python in a check: `assert` of a literal",
                    "5",
                ),
            ],
            &["assert_x(expected): unreadable; unreadable; unreadable; unreadable; count E[] == 1"],
        );
    }

    #[test]
    fn a_check_takes_a_session_and_its_argument() {
        for python in [
            "def assert_x(db_session):\n    pass",
            "def assert_x(db_session, expected, extra):\n    pass",
            "def assert_x(conn, expected):\n    pass",
            "def assert_x():\n    pass",
        ] {
            read(Section::Checks, python).assert_refuses(
                &[(
                    Code::InvalidCheck,
                    "check `assert_x` must take `(db_session, expected)`",
                    "assert_x",
                )],
                &[],
            );
        }
    }
}
