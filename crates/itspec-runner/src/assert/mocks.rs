//! Assertions on what the mocks received (FORMAT §4, §6): `mock NAME
//! [METHOD PATH] calls OP N`, `mock NAME METHOD PATH received JSON`,
//! `no mock calls`, the mocks' half of `no side effects`, and the calls no
//! route matched. Every failure lists the calls the mock received.

use itspec_spec::Spanned;
use itspec_spec::model::{Predicate, RouteRef, Subject, SubjectKind};
use serde_json::Value;

use super::{Context, Failure, predicate};
use crate::matching::body::{match_body, render};
use crate::mock::{Journals, path_matches};
use crate::vars::interpolate_json;
use itspec_results::Call;
use itspec_results::Evidence;

/// Calls shown as evidence, at most.
const SHOWN_CALLS: usize = 10;

/// The calls a mock received, or why there are none to look at.
fn journal<'a>(cx: &'a Context<'_>, mock: &Spanned<String>) -> Result<&'a [Call], Failure> {
    let journals = cx.journals.ok_or_else(|| {
        Failure::new(format!(
            "mock `{}` is not running: no mock is defined for this run",
            mock.value
        ))
    })?;
    journals.get(&mock.value).map(Vec::as_slice).ok_or_else(|| {
        let running: Vec<&str> = journals.keys().map(String::as_str).collect();
        Failure::new(format!(
            "mock `{}` is not running (the mocks are: {}); define it in ## Mocks or under [mocks.{}] in itspec.toml",
            mock.value,
            running.join(", "),
            mock.value
        ))
    })
}

/// One line per call, for evidence.
pub(crate) fn call_notes(name: &str, calls: &[Call]) -> Vec<String> {
    if calls.is_empty() {
        return vec![format!("mock {name} received no call")];
    }
    let mut notes: Vec<String> = calls
        .iter()
        .take(SHOWN_CALLS)
        .map(|call| format!("mock {name} received: {}", call.summary()))
        .collect();
    if calls.len() > SHOWN_CALLS {
        notes.push(format!("... and {} more", calls.len() - SHOWN_CALLS));
    }
    notes
}

fn on_route<'a>(calls: &'a [Call], route: Option<&RouteRef>) -> Vec<&'a Call> {
    calls
        .iter()
        .filter(|call| {
            route.is_none_or(|r| {
                (r.method.value == "*" || r.method.value.eq_ignore_ascii_case(&call.method))
                    && path_matches(&r.path.value, &call.path)
            })
        })
        .collect()
}

fn route_text(route: Option<&RouteRef>) -> String {
    route
        .map(|r| format!(" {} {}", r.method.value, r.path.value))
        .unwrap_or_default()
}

/// With the calls received appended to a failure's evidence.
fn with_calls(mut failure: Failure, name: &str, calls: &[Call]) -> Failure {
    failure.evidence.notes.extend(call_notes(name, calls));
    failure
}

/// The value of a mock subject: the number of calls, or their bodies.
pub(super) fn value(subject: &Subject, cx: &Context<'_>) -> Result<Option<Value>, Failure> {
    match &subject.kind {
        SubjectKind::MockCalls { mock, route } => Ok(Some(Value::from(
            on_route(journal(cx, mock)?, route.as_ref()).len(),
        ))),
        SubjectKind::Mock { mock, route } => Ok(Some(Value::Array(
            on_route(journal(cx, mock)?, route.as_ref())
                .iter()
                .map(|c| c.body_value())
                .collect(),
        ))),
        _ => Ok(None),
    }
}

/// A mock subject with its predicate.
pub(super) fn check(
    subject: &Subject,
    predicate: &Predicate,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let (SubjectKind::MockCalls { mock, route } | SubjectKind::Mock { mock, route }) =
        &subject.kind
    else {
        return Ok(());
    };
    let calls = journal(cx, mock)?;
    let matching = on_route(calls, route.as_ref());
    if let (SubjectKind::Mock { .. }, Predicate::Received { body }) = (&subject.kind, predicate) {
        let expected = interpolate_json(body, cx.scope)?;
        return received(&mock.value, route.as_ref(), &expected, calls, &matching);
    }
    let value = value(subject, cx)?;
    predicate::apply(predicate, subject, value, cx)
        .map_err(|failure| with_calls(failure, &mock.value, calls))
}

/// Some call on the route has a body containing `expected`.
fn received(
    name: &str,
    route: Option<&RouteRef>,
    expected: &Value,
    calls: &[Call],
    matching: &[&Call],
) -> Result<(), Failure> {
    let mut closest: Option<(usize, &Call, Vec<itspec_results::Mismatch>)> = None;
    for call in matching {
        let body = call.json.clone();
        let (mismatches, _) = match_body(expected, body.as_ref());
        if mismatches.is_empty() {
            return Ok(());
        }
        if closest
            .as_ref()
            .is_none_or(|(n, _, _)| mismatches.len() < *n)
        {
            closest = Some((mismatches.len(), call, mismatches));
        }
    }
    let route = route_text(route);
    let failure = match closest {
        None => Failure {
            error: false,
            message: format!("mock {name} received no{route} call"),
            evidence: Box::new(Evidence {
                expected: Some(format!(
                    "a{route} call with a body containing {}",
                    render(expected)
                )),
                actual: Some("none".to_string()),
                ..Evidence::default()
            }),
        },
        Some((_, call, mismatches)) => Failure {
            error: false,
            message: format!(
                "no{route} call to mock {name} has a body containing {}; the closest differs at {} place{}",
                render(expected),
                mismatches.len(),
                if mismatches.len() == 1 { "" } else { "s" }
            ),
            evidence: Box::new(Evidence {
                mismatches,
                notes: vec![format!("closest call: {}", call.summary())],
                ..Evidence::default()
            }),
        },
    };
    Err(with_calls(failure, name, calls))
}

/// `no mock calls`: no mock received anything.
pub(super) fn none(cx: &Context<'_>) -> Result<(), Failure> {
    cx.journals.map_or(Ok(()), none_in)
}

/// Whether no call reached any mock: the mocks' part of `no side effects`.
pub(crate) fn none_in(journals: &Journals) -> Result<(), Failure> {
    let called: Vec<(&String, &Vec<Call>)> = journals
        .iter()
        .filter(|(_, calls)| !calls.is_empty())
        .collect();
    if called.is_empty() {
        return Ok(());
    }
    let total: usize = called.iter().map(|(_, calls)| calls.len()).sum();
    let names: Vec<&str> = called.iter().map(|(name, _)| name.as_str()).collect();
    let mut failure = Failure::new(format!(
        "{total} call{} reached the mocks ({})",
        if total == 1 { "" } else { "s" },
        names.join(", ")
    ));
    for (name, calls) in called {
        failure.evidence.notes.extend(call_notes(name, calls));
    }
    Err(failure)
}
