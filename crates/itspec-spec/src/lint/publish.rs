//! A case whose input is a published message (`**Publish:**`) has no
//! response: what would read one is an error (IT126), as it could never
//! hold.

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{AssertionKind, ExpectedOutput, Spec, SubjectKind};
use crate::source::Span;

pub(crate) fn check(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for case in spec.cases.iter().filter(|c| c.publish.is_some()) {
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
                    SubjectKind::Response { .. }
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
