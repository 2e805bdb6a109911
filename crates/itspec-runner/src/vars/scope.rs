//! The variables visible at one point of a run.

use serde_json::{Map, Value};

/// A variable could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct VarError {
    /// The expression, as written between the braces.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

/// Named values: builtins, configuration, fixtures, captures, responses.
/// Later definitions hide earlier ones of the same name.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    values: Map<String, Value>,
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines (or redefines) a variable.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), value);
    }

    /// Every variable defined, by name.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// Whether a root name is defined.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name) || matches!(name, "uuid" | "now" | "env")
    }

    /// The value of `root.path[0].more`.
    pub fn lookup(&self, expression: &str) -> Result<Value, VarError> {
        let error = |message: String| VarError {
            name: expression.to_string(),
            message,
        };
        let mut segments = segments(expression).map_err(error)?.into_iter();
        let Some(Segment::Key(root)) = segments.next() else {
            return Err(error(format!("`{expression}` is not a variable")));
        };
        let mut current = match root.as_str() {
            // Fresh at every use.
            "uuid" => Value::String(uuid::Uuid::new_v4().to_string()),
            "now" => Value::String(
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
            "env" => {
                let Some(Segment::Key(name)) = segments.next() else {
                    return Err(error(
                        "write `{{env.NAME}}` to read an environment variable".to_string(),
                    ));
                };
                return match std::env::var(&name) {
                    Ok(value) => Ok(Value::String(value)),
                    Err(_) => Err(error(format!(
                        "the environment variable `{name}` is not set"
                    ))),
                };
            }
            _ => match self.values.get(&root) {
                Some(value) => value.clone(),
                None => return Err(error(format!("`{root}` is not defined"))),
            },
        };
        let mut walked = root;
        for segment in segments {
            current = match (&segment, current) {
                (Segment::Key(key), Value::Object(mut object)) => match object.remove(key) {
                    Some(value) => value,
                    None => return Err(error(format!("`{walked}` has no key `{key}`"))),
                },
                (Segment::Index(index), Value::Array(items)) => {
                    let position = if *index < 0 {
                        items.len().checked_sub(index.unsigned_abs() as usize)
                    } else {
                        Some(*index as usize)
                    };
                    match position.and_then(|p| items.into_iter().nth(p)) {
                        Some(value) => value,
                        None => return Err(error(format!("`{walked}` has no element [{index}]"))),
                    }
                }
                (segment, other) => {
                    return Err(error(format!(
                        "`{walked}` is {}, so it has no {}",
                        describe(&other),
                        match segment {
                            Segment::Key(key) => format!("key `{key}`"),
                            Segment::Index(index) => format!("element [{index}]"),
                        }
                    )));
                }
            };
            match segment {
                Segment::Key(key) => walked = format!("{walked}.{key}"),
                Segment::Index(index) => walked = format!("{walked}[{index}]"),
            }
        }
        Ok(current)
    }
}

/// A short description of a JSON value's type.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(i64),
}

/// `a.b[0].c` → [a, b, 0, c].
fn segments(expression: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = expression.trim();
    let mut first = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after
                .find(']')
                .ok_or_else(|| format!("`{expression}`: `[` without `]`"))?;
            let index = after
                .get(..close)
                .and_then(|i| i.trim().parse::<i64>().ok())
                .ok_or_else(|| format!("`{expression}`: an index is a number, like `[0]`"))?;
            segments.push(Segment::Index(index));
            rest = after.get(close + 1..).unwrap_or("");
        } else {
            let body = if first {
                rest
            } else {
                rest.strip_prefix('.').unwrap_or(rest)
            };
            let len = body.find(['.', '[']).unwrap_or(body.len());
            let key = body.get(..len).unwrap_or("");
            if key.is_empty() {
                return Err(format!("`{expression}` has an empty name"));
            }
            segments.push(Segment::Key(key.to_string()));
            rest = body.get(len..).unwrap_or("");
        }
        first = false;
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        let mut scope = Scope::new();
        scope.set(
            "order",
            json!({"id": 7, "lines": [{"sku": "A"}, {"sku": "B"}]}),
        );
        scope.set("name", json!("Ada"));
        scope
    }

    #[test]
    fn paths() {
        let scope = scope();
        assert_eq!(scope.lookup("order.id"), Ok(json!(7)));
        assert_eq!(scope.lookup("order.lines[1].sku"), Ok(json!("B")));
        assert_eq!(scope.lookup("order.lines[-1].sku"), Ok(json!("B")));
        assert_eq!(scope.lookup("name"), Ok(json!("Ada")));
    }

    #[test]
    fn errors_say_where_the_path_stops() {
        let scope = scope();
        assert_eq!(
            scope.lookup("missing").unwrap_err().message,
            "`missing` is not defined"
        );
        assert_eq!(
            scope.lookup("order.total").unwrap_err().message,
            "`order` has no key `total`"
        );
        assert_eq!(
            scope.lookup("order.lines[5]").unwrap_err().message,
            "`order.lines` has no element [5]"
        );
        assert_eq!(
            scope.lookup("name.first").unwrap_err().message,
            "`name` is a string, so it has no key `first`"
        );
    }

    #[test]
    fn builtins_are_fresh() {
        let scope = Scope::new();
        let a = scope.lookup("uuid").unwrap();
        let b = scope.lookup("uuid").unwrap();
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(a.as_str().unwrap()).is_ok());
        assert!(
            chrono::DateTime::parse_from_rfc3339(scope.lookup("now").unwrap().as_str().unwrap())
                .is_ok()
        );
        assert!(scope.lookup("env.ITSPEC_TEST_SURELY_UNSET").is_err());
    }
}
