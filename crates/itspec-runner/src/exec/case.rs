//! Running one case: setup, its request or its sequence of requests, then
//! every check, then its captures.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use itspec_spec::model::{AssertionKind, ExpectedOutput, Phrase, Spec, TestCase};
use serde_json::{Map, Value, json};

use super::request::{self, Built};
use super::setup::Setup;
use crate::check::{self, Context, DbContext, ErrorPaths};
use crate::db::Snapshot;
use crate::http::Http;
use crate::isolation::Isolation;
use crate::mock::{Call, Journals, Mocks};
use crate::results::{
    CaseResult, CheckKind, CheckResult, Evidence, Exchange, Outcome, ResponseRecord,
};
use crate::vars::Scope;

/// What every case of a spec shares.
pub(crate) struct CaseRunner<'a> {
    pub spec: &'a Spec,
    /// The spec's text, for the text of checks.
    pub source: &'a str,
    pub http: &'a Http,
    pub errors: &'a ErrorPaths,
    pub strict: bool,
    /// The mocks of the run.
    pub mocks: &'a Mocks,
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
    pub async fn run(
        &self,
        case: &TestCase,
        spec_scope: &mut Scope,
        isolation: Option<&Isolation>,
    ) -> CaseResult {
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
        self.exercise(case, &mut scope, spec_scope, isolation, &mut result)
            .await;
        result.outcome = if result.checks.iter().any(CheckResult::is_failed) {
            Outcome::Failed
        } else {
            Outcome::Passed
        };
        result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        result
    }

    /// Setup, requests, checks and captures of a case that runs.
    async fn exercise(
        &self,
        case: &TestCase,
        scope: &mut Scope,
        spec_scope: &mut Scope,
        isolation: Option<&Isolation>,
        result: &mut CaseResult,
    ) {
        let setup = Setup {
            spec: self.spec,
            isolation,
            mocks: self.mocks,
        };
        let Some(overrides) = setup.run(case, scope, &mut result.checks).await else {
            return;
        };
        if let Err(message) = self.mocks.begin_case(self.spec, &overrides, scope) {
            result.checks.push(CheckResult::failed(
                CheckKind::Setup,
                case.heading_span,
                "mocks",
                message,
                Evidence::default(),
            ));
            return;
        }
        // Snapshots are taken only when an assertion compares them.
        let compares = isolation.filter(|_| compares_snapshots(case));
        let before = match compares {
            Some(isolation) => record(isolation, None, case, &mut result.checks).await,
            None => None,
        };
        let Some(responses) = self.requests(case, scope, result).await else {
            return;
        };
        let after = match compares {
            Some(isolation) => record(isolation, before.as_ref(), case, &mut result.checks).await,
            None => None,
        };
        let journals = (!self.mocks.is_empty()).then(|| self.mocks.journals());
        let db = isolation.map(|isolation| DbContext {
            isolation,
            checks: &self.spec.checks,
            source: self.source,
            before: before.as_ref(),
            after: after.as_ref(),
        });
        let cx = Context {
            last: responses.last.as_ref(),
            labelled: &responses.labelled,
            statuses: responses.statuses.as_deref(),
            scope,
            errors: self.errors,
            strict: self.strict,
            journals: journals.as_ref(),
            db: db.as_ref(),
        };
        self.checks(case, &cx, &mut result.checks).await;
        self.unexpected_calls(case, journals.as_ref(), &mut result.checks);
        self.captures(case, &cx, spec_scope, &mut result.checks)
            .await;
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

    async fn checks(&self, case: &TestCase, cx: &Context<'_>, checks: &mut Vec<CheckResult>) {
        if let Some(expected) = &case.expected_output {
            let span = match expected {
                ExpectedOutput::Json(value) => value.span,
                ExpectedOutput::Text(text) => text.span,
            };
            checks.push(check::expected_output(
                expected,
                cx,
                span,
                "Expected Output",
            ));
        }
        for assertion in case.all_assertions() {
            checks.push(check::assertion(assertion, cx).await);
        }
    }

    /// Calls no route matched fail the case, unless the mock allows them.
    fn unexpected_calls(
        &self,
        case: &TestCase,
        journals: Option<&Journals>,
        checks: &mut Vec<CheckResult>,
    ) {
        for (name, calls) in journals.into_iter().flatten() {
            let unexpected: Vec<Call> = calls
                .iter()
                .filter(|c| c.is_unexpected())
                .cloned()
                .collect();
            if unexpected.is_empty() || self.mocks.get(name).is_some_and(|m| m.allow_unexpected) {
                continue;
            }
            let span = self
                .spec
                .mocks
                .iter()
                .find(|m| m.name.value == *name)
                .map_or(case.heading_span, |m| m.span);
            let count = unexpected.len();
            checks.push(CheckResult::failed(
                CheckKind::Assertion,
                span,
                format!("mock {name}"),
                format!(
                    "mock {name} received {count} call{} no route matches (allow them with `allow_unexpected = true` under [mocks.{name}])",
                    if count == 1 { "" } else { "s" }
                ),
                Evidence {
                    notes: check::call_notes(name, &unexpected),
                    ..Evidence::default()
                },
            ));
        }
    }

    async fn captures(
        &self,
        case: &TestCase,
        cx: &Context<'_>,
        spec_scope: &mut Scope,
        checks: &mut Vec<CheckResult>,
    ) {
        for capture in &case.captures {
            let text = self
                .source
                .get(capture.span.range())
                .unwrap_or(&capture.name.value)
                .to_string();
            match check::capture(&capture.subject, cx).await {
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

/// Whether a case has an assertion that compares database snapshots.
fn compares_snapshots(case: &TestCase) -> bool {
    case.all_assertions().any(|a| {
        matches!(
            &a.kind,
            AssertionKind::Phrase {
                phrase: Phrase::DatabaseUnchanged
                    | Phrase::TableUnchanged(_)
                    | Phrase::NoSideEffects
            }
        )
    })
}

/// A snapshot of the tracked tables; a failure to take one fails the case.
async fn record(
    isolation: &Isolation,
    reference: Option<&Snapshot>,
    case: &TestCase,
    checks: &mut Vec<CheckResult>,
) -> Option<Snapshot> {
    match isolation.snapshot(reference).await {
        Ok(snapshot) => Some(snapshot),
        Err(error) => {
            checks.push(CheckResult::failed(
                CheckKind::Setup,
                case.heading_span,
                "database snapshot",
                format!("cannot record the database: {error}"),
                Evidence::default(),
            ));
            None
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
