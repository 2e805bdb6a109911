//! Matching a body against an expected body with markers (FORMAT §4.2).
//!
//! Every expected key must match and extra keys are allowed; arrays match
//! element by element and must have the same length; numbers compare by
//! value; a missing key is not `null`. Every differing path is reported at
//! once. The diff compares the actual body with the expected one in which
//! every marker that matched shows the actual value, so it shows only the
//! real differences.

use itspec_spec::marker::{Marker, parse_marker};
use serde_json::{Map, Value};

use super::values::equal;
use itspec_results::Mismatch;

/// The mismatches of `actual` against `expected`, and the expected body
/// with its matched markers replaced by the actual values.
pub fn match_body(expected: &Value, actual: Option<&Value>) -> (Vec<Mismatch>, Value) {
    let mut mismatches = Vec::new();
    let projected = walk(expected, actual, "$", &mut mismatches);
    (mismatches, projected.unwrap_or(Value::Null))
}

fn mismatch(out: &mut Vec<Mismatch>, path: &str, expected: String, actual: Option<&Value>) {
    out.push(Mismatch {
        path: path.to_string(),
        expected,
        actual: actual.map_or_else(|| "absent".to_string(), render),
    });
}

/// A value in a message: JSON, strings quoted.
pub fn render(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Returns the projected expected value (`None` for a key that should be
/// absent or may be).
fn walk(
    expected: &Value,
    actual: Option<&Value>,
    path: &str,
    out: &mut Vec<Mismatch>,
) -> Option<Value> {
    match expected {
        Value::String(text) => match parse_marker(text) {
            Ok(Some(marker)) => return marker_match(&marker, text, actual, path, out),
            Ok(None) | Err(_) => {
                if actual != Some(expected) {
                    mismatch(out, path, render(expected), actual);
                }
            }
        },
        Value::Object(members) => match actual {
            Some(Value::Object(actual_members)) => {
                let mut walked = Map::new();
                for (key, value) in members {
                    let child = format!("{path}{}", key_path(key));
                    if let Some(p) = walk(value, actual_members.get(key), &child, out) {
                        walked.insert(key.clone(), p);
                    }
                }
                // In the response's order, so the diff lines up; keys the
                // response has and the expectation does not are allowed and
                // shown as they are; expected keys it lacks come last.
                let mut projected = Map::new();
                for (key, value) in actual_members {
                    match walked.remove(key) {
                        Some(p) => projected.insert(key.clone(), p),
                        None if members.contains_key(key) => None,
                        None => projected.insert(key.clone(), value.clone()),
                    };
                }
                projected.extend(walked);
                return Some(Value::Object(projected));
            }
            other => mismatch(out, path, "an object".to_string(), other),
        },
        Value::Array(items) => match actual {
            Some(Value::Array(actual_items)) if actual_items.len() == items.len() => {
                let projected = items
                    .iter()
                    .zip(actual_items)
                    .enumerate()
                    .map(|(i, (e, a))| {
                        walk(e, Some(a), &format!("{path}[{i}]"), out).unwrap_or(Value::Null)
                    })
                    .collect();
                return Some(Value::Array(projected));
            }
            Some(Value::Array(actual_items)) => {
                mismatch(
                    out,
                    path,
                    format!(
                        "an array of {} element{}",
                        items.len(),
                        if items.len() == 1 { "" } else { "s" }
                    ),
                    Some(&Value::String(format!(
                        "an array of {}",
                        actual_items.len()
                    ))),
                );
            }
            other => mismatch(out, path, "an array".to_string(), other),
        },
        Value::Number(_) | Value::Bool(_) | Value::Null => {
            if !actual.is_some_and(|a| equal(a, expected)) {
                mismatch(out, path, render(expected), actual);
            }
        }
    }
    Some(expected.clone())
}

/// `.key` or `["odd key"]`.
fn key_path(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!(".{key}")
    } else {
        format!("[{}]", Value::String(key.to_string()))
    }
}

fn marker_match(
    marker: &Marker,
    text: &str,
    actual: Option<&Value>,
    path: &str,
    out: &mut Vec<Mismatch>,
) -> Option<Value> {
    let result = check_marker(marker, actual);
    match result {
        Ok(()) => actual.cloned().or(match marker {
            Marker::Ignore | Marker::NotPresent => None,
            _ => Some(Value::String(text.to_string())),
        }),
        Err(expected) => {
            mismatch(out, path, expected, actual);
            Some(Value::String(text.to_string()))
        }
    }
}

/// Whether a value (or its absence) satisfies a marker; the error is what
/// was expected, in words.
pub fn check_marker(marker: &Marker, actual: Option<&Value>) -> Result<(), String> {
    let ok = match marker {
        Marker::Ignore => true,
        Marker::Present => actual.is_some(),
        Marker::NotPresent => actual.is_none(),
        Marker::NotNull => actual.is_some_and(|a| !a.is_null()),
        Marker::Type(value_type) => actual.is_some_and(|a| value_type.holds(a)),
        Marker::Regex(pattern) => string_is(actual, |s| full_match(pattern, s)),
        Marker::Literal(text) => actual.and_then(Value::as_str) == Some(text.as_str()),
        Marker::Each { count, inner } => match actual {
            Some(Value::Array(items)) => {
                count.is_none_or(|n| items.len() == n)
                    && inner.as_deref().is_none_or(|inner| {
                        items
                            .iter()
                            .all(|item| check_marker(inner, Some(item)).is_ok())
                    })
            }
            _ => false,
        },
    };
    if ok {
        Ok(())
    } else {
        Err(describe_marker(marker))
    }
}

fn describe_marker(marker: &Marker) -> String {
    match marker {
        Marker::Ignore => "anything".to_string(),
        Marker::Present => "the key present".to_string(),
        Marker::NotPresent => "the key absent".to_string(),
        Marker::NotNull => "a value that is not null".to_string(),
        Marker::Type(value_type) => value_type.describe().to_string(),
        Marker::Regex(pattern) => format!("a string matching /{pattern}/"),
        Marker::Literal(text) => render(&Value::String(text.clone())),
        Marker::Each { count, inner } => {
            let size = count.map_or_else(|| "an array".to_string(), |n| format!("an array of {n}"));
            match inner {
                Some(inner) => format!("{size}, each {}", describe_marker(inner)),
                None => size,
            }
        }
    }
}

fn string_is(actual: Option<&Value>, test: impl Fn(&str) -> bool) -> bool {
    actual.and_then(Value::as_str).is_some_and(test)
}

/// Whether the whole string matches; a pattern that does not compile
/// matches nothing (lint reports it before a run).
fn full_match(pattern: &str, text: &str) -> bool {
    regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(expected: Value, actual: Value) -> Vec<String> {
        let (mismatches, _) = match_body(&expected, Some(&actual));
        mismatches
            .into_iter()
            .map(|m| format!("{}: expected {}, got {}", m.path, m.expected, m.actual))
            .collect()
    }

    #[test]
    fn objects_allow_extra_keys_and_report_every_path() {
        assert!(paths(json!({"a": 1}), json!({"a": 1.0, "b": 2})).is_empty());
        assert_eq!(
            paths(
                json!({"a": 1, "b": {"c": "x"}, "d": null}),
                json!({"a": 2, "b": {"c": "y"}})
            ),
            [
                "$.a: expected 1, got 2",
                "$.b.c: expected \"x\", got \"y\"",
                "$.d: expected null, got absent",
            ]
        );
    }

    #[test]
    fn arrays_match_in_order_with_the_same_length() {
        assert!(paths(json!([1, 2]), json!([1, 2])).is_empty());
        assert_eq!(
            paths(json!([1, 2]), json!([2, 1])),
            ["$[0]: expected 1, got 2", "$[1]: expected 2, got 1"]
        );
        assert_eq!(
            paths(json!([1]), json!([1, 2])),
            ["$: expected an array of 1 element, got \"an array of 2\""]
        );
    }

    #[test]
    fn every_marker() {
        let actual = json!({
            "id": "0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11",
            "at": "2026-11-24T10:00:00Z",
            "day": "2026-11-24",
            "email": "ada@example.com",
            "code": "ABC-12",
            "n": 2, "f": 2.5, "s": "text", "b": true, "o": {}, "l": [1, 2], "z": null,
            "hash": "#tag",
            "tags": ["a", "b"]
        });
        let expected = json!({
            "id": "#uuid", "at": "#datetime", "day": "#date", "email": "#email",
            "code": "#regex [A-Z]{3}-\\d+",
            "n": "#integer", "f": "#number", "s": "#string", "b": "#boolean", "o": "#object", "l": "#array",
            "z": "#null", "missing": "#notpresent", "maybe": "#ignore", "s2": "#ignore",
            "hash": "##tag", "tags": "#[2] #string", "any": "#ignore", "present": "#ignore"
        });
        assert!(paths(expected, actual.clone()).is_empty());
        let wrong = json!({
            "id": "#datetime", "at": "#uuid", "day": "#datetime", "email": "#date", "code": "#regex [a-z]+",
            "n": "#string", "f": "#integer", "s": "#number", "b": "#null", "o": "#array", "l": "#object",
            "z": "#notnull", "s2": "#present", "hash": "#notpresent", "tags": "#[3]", "email2": "#email"
        });
        assert_eq!(paths(wrong, actual).len(), 16);
    }

    #[test]
    fn null_is_not_absent() {
        assert_eq!(
            paths(json!({"a": "#null"}), json!({})),
            ["$.a: expected null, got absent"]
        );
        assert_eq!(paths(json!({"a": "#present"}), json!({"a": null})).len(), 0);
        assert_eq!(
            paths(json!({"a": "#notpresent"}), json!({"a": null})),
            ["$.a: expected the key absent, got null"]
        );
    }

    #[test]
    fn the_diff_shows_only_real_differences() {
        let expected = json!({"id": "#uuid", "status": "paid"});
        let actual =
            json!({"id": "0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11", "status": "pending", "extra": 1});
        let (mismatches, projected) = match_body(&expected, Some(&actual));
        assert_eq!(mismatches.len(), 1);
        let changed: Vec<_> = super::super::diff::diff(&projected, &actual)
            .into_iter()
            .filter(|l| l.tag != ' ')
            .collect();
        assert_eq!(changed.len(), 2, "{changed:?}");
        assert!(changed[0].text.contains("paid") && changed[1].text.contains("pending"));
    }
}
