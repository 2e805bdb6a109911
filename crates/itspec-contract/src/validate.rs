//! Bodies validated against the JSON Schemas of an operation: its request
//! body, and the response documented for a status.

use std::sync::Arc;

use jsonschema::Validator;
use serde_json::{Value, json};

use crate::direction::Direction;
use crate::document::{BASE, Contract};
use crate::operation::{Operation, escape};

/// One place where a body breaks its schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    /// The JSON pointer of the offending value in the body (`/items/0/sku`;
    /// empty: the body itself).
    pub path: String,
    /// What is wrong there.
    pub message: String,
    /// The schema keyword it breaks (`type`, `required`, `maximum`).
    pub keyword: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

/// What the contract says of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseCheck {
    /// The status is documented and the body fits its schema (or the
    /// response documents no JSON body).
    Valid,
    /// The operation does not document the status.
    Undocumented {
        /// The statuses it documents.
        documented: Vec<String>,
    },
    /// The body breaks the schema documented for the status.
    Invalid {
        /// The documented status that covers it (`201`, `4XX`, `default`).
        documented: String,
        /// Every place it breaks the schema.
        errors: Vec<SchemaError>,
    },
}

impl Contract {
    /// Where `body` breaks the operation's request-body schema; none when it
    /// documents no JSON request body.
    pub fn request_errors(
        &self,
        operation: &Operation,
        body: &Value,
    ) -> Result<Vec<SchemaError>, String> {
        let holder = self.resolve(format!("{}/requestBody", operation.pointer));
        match self.json_schema(&holder) {
            Some(schema) => self.errors(Direction::Request, &schema, body),
            None => Ok(Vec::new()),
        }
    }

    /// Checks a response: its status must be documented, and a JSON body
    /// must fit the schema documented for it.
    pub fn check_response(
        &self,
        operation: &Operation,
        status: u16,
        body: Option<&Value>,
    ) -> Result<ResponseCheck, String> {
        let Some(documented) = operation.documented(status) else {
            return Ok(ResponseCheck::Undocumented {
                documented: operation.statuses.clone(),
            });
        };
        let holder = self.resolve(format!(
            "{}/responses/{}",
            operation.pointer,
            escape(documented)
        ));
        let (Some(schema), Some(body)) = (self.json_schema(&holder), body) else {
            return Ok(ResponseCheck::Valid);
        };
        let errors = self.errors(Direction::Response, &schema, body)?;
        Ok(if errors.is_empty() {
            ResponseCheck::Valid
        } else {
            ResponseCheck::Invalid {
                documented: documented.to_string(),
                errors,
            }
        })
    }

    /// A pointer with every `$ref` it lands on followed (inside the
    /// document).
    pub(crate) fn resolve(&self, mut pointer: String) -> String {
        for _ in 0..32 {
            let Some(target) = self
                .doc
                .pointer(&pointer)
                .and_then(|v| v.get("$ref"))
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
            else {
                break;
            };
            pointer = target.to_string();
        }
        pointer
    }

    /// The pointer of the JSON schema of a request body or response:
    /// `application/json`, else the first JSON media type.
    pub(crate) fn json_schema(&self, holder: &str) -> Option<String> {
        let content = self.doc.pointer(holder)?.get("content")?.as_object()?;
        let media = content
            .keys()
            .find(|m| m.as_str() == "application/json")
            .or_else(|| content.keys().find(|m| m.contains("json")))?;
        let pointer = format!("{holder}/content/{}/schema", escape(media));
        self.doc.pointer(&pointer).map(|_| pointer)
    }

    fn errors(
        &self,
        direction: Direction,
        schema: &str,
        body: &Value,
    ) -> Result<Vec<SchemaError>, String> {
        let validator = self.validator(direction, schema)?;
        Ok(validator
            .iter_errors(body)
            .map(|error| SchemaError {
                path: error.instance_path().as_str().to_string(),
                message: error.to_string(),
                keyword: error
                    .schema_path()
                    .as_str()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            })
            .collect())
    }

    /// The validator of the schema at `pointer` for bodies going
    /// `direction`, built once.
    fn validator(&self, direction: Direction, pointer: &str) -> Result<Arc<Validator>, String> {
        let mut built = self
            .validators
            .lock()
            .map_err(|_| "a contract validator panicked".to_string())?;
        let key = (direction, pointer.to_string());
        if let Some(validator) = built.get(&key) {
            return Ok(Arc::clone(validator));
        }
        let registry = match direction {
            Direction::Request => &self.request_registry,
            Direction::Response => &self.response_registry,
        };
        let validator = jsonschema::options()
            .with_draft(self.draft)
            .with_registry(registry)
            .should_validate_formats(true)
            // OpenAPI documents use `uuid` whatever the draft; Draft 4
            // does not know it.
            .with_format("uuid", itspec_spec::value_type::is_uuid)
            .build(&json!({ "$ref": format!("{BASE}#{}", fragment(pointer)) }))
            .map_err(|e| format!("{}: the schema at #{pointer}: {e}", self.file))?;
        let validator = Arc::new(validator);
        built.insert(key, Arc::clone(&validator));
        Ok(validator)
    }
}

/// A JSON pointer as a URI fragment: characters a URI does not allow there
/// (`{`, `}`, spaces) percent-encoded.
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
