//! Messages a case publishes (CHANNELS.md §4): its `**Publish:**` input,
//! or the `Publish` steps of its Actions, with the destination and the
//! body's variables replaced; sent through the brokers, confirmed, and
//! shown as steps. A message the broker keeps until a consumer takes it
//! (a queue, a stream) is looked at again when the case ends: left there,
//! it is a warning on its step (CHANNELS.md §6).

use itspec_spec::Span;
use itspec_spec::model::{Action, Header, PublishLine, TestCase};

use super::case::CaseRunner;
use super::request::{action_body, headers, var_failed};
use crate::broker::{Backlog, Outbound};
use crate::http::encode_body;
use crate::vars::{Scope, interpolate_text};
use itspec_results::{StepKind, StepResult, Verdict};

/// A message to publish, and the step that shows it.
pub(crate) struct Message {
    outbound: Outbound,
    text: String,
    span: Span,
}

/// A message a broker keeps until the service takes it, and the step
/// that published it.
#[derive(Debug)]
pub(crate) struct Kept {
    broker: String,
    backlog: Backlog,
    text: String,
    span: Span,
}

/// The case's `**Publish:**` message, its body the block under the line
/// or the Input.
pub(crate) fn input(
    case: &TestCase,
    publish: &PublishLine,
    scope: &Scope,
) -> Result<Message, Box<StepResult>> {
    let text = step_text(None, &publish.broker.value, &publish.destination);
    let (body, content_type) = match publish.body.as_ref().or(case.input.as_ref()) {
        Some(body) => encode_body(body, scope).map_err(|e| var_failed(body.span, &text, &e))?,
        None => (Vec::new(), "text/plain; charset=utf-8"),
    };
    message(
        text,
        publish.span,
        (&publish.broker.value, &publish.destination),
        (body, content_type),
        &publish.headers,
        scope,
    )
}

/// One copy of a `Publish` step of the Actions.
pub(crate) fn step(
    action: &Action,
    (broker, destination): (&str, &[itspec_spec::Spanned<String>]),
    label: &str,
    scope: &Scope,
) -> Result<Message, Box<StepResult>> {
    let text = step_text(Some(label), broker, destination);
    let body = action_body(action, scope, &text)?
        .unwrap_or_else(|| (Vec::new(), "text/plain; charset=utf-8"));
    message(
        text,
        action.span,
        (broker, destination),
        body,
        &action.headers,
        scope,
    )
}

fn message(
    text: String,
    span: Span,
    (broker, destination): (&str, &[itspec_spec::Spanned<String>]),
    (body, content_type): (Vec<u8>, &'static str),
    own_headers: &[Header],
    scope: &Scope,
) -> Result<Message, Box<StepResult>> {
    let mut words = Vec::with_capacity(destination.len());
    for word in destination {
        words.push(
            interpolate_text(&word.value, scope).map_err(|e| var_failed(word.span, &text, &e))?,
        );
    }
    let headers = headers(own_headers, scope).map_err(|(span, e)| var_failed(span, &text, &e))?;
    Ok(Message {
        outbound: Outbound {
            broker: broker.to_string(),
            destination: words,
            body,
            content_type,
            headers,
        },
        text,
        span,
    })
}

/// `Publish [A:] BROKER DESTINATION…`, as written.
fn step_text(
    label: Option<&str>,
    broker: &str,
    destination: &[itspec_spec::Spanned<String>],
) -> String {
    let words: Vec<&str> = std::iter::once(broker)
        .chain(destination.iter().map(|w| w.value.as_str()))
        .collect();
    match label {
        Some(label) => format!("Publish {label}: {}", words.join(" ")),
        None => format!("Publish {}", words.join(" ")),
    }
}

impl CaseRunner<'_> {
    /// Publishes messages released together; a step for each, passed once
    /// its broker confirmed it, and the messages the brokers keep.
    pub(super) async fn publish_all(&self, messages: Vec<Message>) -> (Vec<StepResult>, Vec<Kept>) {
        if messages.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let outbound: Vec<Outbound> = messages.iter().map(|m| m.outbound.clone()).collect();
        let answers = self.brokers.publish(&outbound).await;
        let mut kept = Vec::new();
        let steps = messages
            .into_iter()
            .zip(answers)
            .map(|(message, answer)| match answer {
                Ok(backlog) => {
                    if let Some(backlog) = backlog {
                        kept.push(Kept {
                            broker: message.outbound.broker,
                            backlog,
                            text: message.text.clone(),
                            span: message.span,
                        });
                    }
                    StepResult::passed(StepKind::Request, message.span, message.text)
                }
                Err(why) => StepResult::failed(
                    StepKind::Request,
                    message.span,
                    message.text,
                    why,
                    itspec_results::Evidence::default(),
                ),
            })
            .collect();
        (steps, kept)
    }

    /// What of `message` is left where its broker keeps it. A consumer
    /// may be taking it just now: what is left is asked again until
    /// `[channels] quiet` has passed.
    async fn still_left(&self, message: &Kept) -> Result<Option<String>, String> {
        let until = tokio::time::Instant::now() + self.waits.quiet;
        loop {
            let left = self.brokers.left(&message.broker, &message.backlog).await;
            if !matches!(left, Ok(Some(_))) || tokio::time::Instant::now() >= until {
                return left;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A warning for each kept message the service left where its broker
    /// keeps it; a queue is asked once.
    pub(super) async fn left_behind(&self, kept: &[Kept]) -> Vec<StepResult> {
        let mut asked: Vec<(&str, &Backlog)> = Vec::new();
        let mut warnings = Vec::new();
        for message in kept {
            let key = (message.broker.as_str(), &message.backlog);
            if matches!(message.backlog, Backlog::Queue { .. }) && asked.contains(&key) {
                continue;
            }
            asked.push(key);
            let reason = match self.still_left(message).await {
                Ok(None) => continue,
                Ok(Some(left)) => format!("warning: {left}"),
                Err(why) => format!(
                    "warning: cannot tell whether the service consumed the message (broker {}: {why})",
                    message.broker
                ),
            };
            warnings.push(StepResult {
                kind: StepKind::Request,
                span: message.span,
                text: message.text.clone(),
                verdict: Verdict::Unverified { reason },
            });
        }
        warnings
    }
}
