//! The result tree of a run: spec → case → requests and checks, each check
//! with its span in the spec and the evidence of a failure.
//!
//! A failed assertion is a value here, like a passed one; a run that could
//! not happen at all (the service did not start) is a [`RunOutcome`].

use itspec_spec::Span;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::mock::Call;

/// A whole run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunResult {
    /// When the run began (RFC 3339).
    #[serde(default)]
    pub started_at: String,
    /// Where requests went.
    #[serde(default)]
    pub target: String,
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Every spec that ran, in run order.
    pub specs: Vec<SpecResult>,
    /// The counts.
    pub summary: Summary,
    /// Wall-clock time.
    pub duration_ms: u64,
}

impl RunResult {
    /// A run beginning now, with nothing in it yet.
    pub fn starting_now() -> Self {
        Self {
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ..Self::default()
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every selected case ran.
    #[default]
    Completed,
    /// The environment failed: the service did not start or died, the
    /// target did not answer.
    EnvironmentFailed {
        /// What happened, with the service's last log lines when there are any.
        message: String,
    },
    /// Ctrl-C or SIGTERM stopped the run.
    Interrupted,
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases that could not be checked: the service did not answer, the
    /// database or the setup failed.
    #[serde(default)]
    pub errors: usize,
    /// Cases skipped (with `**Skip:**`).
    pub skipped: usize,
    /// Prose assertions and setup lines that could not be checked.
    pub unverified: usize,
    /// Findings that were let pass: a status the contract does not
    /// document under `[contract] undocumented_status = "warn"`.
    #[serde(default)]
    pub warnings: usize,
}

impl Summary {
    /// Adds a case's result.
    pub fn add(&mut self, case: &CaseResult) {
        match case.outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
        for check in &case.checks {
            if check.is_warning() {
                self.warnings += 1;
            } else if matches!(check.verdict, Verdict::Unverified { .. }) {
                self.unverified += 1;
            }
        }
    }
}

/// One spec's results.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpecResult {
    /// The file, as shown.
    pub path: String,
    /// The component under test.
    pub component: String,
    /// `Critical`, `High`, `Medium` or `Low`.
    #[serde(default)]
    pub priority: String,
    /// `Draft`, `Ready` or `Implemented` (empty when not given).
    #[serde(default)]
    pub status: String,
    /// The story ids of its Related line.
    #[serde(default)]
    pub stories: Vec<String>,
    /// Its API contract.
    #[serde(default)]
    pub contract: Option<String>,
    /// Its cases, in document order.
    pub cases: Vec<CaseResult>,
}

/// One case's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseResult {
    /// `TC-INT-001`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its heading in the spec.
    pub heading: Span,
    /// Passed, failed or skipped.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Wall-clock time of the case.
    pub duration_ms: u64,
    /// The HTTP exchanges, in order.
    pub exchanges: Vec<Exchange>,
    /// Every check, in spec order; the first failed ones explain the outcome.
    pub checks: Vec<CheckResult>,
    /// For a concurrency case: how its iterations went. The exchanges and
    /// checks are those of the first iteration that failed, else the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<Iterations>,
    /// What each mock received (the shown iteration's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mock_calls: BTreeMap<String, Vec<Call>>,
    /// What the service wrote to its log during the case, when it
    /// answered a request with a 5xx status and the case did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_log: Option<ServiceLog>,
}

/// Lines of the service's log.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServiceLog {
    /// The log file.
    pub file: String,
    /// Its last lines written during the case (secrets hidden).
    pub lines: Vec<String>,
    /// How many earlier lines of the case are left out.
    #[serde(default)]
    pub omitted: usize,
}

/// The iterations of a concurrency case (FORMAT §8).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Iterations {
    /// How many were to run.
    pub planned: u32,
    /// How many ran (fewer when one failed, without `--keep-going`).
    pub run: u32,
    /// How many failed.
    pub failed: u32,
    /// The first that failed, from 1.
    pub first_failed: Option<u32>,
    /// The iteration the case's exchanges and checks come from, from 1.
    pub shown: u32,
    /// Each iteration that ran.
    pub runs: Vec<IterationRun>,
}

impl Iterations {
    /// The start skew of each iteration that measured one, in ms.
    pub fn skews_ms(&self) -> impl Iterator<Item = f64> + '_ {
        self.runs.iter().filter_map(|r| r.skew_ms)
    }
}

/// One iteration of a concurrency case.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IterationRun {
    /// Which, from 1.
    pub iteration: u32,
    /// Whether every check held.
    pub passed: bool,
    /// The start skew of its widest concurrent group, in ms.
    pub skew_ms: Option<f64>,
    /// Its timed requests.
    pub requests: Vec<TimedRequest>,
}

/// A request of a concurrent group on the iteration's time line.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TimedRequest {
    /// Its label.
    pub label: Option<String>,
    /// The status it got, if any.
    pub status: Option<u16>,
    /// Sent, in ms after the group's first request.
    pub start_ms: f64,
    /// Answered, in ms after the group's first request.
    pub end_ms: f64,
}

impl CaseResult {
    /// Forgets what a passed case's report would show and nothing else
    /// needs — headers, bodies, the mock journal — keeping the outcome,
    /// checks, statuses and timings; for long runs whose reports do not
    /// show passed cases' exchanges.
    pub fn slim(&mut self) {
        if self.outcome != Outcome::Passed {
            return;
        }
        for exchange in &mut self.exchanges {
            exchange.request.headers = Vec::new();
            exchange.request.body = None;
            if let Some(response) = &mut exchange.response {
                response.headers = Vec::new();
                response.body = String::new();
                response.json = None;
            }
        }
        self.mock_calls = BTreeMap::new();
    }

    /// The checks that failed or could not be made: what explains the
    /// outcome.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.is_failed())
    }

    /// The outcome its checks give: an error if one could not be made,
    /// else a failure if one failed, else passed.
    pub fn outcome_of(checks: &[CheckResult]) -> Outcome {
        if checks.iter().any(CheckResult::is_error) {
            Outcome::Error
        } else if checks.iter().any(CheckResult::is_failed) {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }
}

/// The outcome of a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Every check passed (prose may be unverified).
    Passed,
    /// A check failed.
    Failed,
    /// Something it needs failed — no answer from the service, a database
    /// or setup error —, so it could not be checked.
    Error,
    /// Not run.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One request and its response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exchange {
    /// The Actions label, when there is one.
    pub label: Option<String>,
    /// What was sent.
    pub request: RequestRecord,
    /// What came back, unless the request failed.
    pub response: Option<ResponseRecord>,
    /// Why the request failed (connection refused, timeout).
    pub error: Option<String>,
    /// Where the request is written in the spec.
    pub span: Span,
    /// In a concurrent group: when it was sent and when its response had
    /// arrived, in milliseconds after the group's first request was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<(f64, f64)>,
}

/// A request as sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// The headers sent.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: Option<String>,
    /// Bytes of the body that reports leave out: a body over
    /// [`crate::display::DISPLAY_BODY`] keeps its start only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<u64>,
}

/// A response as received.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponseRecord {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body as JSON, when it is JSON.
    #[serde(skip)]
    pub json: Option<serde_json::Value>,
    /// From sending the request to the end of the body.
    pub duration_ms: f64,
    /// Bytes of the body that reports leave out: a body over
    /// [`crate::display::DISPLAY_BODY`] keeps its start only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<u64>,
}

impl ResponseRecord {
    /// The first value of a header (names compare without regard to case);
    /// several values are joined with `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The body as a JSON value: parsed JSON, else the text.
    pub fn body_value(&self) -> serde_json::Value {
        self.json
            .clone()
            .unwrap_or_else(|| serde_json::Value::String(self.body.clone()))
    }
}

/// What kind of thing a check verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// A request could be built and sent.
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

/// One check and its verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckResult {
    /// What was checked.
    pub kind: CheckKind,
    /// Where it is written.
    pub span: Span,
    /// Its text, as written.
    pub text: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The verdict of a check.
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

impl CheckResult {
    /// A passed check.
    pub fn passed(kind: CheckKind, span: Span, text: impl Into<String>) -> Self {
        Self::with(kind, span, text, Verdict::Passed)
    }

    /// A failed check.
    pub fn failed(
        kind: CheckKind,
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
        kind: CheckKind,
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

    fn with(kind: CheckKind, span: Span, text: impl Into<String>, verdict: Verdict) -> Self {
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

    /// Whether it is a finding that was let pass (a contract warning),
    /// not a check that could not be made.
    pub fn is_warning(&self) -> bool {
        self.kind == CheckKind::Contract && matches!(self.verdict, Verdict::Unverified { .. })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn case(outcome: Outcome) -> CaseResult {
        CaseResult {
            id: "TC-INT-001".to_string(),
            name: "A".to_string(),
            heading: Span::default(),
            outcome,
            duration_ms: 3,
            exchanges: vec![Exchange {
                label: None,
                request: RequestRecord {
                    method: "POST".to_string(),
                    url: "http://127.0.0.1/x".to_string(),
                    headers: vec![("accept".to_string(), "application/json".to_string())],
                    body: Some("{}".to_string()),
                    body_omitted: None,
                },
                response: Some(ResponseRecord {
                    status: 201,
                    headers: vec![("x-id".to_string(), "1".to_string())],
                    body: "{\"id\": 1}".to_string(),
                    json: Some(serde_json::json!({ "id": 1 })),
                    duration_ms: 1.0,
                    body_omitted: None,
                }),
                error: None,
                span: Span::default(),
                timing: None,
            }],
            checks: Vec::new(),
            iterations: None,
            mock_calls: BTreeMap::from([("payments".to_string(), Vec::new())]),
            service_log: None,
        }
    }

    #[test]
    fn a_slim_passed_case_keeps_statuses_and_drops_headers_and_bodies() {
        let mut passed = case(Outcome::Passed);
        passed.slim();
        let exchange = &passed.exchanges[0];
        assert!(exchange.request.headers.is_empty() && exchange.request.body.is_none());
        let response = exchange.response.as_ref().unwrap();
        assert_eq!(response.status, 201);
        assert!(response.headers.is_empty() && response.body.is_empty() && response.json.is_none());
        assert!(passed.mock_calls.is_empty());
        assert_eq!(exchange.request.url, "http://127.0.0.1/x");
    }

    #[test]
    fn a_failed_case_is_never_slimmed() {
        let mut failed = case(Outcome::Failed);
        failed.slim();
        let response = failed.exchanges[0].response.as_ref().unwrap();
        assert_eq!(response.body, "{\"id\": 1}");
        assert_eq!(failed.exchanges[0].request.headers.len(), 1);
        assert_eq!(failed.mock_calls.len(), 1);
    }
}
