//! Building the HTTP requests of a case from the spec and the variables
//! (and the bodies of its Actions, which `publish.rs` sends as messages).

use itspec_contract::Operation;
use itspec_spec::model::{Action, ActionBody, Contract, Header, Spec, TestCase};
use itspec_spec::{Span, Spanned};

use crate::http::{Http, Outgoing, encode_body};
use crate::vars::{Scope, VarError, interpolate_json, interpolate_text};
use itspec_results::{Evidence, StepKind, StepResult};

/// A request to send, with its label and where it is written.
pub(crate) struct Built {
    pub outgoing: Outgoing,
    pub label: Option<String>,
    pub span: Span,
}

fn failed(span: Span, text: &str, message: String) -> Box<StepResult> {
    Box::new(StepResult::failed(
        StepKind::Request,
        span,
        text,
        message,
        Evidence::default(),
    ))
}

pub(super) fn var_failed(span: Span, text: &str, error: &VarError) -> Box<StepResult> {
    failed(
        span,
        text,
        format!("variable `{{{{{}}}}}`: {}", error.name, error.message),
    )
}

pub(super) fn headers(
    own: &[Header],
    scope: &Scope,
) -> Result<Vec<(String, String)>, (Span, VarError)> {
    own.iter()
        .map(|h| {
            interpolate_text(&h.value.value, scope)
                .map(|value| (h.name.value.clone(), value))
                .map_err(|e| (h.value.span, e))
        })
        .collect()
}

/// The request of a single-request case: its Request line, else the
/// spec's API contract; the body is its Input.
pub(crate) fn single(
    case: &TestCase,
    spec: &Spec,
    operation: Option<&Operation>,
    scope: &Scope,
    http: &Http,
) -> Result<Built, Box<StepResult>> {
    let (method, target, target_span, own_headers, span, text) = match &case.request {
        Some(request) => (
            request.method.value.clone(),
            request.target.value.clone(),
            request.target.span,
            request.headers.as_slice(),
            request.span,
            format!("{} {}", request.method.value, request.target.value),
        ),
        None => match spec.related.contract.as_ref().map(|c| (&c.value, c.span)) {
            Some((Contract::Endpoint { method, path }, span)) => (
                method.clone(),
                path.clone(),
                span,
                &[][..],
                span,
                format!("{method} {path}"),
            ),
            Some((
                Contract::OpenApi {
                    file,
                    operation: name,
                },
                span,
            )) => match operation {
                // `{id}` in the documented path is the variable `id`.
                Some(operation) => (
                    operation.method.clone(),
                    operation.path.replace('{', "{{").replace('}', "}}"),
                    span,
                    &[][..],
                    span,
                    format!("{} {}", operation.method, operation.path),
                ),
                None => {
                    return Err(failed(
                        span,
                        "API contract",
                        format!(
                            "{file} has no operation `{name}`: write a **Request:** line for this case, or name an operation of {file}"
                        ),
                    ));
                }
            },
            None => {
                return Err(failed(
                    case.heading_span,
                    &case.id.value,
                    "the case has no request".to_string(),
                ));
            }
        },
    };
    let target =
        interpolate_text(&target, scope).map_err(|e| var_failed(target_span, &text, &e))?;
    let headers = headers(own_headers, scope).map_err(|(span, e)| var_failed(span, &text, &e))?;
    let body = match &case.input {
        Some(input) => {
            Some(encode_body(input, scope).map_err(|e| var_failed(input.span, "Input", &e))?)
        }
        None => None,
    };
    Ok(Built {
        outgoing: Outgoing {
            method,
            url: http.url(&target),
            headers: http.headers(headers),
            body,
        },
        label: None,
        span,
    })
}

/// The request of one Actions item (one copy of it, for `(xN)`):
/// `METHOD /path`, its headers and its body.
pub(crate) fn action(
    action: &Action,
    (method, target): (&Spanned<String>, &Spanned<String>),
    label: String,
    scope: &Scope,
    http: &Http,
) -> Result<Built, Box<StepResult>> {
    let text = format!("Request {label}");
    let url =
        interpolate_text(&target.value, scope).map_err(|e| var_failed(target.span, &text, &e))?;
    let headers =
        headers(&action.headers, scope).map_err(|(span, e)| var_failed(span, &text, &e))?;
    let body = action_body(action, scope, &text)?;
    Ok(Built {
        outgoing: Outgoing {
            method: method.value.clone(),
            url: http.url(&url),
            headers: http.headers(headers),
            body,
        },
        label: Some(label),
        span: action.span,
    })
}

/// The body of an Actions item with its variables replaced, and its
/// content type.
pub(super) fn action_body(
    action: &Action,
    scope: &Scope,
    text: &str,
) -> Result<Option<(Vec<u8>, &'static str)>, Box<StepResult>> {
    Ok(match &action.body {
        Some(ActionBody::Json(value)) => {
            let json =
                interpolate_json(value, scope).map_err(|e| var_failed(value.span, text, &e))?;
            Some((json.to_string().into_bytes(), "application/json"))
        }
        Some(ActionBody::With(var)) => {
            let json = scope
                .lookup(&var.name)
                .map_err(|e| var_failed(var.span, text, &e))?;
            Some((json.to_string().into_bytes(), "application/json"))
        }
        Some(ActionBody::Block(body)) => {
            Some(encode_body(body, scope).map_err(|e| var_failed(body.span, text, &e))?)
        }
        None => None,
    })
}
