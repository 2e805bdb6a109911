//! Sending a case's requests: one at a time, or a concurrent group through
//! a burst (every request on a ready connection of its own, released at
//! once, timed), with the messages of the group published meanwhile; each
//! exchange is recorded, and a request that gets no answer or a message
//! no broker took fails the case.

use std::collections::HashMap;

use itspec_spec::model::{ActionKind, TestCase};
use serde_json::Value;

use super::case::{Attempt, CaseRunner, headers_value, response_value};
use super::cookies::CookieJar;
use super::publish;
use super::request::{self, Built};
use crate::http::{self, HttpError, Outgoing};
use crate::vars::Scope;
use itspec_results::{
    Evidence, Exchange, RequestRecord, ResponseRecord, StepKind, StepResult, Verdict,
};

/// The responses of a case.
#[derive(Debug, Default)]
pub(crate) struct Responses {
    pub last: Option<ResponseRecord>,
    pub labelled: HashMap<String, ResponseRecord>,
    pub statuses: Option<Vec<u16>>,
    /// The widest start skew of the case's concurrent groups, in ms.
    pub skew_ms: Option<f64>,
}

/// A request as sent, its response or why there is none, and its timing
/// in a burst.
type Sent = (
    RequestRecord,
    Result<ResponseRecord, HttpError>,
    Option<(f64, f64)>,
);

impl CaseRunner<'_> {
    /// Sends the case's requests; `None` when one could not be sent (the
    /// failure is recorded).
    pub(super) async fn requests(
        &self,
        case: &TestCase,
        scope: &mut Scope,
        result: &mut Attempt,
    ) -> Option<Responses> {
        let mut responses = Responses::default();
        if let Some(publish) = &case.publish {
            let message = match publish::input(case, publish, scope) {
                Ok(message) => message,
                Err(failure) => {
                    result.checks.push(*failure);
                    return None;
                }
            };
            let (steps, kept) = self.publish_all(vec![message]).await;
            result.kept.extend(kept);
            let ok = steps.iter().all(|s| matches!(s.verdict, Verdict::Passed));
            result.checks.extend(steps);
            if !ok {
                return None;
            }
        } else if case.actions.is_empty() {
            let built = match request::single(case, self.spec, self.contract.1, scope, self.http) {
                Ok(built) => built,
                Err(failure) => {
                    result.checks.push(*failure);
                    return None;
                }
            };
            let response = self
                .send_all(vec![built], result, &mut responses.skew_ms)
                .await?;
            responses.last = response.into_iter().next().map(|(_, r)| r);
        } else {
            let mut jar = CookieJar::default();
            for group in case.groups() {
                let mut built = Vec::new();
                let mut messages = Vec::new();
                for action in &group.actions {
                    for label in action.labels() {
                        let one = match &action.kind {
                            ActionKind::Request { method, target } => {
                                request::action(action, (method, target), label, scope, self.http)
                                    .map(|b| built.push(b))
                            }
                            ActionKind::Publish {
                                broker,
                                destination,
                            } => publish::step(action, (&broker.value, destination), &label, scope)
                                .map(|m| messages.push(m)),
                        };
                        if let Err(failure) = one {
                            result.checks.push(*failure);
                            return None;
                        }
                    }
                }
                for request in &mut built {
                    jar.apply(&mut request.outgoing.headers);
                }
                let concurrent = built.len() + messages.len() > 1;
                let requests = !built.is_empty();
                // A group's messages go out while its requests do.
                let (answered, (published, kept)) = tokio::join!(
                    self.send_all(built, result, &mut responses.skew_ms),
                    self.publish_all(messages)
                );
                let ok = published
                    .iter()
                    .all(|s| matches!(s.verdict, Verdict::Passed));
                result.checks.extend(published);
                result.kept.extend(kept);
                let answered = answered?;
                if !ok {
                    return None;
                }
                if concurrent && requests && responses.statuses.is_none() {
                    responses.statuses = Some(answered.iter().map(|(_, r)| r.status).collect());
                }
                for (label, response) in answered {
                    jar.store(&response);
                    if let Some(label) = label {
                        scope.set(label.clone(), response_value(&response));
                        responses.labelled.insert(label, response.clone());
                    }
                    responses.last = Some(response);
                }
            }
        }
        if let Some(mutant) = self.mutant.and_then(crate::mutate::Mutant::response) {
            self.mutate(mutant, &mut responses, scope, result);
        }
        if let Some(last) = &responses.last {
            scope.set("status", Value::from(last.status));
            scope.set("headers", headers_value(last));
            scope.set("body", last.body_value());
        }
        Some(responses)
    }

    /// `itspec mutate`: changes the last response — and the labelled
    /// copy of it, which later assertions read by its label — as the
    /// mutant says, before any check reads it.
    fn mutate(
        &self,
        mutant: &crate::mutate::ResponseMutant,
        responses: &mut Responses,
        scope: &mut Scope,
        result: &mut Attempt,
    ) {
        let Some(last) = responses.last.as_mut() else {
            return;
        };
        let original = last.clone();
        if !mutant.apply(last) {
            result.checks.push(crate::mutate::not_applied(format!(
                "the response has no place for: {}",
                mutant.description
            )));
            return;
        }
        let changed = last.clone();
        for (label, response) in &mut responses.labelled {
            if response.status == original.status
                && response.body == original.body
                && response.headers == original.headers
            {
                *response = changed.clone();
                scope.set(label.clone(), response_value(response));
            }
        }
    }

    /// Sends requests — one alone, several released together as a burst —
    /// and records the exchanges. `None` when one got no answer. A burst's
    /// start skew goes into `skew_ms`.
    async fn send_all(
        &self,
        built: Vec<Built>,
        result: &mut Attempt,
        skew_ms: &mut Option<f64>,
    ) -> Option<Vec<(Option<String>, ResponseRecord)>> {
        let (outgoing, labels): (Vec<Outgoing>, Vec<_>) = built
            .into_iter()
            .map(|b| (b.outgoing, (b.label, b.span)))
            .unzip();
        let sent: Vec<Sent> = if outgoing.len() > 1 {
            let timed = http::burst(self.http, outgoing).await;
            let skew = http::start_skew(&timed);
            *skew_ms = Some(skew_ms.map_or(skew, |s: f64| s.max(skew)));
            timed
                .into_iter()
                .map(|t| (t.record, t.result, Some((t.start_ms, t.end_ms))))
                .collect()
        } else {
            let mut sent = Vec::with_capacity(1);
            for one in outgoing {
                let (record, response) = self.http.send(one).await;
                sent.push((record, response, None));
            }
            sent
        };
        let mut answered = Vec::with_capacity(sent.len());
        let mut ok = true;
        for ((record, response, timing), (label, span)) in sent.into_iter().zip(labels) {
            let (response, error) = match response {
                Ok(response) => (Some(response), None),
                Err(error) => (None, Some(error)),
            };
            if let Some(error) = &error {
                ok = false;
                let text = format!("{} {}", record.method, record.url);
                // A body past the cap was an answer; no answer at all is an
                // error of the case, not a failed assertion.
                let check = if error.answered() {
                    StepResult::failed
                } else {
                    StepResult::error
                };
                result.checks.push(check(
                    StepKind::Request,
                    span,
                    text,
                    error.to_string(),
                    Evidence::default(),
                ));
            }
            let error = error.map(|error| error.to_string());
            result.exchanges.push(Exchange {
                label: label.clone(),
                request: record,
                response: response.clone(),
                error,
                span,
                timing,
            });
            if let Some(response) = response {
                answered.push((label, response));
            }
        }
        ok.then_some(answered)
    }
}
