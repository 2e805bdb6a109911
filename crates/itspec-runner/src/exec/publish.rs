//! Messages a case publishes (CHANNELS.md §4): its `**Publish:**` input,
//! or the `Publish` steps of its Actions, with the destination and the
//! body's variables replaced; sent through the brokers, confirmed, and
//! shown as steps.

use itspec_spec::Span;
use itspec_spec::model::{Action, Header, PublishLine, TestCase};

use super::case::CaseRunner;
use super::request::{action_body, headers, var_failed};
use crate::broker::Outbound;
use crate::http::encode_body;
use crate::vars::{Scope, interpolate_text};
use itspec_results::{StepKind, StepResult};

/// A message to publish, and the step that shows it.
pub(crate) struct Message {
    outbound: Outbound,
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
    /// its broker confirmed it.
    pub(super) async fn publish_all(&self, messages: Vec<Message>) -> Vec<StepResult> {
        if messages.is_empty() {
            return Vec::new();
        }
        let outbound: Vec<Outbound> = messages.iter().map(|m| m.outbound.clone()).collect();
        let answers = self.brokers.publish(&outbound).await;
        messages
            .into_iter()
            .zip(answers)
            .map(|(message, answer)| match answer {
                Ok(()) => StepResult::passed(StepKind::Request, message.span, message.text),
                Err(why) => StepResult::failed(
                    StepKind::Request,
                    message.span,
                    message.text,
                    why,
                    itspec_results::Evidence::default(),
                ),
            })
            .collect()
    }
}
