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
