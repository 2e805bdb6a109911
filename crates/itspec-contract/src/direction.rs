//! Requests and responses read one schema differently: a required
//! `readOnly` member is required of responses only, and a required
//! `writeOnly` member of requests only (OpenAPI 3.0 and 3.1, Schema
//! Object). Each direction validates against its own copy of the document,
//! with those names taken out of `required`.

use serde_json::Value;

use crate::refs::follow;

/// Which way a body goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    /// To the service.
    Request,
    /// From the service.
    Response,
}

impl Direction {
    /// The flag of the members this direction does not require.
    fn exempt(self) -> &'static str {
        match self {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        }
    }
}

/// The document as `direction` sees it.
pub(crate) fn seen_by(doc: &Value, direction: Direction) -> Value {
    let mut seen = doc.clone();
    relax(&mut seen, doc, direction.exempt());
    seen
}

/// Takes the members flagged `flag` out of every `required` under `value`;
/// `$ref`s to the flag's schema resolve in `doc`.
fn relax(value: &mut Value, doc: &Value, flag: &str) {
    match value {
        Value::Object(members) => {
            if let (Some(Value::Object(properties)), Some(Value::Array(required))) =
                (members.get("properties"), members.get("required"))
            {
                let kept: Vec<Value> = required
                    .iter()
                    .filter(|name| {
                        let property = name.as_str().and_then(|name| properties.get(name));
                        !property.is_some_and(|p| flagged(p, doc, flag))
                    })
                    .cloned()
                    .collect();
                members.insert("required".to_string(), Value::Array(kept));
            }
            for member in members.values_mut() {
                relax(member, doc, flag);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| relax(item, doc, flag)),
        _ => {}
    }
}

/// Whether a schema, or the one its `$ref` names, says `flag: true`.
fn flagged(schema: &Value, doc: &Value, flag: &str) -> bool {
    let says = |schema: &Value| schema.get(flag) == Some(&Value::Bool(true));
    says(schema) || says(follow(doc, schema))
}
