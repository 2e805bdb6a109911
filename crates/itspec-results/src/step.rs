//! One step of a case and its verdict, with the evidence of a failure: a
//! request sent, a Setup line run, the Expected Output or an assertion
//! checked, a value captured, a response held to its contract. A step
//! that could not be made (no answer, a database error) is an `error`,
//! one that was made and did not hold is `failed`.

use serde::{Deserialize, Serialize};

use crate::Span;

/// What kind of step it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A request could be built and sent, or a message published.
    Request,
    /// Setup ran.
    Setup,
    /// The Expected Output block.
    ExpectedOutput,
    /// An Expected item or an assertion line.
    Assertion,
    /// A Capture line.
    Capture,
    /// A response against the OpenAPI contract.
    Contract,
}

/// One step and its verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepResult {
    /// What was checked.
    pub kind: StepKind,
    /// Where it is written.
    pub span: Span,
    /// Its text, as written.
    pub text: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The verdict of a step.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// It held.
    Passed,
    /// It did not; the message says how, the evidence shows it.
    Failed {
        /// What went wrong, in one line.
        message: String,
        /// What was expected and found (boxed: most checks pass, and a
        /// long run keeps every check).
        evidence: Box<Evidence>,
    },
    /// It could not be made: the service did not answer, the database
    /// or the setup failed. Not an assertion that failed.
    Error {
        /// What went wrong, in one line.
        message: String,
        /// What is known (boxed, as for a failure).
        evidence: Box<Evidence>,
    },
    /// Prose: not checked.
    Unverified {
        /// Why, and the nearest form when there is one.
        reason: String,
    },
}

/// The evidence of a failure.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// What was expected, rendered.
    pub expected: Option<String>,
    /// What was found, rendered.
    pub actual: Option<String>,
    /// Every differing JSON path of a body match.
    pub mismatches: Vec<Mismatch>,
    /// A line diff of expected and actual bodies, or of table rows.
    pub diff: Vec<DiffLine>,
    /// What the diff's `-` and `+` stand for, when not expected and actual.
    pub diff_title: Option<String>,
    /// Further evidence, a line each: the row found, the rows that matched.
    pub notes: Vec<String>,
}

/// One differing place of a body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// The JSON path: `$.items[0].sku`.
    pub path: String,
    /// What was expected there.
    pub expected: String,
    /// What was there.
    pub actual: String,
}

/// A line of a diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `-` expected only, `+` actual only, ` ` both.
    pub tag: char,
    /// The line, without its line break.
    pub text: String,
}

impl StepResult {
    /// A passed check.
    pub fn passed(kind: StepKind, span: Span, text: impl Into<String>) -> Self {
        Self::with(kind, span, text, Verdict::Passed)
    }

    /// A failed check.
    pub fn failed(
        kind: StepKind,
        span: Span,
        text: impl Into<String>,
        message: impl Into<String>,
        evidence: Evidence,
    ) -> Self {
        let verdict = Verdict::Failed {
            message: message.into(),
            evidence: Box::new(evidence),
        };
        Self::with(kind, span, text, verdict)
    }

    /// A check that could not be made (an error, not a failure).
    pub fn error(
        kind: StepKind,
        span: Span,
        text: impl Into<String>,
        message: impl Into<String>,
        evidence: Evidence,
    ) -> Self {
        let verdict = Verdict::Error {
            message: message.into(),
            evidence: Box::new(evidence),
        };
        Self::with(kind, span, text, verdict)
    }

    fn with(kind: StepKind, span: Span, text: impl Into<String>, verdict: Verdict) -> Self {
        Self {
            kind,
            span,
            text: text.into(),
            verdict,
        }
    }

    /// Whether the check did not hold: it failed, or could not be made.
    pub fn is_failed(&self) -> bool {
        matches!(self.verdict, Verdict::Failed { .. } | Verdict::Error { .. })
    }

    /// Whether it is a finding that was let pass (a contract warning, a
    /// published message the service left unconsumed), not a check that
    /// could not be made.
    pub fn is_warning(&self) -> bool {
        matches!(self.kind, StepKind::Contract | StepKind::Request)
            && matches!(self.verdict, Verdict::Unverified { .. })
    }

    /// Whether the check could not be made.
    pub fn is_error(&self) -> bool {
        matches!(self.verdict, Verdict::Error { .. })
    }

    /// Its message and evidence when it did not hold.
    pub fn problem(&self) -> Option<(&str, &Evidence)> {
        match &self.verdict {
            Verdict::Failed { message, evidence } | Verdict::Error { message, evidence } => {
                Some((message, evidence))
            }
            _ => None,
        }
    }
}
