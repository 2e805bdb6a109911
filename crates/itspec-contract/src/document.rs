//! Reading an OpenAPI document: YAML or JSON into one JSON value, its
//! version, and the schema registry its `$ref`s resolve in.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use jsonschema::{Draft, Registry, Validator};
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value, json};

use crate::direction::{Direction, seen_by};
use crate::operation::{Operation, operations, percent_decode};

/// The base URI the document is registered under.
pub(crate) const BASE: &str = "urn:itspec:openapi";

/// An OpenAPI document, read.
pub struct Contract {
    /// The file, as named.
    pub file: String,
    /// The document.
    pub(crate) doc: Value,
    /// Every operation, in document order.
    pub(crate) operations: Vec<Operation>,
    /// The path prefix of the first server URL (`/v1`), if any.
    pub(crate) prefix: String,
    pub(crate) draft: Draft,
    /// The document as requests see it, registered for `$ref`s.
    pub(crate) request_registry: Registry<'static>,
    /// The document as responses see it.
    pub(crate) response_registry: Registry<'static>,
    /// Validators built, by direction and schema pointer.
    pub(crate) validators: Mutex<HashMap<(Direction, String), Arc<Validator>>>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("file", &self.file)
            .field("operations", &self.operations)
            .finish_non_exhaustive()
    }
}

impl Contract {
    /// Reads the document at `path` (named `file` in messages).
    pub fn load(path: &Path, file: &str) -> Result<Contract, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {file}: {e}"))?;
        Self::parse(file, &text)
    }

    /// Reads a document's text: JSON, or YAML (of which JSON is a part).
    pub fn parse(file: &str, text: &str) -> Result<Contract, String> {
        let mut doc = match serde_json::from_str::<Value>(text) {
            Ok(doc) => doc,
            Err(_) => yaml(file, text)?,
        };
        let version = doc
            .get("openapi")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!("{file} is not an OpenAPI 3 document: it has no `openapi: 3.x` field")
            })?
            .to_string();
        let draft = if version.starts_with("3.0") {
            nullable_to_null(&mut doc);
            Draft::Draft4
        } else if version.starts_with("3.1") {
            Draft::Draft202012
        } else {
            return Err(format!(
                "{file} is OpenAPI {version}: itspec reads OpenAPI 3.0 and 3.1"
            ));
        };
        let registry = |direction| {
            let mut seen = seen_by(&doc, direction);
            let identified = if draft == Draft::Draft202012 {
                identified_schemas(&mut seen)
            } else {
                Vec::new()
            };
            let mut registry = Registry::new().add(BASE, draft.create_resource(seen));
            for (id, schema) in identified {
                registry = registry.and_then(|r| r.add(id, draft.create_resource(schema)));
            }
            registry
                .and_then(|registry| registry.prepare())
                .map_err(|e| format!("{file}: {e}"))
        };
        let request_registry = registry(Direction::Request)?;
        let response_registry = registry(Direction::Response)?;
        let operations = operations(&doc);
        let prefix = doc
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .map(server_path)
            .unwrap_or_default();
        Ok(Contract {
            file: file.to_string(),
            doc,
            operations,
            prefix,
            draft,
            request_registry,
            response_registry,
            validators: Mutex::default(),
        })
    }

    /// Every operation: paths in document order, and on each path its
    /// methods in the order get, put, post, delete, options, head, patch,
    /// trace.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }
}

impl Contract {
    /// The operation an API contract names after `#`: an `operationId`, or
    /// a JSON pointer to the operation (`/paths/~1orders/post`).
    pub fn find(&self, reference: &str) -> Option<&Operation> {
        if reference.starts_with('/') {
            let pointer = percent_decode(reference);
            self.operations.iter().find(|op| op.pointer == pointer)
        } else {
            self.operations
                .iter()
                .find(|op| op.id.as_deref() == Some(reference))
        }
    }

    /// The operation a request to `path` (query and all) with `method`
    /// reaches, with or without the servers' path prefix.
    pub fn route(&self, method: &str, path: &str) -> Option<&Operation> {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let unprefixed = (!self.prefix.is_empty())
            .then(|| path.strip_prefix(self.prefix.as_str()))
            .flatten();
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method))
            .filter(|op| op.matches(path) || unprefixed.is_some_and(|p| op.matches(p)))
            .max_by_key(|op| op.literal_segments())
    }

    /// The operation id most like `reference`, for a "did you mean"
    /// ([`itspec_spec::suggest`]).
    pub fn nearest(&self, reference: &str) -> Option<String> {
        itspec_spec::suggest::nearest(
            reference,
            self.operations.iter().filter_map(|op| op.id.as_deref()),
        )
        .map(str::to_string)
    }
}

/// The schemas of `components/schemas` with their own `$id` (3.1), each a
/// resource of its own: the `#…` `$ref`s inside one resolve against its
/// id, so they are written out as `id#…` (in the document too, where a
/// request's schema reaches it by pointer).
fn identified_schemas(doc: &mut Value) -> Vec<(String, Value)> {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for schema in schemas.values_mut() {
        let Some(id) = schema
            .get("$id")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        let base = id.split('#').next().unwrap_or(&id).to_string();
        absolute_refs(schema, &base);
        found.push((id, schema.clone()));
    }
    found
}

/// `$ref: "#/$defs/x"` → `$ref: "BASE#/$defs/x"` everywhere under `value`.
fn absolute_refs(value: &mut Value, base: &str) {
    match value {
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                match member {
                    Value::String(reference) if key == "$ref" && reference.starts_with('#') => {
                        *reference = format!("{base}{reference}");
                    }
                    other => absolute_refs(other, base),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| absolute_refs(item, base)),
        _ => {}
    }
}

/// The path of a server URL: `https://api.example.com/v1/` → `/v1`.
fn server_path(url: &str) -> String {
    let after_host = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| rest.get(i..).unwrap_or("")),
        None => url,
    };
    after_host.trim_end_matches('/').to_string()
}

fn yaml(file: &str, text: &str) -> Result<Value, String> {
    let documents = Yaml::load_from_str(text).map_err(|e| {
        let marker = e.marker();
        format!(
            "{file}:{}:{}: not YAML or JSON: {}",
            marker.line(),
            marker.col() + 1,
            e.info()
        )
    })?;
    let first = documents
        .first()
        .ok_or_else(|| format!("{file} is empty"))?;
    Ok(to_json(first))
}

/// YAML → JSON; keys become strings (`201:` is an integer in YAML).
fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => json!(i),
        Yaml::Value(Scalar::FloatingPoint(f)) => json!(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Sequence(items) => items.iter().map(to_json).collect(),
        Yaml::Mapping(members) => Value::Object(
            members
                .iter()
                .map(|(key, value)| {
                    let key = match to_json(key) {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (key, to_json(value))
                })
                .collect::<Map<_, _>>(),
        ),
        Yaml::Tagged(_, inner) => to_json(inner),
        _ => Value::Null,
    }
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema says it: `null` among
/// the types (and the enum values) of a schema that names its type.
/// Examples and extensions are values, not schemas, and are left alone —
/// but a member *named* `example` or `x-…` under `properties` is a schema.
fn nullable_to_null(value: &mut Value) {
    match value {
        Value::Object(members) => {
            if members.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(kind)) = members.get("type") {
                    let kind = kind.clone();
                    members.insert("type".to_string(), json!([kind, "null"]));
                }
                if let Some(Value::Array(values)) = members.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
            }
            for (key, member) in members.iter_mut() {
                if NAMED_SCHEMAS.contains(&key.as_str()) {
                    if let Value::Object(named) = member {
                        named.values_mut().for_each(nullable_to_null);
                    }
                } else if key != "example" && key != "examples" && !key.starts_with("x-") {
                    nullable_to_null(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_null),
        _ => {}
    }
}

/// Keywords whose members are schemas by name.
const NAMED_SCHEMAS: [&str; 3] = ["properties", "patternProperties", "schemas"];
