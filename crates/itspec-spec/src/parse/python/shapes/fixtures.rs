//! Fixtures: pytest functions in a case's Setup or in Data Fixtures.
//!
//! A fixture taking the database session (`def inventory(db_session):`)
//! builds entities `Entity(col=value)` and adds them: the rows it adds
//! become [`FixtureKind::Rows`]. Any other fixture returns a literal,
//! possibly after assigning locals: a [`FixtureKind::Payload`].

use std::collections::HashMap;

use super::{Def, Reader, Unsupported, describe_expr, describe_statement, is_session, unsupported};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Column, Fixture, FixtureKind, FixtureSource, Row, Value, ValueKind};
use crate::parse::python::ast::{Expr, ExprKind, Stmt, StmtKind};
use crate::source::Spanned;

impl Reader<'_, '_, '_> {
    /// A `def` in Setup or Data Fixtures.
    pub(super) fn fixture_def(&mut self, def: Def<'_>) {
        let param_names = def.param_names();
        let first = param_names.first().copied();
        if first == Some("mocker") {
            self.wrong_place(def.statement, "a mock", "## Mocks");
        } else if is_session(first) {
            let session = first.unwrap_or("db_session");
            let deps: Vec<&str> = param_names.iter().skip(1).copied().collect();
            if let Some(rows) = self.entity_rows(def.body, session, &deps) {
                self.items.fixtures.push(Fixture {
                    name: Some(def.name),
                    doc: def.doc,
                    kind: FixtureKind::Rows(rows),
                    source: FixtureSource::Python,
                    span: def.span,
                });
            }
        } else if let Some(value) = self.payload(def.body, &param_names) {
            self.items.fixtures.push(Fixture {
                name: Some(def.name),
                doc: def.doc,
                kind: FixtureKind::Payload(value),
                source: FixtureSource::Python,
                span: def.span,
            });
        }
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

#[cfg(test)]
mod tests {
    use super::super::Section;
    use super::super::testing::read;
    use crate::diagnostic::Code;

    #[test]
    fn reads_entity_fixtures() {
        let table = [
            (
                "@pytest.fixture\ndef inventory(db_session):\n    \"\"\"Stock.\"\"\"\n    item = Inventory(sku=\"SKU-1\", stock=5)\n    db_session.add(item)\n    db_session.commit()\n    return item",
                "inventory \"Stock.\": rows Inventory(sku=\"SKU-1\", stock=5)",
            ),
            // Rows come in the order they are added, each once.
            (
                "def stock(session):\n    a = Inventory(sku=\"A\")\n    b = Inventory(sku=\"B\")\n    session.add_all([b, a, Inventory(sku=\"C\")])\n    session.add(a)\n    session.flush()\n    yield a",
                "stock: rows Inventory(sku=\"B\"); Inventory(sku=\"A\"); Inventory(sku=\"C\")",
            ),
            // The other parameters are fixtures whose values are variables.
            (
                "def order(db, customer):\n    db.add(Order(customer_id=customer.id, total=Decimal(\"9.50\"), tags=[\"new\"]))",
                "order: rows Order(customer_id={{customer.id}}, total=9.5, tags=[\"new\"])",
            ),
            (
                "def {{fixture_name}}(db_session):\n    db_session.add({{Entity}}(name={{value}}))\n    db_session.refresh(x)",
                "{{fixture_name}}: rows {{Entity}}(name={{value}})",
            ),
        ];
        for (python, expected) in table {
            read(Section::DataFixtures, python).assert_reads(&[expected]);
        }
    }

    #[test]
    fn reads_payload_fixtures() {
        let table = [
            (
                "@pytest.fixture()\ndef reservation_request(customer):\n    \"\"\"  A request.  \"\"\"\n    sku = \"SKU-1\"\n    items = [{\"sku\": sku, \"qty\": 2}]\n    pass\n    return {\"customer\": customer.id, \"items\": items}",
                "reservation_request \"A request.\": payload {\"customer\": {{customer.id}}, \"items\": [{\"sku\": \"SKU-1\", \"qty\": 2}]}",
            ),
            ("def limit():\n    yield 5", "limit: payload 5"),
        ];
        for (python, expected) in table {
            for section in [Section::Setup, Section::DataFixtures] {
                read(section, python).assert_reads(&[expected]);
            }
        }
        // Several functions: one fixture each, in order.
        let read = read(
            Section::Setup,
            "def sku():\n    return \"A\"\n\ndef qty():\n    return 2",
        );
        read.assert_reads(&["sku: payload \"A\"", "qty: payload 2"]);
    }

    #[test]
    fn refuses_entity_fixtures_outside_the_shape() {
        let table: &[(&str, &[(&str, &str)])] = &[
            (
                "def f(db_session):\n    db_session.add(missing)",
                &[(
                    "adding `missing`, which this fixture does not build",
                    "missing",
                )],
            ),
            (
                "def f(db_session):\n    db_session.execute(\"DELETE FROM t\")",
                &[(
                    "the call `db_session.execute`",
                    "db_session.execute(\"DELETE FROM t\")",
                )],
            ),
            (
                "def f(db_session):\n    print(\"x\")",
                &[("the call `print`", "print(\"x\")")],
            ),
            (
                "def f(db_session):\n    db_session.add(Inventory(\"SKU-1\"))",
                &[(
                    "a positional argument to `Inventory(…)`: name each column, like `sku=\"SKU-1\"`",
                    "\"SKU-1\"",
                )],
            ),
            (
                "def f(db_session):\n    item = inventory(sku=1)",
                &[(
                    "the call `inventory(…)`: an entity class starts with a capital letter",
                    "inventory(sku=1)",
                )],
            ),
            (
                "def f(db_session):\n    item = {\"sku\": 1}",
                &[(
                    "a literal where an entity `Entity(col=value)` belongs",
                    "{\"sku\": 1}",
                )],
            ),
            (
                "def f(db_session):\n    db_session.add(a, b)",
                &[("`add` with several arguments", "db_session.add(a, b)")],
            ),
            (
                "def f(db_session):\n    db_session.add_all(items)",
                &[("`add_all` without a list", "db_session.add_all(items)")],
            ),
            (
                "def f(db_session):\n    item",
                &[("the name `item` in an entity fixture", "item")],
            ),
            (
                "def f(db_session):\n    for i in range(3):\n        pass",
                &[("a `for` loop in an entity fixture", "for i in range(3):")],
            ),
            // A local that could not be read is reported once, not at its uses.
            (
                "def f(db_session):\n    item = Inventory(sku=uuid4())\n    db_session.add(item)\n    db_session.add_all([item])",
                &[(
                    "the call `uuid4(…)`: write \"{{uuid}}\" for a fresh UUID",
                    "uuid4()",
                )],
            ),
            // Every statement is read, so each problem is reported at once.
            (
                "def f(db_session):\n    db_session.add(Inventory(sku=x))\n    db_session.merge(y)",
                &[
                    ("a reference to `x`, which is not a fixture parameter", "x"),
                    ("the call `db_session.merge`", "db_session.merge(y)"),
                ],
            ),
        ];
        for (python, expected) in table {
            read(Section::DataFixtures, python).assert_unsupported(expected, &[]);
        }
    }

    #[test]
    fn warns_of_entities_never_added() {
        let read = read(
            Section::DataFixtures,
            "def f(db_session):\n    a = Inventory(sku=\"A\")\n    b = Inventory(sku=\"B\")\n    db_session.add(b)",
        );
        read.assert_refuses(
            &[(
                Code::EntityNotAdded,
                "`a` is built but never added, so it will not be inserted",
                "Inventory(sku=\"A\")",
            )],
            &["f: rows Inventory(sku=\"B\")"],
        );
        assert_eq!(
            read.diagnostics[0].help.as_deref(),
            Some("add `db_session.add(a)` after building it, or remove it")
        );
    }

    #[test]
    fn refuses_payload_fixtures_outside_the_shape() {
        let table: &[(&str, &[(&str, &str)])] = &[
            (
                "def p():\n    x = 1",
                &[("a payload fixture without `return`", "")],
            ),
            (
                "def p():\n    assert True\n    return 1",
                &[("an `assert` in a payload fixture", "assert True")],
            ),
            (
                "def p():\n    x += 1\n    return 1",
                &[("an augmented assignment in a payload fixture", "x += 1")],
            ),
            // A local that could not be read is reported once, not at its uses.
            (
                "def p():\n    x = now()\n    return {\"x\": x}",
                &[("the call `now(…)`", "now()")],
            ),
            (
                "def p():\n    x = now()\n    return {\"x\": x, \"y\": y}",
                &[
                    ("the call `now(…)`", "now()"),
                    ("a reference to `y`, which is not a fixture parameter", "y"),
                ],
            ),
        ];
        for (python, expected) in table {
            read(Section::Setup, python).assert_unsupported(expected, &[]);
        }
    }
}
