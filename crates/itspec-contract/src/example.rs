//! Values a schema describes, for a spec scaffolded from an operation
//! (`itspec new --from-openapi`): a request body the schema accepts, built
//! from its examples, defaults and constraints, and an expected response
//! body written in markers (`#uuid`, `#integer`), since the values the
//! service will answer are not known.
//!
//! A string whose `pattern` no example satisfies becomes the template slot
//! `{{value}}`: the spec is not finished until someone writes it.

use serde_json::{Map, Value, json};

use crate::direction::Direction;
use crate::document::Contract;
use crate::refs::follow;

/// Deeper than this, a (recursive) schema gives `null`.
const DEPTH: usize = 8;

impl Contract {
    /// A value for the schema at `pointer`.
    pub(crate) fn example(&self, pointer: &str, direction: Direction) -> Value {
        match self.doc.pointer(pointer) {
            Some(schema) => self.value_of(schema, direction, 0),
            None => Value::Null,
        }
    }

    /// A value for a schema written inline (a parameter's).
    pub(crate) fn example_of(&self, schema: &Value, direction: Direction) -> Value {
        self.value_of(schema, direction, 0)
    }

    /// The schema a `$ref` points to (inside the document), followed.
    pub(crate) fn target<'d>(&'d self, schema: &'d Value) -> &'d Value {
        follow(&self.doc, schema)
    }

    fn value_of(&self, schema: &Value, direction: Direction, depth: usize) -> Value {
        if depth > DEPTH {
            return Value::Null;
        }
        let schema = self.target(schema);
        if let Some(value) = schema.get("const") {
            return literal(value, direction);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let first = values.iter().find(|v| !v.is_null());
            return match (direction, first) {
                (Direction::Request, Some(value)) => value.clone(),
                (Direction::Response, Some(value)) if values.len() == 1 => {
                    literal(value, direction)
                }
                (Direction::Response, Some(value)) => type_marker(value),
                (_, None) => Value::Null,
            };
        }
        if direction == Direction::Request
            && let Some(value) = schema
                .get("example")
                .or_else(|| schema.pointer("/examples/0"))
                .or_else(|| schema.get("default"))
        {
            return value.clone();
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            return self.all_of(parts, direction, depth);
        }
        if let Some(first) = ["oneOf", "anyOf"]
            .iter()
            .find_map(|key| schema.get(*key).and_then(Value::as_array))
            .and_then(|choices| choices.first())
        {
            return match direction {
                Direction::Request => self.value_of(first, direction, depth + 1),
                // Which branch the service answers is not known.
                Direction::Response => json!("#notnull"),
            };
        }
        let nullable = types(schema).contains(&"null");
        let value = match kind(schema) {
            Some("object") => self.object(schema, direction, depth),
            Some("array") => self.array(schema, direction, depth),
            Some("string") => string(schema, direction),
            Some("integer") => number(schema, direction, true),
            Some("number") => number(schema, direction, false),
            Some("boolean") => match direction {
                Direction::Request => json!(true),
                Direction::Response => json!("#boolean"),
            },
            Some("null") => Value::Null,
            _ => match direction {
                Direction::Request => json!("text"),
                Direction::Response => json!("#present"),
            },
        };
        match direction {
            // A member that may be null is there, whatever its value.
            Direction::Response if nullable => json!("#present"),
            _ => value,
        }
    }

    fn object(&self, schema: &Value, direction: Direction, depth: usize) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return match direction {
                Direction::Request => json!({}),
                Direction::Response => json!("#object"),
            };
        };
        let mut members = Map::new();
        for (name, property) in properties {
            let resolved = self.target(property);
            let flag = |key: &str| {
                property.get(key) == Some(&Value::Bool(true))
                    || resolved.get(key) == Some(&Value::Bool(true))
            };
            let keep = match direction {
                Direction::Request => !flag("readOnly"),
                Direction::Response => !flag("writeOnly") && required.contains(&name.as_str()),
            };
            if keep {
                members.insert(name.clone(), self.value_of(property, direction, depth + 1));
            }
        }
        if direction == Direction::Response && members.is_empty() {
            return json!("#object");
        }
        Value::Object(members)
    }

    fn array(&self, schema: &Value, direction: Direction, depth: usize) -> Value {
        let items = schema.get("items").unwrap_or(&Value::Null);
        let item = self.value_of(items, direction, depth + 1);
        match direction {
            Direction::Request => {
                let count = schema
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .clamp(1, 3);
                Value::Array((0..count).map(|_| item.clone()).collect())
            }
            Direction::Response => match item {
                Value::String(marker) if marker.starts_with('#') && !marker.starts_with("##") => {
                    json!(format!("#[] {marker}"))
                }
                Value::Object(_) => json!("#[] #object"),
                _ => json!("#array"),
            },
        }
    }

    fn all_of(&self, parts: &[Value], direction: Direction, depth: usize) -> Value {
        let mut merged = Map::new();
        let mut last = Value::Null;
        for part in parts {
            match self.value_of(part, direction, depth + 1) {
                Value::Object(members) => merged.extend(members),
                other => last = other,
            }
        }
        if merged.is_empty() {
            last
        } else {
            Value::Object(merged)
        }
    }
}

/// The types a schema names: `type: string` or `type: [string, "null"]`.
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The schema's type other than `null`; `object` for a schema with
/// `properties` and no type.
fn kind(schema: &Value) -> Option<&str> {
    types(schema)
        .into_iter()
        .find(|kind| *kind != "null")
        .or_else(|| schema.get("properties").map(|_| "object"))
        .or_else(|| types(schema).first().copied())
}

/// A known value: in an expected body, a string starting with `#` is
/// written `##…` so it is not read as a marker.
fn literal(value: &Value, direction: Direction) -> Value {
    match (direction, value) {
        (Direction::Response, Value::String(text)) if text.starts_with('#') => {
            json!(format!("#{text}"))
        }
        _ => value.clone(),
    }
}

/// The marker for any value of `value`'s type.
fn type_marker(value: &Value) -> Value {
    json!(match value {
        Value::String(_) => "#string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "#integer",
        Value::Number(_) => "#number",
        Value::Bool(_) => "#boolean",
        Value::Array(_) => "#array",
        Value::Object(_) => "#object",
        Value::Null => "#null",
    })
}

fn string(schema: &Value, direction: Direction) -> Value {
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    if direction == Direction::Response {
        return json!(match format {
            "uuid" => "#uuid",
            "date-time" => "#datetime",
            "date" => "#date",
            "email" => "#email",
            _ => "#string",
        });
    }
    let known = match format {
        "uuid" => Some("0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11"),
        "date-time" => Some("2026-01-01T09:00:00Z"),
        "date" => Some("2026-01-01"),
        "email" => Some("someone@example.com"),
        "uri" | "url" => Some("https://example.com/"),
        _ => None,
    };
    if let Some(known) = known {
        return json!(known);
    }
    if schema.get("pattern").is_some() {
        return json!("{{value}}");
    }
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX);
    let mut text = String::from("text");
    while (text.chars().count() as u64) < min {
        text.push('x');
    }
    json!(
        text.chars()
            .take(usize::try_from(max).unwrap_or(usize::MAX))
            .collect::<String>()
    )
}

fn number(schema: &Value, direction: Direction, integer: bool) -> Value {
    if direction == Direction::Response {
        return json!(if integer { "#integer" } else { "#number" });
    }
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    // Draft 4 (OpenAPI 3.0) writes an exclusive bound as a flag beside it.
    let flagged = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    let step = if integer { 1.0 } else { 0.5 };
    let low = match (bound("minimum"), bound("exclusiveMinimum")) {
        (Some(min), _) if flagged("exclusiveMinimum") => Some(min + step),
        (Some(min), _) => Some(min),
        (None, Some(min)) => Some(min + step),
        (None, None) => None,
    };
    let high = match (bound("maximum"), bound("exclusiveMaximum")) {
        (Some(max), _) if flagged("exclusiveMaximum") => Some(max - step),
        (Some(max), _) => Some(max),
        (None, Some(max)) => Some(max - step),
        (None, None) => None,
    };
    let mut value = low.unwrap_or(1.0);
    if let Some(high) = high {
        value = value.min(high);
    }
    if integer {
        json!(value.ceil() as i64)
    } else {
        json!(value)
    }
}
