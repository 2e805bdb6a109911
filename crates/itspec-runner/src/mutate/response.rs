//! Response mutants: small changes to the response a case received, made
//! by itspec before the case's checks run — a status moved within its
//! class and across classes, a body value changed (numbers ±1, strings
//! reversed, booleans flipped, null), a key removed, an array's first
//! element dropped. The changes of a JSON value are shared with the mock
//! mutants, which change what a mock answers.

use itspec_results::ResponseRecord;
use serde_json::Value;

/// The most mutants made of one response: the status ones, then the body's
/// from the top down.
pub const MAX_PER_CASE: usize = 48;

/// One change to a response.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseMutant {
    /// What is changed.
    pub change: Change,
    /// The status of the response it was made from: a response with
    /// another (a flaky service's 500) is not the one it changes.
    pub from_status: u16,
    /// What it does, as the report says it: "`$.status` `confirmed` →
    /// `confirmed~`".
    pub description: String,
}

/// The kinds of change.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// The status becomes this one.
    Status(u16),
    /// The value at this place of the JSON body becomes this one.
    Set(Vec<Step>, Value),
    /// The key at this place of the JSON body is removed.
    Remove(Vec<Step>),
    /// The first element of the array at this place is dropped.
    DropFirst(Vec<Step>),
    /// The text body (not JSON) gets a character more.
    Text,
}

/// One step into a JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object's member.
    Key(String),
    /// An array's element.
    Index(usize),
}

/// The mutants of a response, at most [`MAX_PER_CASE`].
pub fn mutants_of(response: &ResponseRecord) -> Vec<ResponseMutant> {
    let mut mutants = status_mutants(response.status);
    let json = response
        .json
        .clone()
        .or_else(|| serde_json::from_str(&response.body).ok());
    match json {
        Some(body) => mutants.extend(body_changes(&body, MAX_PER_CASE).into_iter().map(
            |(change, description)| ResponseMutant {
                change,
                from_status: response.status,
                description,
            },
        )),
        None if !response.body.is_empty() => mutants.push(ResponseMutant {
            change: Change::Text,
            from_status: response.status,
            description: "the body's text gets a character more".to_string(),
        }),
        None => {}
    }
    mutants.truncate(MAX_PER_CASE);
    mutants
}

/// A status of the same class, and one of another: an error case must
/// fail on a success, a success on an error.
fn status_mutants(status: u16) -> Vec<ResponseMutant> {
    other_statuses(status)
        .into_iter()
        .map(|to| ResponseMutant {
            change: Change::Status(to),
            from_status: status,
            description: format!("status {status} → {to}"),
        })
        .collect()
}

/// The statuses a status becomes: one of its class, and one of another.
pub(crate) fn other_statuses(status: u16) -> Vec<u16> {
    let within = match status {
        200 => 201,
        400 => 422,
        s if (200..600).contains(&s) => s - s % 100,
        _ => return Vec::new(),
    };
    let across = if (200..300).contains(&status) {
        500
    } else {
        200
    };
    vec![within, across]
}

/// Every change of a JSON body, breadth first — the top of the body
/// before its depths — at most `max`, each with what it does.
pub(crate) fn body_changes(body: &Value, max: usize) -> Vec<(Change, String)> {
    let mut out = Vec::new();
    let mut queue: std::collections::VecDeque<(Vec<Step>, &Value)> =
        std::collections::VecDeque::from([(Vec::new(), body)]);
    while let Some((path, value)) = queue.pop_front() {
        if out.len() >= max {
            break;
        }
        let at = render(&path);
        if !path.is_empty() && (value.is_object() || value.is_array()) {
            out.push((
                Change::Set(path.clone(), Value::Null),
                format!("`{at}` → `null`"),
            ));
        }
        match value {
            Value::Object(members) => {
                for (key, member) in members {
                    let mut inner = path.clone();
                    inner.push(Step::Key(key.clone()));
                    out.push((
                        Change::Remove(inner.clone()),
                        format!("`{}` removed", render(&inner)),
                    ));
                    queue.push_back((inner, member));
                }
            }
            Value::Array(items) => {
                if !items.is_empty() {
                    out.push((
                        Change::DropFirst(path.clone()),
                        format!("`{at}` loses its first element"),
                    ));
                }
                for (i, item) in items.iter().enumerate() {
                    let mut inner = path.clone();
                    inner.push(Step::Index(i));
                    queue.push_back((inner, item));
                }
            }
            leaf => {
                for changed in leaf_changes(leaf) {
                    out.push((
                        Change::Set(path.clone(), changed.clone()),
                        format!("`{at}` {} → {}", shown(leaf), shown(&changed)),
                    ));
                }
            }
        }
    }
    out.truncate(max);
    out
}

/// What a leaf becomes: a number ±1 (+1, and -1 too), a string altered,
/// a boolean flipped; and null, unless it is null.
pub(crate) fn leaf_changes(leaf: &Value) -> Vec<Value> {
    let mut changes = match leaf {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => vec![
                Value::from(i.saturating_add(1)),
                Value::from(i.saturating_sub(1)),
            ],
            (None, Some(f)) => vec![Value::from(f + 1.0), Value::from(f - 1.0)],
            _ => Vec::new(),
        },
        Value::String(s) => vec![Value::String(altered(s))],
        Value::Bool(b) => vec![Value::Bool(!b)],
        _ => Vec::new(),
    };
    if !leaf.is_null() {
        changes.push(Value::Null);
    }
    changes
}

/// A string changed all along, so that a check of any fragment of it
/// fails: reversed, or with a `~` more when reversing changes nothing.
pub(crate) fn altered(text: &str) -> String {
    let reversed: String = text.chars().rev().collect();
    if reversed == text {
        format!("{text}~")
    } else {
        reversed
    }
}

/// A path as a JSONPath: `$.items[0].sku`.
fn render(path: &[Step]) -> String {
    let mut text = "$".to_string();
    for step in path {
        match step {
            Step::Key(key) if is_plain(key) => {
                text.push('.');
                text.push_str(key);
            }
            Step::Key(key) => text.push_str(&format!("[{}]", Value::String(key.clone()))),
            Step::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    text
}

fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit())
}

/// A value as the report shows it, short.
pub(crate) fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("`{}…`", text.chars().take(40).collect::<String>())
    } else {
        format!("`{text}`")
    }
}

impl ResponseMutant {
    /// Changes `response`; `false` when the response has no such place
    /// (it is not the one the mutant was made from).
    pub fn apply(&self, response: &mut ResponseRecord) -> bool {
        if response.status != self.from_status {
            return false;
        }
        let mut body = response
            .json
            .clone()
            .or_else(|| serde_json::from_str(&response.body).ok());
        let applied = match (&self.change, body.as_mut()) {
            (Change::Status(to), _) => {
                response.status = *to;
                return true;
            }
            (Change::Text, _) => {
                response.body.push('~');
                response.json = None;
                return true;
            }
            (change, Some(body)) => change_json(body, change),
            (_, None) => false,
        };
        if applied && let Some(body) = body {
            response.body = body.to_string();
            response.json = Some(body);
        }
        applied
    }
}

/// Changes a JSON value at its place; `false` when it has no such place
/// (or the change is not one of a JSON value).
pub(crate) fn change_json(body: &mut Value, change: &Change) -> bool {
    match change {
        Change::Set(path, value) => place(body, path)
            .map(|slot| *slot = value.clone())
            .is_some(),
        Change::Remove(path) => match path.split_last() {
            Some((Step::Key(key), parent)) => place(body, parent)
                .and_then(Value::as_object_mut)
                .and_then(|object| object.remove(key))
                .is_some(),
            _ => false,
        },
        Change::DropFirst(path) => place(body, path)
            .and_then(Value::as_array_mut)
            .filter(|items| !items.is_empty())
            .map(|items| items.remove(0))
            .is_some(),
        Change::Status(_) | Change::Text => false,
    }
}

/// The value at `path`, for changing.
fn place<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.as_object_mut()?.get_mut(key),
        Step::Index(i) => value.as_array_mut()?.get_mut(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, body: Value) -> ResponseRecord {
        ResponseRecord {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            json: Some(body),
            duration_ms: 1.0,
            body_omitted: None,
        }
    }

    #[test]
    fn statuses_move_within_their_class_and_across() {
        let said = |status| -> Vec<String> {
            status_mutants(status)
                .into_iter()
                .map(|m| m.description)
                .collect()
        };
        assert_eq!(said(201), ["status 201 → 200", "status 201 → 500"]);
        assert_eq!(said(200), ["status 200 → 201", "status 200 → 500"]);
        assert_eq!(said(409), ["status 409 → 400", "status 409 → 200"]);
        assert_eq!(said(400), ["status 400 → 422", "status 400 → 200"]);
    }

    #[test]
    fn every_place_of_the_body_is_changed_top_down() {
        let original = response(
            201,
            json!({"id": 7, "status": "confirmed", "items": [{"ok": true}]}),
        );
        let said: Vec<String> = mutants_of(&original)
            .into_iter()
            .map(|m| m.description)
            .collect();
        assert_eq!(
            said,
            [
                "status 201 → 200",
                "status 201 → 500",
                "`$.id` removed",
                "`$.status` removed",
                "`$.items` removed",
                "`$.id` `7` → `8`",
                "`$.id` `7` → `6`",
                "`$.id` `7` → `null`",
                "`$.status` `\"confirmed\"` → `\"demrifnoc\"`",
                "`$.status` `\"confirmed\"` → `null`",
                "`$.items` → `null`",
                "`$.items` loses its first element",
                "`$.items[0]` → `null`",
                "`$.items[0].ok` removed",
                "`$.items[0].ok` `true` → `false`",
                "`$.items[0].ok` `true` → `null`",
            ]
        );
    }

    #[test]
    fn a_string_is_changed_all_along() {
        assert_eq!(
            altered("quantity must be positive"),
            "evitisop eb tsum ytitnauq"
        );
        assert_eq!(altered("abba"), "abba~");
        assert_eq!(altered(""), "~");
    }

    #[test]
    fn a_mutant_changes_the_live_response_at_its_place() {
        let original = response(201, json!({"id": 7, "items": [1, 2], "tag": "a"}));
        for mutant in mutants_of(&original) {
            let mut changed = original.clone();
            assert!(mutant.apply(&mut changed), "{}", mutant.description);
            assert!(
                changed.status != original.status || changed.json != original.json,
                "{} changed nothing",
                mutant.description
            );
            // The text follows the JSON.
            assert_eq!(
                serde_json::from_str::<Value>(&changed.body).ok(),
                changed.json
            );
        }
        // A response without that place is left alone.
        let removal = ResponseMutant {
            change: Change::Remove(vec![Step::Key("missing".to_string())]),
            from_status: 201,
            description: String::new(),
        };
        let mut other = original.clone();
        assert!(!removal.apply(&mut other));
        assert_eq!(other.json, original.json);
        // Nor is a response with another status: a flaky service's 500 is
        // not the answer the mutant was made of.
        let mut failed = original.clone();
        failed.status = 500;
        for mutant in mutants_of(&original) {
            assert!(!mutant.apply(&mut failed.clone()), "{}", mutant.description);
        }
    }

    #[test]
    fn the_mutants_of_a_large_body_are_capped() {
        let items: Vec<Value> = (0..100).map(|i| json!({"n": i})).collect();
        let mutants = mutants_of(&response(200, json!({ "items": items })));
        assert_eq!(mutants.len(), MAX_PER_CASE);
    }
}
