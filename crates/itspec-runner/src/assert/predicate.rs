//! Predicates applied to a subject's value.

use std::cmp::Ordering;

use itspec_spec::model::{CmpOp, Predicate, ResponsePart, Subject, SubjectKind};
use serde_json::Value;

use super::subject::{status_class, status_holds};
use super::{Context, Failure, operand_value};
use crate::matching::body::render;
use crate::matching::values as compare;
use crate::vars::to_text;

pub(super) fn ordering_holds(op: CmpOp, ordering: Ordering) -> bool {
    match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    }
}

/// `count OP N` of what a channel collects (messages, e-mails): a count
/// that only grows as they come.
#[derive(Clone, Copy)]
pub(super) struct GrowingCount {
    pub op: CmpOp,
    pub wanted: u64,
}

impl GrowingCount {
    pub fn holds(self, n: u64) -> bool {
        ordering_holds(self.op, n.cmp(&self.wanted))
    }

    /// Known for good at `n`: it holds and more cannot undo it, or it
    /// failed and more cannot mend it.
    pub fn settled(self, n: u64) -> bool {
        match self.op {
            CmpOp::Gt | CmpOp::Ge => self.holds(n),
            CmpOp::Eq | CmpOp::Le => n > self.wanted,
            CmpOp::Lt => n >= self.wanted,
            CmpOp::Ne => false,
        }
    }

    /// Whether it first waits up to `[channels] wait` for N to come.
    pub fn waits_for_more(self) -> bool {
        matches!(self.op, CmpOp::Gt | CmpOp::Ge | CmpOp::Eq)
    }

    /// The first wait ends at `n`: settled, or N reached.
    pub fn reached(self, n: u64) -> bool {
        self.settled(n) || n >= self.wanted
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_string(), render)
}

fn is_status(subject: &Subject) -> bool {
    matches!(
        subject.kind,
        SubjectKind::Response {
            part: ResponsePart::Status,
            ..
        }
    )
}

/// Whether the subject's value comes from the database, and so compares
/// with the database's coercions (FORMAT §4).
fn is_database(subject: &Subject) -> bool {
    matches!(
        subject.kind,
        SubjectKind::Row { .. } | SubjectKind::Rows { .. } | SubjectKind::Sql { .. }
    )
}

/// Whether two values are equal for an assertion: numbers by value, and a
/// text subject (a header) equal to a number or boolean written as text.
fn same(actual: &Value, expected: &Value) -> bool {
    if compare::equal(actual, expected) {
        return true;
    }
    match (actual, expected) {
        (Value::String(text), Value::Number(_)) => text
            .trim()
            .parse::<serde_json::Number>()
            .is_ok_and(|n| compare::equal(&Value::Number(n), expected)),
        (Value::String(text), Value::Bool(b)) => text.trim() == if *b { "true" } else { "false" },
        _ => false,
    }
}

pub(super) fn apply(
    predicate: &Predicate,
    subject: &Subject,
    value: Option<Value>,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let actual = value.as_ref();
    match predicate {
        Predicate::Compare { op, value: operand } => {
            let expected = operand_value(operand, cx.scope)?;
            let holds = match (actual, is_status(subject)) {
                (Some(Value::Number(n)), true) => n
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .is_some_and(|status| status_holds(status, *op, &expected)),
                (Some(_), _) if status_class(&expected).is_some() => {
                    return Err(Failure::new(
                        "a status class like `4xx` compares with `status` only",
                    ));
                }
                (Some(actual), _) => {
                    let holds = if is_database(subject) {
                        crate::matching::database::db_holds(*op, actual, &expected)
                    } else {
                        match op {
                            CmpOp::Eq => Some(same(actual, &expected)),
                            CmpOp::Ne => Some(!same(actual, &expected)),
                            _ => compare::order(actual, &expected)
                                .map(|ordering| ordering_holds(*op, ordering)),
                        }
                    };
                    holds.ok_or_else(|| {
                        Failure::with(
                            format!("cannot order {} and {}", render(actual), render(&expected)),
                            format!("{} {}", op.as_str(), render(&expected)),
                            render(actual),
                        )
                    })?
                }
                (None, _) => *op == CmpOp::Ne,
            };
            if holds {
                Ok(())
            } else {
                Err(Failure::with(
                    format!(
                        "expected {} {}, got {}",
                        op.as_str(),
                        render(&expected),
                        shown(actual)
                    ),
                    format!("{} {}", op.as_str(), render(&expected)),
                    shown(actual),
                ))
            }
        }
        Predicate::In { values } => {
            let expected: Vec<Value> = values
                .iter()
                .map(|v| operand_value(v, cx.scope))
                .collect::<Result<_, _>>()?;
            let holds = actual.is_some_and(|a| {
                expected.iter().any(|e| match (a, is_status(subject)) {
                    (Value::Number(n), true) => n
                        .as_u64()
                        .and_then(|s| u16::try_from(s).ok())
                        .is_some_and(|status| status_holds(status, CmpOp::Eq, e)),
                    _ if is_database(subject) => crate::matching::database::db_equal(a, e),
                    _ => same(a, e),
                })
            });
            let list = format!(
                "[{}]",
                expected.iter().map(render).collect::<Vec<_>>().join(", ")
            );
            if holds {
                Ok(())
            } else {
                Err(Failure::with(
                    format!("expected one of {list}, got {}", shown(actual)),
                    format!("in {list}"),
                    shown(actual),
                ))
            }
        }
        Predicate::Contains {
            value: operand,
            negated,
        } => {
            let expected = operand_value(operand, cx.scope)?;
            let contains = actual.is_some_and(|a| compare::contains(a, &expected));
            if contains != *negated {
                Ok(())
            } else {
                let verb = if *negated { "not contain" } else { "contain" };
                Err(Failure::with(
                    format!("expected {} to {verb} {}", shown(actual), render(&expected)),
                    format!("{verb} {}", render(&expected)),
                    shown(actual),
                ))
            }
        }
        Predicate::Matches { regex } => {
            let pattern = regex::Regex::new(&regex.value)
                .map_err(|error| Failure::new(format!("invalid regular expression: {error}")))?;
            match actual {
                Some(value @ (Value::String(_) | Value::Number(_) | Value::Bool(_)))
                    if pattern.is_match(&to_text(value)) =>
                {
                    Ok(())
                }
                other => Err(Failure::with(
                    format!("{} does not match /{}/", shown(other), regex.value),
                    format!("a string matching /{}/", regex.value),
                    shown(other),
                )),
            }
        }
        Predicate::Exists => match actual {
            Some(_) => Ok(()),
            None => Err(Failure::with(
                "expected it to exist, but it is absent",
                "present",
                "absent",
            )),
        },
        Predicate::NotExists => match actual {
            None => Ok(()),
            Some(value) => Err(Failure::with(
                format!("expected it to be absent, got {}", render(value)),
                "absent",
                render(value),
            )),
        },
        Predicate::Is { type_name } => {
            let holds = actual.is_some_and(|a| type_name.value.holds(a));
            if holds {
                Ok(())
            } else {
                let name = type_name.value.describe();
                Err(Failure::with(
                    format!("expected {name}, got {}", shown(actual)),
                    name,
                    shown(actual),
                ))
            }
        }
        Predicate::InAnyOrder { values } => {
            let expected: Vec<Value> = values
                .iter()
                .map(|v| operand_value(v, cx.scope))
                .collect::<Result<_, _>>()?;
            let actual_items = match actual {
                Some(Value::Array(items)) => items.clone(),
                other => {
                    return Err(Failure::new(format!(
                        "expected a list, got {}",
                        shown(other)
                    )));
                }
            };
            if multiset_equal(&actual_items, &expected) {
                Ok(())
            } else {
                let want = format!(
                    "[{}] in any order",
                    expected.iter().map(render).collect::<Vec<_>>().join(", ")
                );
                Err(Failure::with(
                    format!(
                        "expected {want}, got {}",
                        render(&Value::Array(actual_items.clone()))
                    ),
                    want,
                    render(&Value::Array(actual_items)),
                ))
            }
        }
        Predicate::Has { .. } => Err(Failure::new(
            "`has` checks a database row: write `row TABLE where … has COL = V`",
        )),
        Predicate::Count { .. } => Err(Failure::new(
            "`count` counts database rows: write `rows TABLE where … count == N`",
        )),
        Predicate::Received { .. } => Err(Failure::new(
            "`received` checks what a mock received: write `mock NAME METHOD /path received {…}`",
        )),
    }
}

/// Whether two lists hold the same values the same number of times; `4xx`
/// classes match any status of the class. Exact values are matched first,
/// so a class never takes a status an exact value needs.
fn multiset_equal(actual: &[Value], expected: &[Value]) -> bool {
    if actual.len() != expected.len() {
        return false;
    }
    let mut unused: Vec<&Value> = actual.iter().collect();
    let (classes, exact): (Vec<&Value>, Vec<&Value>) =
        expected.iter().partition(|v| status_class(v).is_some());
    for want in exact {
        match unused.iter().position(|have| compare::equal(have, want)) {
            Some(position) => {
                unused.swap_remove(position);
            }
            None => return false,
        }
    }
    for want in classes {
        let class = status_class(want).map(u64::from);
        match unused
            .iter()
            .position(|have| have.as_u64().map(|s| s / 100) == class)
        {
            Some(position) => {
                unused.swap_remove(position);
            }
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multisets() {
        assert!(multiset_equal(
            &[json!(409), json!(201)],
            &[json!(201), json!(409)]
        ));
        assert!(multiset_equal(
            &[json!(409), json!(201)],
            &[json!(201), json!("4xx")]
        ));
        assert!(!multiset_equal(
            &[json!(201), json!(201)],
            &[json!(201), json!(409)]
        ));
    }

    #[test]
    fn headers_compare_with_numbers_as_text() {
        assert!(same(&json!("5"), &json!(5)));
        assert!(!same(&json!("5"), &json!(6)));
    }
}
