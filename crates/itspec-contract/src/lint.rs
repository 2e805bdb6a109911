//! `itspec check` with a contract: a spec held to its OpenAPI document —
//! the operation Related names exists, each request has an operation, an
//! Input fits the request schema (unless the case expects a refusal), each
//! expected status is documented and an Expected Output fits the schema
//! documented for its status. Markers and variables stand for values not
//! known before the run, and an Expected Output may leave out members, so
//! neither is held against it.

use itspec_spec::model::{Contract as Related, ExpectedOutput, Spec, Value, ValueKind};
use itspec_spec::template::is_slot;
use itspec_spec::{Code, Diagnostic, Severity, Span};
use serde_json::{Map, Value as Json};

use crate::sent::{Sent, placeholders, sent};
use crate::{Contract, Operation, ResponseCheck, SchemaError};

/// At most this many schema errors are reported per body.
const MOST: usize = 5;

/// Every problem of `spec` against `contract`.
pub fn lint(spec: &Spec, contract: &Contract) -> Vec<Diagnostic> {
    lint_with(spec, contract, Severity::Error)
}

/// [`lint`], with an expected status the contract does not document
/// (IT704) of severity `undocumented` (`[contract] undocumented_status`:
/// FastAPI documents only 200 and 422 unless told otherwise).
pub fn lint_with(spec: &Spec, contract: &Contract, undocumented: Severity) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let related = match &spec.related.contract {
        Some(named) => match &named.value {
            Related::OpenApi { operation, .. } => {
                let found = contract.find(operation);
                if found.is_none() {
                    let mut diagnostic = Diagnostic::error(
                        Code::UnknownOperation,
                        named.span,
                        format!("{} has no operation `{operation}`", contract.file),
                    );
                    diagnostic = match contract.nearest(operation) {
                        Some(near) => diagnostic.with_help(format!("did you mean `{near}`?")),
                        None => diagnostic.with_help(format!(
                            "name an operationId of {} or a pointer like `#/paths/~1orders/post`",
                            contract.file
                        )),
                    };
                    out.push(diagnostic);
                }
                found
            }
            Related::Endpoint { method, path } => {
                let found = contract.route(method, &placeholders(path));
                if found.is_none() {
                    out.push(unknown_endpoint(named.span, method, path, contract));
                }
                found
            }
        },
        None => None,
    };
    for case in &spec.cases {
        for sent in sent(case, related, contract) {
            match &sent.reached {
                Ok(operation) => {
                    lint_sent(spec, &sent, operation, contract, undocumented, &mut out);
                }
                Err(unrouted) => out.push(unknown_endpoint(
                    unrouted.span,
                    unrouted.method,
                    unrouted.target,
                    contract,
                )),
            }
        }
    }
    // A status expected of a concurrent group is written once for all.
    out.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    out
}

fn unknown_endpoint(span: Span, method: &str, path: &str, contract: &Contract) -> Diagnostic {
    Diagnostic::warning(
        Code::UnknownEndpoint,
        span,
        format!("{} has no operation for {method} {path}", contract.file),
    )
    .with_help("document the operation in the contract, or check the method and path")
}

fn lint_sent(
    spec: &Spec,
    sent: &Sent<'_, '_>,
    operation: &Operation,
    contract: &Contract,
    undocumented: Severity,
    out: &mut Vec<Diagnostic>,
) {
    // A case that expects a refusal may send what the schema forbids, and
    // a body still holding the template's slots is not written yet.
    if let Some(json) = sent.body
        && !sent.refused()
        && !unfinished(spec, json.span)
    {
        let (body, unknown) = known_json(json);
        match contract.request_errors(operation, &body) {
            Ok(errors) => out.extend(relevant(&errors, &unknown, false).take(MOST).map(|error| {
                Diagnostic::error(
                    Code::RequestSchema,
                    json.span,
                    format!(
                        "{} breaks the request schema of {}: {error}",
                        sent.body_name,
                        operation.name()
                    ),
                )
                .with_help(format!(
                    "change {}, or the schema if the service takes it",
                    sent.body_name
                ))
            })),
            Err(error) => out.push(Diagnostic::error(Code::RequestSchema, json.span, error)),
        }
    }
    for &(status, span) in &sent.statuses {
        if operation.documented(status).is_none() {
            out.push(
                Diagnostic::new(
                    Code::UndocumentedStatus,
                    undocumented,
                    span,
                    format!(
                        "status {status} is not documented for {} in {}",
                        operation.name(),
                        contract.file
                    ),
                )
                .with_help(format!(
                    "it documents {}; document the status, or set [contract] undocumented_status = \"warn\" in itspec.toml",
                    operation.statuses.join(", ")
                )),
            );
        }
    }
    let Some(ExpectedOutput::Json(expected)) = sent.expected_output else {
        return;
    };
    if unfinished(spec, expected.span) {
        return;
    }
    let status = sent
        .statuses
        .iter()
        .map(|(status, _)| *status)
        .find(|status| operation.documented(*status).is_some())
        .or_else(|| {
            operation
                .statuses
                .iter()
                .find(|s| s.starts_with('2'))
                .and_then(|s| s.parse().ok())
        });
    let Some(status) = status else {
        return;
    };
    let (body, unknown) = known_json(expected);
    match contract.check_response(operation, status, Some(&body)) {
        Ok(ResponseCheck::Invalid { documented, errors }) => {
            out.extend(relevant(&errors, &unknown, true).take(MOST).map(|error| {
                Diagnostic::error(
                    Code::ResponseSchema,
                    expected.span,
                    format!(
                        "the Expected Output breaks the schema of {}'s {documented} response: {error}",
                        operation.name()
                    ),
                )
                .with_help("change the Expected Output, or the contract if the service answers so")
            }));
        }
        Ok(_) => {}
        Err(error) => out.push(Diagnostic::error(
            Code::ResponseSchema,
            expected.span,
            error,
        )),
    }
}

/// Whether the template's slots (`{{field}}`) are still in the text at
/// `span`: IT007 reports them, and the body is not the spec's own yet.
fn unfinished(spec: &Spec, span: Span) -> bool {
    spec.interpolations
        .iter()
        .any(|var| var.span.start >= span.start && var.span.end <= span.end && is_slot(&var.name))
}

/// The errors that stand: not under a value only the run knows, and —
/// for an Expected Output, which may leave members out — not a missing
/// member.
fn relevant<'e>(
    errors: &'e [SchemaError],
    unknown: &'e [String],
    partial: bool,
) -> impl Iterator<Item = &'e SchemaError> {
    errors.iter().filter(move |error| {
        let left_out = partial && error.keyword == "required";
        let unknown_there = unknown
            .iter()
            .any(|u| error.path == *u || error.path.starts_with(&format!("{u}/")));
        !left_out && !unknown_there
    })
}

/// A spec's JSON as JSON, and the pointers of the values only the run
/// knows: markers (`#uuid`), variables, and strings with variables in them.
fn known_json(value: &Value) -> (Json, Vec<String>) {
    let mut unknown = Vec::new();
    let json = convert(value, String::new(), &mut unknown);
    (json, unknown)
}

fn convert(value: &Value, pointer: String, unknown: &mut Vec<String>) -> Json {
    match &value.kind {
        ValueKind::Null => Json::Null,
        ValueKind::Bool(b) => Json::Bool(*b),
        ValueKind::Number(n) => Json::Number(n.clone()),
        ValueKind::String(text) if text.starts_with("##") => {
            Json::String(text.get(1..).unwrap_or_default().to_string())
        }
        ValueKind::String(text) if text.starts_with('#') || text.contains("{{") => {
            unknown.push(pointer);
            Json::Null
        }
        ValueKind::String(text) => Json::String(text.clone()),
        ValueKind::Var(_) => {
            unknown.push(pointer);
            Json::Null
        }
        ValueKind::Array(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| convert(item, format!("{pointer}/{i}"), unknown))
                .collect(),
        ),
        ValueKind::Object(members) => Json::Object(
            members
                .iter()
                .filter(|m| !matches!(&m.value.kind, ValueKind::String(t) if t == "#notpresent"))
                .map(|m| {
                    let key = m.key.value.clone();
                    let at = format!("{pointer}/{}", crate::operation::escape(&key));
                    (key, convert(&m.value, at, unknown))
                })
                .collect::<Map<_, _>>(),
        ),
    }
}
