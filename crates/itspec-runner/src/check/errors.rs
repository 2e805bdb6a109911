//! `Error code:` and `Message contains:` — read through configurable paths
//! (FORMAT §4), the message falling back to the raw body.

use serde_json::Value;

use super::{Context, Failure, compare};
use crate::check::expected::render;
use crate::vars::to_text;

/// Where error codes and messages are read, in order.
#[derive(Clone, Debug)]
pub struct ErrorPaths {
    /// For `Error code:`.
    pub code: Vec<String>,
    /// For `Message contains:`.
    pub message: Vec<String>,
}

impl Default for ErrorPaths {
    fn default() -> Self {
        Self {
            code: ["$.error.code", "$.code", "$.error_code", "$.errors[0].code"]
                .map(String::from)
                .to_vec(),
            message: [
                "$.error.message",
                "$.message",
                "$.detail",
                "$.errors[0].message",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// The first value the paths find in the body.
fn first(paths: &[String], body: Option<&Value>) -> Option<(String, Value)> {
    let body = body?;
    paths.iter().find_map(|path| {
        let query = itspec_spec::jsonpath::parse(path).ok()?;
        let found = query.query(body).all().into_iter().next()?.clone();
        Some((path.clone(), found))
    })
}

pub(super) fn check_code(cx: &Context<'_>, expected: &Value) -> Result<(), Failure> {
    let Some(response) = cx.last else {
        return Err(Failure::new("there is no response"));
    };
    match first(&cx.errors.code, response.json.as_ref()) {
        Some((_, actual))
            if to_text(&actual) == to_text(expected) || compare::equal(&actual, expected) =>
        {
            Ok(())
        }
        Some((path, actual)) => Err(Failure::with(
            format!("the error code at {path} is {}", render(&actual)),
            render(expected),
            render(&actual),
        )),
        None => Err(Failure::with(
            format!(
                "no error code in the response (looked at {})",
                cx.errors.code.join(", ")
            ),
            render(expected),
            excerpt(&response.body),
        )),
    }
}

pub(super) fn check_message(cx: &Context<'_>, expected: &Value) -> Result<(), Failure> {
    let Some(response) = cx.last else {
        return Err(Failure::new("there is no response"));
    };
    let fragment = to_text(expected);
    let (source, message) = match first(&cx.errors.message, response.json.as_ref()) {
        Some((path, value)) => (format!("the message at {path}"), to_text(&value)),
        None => ("the body".to_string(), response.body.clone()),
    };
    if message.contains(&fragment) {
        Ok(())
    } else {
        Err(Failure::with(
            format!("{source} does not contain {}", render(expected)),
            format!("text containing {}", render(expected)),
            excerpt(&message),
        ))
    }
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push_str("...");
    }
    out
}
