//! One case's result: its outcome, requests, checks, iterations, the calls
//! its mocks received and the service's log lines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Call, Email, Exchange, Message, Span, StepResult};

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
    pub checks: Vec<StepResult>,
    /// For a concurrency case: how its iterations went. The exchanges and
    /// checks are those of the first iteration that failed, else the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<Iterations>,
    /// What each mock received (the shown iteration's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mock_calls: BTreeMap<String, Vec<Call>>,
    /// What each broker carried on its watched topics (the shown
    /// iteration's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<String, Vec<Message>>,
    /// What the SMTP server took in, refused e-mails included (the shown
    /// iteration's); `None` when the run has no `[mail]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<Email>>,
    /// What the service wrote to its log during the case, when it
    /// answered a request with a 5xx status and the case did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_log: Option<ServiceLog>,
    /// The earlier runs of the case, in order, each whole with its
    /// evidence: the attempts `--retries` made before this one, or the
    /// runs of `--runs` and `--until-fail` other than the one shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<CaseResult>,
    /// How its runs went under `--runs` or `--until-fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<Runs>,
    /// Under `itspec mutate`, for a case that passed: the mutants of its
    /// response it ran with, and those it still passed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutation: Option<Mutation>,
}

/// What `itspec mutate` found of one case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutation {
    /// Mutants the case ran with.
    pub tried: u32,
    /// What each mutant it still passed with changed: the checks let it
    /// through.
    pub survived: Vec<String>,
    /// Mutants not run: the time budget ran out, or the run was stopped.
    pub untried: u32,
    /// Mutants that found no place to change in their run: the response
    /// or the rows differed from the first run's, or the database refused
    /// the change.
    pub not_applied: u32,
    /// Why each of those found none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unplaced: Vec<String>,
}

impl Mutation {
    /// Mutants the case failed with.
    pub fn killed(&self) -> u32 {
        self.tried - self.survived.len() as u32 - self.not_applied
    }
}

/// How the runs of a case went under `--runs` or `--until-fail`: how many
/// passed of how many (a concurrency case's iterations count each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runs {
    /// Runs that passed.
    pub passed: u32,
    /// Runs in all.
    pub total: u32,
    /// The first run that did not pass (from 1): the one the case shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failed: Option<u32>,
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
    /// show passed cases' exchanges. What is kept takes no more room than
    /// it needs: a list grown by pushing has room for up to twice its
    /// items (four exchanges for a case's one), about 1 KB a case.
    pub fn slim(&mut self) {
        if self.outcome != Outcome::Passed {
            return;
        }
        self.exchanges.shrink_to_fit();
        self.checks.shrink_to_fit();
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
        self.messages = BTreeMap::new();
        self.emails = None;
    }

    /// Which run (from 1) its earlier attempt `index` was: under `--runs`
    /// the case shows the first run that failed, and its attempts are the
    /// others in order.
    pub fn attempt_number(&self, index: usize) -> u32 {
        let n = index as u32 + 1;
        match self.runs.and_then(|r| r.first_failed) {
            Some(shown) if n >= shown => n + 1,
            _ => n,
        }
    }

    /// The checks that failed or could not be made: what explains the
    /// outcome.
    pub fn failures(&self) -> impl Iterator<Item = &StepResult> {
        self.checks.iter().filter(|c| c.is_failed())
    }

    /// The outcome its checks give: an error if one could not be made,
    /// else a failure if one failed, else passed.
    pub fn outcome_of(checks: &[StepResult]) -> Outcome {
        if checks.iter().any(StepResult::is_error) {
            Outcome::Error
        } else if checks.iter().any(StepResult::is_failed) {
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
    /// It failed or errored, then passed when run again (`--retries`), or
    /// it both passed and failed over `--runs`: a flaky case, counted
    /// apart from those that passed.
    Flaky,
    /// Not run.
    Skipped {
        /// Why.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RequestRecord, ResponseRecord};

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
            messages: BTreeMap::new(),
            emails: None,
            service_log: None,
            attempts: Vec::new(),
            runs: None,
            mutation: None,
        }
    }

    #[test]
    fn an_attempt_is_numbered_around_the_run_the_case_shows() {
        let mut case = case(Outcome::Flaky);
        // --retries: the attempts come before the case.
        assert_eq!((case.attempt_number(0), case.attempt_number(1)), (1, 2));
        // --runs: the case is run 3, the first that failed.
        case.runs = Some(Runs {
            passed: 3,
            total: 4,
            first_failed: Some(3),
        });
        let numbers: Vec<u32> = (0..3).map(|i| case.attempt_number(i)).collect();
        assert_eq!(numbers, [1, 2, 4]);
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
    fn a_slim_passed_case_keeps_no_room_for_more() {
        let mut passed = case(Outcome::Passed);
        // As a run builds them: room for more than they hold.
        passed.exchanges.reserve(3);
        passed.checks.reserve(7);
        assert!(passed.exchanges.capacity() > 1 && passed.checks.capacity() > passed.checks.len());
        passed.slim();
        assert_eq!(passed.exchanges.capacity(), 1);
        assert_eq!(passed.checks.capacity(), passed.checks.len());
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
