//! Subjects → the value they look at (`None` when it is absent).

use itspec_spec::model::{CmpOp, PathSegment, ResponsePart, Subject, SubjectKind};
use serde_json::Value;

use super::{Context, Failure, operand_value};
use crate::matching::values as compare;
use itspec_results::ResponseRecord;

/// The value a subject designates; `None` when it is absent (a missing
/// header, a body path that leads nowhere).
pub(super) async fn resolve(subject: &Subject, cx: &Context<'_>) -> Result<Option<Value>, Failure> {
    match &subject.kind {
        SubjectKind::Response { label, part } => {
            let response = match label {
                Some(label) => cx.labelled.get(&label.value).ok_or_else(|| {
                    Failure::new(format!("request {} has no response", label.value))
                })?,
                None => cx
                    .last
                    .ok_or_else(|| Failure::new("there is no response"))?,
            };
            response_part(response, part)
        }
        SubjectKind::Statuses => {
            let statuses = cx
                .statuses
                .ok_or_else(|| Failure::new("`statuses` needs a group of concurrent requests"))?;
            Ok(Some(Value::Array(
                statuses.iter().map(|s| Value::from(*s)).collect(),
            )))
        }
        SubjectKind::CountStatus { op, value } => {
            let statuses = cx.statuses.ok_or_else(|| {
                Failure::new("`count(status …)` needs a group of concurrent requests")
            })?;
            let expected = operand_value(value, cx.scope)?;
            let count = statuses
                .iter()
                .filter(|status| status_holds(**status, *op, &expected))
                .count();
            Ok(Some(Value::from(count)))
        }
        SubjectKind::Row { .. } | SubjectKind::Rows { .. } | SubjectKind::Sql { .. } => {
            super::database::value(subject, cx).await
        }
        SubjectKind::Mock { .. } | SubjectKind::MockCalls { .. } => {
            super::mocks::value(subject, cx)
        }
        SubjectKind::Key { broker, key, ttl } => {
            let messages = cx.messages.ok_or_else(|| {
                Failure::error(
                    "this run has no broker: add [brokers.NAME] with a redis:// URL to itspec.toml",
                )
            })?;
            let key = crate::vars::interpolate_text(&key.value, cx.scope).map_err(|e| {
                Failure::error(format!("variable `{{{{{}}}}}`: {}", e.name, e.message))
            })?;
            messages
                .brokers
                .read_key(&broker.value, &key, *ttl)
                .await
                .map_err(Failure::error)
        }
        SubjectKind::Message { .. } | SubjectKind::Messages { .. } => Err(Failure::error(
            "a message subject is checked with `received` or `count`; it has no value to capture",
        )),
        SubjectKind::Email { .. } | SubjectKind::Emails { .. } => Err(Failure::error(
            "an e-mail subject is checked with a predicate or `count`; it has no value to capture",
        )),
    }
}

/// Whether a status satisfies `OP V`, where V may be a class like `4xx`.
pub(super) fn status_holds(status: u16, op: CmpOp, expected: &Value) -> bool {
    if let Some(class) = status_class(expected) {
        let same = status / 100 == class;
        return match op {
            CmpOp::Eq => same,
            CmpOp::Ne => !same,
            _ => false,
        };
    }
    let actual = Value::from(status);
    match op {
        CmpOp::Eq => compare::equal(&actual, expected),
        CmpOp::Ne => !compare::equal(&actual, expected),
        _ => compare::order(&actual, expected)
            .is_some_and(|o| super::predicate::ordering_holds(op, o)),
    }
}

/// `"4xx"` → 4.
pub(super) fn status_class(value: &Value) -> Option<u16> {
    let text = value.as_str()?;
    let bytes = text.as_bytes();
    match bytes {
        [digit @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => Some(u16::from(digit - b'0')),
        _ => None,
    }
}

fn response_part(response: &ResponseRecord, part: &ResponsePart) -> Result<Option<Value>, Failure> {
    Ok(match part {
        ResponsePart::Status => Some(Value::from(response.status)),
        ResponsePart::Header(name) => response.header(&name.value).map(Value::String),
        ResponsePart::Duration => {
            serde_json::Number::from_f64(response.duration_ms).map(Value::Number)
        }
        ResponsePart::Body(path) => {
            let body = response.body_value();
            if path.is_empty() {
                Some(body)
            } else {
                walk(&body, path)
            }
        }
        ResponsePart::JsonPath(path) => {
            let query = itspec_spec::jsonpath::parse(&path.value).map_err(|error| {
                Failure::new(format!("invalid JSONPath `{}`: {error}", path.value))
            })?;
            let Some(body) = &response.json else {
                return Ok(None);
            };
            let nodes = query.query(body).all();
            match nodes.as_slice() {
                [] => None,
                [one] if !is_multi(&path.value) => Some((*one).clone()),
                many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect())),
            }
        }
    })
}

/// Whether a JSONPath can select several nodes (wildcards, filters,
/// slices, descendants): then its value is always the list of nodes.
fn is_multi(path: &str) -> bool {
    path.contains('*')
        || path.contains('?')
        || path.contains("..")
        || path.contains(':')
        || path.contains(',')
}

fn walk(value: &Value, path: &[PathSegment]) -> Option<Value> {
    let mut current = value;
    for segment in path {
        current = match (segment, current) {
            (PathSegment::Key(key), Value::Object(object)) => object.get(key)?,
            (PathSegment::Index(index), Value::Array(items)) => {
                let position = if *index < 0 {
                    items.len().checked_sub(index.unsigned_abs() as usize)?
                } else {
                    usize::try_from(*index).ok()?
                };
                items.get(position)?
            }
            _ => return None,
        };
    }
    Some(current.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn body_paths() {
        let body = json!({"items": [{"sku": "A"}, {"sku": "B"}]});
        let path = [
            PathSegment::Key("items".into()),
            PathSegment::Index(-1),
            PathSegment::Key("sku".into()),
        ];
        assert_eq!(walk(&body, &path), Some(json!("B")));
        assert_eq!(walk(&body, &[PathSegment::Key("nope".into())]), None);
    }

    #[test]
    fn status_classes() {
        assert!(status_holds(404, CmpOp::Eq, &json!("4xx")));
        assert!(status_holds(500, CmpOp::Ne, &json!("4xx")));
        assert!(status_holds(201, CmpOp::Ge, &json!(200)));
        assert!(!status_holds(201, CmpOp::Eq, &json!(200)));
    }
}
