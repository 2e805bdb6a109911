//! Running one case: setup, its request or its sequence of requests, then
//! every check, then its captures.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use itspec_spec::model::{
    ExpectedOutput, FixtureKind, FixtureSelection, SetupLineKind, Spec, TestCase,
};
use serde_json::{Map, Value, json};

use super::request::{self, Built};
use crate::check::{self, Context, ErrorPaths};
use crate::http::Http;
use crate::results::{
    CaseResult, CheckKind, CheckResult, Evidence, Exchange, Outcome, ResponseRecord, Verdict,
};
use crate::vars::{Scope, interpolate_json};

/// What every case of a spec shares.
pub(crate) struct CaseRunner<'a> {
    pub spec: &'a Spec,
    /// The spec's text, for the text of checks.
    pub source: &'a str,
    pub http: &'a Http,
    pub errors: &'a ErrorPaths,
    pub strict: bool,
}

/// The variables a response defines: `status`, `headers`, `body`.
pub(crate) fn response_value(response: &ResponseRecord) -> Value {
    let headers: Map<String, Value> = response
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), Value::String(value.clone())))
        .collect();
    json!({
        "status": response.status,
        "headers": headers,
        "body": response.body_value(),
    })
}

impl CaseRunner<'_> {
    /// Runs a case. `spec_scope` holds the spec's variables and receives
    /// the case's captures.
    pub async fn run(&self, case: &TestCase, spec_scope: &mut Scope) -> CaseResult {
        let started = Instant::now();
        let mut result = CaseResult {
            id: case.id.value.clone(),
            name: case.name.value.clone(),
            heading: case.heading_span,
            outcome: Outcome::Passed,
            duration_ms: 0,
            exchanges: Vec::new(),
            checks: Vec::new(),
        };
        if let Some(skip) = &case.skip {
            result.outcome = Outcome::Skipped {
                reason: if skip.value.is_empty() {
                    "no reason given".to_string()
                } else {
                    skip.value.clone()
                },
            };
            return result;
        }
        let mut scope = spec_scope.clone();
        scope.set("case_id", Value::String(case.id.value.clone()));
        if self.setup(case, &mut scope, &mut result.checks) {
            let responses = self.requests(case, &mut scope, &mut result).await;
            if let Some(responses) = responses {
                self.checks(case, &scope, &responses, &mut result.checks);
                self.captures(case, &scope, &responses, spec_scope, &mut result.checks);
            }
        }
        result.outcome = if result.checks.iter().any(CheckResult::is_failed) {
            Outcome::Failed
        } else {
            Outcome::Passed
        };
        result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        result
    }

    /// Fixtures and setup lines. Returns whether the case can go on.
    fn setup(&self, case: &TestCase, scope: &mut Scope, checks: &mut Vec<CheckResult>) -> bool {
        let mut ok = true;
        let uses_rows = |name: Option<&str>| match &case.fixtures {
            FixtureSelection::All => true,
            FixtureSelection::None => false,
            FixtureSelection::Named(names) => {
                name.is_some_and(|n| names.iter().any(|s| s.value == n))
            }
        };
        let setup_fixtures = case.setup.iter().flat_map(|s| &s.fixtures);
        for fixture in self
            .spec
            .fixtures
            .iter()
            .filter(|f| uses_rows(f.name.as_ref().map(|n| n.value.as_str())))
            .chain(setup_fixtures)
        {
            let name = fixture
                .name
                .as_ref()
                .map_or("(unnamed)", |n| n.value.as_str());
            match &fixture.kind {
                FixtureKind::Payload(value) => match interpolate_json(value, scope) {
                    Ok(json) => scope.set(name, json),
                    Err(error) => {
                        ok = false;
                        checks.push(CheckResult::failed(
                            CheckKind::Setup,
                            fixture.span,
                            format!("fixture {name}"),
                            format!("variable `{{{{{}}}}}`: {}", error.name, error.message),
                            Evidence::default(),
                        ));
                    }
                },
                FixtureKind::Rows(_) | FixtureKind::Sql(_) => {
                    ok = false;
                    checks.push(CheckResult::failed(
                        CheckKind::Setup,
                        fixture.span,
                        format!("fixture {name}"),
                        "fixture rows need a database: add [database] to itspec.toml",
                        Evidence::default(),
                    ));
                }
            }
        }
        for line in case.setup.iter().flat_map(|s| &s.lines) {
            let message = match &line.kind {
                SetupLineKind::Row { .. }
                | SetupLineKind::Sql { .. }
                | SetupLineKind::Fixture { .. } => {
                    "this setup line writes to the database: add [database] to itspec.toml"
                }
                SetupLineKind::Mock { .. } => {
                    "this setup line changes a mock, and mocks are not running in this run"
                }
                SetupLineKind::Prose => {
                    checks.push(CheckResult {
                        kind: CheckKind::Setup,
                        span: line.span,
                        text: "setup".to_string(),
                        verdict: Verdict::Unverified {
                            reason: "a setup line in prose does not run".to_string(),
                        },
                    });
                    continue;
                }
            };
            ok = false;
            checks.push(CheckResult::failed(
                CheckKind::Setup,
                line.span,
                "setup",
                message,
                Evidence::default(),
            ));
        }
        ok
    }

    /// Sends the case's requests; `None` when one could not be sent (the
    /// failure is recorded).
    async fn requests(
        &self,
        case: &TestCase,
        scope: &mut Scope,
        result: &mut CaseResult,
    ) -> Option<Responses> {
        let mut responses = Responses::default();
        if case.actions.is_empty() {
            let built = match request::single(case, self.spec, scope, self.http) {
                Ok(built) => built,
                Err(failure) => {
                    result.checks.push(*failure);
                    return None;
                }
            };
            let response = self.send_all(vec![built], result).await?;
            responses.last = response.into_iter().next().map(|(_, r)| r);
        } else {
            for group in case.groups() {
                let mut built = Vec::new();
                for action in &group.actions {
                    for label in action.labels() {
                        match request::action(action, label, scope, self.http) {
                            Ok(b) => built.push(b),
                            Err(failure) => {
                                result.checks.push(*failure);
                                return None;
                            }
                        }
                    }
                }
                let concurrent = built.len() > 1;
                let answered = self.send_all(built, result).await?;
                if concurrent && responses.statuses.is_none() {
                    responses.statuses = Some(answered.iter().map(|(_, r)| r.status).collect());
                }
                for (label, response) in answered {
                    if let Some(label) = label {
                        scope.set(label.clone(), response_value(&response));
                        responses.labelled.insert(label, response.clone());
                    }
                    responses.last = Some(response);
                }
            }
        }
        if let Some(last) = &responses.last {
            let value = response_value(last);
            for part in ["status", "headers", "body"] {
                scope.set(part, value.get(part).cloned().unwrap_or(Value::Null));
            }
        }
        Some(responses)
    }

    /// Sends requests — one alone, several released together by a barrier —
    /// and records the exchanges. `None` when one failed.
    async fn send_all(
        &self,
        built: Vec<Built>,
        result: &mut CaseResult,
    ) -> Option<Vec<(Option<String>, ResponseRecord)>> {
        let barrier = Arc::new(tokio::sync::Barrier::new(built.len().max(1)));
        let mut handles = Vec::with_capacity(built.len());
        for b in built {
            let http = self.http.clone();
            let barrier = Arc::clone(&barrier);
            let Built {
                outgoing,
                label,
                span,
            } = b;
            handles.push(tokio::spawn(async move {
                barrier.wait().await;
                let (record, response) = http.send(outgoing).await;
                (label, span, record, response)
            }));
        }
        let mut answered = Vec::with_capacity(handles.len());
        let mut ok = true;
        for handle in handles {
            let Ok((label, span, record, response)) = handle.await else {
                ok = false;
                continue;
            };
            let (response, error) = match response {
                Ok(response) => (Some(response), None),
                Err(error) => (None, Some(error)),
            };
            if let Some(error) = &error {
                ok = false;
                let text = format!("{} {}", record.method, record.url);
                result.checks.push(CheckResult::failed(
                    CheckKind::Request,
                    span,
                    text,
                    error.clone(),
                    Evidence::default(),
                ));
            }
            result.exchanges.push(Exchange {
                label: label.clone(),
                request: record,
                response: response.clone(),
                error,
                span,
            });
            if let Some(response) = response {
                answered.push((label, response));
            }
        }
        ok.then_some(answered)
    }

    fn checks(
        &self,
        case: &TestCase,
        scope: &Scope,
        responses: &Responses,
        checks: &mut Vec<CheckResult>,
    ) {
        let mocks: Vec<String> = self
            .spec
            .mocks
            .iter()
            .map(|m| m.name.value.clone())
            .collect();
        let cx = Context {
            last: responses.last.as_ref(),
            labelled: &responses.labelled,
            statuses: responses.statuses.as_deref(),
            scope,
            errors: self.errors,
            strict: self.strict,
            mocks: &mocks,
        };
        if let Some(expected) = &case.expected_output {
            let span = match expected {
                ExpectedOutput::Json(value) => value.span,
                ExpectedOutput::Text(text) => text.span,
            };
            checks.push(check::expected_output(
                expected,
                &cx,
                span,
                "Expected Output",
            ));
        }
        for assertion in case.all_assertions() {
            checks.push(check::assertion(assertion, &cx));
        }
    }

    fn captures(
        &self,
        case: &TestCase,
        scope: &Scope,
        responses: &Responses,
        spec_scope: &mut Scope,
        checks: &mut Vec<CheckResult>,
    ) {
        let mocks: Vec<String> = Vec::new();
        let cx = Context {
            last: responses.last.as_ref(),
            labelled: &responses.labelled,
            statuses: responses.statuses.as_deref(),
            scope,
            errors: self.errors,
            strict: self.strict,
            mocks: &mocks,
        };
        for capture in &case.captures {
            let text = self
                .source
                .get(capture.span.range())
                .unwrap_or(&capture.name.value)
                .to_string();
            match check::capture(&capture.subject, &cx) {
                Ok(Some(value)) => {
                    spec_scope.set(capture.name.value.clone(), value);
                    checks.push(CheckResult::passed(CheckKind::Capture, capture.span, text));
                }
                Ok(None) => checks.push(CheckResult::failed(
                    CheckKind::Capture,
                    capture.span,
                    text,
                    "nothing to capture: the subject is absent",
                    Evidence::default(),
                )),
                Err(message) => checks.push(CheckResult::failed(
                    CheckKind::Capture,
                    capture.span,
                    text,
                    message,
                    Evidence::default(),
                )),
            }
        }
    }
}

/// The responses of a case.
#[derive(Debug, Default)]
pub(crate) struct Responses {
    pub last: Option<ResponseRecord>,
    pub labelled: HashMap<String, ResponseRecord>,
    pub statuses: Option<Vec<u16>>,
}
