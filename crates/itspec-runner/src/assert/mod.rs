//! Checking a case's responses: Expected Output, Expected items and
//! assertion lines (FORMAT §4). Each check becomes a [`StepResult`] with its
//! span and, when it fails, its evidence.

mod contract;
mod database;
mod email;
mod errors;
mod messages;
mod mocks;
mod predicate;
mod subject;
mod truth;

use std::collections::HashMap;

use itspec_spec::model::{
    Assertion, AssertionKind, ExpectedOutput, Operand, OperandKind, Phrase, SubjectKind,
};
use serde_json::Value;

pub(crate) use contract::contract;
pub use database::DbContext;
pub(crate) use database::unchanged_in;
pub(crate) use email::MailContext;
pub use errors::ErrorPaths;
pub(crate) use messages::MessageContext;
pub(crate) use mocks::call_notes;
pub(crate) use mocks::none_in;

use crate::broker::{Waits, after};
use crate::mock::{Journals, Mocks};
use crate::vars::{Scope, VarError, interpolate_json};
use itspec_results::{Evidence, ResponseRecord, StepKind, StepResult, Verdict};
use std::time::{Duration, Instant};

/// What a case's checks look at.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The case's last response.
    pub last: Option<&'a ResponseRecord>,
    /// Responses by label (`A`, `B1`).
    pub labelled: &'a HashMap<String, ResponseRecord>,
    /// The statuses of the concurrent group, in label order.
    pub statuses: Option<&'a [u16]>,
    /// Variables, the response's included.
    pub scope: &'a Scope,
    /// Where error codes and messages are read.
    pub errors: &'a ErrorPaths,
    /// Prose assertions fail.
    pub strict: bool,
    /// What each mock received during the case; `None` when no mock runs.
    pub journals: Option<&'a Journals>,
    /// The database, when one is configured.
    pub db: Option<&'a DbContext<'a>>,
    /// Every side-effect channel of the case, for `no side effects`.
    pub side_effects: &'a dyn SideEffects,
    /// The brokers, when the run has any.
    pub messages: Option<&'a MessageContext<'a>>,
    /// The SMTP server, when `[mail]` is configured.
    pub mail: Option<&'a MailContext<'a>>,
    /// The mocks, read again by `within`.
    pub mocks: Option<&'a Mocks>,
    /// When the case's last request ended: the waits count from here.
    pub last_step: Instant,
}

/// What `no side effects` asks of a case's side-effect channels (the
/// database, the mocks, …; `crate::channel` implements it).
pub(crate) trait SideEffects {
    /// `Ok` when no channel saw anything happen since Setup; else what the
    /// first one that did saw.
    fn none(&self) -> Result<(), Failure>;
}

/// A check failed: a message and its evidence. `error`: it could not be
/// checked at all — the database answered with an error, none is
/// configured — which is an error of the case, not a failed assertion.
#[derive(Debug)]
pub(crate) struct Failure {
    pub message: String,
    pub evidence: Box<Evidence>,
    pub error: bool,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            evidence: Box::default(),
            error: false,
        }
    }

    /// The check could not be made: an error, not a failure.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            error: true,
            ..Self::new(message)
        }
    }

    pub fn with(
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Self {
            message: message.into(),
            evidence: Box::new(Evidence {
                expected: Some(expected.into()),
                actual: Some(actual.into()),
                ..Evidence::default()
            }),
            error: false,
        }
    }
}

impl From<VarError> for Failure {
    fn from(error: VarError) -> Self {
        Failure::new(format!(
            "variable `{{{{{}}}}}`: {}",
            error.name, error.message
        ))
    }
}

/// How often `within` looks again.
const RETRY_EVERY: Duration = Duration::from_millis(50);

/// Checks one assertion line or Expected item.
pub async fn assertion(assertion: &Assertion, cx: &Context<'_>) -> StepResult {
    let outcome = match assertion.within {
        Some(ms) => within(assertion, cx, Duration::from_millis(ms)).await,
        None => evaluate(assertion, cx).await,
    };
    let verdict = match outcome {
        Ok(Some(reason)) if !cx.strict => Verdict::Unverified { reason },
        Ok(Some(reason)) => Verdict::Failed {
            message: format!("prose assertion under --strict: {reason}"),
            evidence: Box::default(),
        },
        Ok(None) => Verdict::Passed,
        Err(failure) if failure.error => Verdict::Error {
            message: failure.message,
            evidence: failure.evidence,
        },
        Err(failure) => Verdict::Failed {
            message: failure.message,
            evidence: failure.evidence,
        },
    };
    StepResult {
        kind: StepKind::Assertion,
        span: assertion.span,
        text: assertion.text.clone(),
        verdict,
    }
}

/// `within D: …`: evaluated again every [`RETRY_EVERY`] against what the
/// database, the mocks and the brokers hold then, until it holds or `wait`
/// has passed since the case's last request; a message assertion waits for
/// messages that long. An assertion that cannot be checked (an error) is
/// not retried. The last failure is the verdict, and says how long it
/// waited.
async fn within(
    assertion: &Assertion,
    cx: &Context<'_>,
    wait: Duration,
) -> Result<Option<String>, Failure> {
    let deadline = after(cx.last_step, wait);
    // A message assertion waits D for its messages; `no messages` waits D
    // for latecomers.
    let negative = matches!(
        assertion.kind,
        AssertionKind::NoMessages { .. } | AssertionKind::NoEmails { .. }
    ) || is_negative_email(&assertion.kind);
    let messages = cx.messages.map(|m| MessageContext {
        brokers: m.brokers,
        waits: Waits {
            wait,
            quiet: if negative { wait } else { m.waits.quiet },
        },
        last_step: m.last_step,
    });
    let mail = cx.mail.map(|m| MailContext {
        mail: m.mail,
        waits: Waits {
            wait,
            quiet: if negative { wait } else { m.waits.quiet },
        },
        last_step: m.last_step,
    });
    loop {
        let live = cx.mocks.map(Mocks::journals);
        let again = Context {
            journals: live.as_ref().or(cx.journals),
            messages: messages.as_ref(),
            mail: mail.as_ref(),
            ..*cx
        };
        match evaluate(assertion, &again).await {
            Err(failure) if !failure.error && Instant::now() < deadline => {
                let left = deadline.saturating_duration_since(Instant::now());
                tokio::time::sleep(left.min(RETRY_EVERY)).await;
            }
            Err(mut failure) if !failure.error => {
                failure.message = format!(
                    "{} (still after waiting {} ms)",
                    failure.message,
                    wait.as_millis()
                );
                return Err(failure);
            }
            other => return other,
        }
    }
}

/// Whether an `email` assertion asks something of every e-mail (`not
/// received`, `!=`, `not contains`, `not exists`): `within` then waits its
/// time for latecomers.
fn is_negative_email(kind: &AssertionKind) -> bool {
    let AssertionKind::Check { subject, predicate } = kind else {
        return false;
    };
    matches!(subject.kind, SubjectKind::Email { .. }) && email::negative(predicate)
}

/// `Ok(None)`: passed; `Ok(Some(reason))`: not checkable (prose).
async fn evaluate(assertion: &Assertion, cx: &Context<'_>) -> Result<Option<String>, Failure> {
    match &assertion.kind {
        AssertionKind::Prose { hint } => Ok(Some(match hint {
            Some(hint) => format!("prose, not checked (did you mean `{hint}`?)"),
            None => "prose, not checked".to_string(),
        })),
        AssertionKind::Check { subject, predicate }
            if matches!(
                subject.kind,
                SubjectKind::Row { .. } | SubjectKind::Rows { .. }
            ) =>
        {
            database::rows(subject, predicate, cx).await?;
            Ok(None)
        }
        AssertionKind::Check { subject, predicate }
            if matches!(
                subject.kind,
                SubjectKind::MockCalls { .. } | SubjectKind::Mock { .. }
            ) =>
        {
            mocks::check(subject, predicate, cx)?;
            Ok(None)
        }
        AssertionKind::Check { subject, predicate }
            if matches!(
                subject.kind,
                SubjectKind::Message { .. } | SubjectKind::Messages { .. }
            ) =>
        {
            messages::check(subject, predicate, cx).await?;
            Ok(None)
        }
        AssertionKind::Check { subject, predicate }
            if matches!(
                subject.kind,
                SubjectKind::Email { .. } | SubjectKind::Emails { .. }
            ) =>
        {
            email::check(subject, predicate, cx).await?;
            Ok(None)
        }
        AssertionKind::Check { subject, predicate } => {
            let value = subject::resolve(subject, cx).await?;
            predicate::apply(predicate, subject, value, cx)?;
            Ok(None)
        }
        AssertionKind::ErrorCode { code } => {
            let expected = operand_value(code, cx.scope)?;
            errors::check_code(cx, &expected)?;
            Ok(None)
        }
        AssertionKind::MessageContains { text } => {
            let expected = operand_value(text, cx.scope)?;
            errors::check_message(cx, &expected)?;
            Ok(None)
        }
        AssertionKind::Phrase { phrase } => phrase_check(phrase, cx).map(|()| None),
        AssertionKind::NoMessages { broker, topic } => {
            messages::none(broker.as_ref(), topic.as_ref(), cx)
                .await
                .map(|()| None)
        }
        AssertionKind::NoEmails { to } => email::none_to(to.as_ref(), cx).await.map(|()| None),
        AssertionKind::Call { name, args } => database::call(name, args, cx).await.map(|()| None),
    }
}

fn phrase_check(phrase: &Phrase, cx: &Context<'_>) -> Result<(), Failure> {
    match phrase {
        Phrase::DatabaseUnchanged => database::unchanged(None, cx),
        Phrase::TableUnchanged(table) => database::unchanged(Some(table), cx),
        Phrase::NoSideEffects => cx.side_effects.none(),
        Phrase::NoMockCalls => mocks::none(cx),
        // Decided over all iterations by the runner.
        Phrase::NoRaceConditions => Ok(()),
    }
}

/// The value a Capture reads; `None` when its subject is absent.
pub async fn capture(
    subject: &itspec_spec::model::Subject,
    cx: &Context<'_>,
) -> Result<Option<Value>, String> {
    subject::resolve(subject, cx)
        .await
        .map_err(|failure| failure.message)
}

/// The JSON value of an operand.
pub(crate) fn operand_value(operand: &Operand, scope: &Scope) -> Result<Value, Failure> {
    Ok(match &operand.kind {
        OperandKind::Value(value) => interpolate_json(value, scope)?,
        OperandKind::Duration(ms) => Value::from(*ms),
        OperandKind::StatusClass(class) => Value::String(format!("{class}xx")),
        OperandKind::Name(name) => scope.lookup(name)?,
    })
}

/// Checks the Expected Output block against the last response.
pub fn expected_output(
    expected: &ExpectedOutput,
    cx: &Context<'_>,
    span: itspec_spec::Span,
    text: &str,
) -> StepResult {
    let kind = StepKind::ExpectedOutput;
    let Some(response) = cx.last else {
        return StepResult::failed(
            kind,
            span,
            text,
            "there is no response to compare",
            Evidence::default(),
        );
    };
    match expected {
        ExpectedOutput::Json(value) => {
            let expected = match interpolate_json(value, cx.scope) {
                Ok(expected) => expected,
                Err(error) => {
                    let failure = Failure::from(error);
                    return StepResult::failed(
                        kind,
                        span,
                        text,
                        failure.message,
                        *failure.evidence,
                    );
                }
            };
            let actual = response.body_value();
            let (mismatches, projected) =
                crate::matching::body::match_body(&expected, Some(&actual));
            if mismatches.is_empty() {
                return StepResult::passed(kind, span, text);
            }
            let message = if response.json.is_none() {
                "the response body is not JSON".to_string()
            } else {
                let count = mismatches.len();
                format!(
                    "the body differs from Expected Output at {count} place{}",
                    if count == 1 { "" } else { "s" }
                )
            };
            let evidence = Evidence {
                diff: crate::matching::diff::diff(&projected, &actual),
                mismatches,
                ..Evidence::default()
            };
            StepResult::failed(kind, span, text, message, evidence)
        }
        ExpectedOutput::Text(expected) => {
            let want = match crate::vars::interpolate_text(
                expected.value.strip_suffix('\n').unwrap_or(&expected.value),
                cx.scope,
            ) {
                Ok(want) => want,
                Err(error) => {
                    let failure = Failure::from(error);
                    return StepResult::failed(
                        kind,
                        span,
                        text,
                        failure.message,
                        *failure.evidence,
                    );
                }
            };
            if response.body == want {
                return StepResult::passed(kind, span, text);
            }
            let evidence = Evidence {
                diff: crate::matching::diff::text_diff(&want, &response.body),
                ..Evidence::default()
            };
            StepResult::failed(
                kind,
                span,
                text,
                "the body differs from Expected Output",
                evidence,
            )
        }
    }
}
