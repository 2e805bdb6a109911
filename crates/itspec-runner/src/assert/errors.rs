//! `Error code:` and `Message contains:` — read through configurable paths
//! (FORMAT §4), the message falling back to the raw body.

use serde_json::Value;

use super::{Context, Failure};
use crate::matching::body::render;
use crate::matching::values as compare;
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
    /// The shapes services answer errors in: `{"error": {"code", "message"}}`,
    /// `{"code", "message"}`, `{"error_code"}`, `{"errors": [{"code",
    /// "message"}]}`; FastAPI and Django REST framework's `{"detail":
    /// "…"}`, FastAPI's validation errors `{"detail": [{"msg", "type"}]}`;
    /// and Rails' `{"errors": {"field": ["message"]}}` (the first message
    /// of the first field).
    fn default() -> Self {
        Self {
            code: [
                "$.error.code",
                "$.code",
                "$.error_code",
                "$.errors[0].code",
                "$.detail[0].type",
            ]
            .map(String::from)
            .to_vec(),
            message: [
                "$.error.message",
                "$.message",
                "$.detail[0].msg",
                "$.detail",
                "$.errors[0].message",
                "$.errors.*[0]",
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(paths: &[String], body: &Value) -> Option<(String, String)> {
        first(paths, Some(body)).map(|(path, value)| (path, to_text(&value)))
    }

    #[test]
    fn the_default_paths_read_what_python_and_rails_services_answer() {
        let defaults = ErrorPaths::default();
        for path in defaults.code.iter().chain(&defaults.message) {
            assert!(itspec_spec::jsonpath::parse(path).is_ok(), "{path}");
        }
        let message = |body: Value| found(&defaults.message, &body);
        let code = |body: Value| found(&defaults.code, &body);
        // FastAPI's HTTPException, Django REST framework.
        assert_eq!(
            message(json!({"detail": "Item not found"})),
            Some(("$.detail".into(), "Item not found".into()))
        );
        // FastAPI's validation error.
        let invalid = json!({"detail": [
            {"type": "missing", "loc": ["body", "email"], "msg": "Field required", "input": {}}
        ]});
        assert_eq!(
            message(invalid.clone()),
            Some(("$.detail[0].msg".into(), "Field required".into()))
        );
        assert_eq!(
            code(invalid),
            Some(("$.detail[0].type".into(), "missing".into()))
        );
        // Rails: the first message of the first field.
        assert_eq!(
            message(json!({"errors": {"email": ["has already been taken", "is invalid"]}})),
            Some(("$.errors.*[0]".into(), "has already been taken".into()))
        );
        // The shapes read before.
        assert_eq!(
            message(json!({"errors": [{"code": "E1", "message": "no"}]})),
            Some(("$.errors[0].message".into(), "no".into()))
        );
        assert_eq!(
            code(json!({"error": {"code": "OUT_OF_STOCK"}})),
            Some(("$.error.code".into(), "OUT_OF_STOCK".into()))
        );
    }
}
