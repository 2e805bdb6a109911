//! Fixture mutants: one value a case's fixtures write — a column of a
//! Data Fixture's row or of a `row` setup line — changed before Setup
//! inserts it (a number ±1, a string reversed, a boolean flipped). A case
//! that still passes does not depend on the data it says it sets up.
//!
//! Only values the case's first run showed are changed: a text found in a
//! request's URL or body or in a response's body, a number or boolean
//! equal to a value of one of those bodies or to a segment of a URL. A
//! row the case never touches (a fixture every case of the spec gets)
//! would only make mutants nothing could kill.

use itspec_spec::Span;
use itspec_spec::model::{Column, FixtureKind, SetupLineKind, Spec, TestCase, ValueKind};
use serde_json::Value;

use itspec_results::Exchange;

use super::Mutant;
use super::response::{leaf_changes, shown};

/// The most fixture mutants of one case.
pub const MAX_PER_CASE: usize = 16;

/// One changed fixture value.
#[derive(Clone, Debug, PartialEq)]
pub struct FixtureMutant {
    /// Where the column is written (its name), which tells it apart from
    /// every other.
    pub at: Span,
    /// The value it gets instead.
    pub value: Value,
    /// What it does, as the report says it.
    pub description: String,
}

/// The mutants of the values the case's Setup writes: every literal
/// number, string and boolean (a value with a variable in it is left
/// alone), in the order Setup writes them.
pub fn mutants_of(spec: &Spec, case: &TestCase, exchanges: &[Exchange]) -> Vec<Mutant> {
    let mut rows: Vec<(String, &[Column])> = Vec::new();
    for fixture in spec.fixtures_used(case) {
        if let FixtureKind::Rows(fixture_rows) = &fixture.kind {
            let name = fixture
                .name
                .as_ref()
                .map_or("(unnamed)", |n| n.value.as_str());
            for row in fixture_rows {
                rows.push((format!("fixture {name}"), &row.columns));
            }
        }
    }
    for line in case.setup.iter().flat_map(|s| &s.lines) {
        if let SetupLineKind::Row { table, columns } = &line.kind {
            rows.push((format!("row {}", table.value), columns));
        }
    }
    let mut out = Vec::new();
    for (whose, columns) in rows {
        for column in columns {
            let written = match &column.value.kind {
                ValueKind::String(text) if !text.contains("{{") => Value::String(text.clone()),
                ValueKind::Number(n) => Value::Number(n.clone()),
                ValueKind::Bool(b) => Value::Bool(*b),
                _ => continue,
            };
            if !shown_in(&written, exchanges) {
                continue;
            }
            // Null would only break the insert, not the case's checks.
            let Some(changed) = leaf_changes(&written).into_iter().find(|v| !v.is_null()) else {
                continue;
            };
            out.push(Mutant::Fixture(FixtureMutant {
                at: column.name.span,
                description: format!(
                    "{whose} (line {}): `{}` {} → {}",
                    column.name.span.line,
                    column.name.value,
                    shown(&written),
                    shown(&changed)
                ),
                value: changed,
            }));
        }
    }
    out.truncate(MAX_PER_CASE);
    out
}

/// Whether the case's run showed a value: a text inside a URL or a body,
/// a number or boolean as a value of a JSON body or a segment of a URL.
fn shown_in(value: &Value, exchanges: &[Exchange]) -> bool {
    let bodies = exchanges.iter().flat_map(|e| {
        let request = e
            .request
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Value>(b).ok());
        let response = e.response.as_ref().map(|r| r.body_value());
        request.into_iter().chain(response)
    });
    match value {
        Value::String(text) => {
            !text.is_empty()
                && exchanges.iter().any(|e| {
                    e.request.url.contains(text.as_str())
                        || e.request
                            .body
                            .as_deref()
                            .is_some_and(|b| b.contains(text.as_str()))
                        || e.response
                            .as_ref()
                            .is_some_and(|r| r.body.contains(text.as_str()))
                })
        }
        _ => {
            let text = value.to_string();
            exchanges.iter().any(|e| {
                e.request
                    .url
                    .split(['/', '?', '&', '='])
                    .any(|segment| segment == text)
            }) || bodies.into_iter().any(|body| holds(&body, value))
        }
    }
}

/// Whether a JSON value holds `leaf` anywhere.
fn holds(value: &Value, leaf: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|v| holds(v, leaf)),
        Value::Object(members) => members.values().any(|v| holds(v, leaf)),
        other => other == leaf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use itspec_results::{RequestRecord, ResponseRecord};
    use serde_json::json;

    fn exchange(url: &str, request: &str, response: Value) -> Exchange {
        Exchange {
            label: None,
            request: RequestRecord {
                method: "POST".to_string(),
                url: url.to_string(),
                headers: Vec::new(),
                body: Some(request.to_string()),
                body_omitted: None,
            },
            response: Some(ResponseRecord {
                status: 200,
                headers: Vec::new(),
                body: response.to_string(),
                json: Some(response),
                duration_ms: 1.0,
                body_omitted: None,
            }),
            error: None,
            span: Span::default(),
            timing: None,
        }
    }

    #[test]
    fn only_values_the_run_showed_are_changed() {
        let run = [exchange(
            "http://127.0.0.1:1/inventory/SKU-A?limit=10",
            r#"{"quantity": 2}"#,
            json!({"sku": "SKU-A", "stock": 5, "active": true}),
        )];
        assert!(shown_in(&json!("SKU-A"), &run));
        assert!(shown_in(&json!(5), &run));
        assert!(shown_in(&json!(2), &run));
        assert!(shown_in(&json!(10), &run));
        assert!(shown_in(&json!(true), &run));
        assert!(!shown_in(&json!("SKU-B"), &run));
        assert!(!shown_in(&json!(0), &run));
        assert!(!shown_in(&json!(false), &run));
    }
}
