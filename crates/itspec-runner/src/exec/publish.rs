//! A case whose input is a published message (`**Publish:**`, CHANNELS.md
//! §4): the destination and the body with their variables replaced, sent
//! through the broker, confirmed, and shown as the case's first step.

use itspec_spec::model::{PublishLine, TestCase};

use super::case::{Attempt, CaseRunner};
use crate::http::encode_body;
use crate::vars::{Scope, interpolate_text};
use itspec_results::{Evidence, StepKind, StepResult};

impl CaseRunner<'_> {
    /// Publishes the case's message; `None` when it could not be (the
    /// failure is recorded).
    pub(super) async fn publish_input(
        &self,
        case: &TestCase,
        publish: &PublishLine,
        scope: &Scope,
        result: &mut Attempt,
    ) -> Option<()> {
        let written: Vec<&str> = std::iter::once(publish.broker.value.as_str())
            .chain(publish.destination.iter().map(|w| w.value.as_str()))
            .collect();
        let text = format!("Publish {}", written.join(" "));
        let fail = |message: String| {
            StepResult::failed(
                StepKind::Request,
                publish.span,
                text.clone(),
                message,
                Evidence::default(),
            )
        };
        let mut destination = Vec::with_capacity(publish.destination.len());
        for word in &publish.destination {
            match interpolate_text(&word.value, scope) {
                Ok(value) => destination.push(value),
                Err(e) => {
                    result.checks.push(fail(format!(
                        "variable `{{{{{}}}}}`: {}",
                        e.name, e.message
                    )));
                    return None;
                }
            }
        }
        let (body, content_type) = match publish.body.as_ref().or(case.input.as_ref()) {
            Some(body) => match encode_body(body, scope) {
                Ok(encoded) => encoded,
                Err(e) => {
                    result.checks.push(fail(format!(
                        "variable `{{{{{}}}}}`: {}",
                        e.name, e.message
                    )));
                    return None;
                }
            },
            None => (Vec::new(), "text/plain; charset=utf-8"),
        };
        match self
            .brokers
            .publish(&publish.broker.value, &destination, &body, content_type)
            .await
        {
            Ok(()) => {
                result
                    .checks
                    .push(StepResult::passed(StepKind::Request, publish.span, text));
                Some(())
            }
            Err(message) => {
                result.checks.push(fail(message));
                None
            }
        }
    }
}
