//! Assertions on the database (FORMAT §4, §7): `row … has/exists`,
//! `rows … count`, the `sql "…"` subject, calls of Database State
//! Verification checks, and `database unchanged` / `table X unchanged`
//! compared between snapshots. Rows are read as JSON and compared by type
//! (`db_equal`), so conditions behave the same on every database; each
//! failure shows the rows it was decided on.

use std::collections::HashMap;

use itspec_spec::Spanned;
use itspec_spec::model::{
    CmpOp, Condition, DbCheck, DbCheckFilter, DbCheckStep, DbCheckValue, Operand, Predicate,
    Subject, SubjectKind,
};
use serde_json::Value;

use super::{Context, Failure, operand_value, predicate, truth};
use crate::db::{self, Snapshot, Table};
use crate::isolation::Isolation;
use crate::matching::body::render;
use crate::matching::database::db_holds;
use itspec_results::{DiffLine, Evidence, Mismatch};

/// Rows shown as evidence, at most.
const SHOWN_ROWS: usize = 5;

/// What database checks look at.
pub struct DbContext<'a> {
    /// The database and its tables.
    pub isolation: &'a Isolation,
    /// The spec's Database State Verification checks.
    pub checks: &'a [DbCheck],
    /// The spec's text, to quote a check's failing statement.
    pub source: &'a str,
    /// The tracked tables after Setup, before the first request.
    pub before: Option<&'a Snapshot>,
    /// The tracked tables after the last request.
    pub after: Option<&'a Snapshot>,
}

fn database<'a>(cx: &'a Context<'_>) -> Result<&'a DbContext<'a>, Failure> {
    cx.db.ok_or_else(|| Failure::error("this reads the database, and none is configured: add [database] with its url to itspec.toml"))
}

fn db_failure(error: db::DbError) -> Failure {
    Failure::error(format!("the database said: {error}"))
}

/// The rows of a table that satisfy some conditions.
struct Found {
    /// `inventory where sku = "SKU-1"`.
    described: String,
    /// The matching rows, in key order.
    rows: Vec<Value>,
    /// How many rows the table has.
    total: usize,
    /// The table's columns, for their declared types.
    columns: Vec<db::Column>,
}

/// What a column assertion reads: the rows `var` found, the first of
/// them and its `column`; the message says which is missing.
fn first_row_column<'r>(
    results: &'r HashMap<&str, Found>,
    var: &str,
    column: &str,
) -> Result<(&'r Found, &'r Value, &'r Value), String> {
    let result = results
        .get(var)
        .ok_or_else(|| format!("`{var}` is not defined before this line"))?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| format!("`{var}` is None: no row of {}", result.described))?;
    let actual = row
        .get(column)
        .ok_or_else(|| format!("the row has no column `{column}`"))?;
    Ok((result, row, actual))
}

impl Found {
    fn notes(&self, title: &str) -> Vec<String> {
        let mut notes: Vec<String> = self
            .rows
            .iter()
            .take(SHOWN_ROWS)
            .map(|row| format!("{title}: {row}"))
            .collect();
        if self.rows.len() > SHOWN_ROWS {
            notes.push(format!("... and {} more", self.rows.len() - SHOWN_ROWS));
        }
        notes
    }
}

fn table<'a>(isolation: &'a Isolation, name: &str) -> Result<&'a Table, Failure> {
    isolation.schema.table(name).ok_or_else(|| {
        let known: Vec<&str> = isolation.schema.tables.keys().map(String::as_str).collect();
        Failure::new(format!(
            "the database has no table `{name}` (its tables: {})",
            known.join(", ")
        ))
    })
}

fn column<'a>(table: &'a Table, name: &str) -> Result<&'a str, Failure> {
    table.column(name).map(|c| c.name.as_str()).ok_or_else(|| {
        let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        Failure::new(format!(
            "table `{}` has no column `{name}` (its columns: {})",
            table.name,
            known.join(", ")
        ))
    })
}

/// Reads a table and keeps the rows where every filter holds.
async fn select(
    isolation: &Isolation,
    table: &Table,
    filters: &[(String, CmpOp, Value)],
) -> Result<Found, Failure> {
    let all = db::fetch_objects(&isolation.db, table)
        .await
        .map_err(db_failure)?;
    let total = all.len();
    let rows = all
        .into_iter()
        .filter(|row| {
            filters.iter().all(|(c, op, want)| {
                db_holds(*op, row.get(c).unwrap_or(&Value::Null), want) == Some(true)
            })
        })
        .collect();
    let conditions: Vec<String> = filters
        .iter()
        .map(|(c, op, v)| format!("{c} {} {}", op_text(*op), render(v)))
        .collect();
    let described = if conditions.is_empty() {
        table.name.clone()
    } else {
        format!("{} where {}", table.name, conditions.join(" and "))
    };
    Ok(Found {
        described,
        rows,
        total,
        columns: table.columns.clone(),
    })
}

/// `=` reads better than `==` in a row condition.
fn op_text(op: CmpOp) -> &'static str {
    if op == CmpOp::Eq { "=" } else { op.as_str() }
}

async fn find(
    cx: &Context<'_>,
    table_name: &Spanned<String>,
    conditions: &[Condition],
) -> Result<Found, Failure> {
    let db = database(cx)?;
    let table = table(db.isolation, &table_name.value)?;
    let mut filters = Vec::with_capacity(conditions.len());
    for condition in conditions {
        let name = column(table, &condition.column.value)?;
        filters.push((
            name.to_string(),
            condition.op,
            operand_value(&condition.value, cx.scope)?,
        ));
    }
    select(db.isolation, table, &filters).await
}

/// Exactly one row, or a failure saying how many there were.
fn one(found: &Found) -> Result<&Value, Failure> {
    match found.rows.as_slice() {
        [row] => Ok(row),
        [] => Err(Failure {
            error: false,
            message: format!("no row of {}", found.described),
            evidence: Box::new(Evidence {
                expected: Some("exactly one row".to_string()),
                actual: Some(format!(
                    "none (the table has {} row{})",
                    found.total,
                    plural(found.total)
                )),
                ..Evidence::default()
            }),
        }),
        rows => Err(Failure {
            error: false,
            message: format!(
                "{} rows of {} match, and `row` means exactly one (count them with `rows … count == {}`)",
                rows.len(),
                found.described,
                rows.len()
            ),
            evidence: Box::new(Evidence {
                notes: found.notes("matched"),
                ..Evidence::default()
            }),
        }),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The value of a database subject: the one row, the rows, or the query's
/// first value; `None` when absent.
pub(super) async fn value(subject: &Subject, cx: &Context<'_>) -> Result<Option<Value>, Failure> {
    match &subject.kind {
        SubjectKind::Row { table, conditions } => {
            let found = find(cx, table, conditions).await?;
            match found.rows.len() {
                0 => Ok(None),
                _ => one(&found).cloned().map(Some),
            }
        }
        SubjectKind::Rows { table, conditions } => {
            Ok(Some(Value::Array(find(cx, table, conditions).await?.rows)))
        }
        SubjectKind::Sql { query } => {
            let db = database(cx)?;
            db::first_value(&db.isolation.db, &query.value, cx.scope)
                .await
                .map_err(|e| Failure::error(format!("the query failed: {e}")))
        }
        _ => Ok(None),
    }
}

/// `row …` and `rows …` with their predicates.
pub(super) async fn rows(
    subject: &Subject,
    predicate: &Predicate,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let (table, conditions, single) = match &subject.kind {
        SubjectKind::Row { table, conditions } => (table, conditions, true),
        SubjectKind::Rows { table, conditions } => (table, conditions, false),
        _ => return Ok(()),
    };
    let found = find(cx, table, conditions).await?;
    match (predicate, single) {
        (Predicate::Has { columns }, true) => has(&found, columns, cx).await,
        (Predicate::Has { .. }, false) => Err(Failure::new(
            "`has` checks one row: write `row TABLE where … has …`",
        )),
        (Predicate::Exists, true) => one(&found).map(|_| ()),
        (Predicate::Exists, false) if found.rows.is_empty() => Err(Failure::with(
            format!("no row of {}", found.described),
            "at least one row",
            "none",
        )),
        (Predicate::NotExists, _) if !found.rows.is_empty() => Err(Failure {
            error: false,
            message: format!(
                "{} row{} of {} exist{}",
                found.rows.len(),
                plural(found.rows.len()),
                found.described,
                if found.rows.len() == 1 { "s" } else { "" }
            ),
            evidence: Box::new(Evidence {
                expected: Some("no row".to_string()),
                actual: Some(format!(
                    "{} row{}",
                    found.rows.len(),
                    plural(found.rows.len())
                )),
                notes: found.notes("found"),
                ..Evidence::default()
            }),
        }),
        (Predicate::Exists | Predicate::NotExists, _) => Ok(()),
        (Predicate::Count { op, value }, _) => {
            let expected = operand_value(value, cx.scope)?;
            let count = Value::from(found.rows.len());
            if db_holds(*op, &count, &expected) == Some(true) {
                return Ok(());
            }
            Err(Failure {
                error: false,
                message: format!(
                    "{} row{} of {}, expected count {} {}",
                    found.rows.len(),
                    plural(found.rows.len()),
                    found.described,
                    op.as_str(),
                    render(&expected)
                ),
                evidence: Box::new(Evidence {
                    expected: Some(format!("count {} {}", op.as_str(), render(&expected))),
                    actual: Some(found.rows.len().to_string()),
                    notes: found.notes("matched"),
                    ..Evidence::default()
                }),
            })
        }
        (other, true) => {
            let row = one(&found)?.clone();
            predicate::apply(other, subject, Some(row), cx)
        }
        (other, false) => predicate::apply(other, subject, Some(Value::Array(found.rows)), cx),
    }
}

/// `has COL = V, …` on the one row found.
async fn has(found: &Found, columns: &[Condition], cx: &Context<'_>) -> Result<(), Failure> {
    let row = one(found)?;
    let mut mismatches = Vec::new();
    for condition in columns {
        let expected = operand_value(&condition.value, cx.scope)?;
        let Some(actual) = row.get(&condition.column.value).or_else(|| {
            row.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&condition.column.value))
                    .map(|(_, v)| v)
            })
        }) else {
            let known: Vec<&str> = row
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(Failure::new(format!(
                "the row has no column `{}` (its columns: {})",
                condition.column.value,
                known.join(", ")
            )));
        };
        if db_holds(condition.op, actual, &expected) != Some(true) {
            mismatches.push(Mismatch {
                path: condition.column.value.clone(),
                expected: format!(
                    "{}{}",
                    if condition.op == CmpOp::Eq {
                        String::new()
                    } else {
                        format!("{} ", condition.op.as_str())
                    },
                    render(&expected)
                ),
                actual: render(actual),
            });
        }
    }
    if mismatches.is_empty() {
        return Ok(());
    }
    let message = match mismatches.as_slice() {
        [m] => format!(
            "row {}: {} is {}, expected {}",
            found.described, m.path, m.actual, m.expected
        ),
        many => format!("row {} differs in {} columns", found.described, many.len()),
    };
    Err(Failure {
        error: false,
        message,
        evidence: Box::new(Evidence {
            mismatches,
            notes: vec![format!("the row: {row}")],
            ..Evidence::default()
        }),
    })
}

/// A call of a Database State Verification check.
pub(super) async fn call(
    name: &Spanned<String>,
    args: &[Operand],
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let db = database(cx)?;
    let Some(check) = db.checks.iter().find(|c| c.name.value == name.value) else {
        return Err(Failure::new(format!(
            "there is no check `{}` in Database State Verification",
            name.value
        )));
    };
    let argument = match args {
        [] => Value::Null,
        [arg] => operand_value(arg, cx.scope)?,
        _ => {
            return Err(Failure::new(format!(
                "`{}` takes one argument ({}), not {}",
                name.value,
                check.param.value,
                args.len()
            )));
        }
    };
    let mut results: HashMap<&str, Found> = HashMap::new();
    for step in &check.steps {
        let statement = db
            .source
            .get(step_span(step).range())
            .unwrap_or("")
            .trim()
            .to_string();
        let fail =
            |message: String| Failure::new(format!("{}: `{statement}`: {message}", name.value));
        match step {
            DbCheckStep::Query {
                var,
                entity,
                filters,
                ..
            } => {
                let found = query(db, &entity.value, filters, &argument, &check.param.value)
                    .await
                    .map_err(|f| fail(f.message))?;
                results.insert(var.as_str(), found);
            }
            DbCheckStep::AssertFound { var, found, .. } => {
                let result = results
                    .get(var.as_str())
                    .ok_or_else(|| fail(format!("`{var}` is not defined before this line")))?;
                match (result.rows.first(), *found) {
                    (Some(_), true) | (None, false) => {}
                    (None, true) => {
                        return Err(Failure {
                            error: false,
                            evidence: Box::new(Evidence {
                                expected: Some("a row".to_string()),
                                actual: Some("none".to_string()),
                                ..Evidence::default()
                            }),
                            ..fail(format!("no row of {}", result.described))
                        });
                    }
                    (Some(row), false) => {
                        return Err(Failure {
                            error: false,
                            evidence: Box::new(Evidence {
                                expected: Some("no row".to_string()),
                                notes: vec![format!("found: {row}")],
                                ..Evidence::default()
                            }),
                            ..fail(format!("a row of {} exists", result.described))
                        });
                    }
                }
            }
            DbCheckStep::AssertColumn {
                var,
                column,
                op,
                value,
                ..
            } => {
                let (_, row, actual) =
                    first_row_column(&results, var, &column.value).map_err(fail)?;
                let expected = check_value(value, &argument, &check.param.value)
                    .map_err(|f| fail(f.message))?;
                if db_holds(*op, actual, &expected) != Some(true) {
                    return Err(Failure {
                        error: false,
                        evidence: Box::new(Evidence {
                            expected: Some(format!(
                                "{} {} {}",
                                column.value,
                                op.as_str(),
                                render(&expected)
                            )),
                            actual: Some(render(actual)),
                            notes: vec![format!("the row: {row}")],
                            ..Evidence::default()
                        }),
                        ..fail(format!(
                            "{} is {}, expected {} {}",
                            column.value,
                            render(actual),
                            op.as_str(),
                            render(&expected)
                        ))
                    });
                }
            }
            DbCheckStep::AssertTruth {
                var, column, test, ..
            } => {
                let (result, row, actual) =
                    first_row_column(&results, var, &column.value).map_err(fail)?;
                let declared = result.columns.iter().find(|c| c.name == column.value);
                if !truth::holds(*test, actual, declared) {
                    let mut notes = vec![format!("the row: {row}")];
                    notes.extend(truth::hint(*test, actual, declared));
                    return Err(Failure {
                        evidence: Box::new(Evidence {
                            expected: Some(format!("{} {}", column.value, test.as_str())),
                            actual: Some(render(actual)),
                            notes,
                            ..Evidence::default()
                        }),
                        ..fail(format!(
                            "{} is {}, expected it {}",
                            column.value,
                            render(actual),
                            test.as_str()
                        ))
                    });
                }
            }
            DbCheckStep::Unreadable { .. } => {
                return Err(fail(
                    "itspec cannot execute this statement (`itspec check` says why)".to_string(),
                ));
            }
            DbCheckStep::AssertCount {
                entity,
                filters,
                op,
                value,
                ..
            } => {
                let found = query(db, &entity.value, filters, &argument, &check.param.value)
                    .await
                    .map_err(|f| fail(f.message))?;
                let expected = check_value(value, &argument, &check.param.value)
                    .map_err(|f| fail(f.message))?;
                if db_holds(*op, &Value::from(found.rows.len()), &expected) != Some(true) {
                    return Err(Failure {
                        error: false,
                        evidence: Box::new(Evidence {
                            expected: Some(format!("count {} {}", op.as_str(), render(&expected))),
                            actual: Some(found.rows.len().to_string()),
                            notes: found.notes("matched"),
                            ..Evidence::default()
                        }),
                        ..fail(format!(
                            "{} row{} of {}",
                            found.rows.len(),
                            plural(found.rows.len()),
                            found.described
                        ))
                    });
                }
            }
        }
    }
    Ok(())
}

fn step_span(step: &DbCheckStep) -> itspec_spec::Span {
    match step {
        DbCheckStep::Query { span, .. }
        | DbCheckStep::AssertFound { span, .. }
        | DbCheckStep::AssertColumn { span, .. }
        | DbCheckStep::AssertTruth { span, .. }
        | DbCheckStep::Unreadable { span }
        | DbCheckStep::AssertCount { span, .. } => *span,
    }
}

/// `db_session.query(Entity).filter_by(…)`: the rows, first by key.
async fn query(
    db: &DbContext<'_>,
    entity: &str,
    filters: &[DbCheckFilter],
    argument: &Value,
    param: &str,
) -> Result<Found, Failure> {
    let table =
        db::table_of(&db.isolation.schema, &db.isolation.entities, entity).map_err(Failure::new)?;
    let mut resolved = Vec::with_capacity(filters.len());
    for filter in filters {
        let name = column(table, &filter.column.value)?;
        resolved.push((
            name.to_string(),
            CmpOp::Eq,
            check_value(&filter.value, argument, param)?,
        ));
    }
    select(db.isolation, table, &resolved).await
}

/// A literal, or `expected["k"]["j"]` read from the argument.
fn check_value(value: &DbCheckValue, argument: &Value, param: &str) -> Result<Value, Failure> {
    match value {
        DbCheckValue::Literal(literal) => {
            super::interpolate_json(literal, &crate::vars::Scope::new()).map_err(Failure::from)
        }
        DbCheckValue::Argument(keys) => {
            let mut at = argument;
            let mut walked = param.to_string();
            for key in &keys.value {
                at = match at {
                    Value::Object(map) => map.get(key),
                    Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                }
                .ok_or_else(|| {
                    Failure::new(format!(
                        "{walked} has no key \"{key}\" (it is {})",
                        render(at)
                    ))
                })?;
                walked = format!("{walked}[\"{key}\"]");
            }
            Ok(at.clone())
        }
    }
}

/// `database unchanged` (every tracked table) or `table X unchanged`.
pub(super) fn unchanged(table: Option<&Spanned<String>>, cx: &Context<'_>) -> Result<(), Failure> {
    unchanged_in(table, database(cx)?)
}

/// Whether the tracked tables (or one of them) are as they were after
/// Setup: the database's part of `no side effects` too.
pub(crate) fn unchanged_in(
    table: Option<&Spanned<String>>,
    db: &DbContext<'_>,
) -> Result<(), Failure> {
    let (Some(before), Some(after)) = (db.before, db.after) else {
        return Err(Failure::new("the database was not recorded for this case"));
    };
    let mut changed = after.changed_from(before);
    if let Some(name) = table {
        let Some(found) = db.isolation.tracked.table(&name.value) else {
            let reason = if db.isolation.schema.table(&name.value).is_some() {
                "is not tracked ([database] exclude, or migration bookkeeping), so it is not recorded"
            } else {
                "does not exist"
            };
            return Err(Failure::new(format!("table `{}` {reason}", name.value)));
        };
        changed.retain(|t| *t == found.name);
    }
    if changed.is_empty() {
        return Ok(());
    }
    let mut summary = Vec::new();
    let mut lines = Vec::new();
    for name in &changed {
        let (Some(old), Some(new), Some(table)) = (
            before.rows(name),
            after.rows(name),
            db.isolation.tracked.tables.get(name),
        ) else {
            summary.push(format!("{name} (changed)"));
            continue;
        };
        let diff = db::diff(db.isolation.db.kind, table, old, new);
        let mut parts = Vec::new();
        for (count, what) in [
            (diff.inserted.len(), "inserted"),
            (diff.changed.len(), "changed"),
            (diff.deleted.len(), "deleted"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {what}"));
            }
        }
        summary.push(format!("{name} ({})", parts.join(", ")));
        lines.push(DiffLine {
            tag: ' ',
            text: format!("table {name}:"),
        });
        for row in &diff.deleted {
            lines.push(DiffLine {
                tag: '-',
                text: row.to_string(),
            });
        }
        for (old_row, new_row) in &diff.changed {
            lines.push(DiffLine {
                tag: '-',
                text: old_row.to_string(),
            });
            lines.push(DiffLine {
                tag: '+',
                text: new_row.to_string(),
            });
        }
        for row in &diff.inserted {
            lines.push(DiffLine {
                tag: '+',
                text: row.to_string(),
            });
        }
    }
    let what = if table.is_some() {
        "the table changed"
    } else {
        "the database changed"
    };
    Err(Failure {
        error: false,
        message: format!("{what}: {}", summary.join("; ")),
        evidence: Box::new(Evidence {
            diff: lines,
            diff_title: Some(
                "rows (- before the first request, + after the last request):".to_string(),
            ),
            ..Evidence::default()
        }),
    })
}
