//! A case whose input is a published message (`**Publish:**`, or Actions
//! that only publish) has no response: what would read one is an error
//! (IT126), as it could never hold. A `Publish` step without a body is
//! warned (IT116), as a `**Publish:**` line is.

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{AssertionKind, ExpectedOutput, Spec, SubjectKind};
use crate::source::Span;

pub(crate) fn check(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for case in &spec.cases {
        for action in case
            .actions
            .iter()
            .filter(|a| a.is_publish() && a.body.is_none())
        {
            out.push(
                Diagnostic::warning(
                    Code::EmptyField,
                    action.span,
                    format!("Publish {} has no body: an empty message is published", action.label.value),
                )
                .with_help("write the message after the destination (`{\"id\": 1}`), `with VARIABLE`, or in a block under the step"),
            );
        }
    }
    for case in spec.cases.iter().filter(|c| c.publishes_only()) {
        if let Some(expected) = &case.expected_output {
            let span = match expected {
                ExpectedOutput::Json(value) => value.span,
                ExpectedOutput::Text(text) => text.span,
            };
            out.push(no_response(span, "Expected Output"));
        }
        for assertion in case.all_assertions() {
            let reads_response = match &assertion.kind {
                AssertionKind::Check { subject, .. } => matches!(
                    subject.kind,
                    // A labelled one is the references lint's.
                    SubjectKind::Response { label: None, .. }
                        | SubjectKind::Statuses
                        | SubjectKind::CountStatus { .. }
                ),
                AssertionKind::ErrorCode { .. } | AssertionKind::MessageContains { .. } => true,
                _ => false,
            };
            if reads_response {
                out.push(no_response(assertion.span, "this assertion"));
            }
        }
    }
}

fn no_response(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::NoResponse,
        span,
        format!("{what} reads a response, and a case that publishes a message has none"),
    )
    .with_help("assert on what the consumer did: `within 5s: row …`, `message …`, `mock …`")
}
