//! A Draft spec for one operation (`itspec new --from-openapi`): the
//! template with its header filled in and its Test Cases written from the
//! contract — the happy path (the first documented 2xx, with a request body
//! the schema accepts and the response in markers), one case per
//! documented error status that must leave the database unchanged, and,
//! for an operation that is not idempotent (POST, PATCH), two requests
//! released at once. What only the team knows — the setup, the error
//! codes, what the database must hold — stays the template's slots, which
//! `itspec check` points at (IT007).

use std::fmt::Write as _;

use itspec_spec::template::{NewSpec, render_new};
use serde_json::Value;

use crate::direction::Direction;
use crate::operation::escape;
use crate::{Contract, Operation};

/// The spec text for `operation` of `contract`, with the header `new`
/// describes; its contract is set to the operation when `new` names none.
pub fn scaffold(contract: &Contract, operation: &Operation, new: &NewSpec) -> String {
    let mut new = new.clone();
    if new.component.trim().is_empty() {
        new.component = component_name(contract, operation);
    }
    if new.contract.is_none() {
        new.contract = Some(reference(contract, operation));
    }
    let text = render_new(&new);
    let text = match contract.summary(operation) {
        Some(overview) => text.replacen("{{what_integration_this_tests}}", &overview, 1),
        None => text,
    };
    let cases = Cases::new(contract, operation).write();
    match (text.find("## Test Cases\n"), text.find("## Data Fixtures")) {
        (Some(start), Some(end)) if start < end => format!(
            "{}## Test Cases\n\n{cases}\n{}",
            text.get(..start).unwrap_or_default(),
            text.get(end..).unwrap_or_default()
        ),
        _ => text,
    }
}

/// How a spec's Related names the operation: `file#operationId`, or
/// `file#/paths/…` for one without an id; the file as the contract is
/// named.
pub fn reference(contract: &Contract, operation: &Operation) -> String {
    let name = &contract.file;
    match &operation.id {
        Some(id) => format!("{name}#{id}"),
        None => format!("{name}#{}", operation.pointer),
    }
}

/// `createOrder` → `Create Order`; for an operation without an id, its
/// summary, else its method and path.
fn component_name(contract: &Contract, operation: &Operation) -> String {
    match &operation.id {
        Some(id) => words(id),
        None => contract
            .doc
            .pointer(&format!("{}/summary", operation.pointer))
            .and_then(Value::as_str)
            .map(|s| s.trim().trim_end_matches('.').to_string())
            .filter(|s| !s.is_empty() && !s.contains('\n'))
            .unwrap_or_else(|| format!("{} {}", operation.method, operation.path)),
    }
}

/// `createOrder`, `create_order` → `Create Order`.
fn words(id: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in id.chars() {
        if c == '_' || c == '-' || c == ' ' {
            out.push(' ');
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            out.push(' ');
        }
        if out.is_empty() || out.ends_with(' ') {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Contract {
    /// The operation's description, else its summary.
    fn summary(&self, operation: &Operation) -> Option<String> {
        ["description", "summary"]
            .iter()
            .find_map(|key| {
                self.doc
                    .pointer(&format!("{}/{key}", operation.pointer))
                    .and_then(Value::as_str)
            })
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    }

    /// A response's description (`Conflict`), one line.
    fn response_description(&self, operation: &Operation, status: &str) -> Option<String> {
        let holder = self.resolve(format!(
            "{}/responses/{}",
            operation.pointer,
            escape(status)
        ));
        self.doc
            .pointer(&format!("{holder}/description"))
            .and_then(Value::as_str)
            .and_then(|text| text.lines().next())
            .map(|line| line.trim().trim_end_matches('.').to_string())
            .filter(|line| !line.is_empty())
    }

    /// What a status means for the operation: its response's own
    /// description, else (for a shared response, whose description is
    /// general) the HTTP reason phrase.
    fn status_name(&self, operation: &Operation, status: &str) -> String {
        let shared = self
            .doc
            .pointer(&format!(
                "{}/responses/{}/$ref",
                operation.pointer,
                escape(status)
            ))
            .is_some();
        let reason = || match status.to_ascii_uppercase().as_str() {
            "4XX" => Some("Client error".to_string()),
            "5XX" => Some("Server error".to_string()),
            number => number
                .parse::<u16>()
                .ok()
                .and_then(|n| http::StatusCode::from_u16(n).ok())
                .and_then(|code| code.canonical_reason())
                .map(str::to_string),
        };
        let own = || self.response_description(operation, status);
        let name = if shared {
            reason().or_else(own)
        } else {
            own().or_else(reason)
        };
        name.unwrap_or_else(|| "Refused".to_string())
    }

    /// The operation's parameters, path-level ones first, `$ref`s followed.
    fn parameters(&self, operation: &Operation) -> Vec<&Value> {
        let item = operation
            .pointer
            .rsplit_once('/')
            .map_or("", |(item, _)| item)
            .to_string();
        let mut found: Vec<&Value> = Vec::new();
        for holder in [
            format!("{item}/parameters"),
            format!("{}/parameters", operation.pointer),
        ] {
            let Some(list) = self.doc.pointer(&holder).and_then(Value::as_array) else {
                continue;
            };
            for (i, _) in list.iter().enumerate() {
                let pointer = self.resolve(format!("{holder}/{i}"));
                if let Some(parameter) = self.doc.pointer(&pointer) {
                    // An operation's parameter replaces the path's of the
                    // same name and place.
                    let same = |p: &&Value| {
                        p.get("name") == parameter.get("name") && p.get("in") == parameter.get("in")
                    };
                    found.retain(|p| !same(p));
                    found.push(parameter);
                }
            }
        }
        found
    }

    /// A value for a parameter: its example, else one its schema takes.
    fn parameter_value(&self, parameter: &Value) -> String {
        let value = match parameter
            .get("example")
            .or_else(|| parameter.pointer("/examples/default/value"))
        {
            Some(example) => example.clone(),
            None => match parameter.get("schema") {
                Some(schema) => self.example_of(schema, Direction::Request),
                None => Value::String("text".to_string()),
            },
        };
        match value {
            Value::String(text) => text,
            other => other.to_string(),
        }
    }
}

/// The cases of one operation, as they are written.
struct Cases<'c> {
    contract: &'c Contract,
    operation: &'c Operation,
    /// `METHOD /path?query` with the parameters filled in.
    request: String,
    /// The request body, when the operation takes JSON.
    body: Option<Value>,
}

impl<'c> Cases<'c> {
    fn new(contract: &'c Contract, operation: &'c Operation) -> Cases<'c> {
        let mut path = operation.path.clone();
        let mut query = Vec::new();
        for parameter in contract.parameters(operation) {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
            let value = contract.parameter_value(parameter);
            match parameter.get("in").and_then(Value::as_str) {
                Some("path") => path = path.replace(&format!("{{{name}}}"), &segment(&value)),
                Some("query") if parameter.get("required") == Some(&Value::Bool(true)) => {
                    query.push(format!("{name}={}", segment(&value)));
                }
                _ => {}
            }
        }
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let body = contract
            .json_schema(&contract.resolve(format!("{}/requestBody", operation.pointer)))
            .map(|schema| contract.example(&schema, Direction::Request));
        Cases {
            contract,
            operation,
            request: format!("{} {path}", operation.method),
            body,
        }
    }

    fn write(&self) -> String {
        let mut cases = Vec::new();
        let success = self
            .operation
            .statuses
            .iter()
            .find(|s| s.starts_with('2'))
            .cloned();
        cases.push(self.happy_path(success.as_deref()));
        for status in &self.operation.statuses {
            if status.starts_with('4') || status.starts_with('5') {
                cases.push(self.error(status));
            }
        }
        if matches!(self.operation.method.as_str(), "POST" | "PATCH") {
            cases.push(self.race(success.as_deref()));
        }
        cases
            .iter()
            .enumerate()
            .map(|(i, case)| format!("### TC-INT-{:03}: {case}", i + 1))
            .collect::<Vec<_>>()
            .join("\n---\n\n")
    }

    fn happy_path(&self, status: Option<&str>) -> String {
        let name = self.operation.id.as_deref().map_or_else(
            || format!("{} {}", self.operation.method, self.operation.path),
            words,
        );
        let mut out = format!(
            "{name} succeeds\n\n**Description:** {}\n\n**Request:** {}\n\n",
            status
                .and_then(|s| self.contract.response_description(self.operation, s))
                .map_or_else(|| "{{what_this_tests}}".to_string(), |d| format!("{d}.")),
            self.request
        );
        self.input(&mut out, self.body.as_ref());
        if let Some(status) = status {
            let holder = self.contract.resolve(format!(
                "{}/responses/{}",
                self.operation.pointer,
                escape(status)
            ));
            if let Some(schema) = self.contract.json_schema(&holder) {
                let expected = self.contract.example(&schema, Direction::Response);
                let _ = write!(
                    out,
                    "**Expected Output:**\n```json\n{}\n```\n\n",
                    pretty(&expected)
                );
            }
        }
        out.push_str("**Assertions:**\n");
        if let Some(status) = status {
            let _ = writeln!(out, "- status == {}", status_value(status));
        }
        out.push_str("- {{database_state_check}}\n- {{side_effect_verification}}\n");
        out
    }

    fn error(&self, status: &str) -> String {
        let mut out = format!(
            "{} {}\n\n**Description:** {{{{error_case_description}}}}\n\n**Setup:**\n- {{{{initial_state}}}}\n\n**Request:** {}\n\n",
            status,
            self.contract.status_name(self.operation, status),
            self.request
        );
        // A request the schema refuses, for the statuses that say so.
        let body = match (status, &self.body) {
            ("400" | "422", Some(body)) => Some(invalid(self.contract, self.operation, body)),
            _ => self.body.clone(),
        };
        self.input(&mut out, body.as_ref());
        let _ = write!(
            out,
            "**Expected:**\n- Status: {}\n- Error code: {{{{error_code}}}}\n- Message contains: \"{{{{error_message}}}}\"\n\n\
             **Assertions:**\n- database unchanged\n- {{{{side_effect_verification}}}}\n",
            status_value(status)
        );
        out
    }

    fn race(&self, success: Option<&str>) -> String {
        let body = self
            .body
            .as_ref()
            .map(|b| format!(" {}", serde_json::to_string(b).unwrap_or_default()))
            .unwrap_or_default();
        let name = self.operation.id.as_deref().map_or_else(
            || format!("{} {}", self.operation.method, self.operation.path),
            str::to_string,
        );
        let mut out = format!(
            "Two {name} requests at once\n\n**Description:** {{{{concurrency_test_description}}}}\n\n**Setup:**\n- {{{{initial_state}}}}\n\n\
             **Actions:**\n1. Request A: {request}{body}\n2. Request B (concurrent): {request}{body}\n\n**Expected:**\n",
            request = self.request
        );
        if let Some(success) = success {
            let _ = writeln!(out, "- statuses contains {}", status_value(success));
        }
        out.push_str("- {{expected_behavior}}\n- no race conditions\n");
        out
    }

    fn input(&self, out: &mut String, body: Option<&Value>) {
        if let Some(body) = body {
            let _ = write!(out, "**Input:**\n```json\n{}\n```\n\n", pretty(body));
        }
    }
}

/// `201`; a documented range `4XX` as the status class `4xx`.
fn status_value(status: &str) -> String {
    if status.len() == 3 && status.to_ascii_uppercase().ends_with("XX") {
        status.to_ascii_lowercase()
    } else {
        status.to_string()
    }
}

/// A body the schema refuses: a required member left out, else the first
/// member of the wrong type.
fn invalid(contract: &Contract, operation: &Operation, body: &Value) -> Value {
    let mut body = body.clone();
    let holder = contract.resolve(format!("{}/requestBody", operation.pointer));
    let required: Option<String> = contract
        .json_schema(&holder)
        .and_then(|schema| contract.doc.pointer(&schema))
        .map(|schema| contract.target(schema))
        .and_then(|schema| {
            schema
                .get("required")
                .and_then(Value::as_array)
                .and_then(|names| names.first())
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    if let Some(members) = body.as_object_mut() {
        match required {
            Some(name) => {
                members.remove(&name);
            }
            None => {
                if let Some((_, first)) = members.iter_mut().next() {
                    *first = match first {
                        Value::String(_) => Value::Array(Vec::new()),
                        _ => Value::String("not this".to_string()),
                    };
                }
            }
        }
    }
    body
}

/// A path segment: characters a path does not allow there percent-encoded.
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~{}".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
