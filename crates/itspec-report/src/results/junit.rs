//! JUnit XML (through quick-junit): a test suite per spec, a test case per
//! case — classname the component, name `TC-INT-001: name` — failures with
//! their evidence as readable text, skips with their reason, and the
//! spec's priority, status, stories and contract as properties.

use std::time::Duration;

use itspec_results::{CaseResult, Outcome, RunOutcome, RunResult, SpecResult};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::text;

/// The name of the `<testsuites>` of every itspec JUnit report: its mark.
pub const NAME: &str = "itspec";

/// The JUnit XML of a run.
pub fn write(result: &RunResult) -> Result<String, String> {
    let mut report = Report::new(NAME);
    report.set_time(Duration::from_millis(result.duration_ms));
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(&result.started_at) {
        report.set_timestamp(at);
    }
    for spec in &result.specs {
        report.add_test_suite(suite(spec));
    }
    if let Some(run) = run_error(result) {
        report.add_test_suite(run);
    }
    report
        .to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))
}

/// A run that did not complete is an error CI must see, even when no case
/// ran: a suite `itspec` with one errored test case saying what happened.
fn run_error(result: &RunResult) -> Option<TestSuite> {
    let (name, message) = match &result.outcome {
        RunOutcome::Completed => return None,
        RunOutcome::EnvironmentFailed { message } => ("environment", message.as_str()),
        RunOutcome::Interrupted => (
            "interrupted",
            "the run was interrupted (Ctrl-C or SIGTERM) before every case had run",
        ),
    };
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(message.lines().next().unwrap_or(message));
    status.set_type(name);
    status.set_description(message);
    let mut suite = TestSuite::new(NAME);
    suite.add_test_case(TestCase::new(format!("itspec run: {name}"), status));
    suite.set_time(Duration::from_millis(result.duration_ms));
    Some(suite)
}

fn suite(spec: &SpecResult) -> TestSuite {
    let mut suite = TestSuite::new(spec.path.as_str());
    suite.add_property(("component", spec.component.as_str()));
    suite.add_property(("priority", spec.priority.as_str()));
    if !spec.status.is_empty() {
        suite.add_property(("status", spec.status.as_str()));
    }
    if !spec.stories.is_empty() {
        suite.add_property(("stories", spec.stories.join(", ").as_str()));
    }
    if let Some(contract) = &spec.contract {
        suite.add_property(("contract", contract.as_str()));
    }
    let time: u64 = spec.cases.iter().map(|c| c.duration_ms).sum();
    suite.set_time(Duration::from_millis(time));
    for case in &spec.cases {
        suite.add_test_case(test_case(spec, case));
    }
    suite
}

fn test_case(spec: &SpecResult, case: &CaseResult) -> TestCase {
    let mut status = match &case.outcome {
        Outcome::Passed | Outcome::Flaky => TestCaseStatus::success(),
        Outcome::Failed | Outcome::Error => {
            let (kind, message, ty) = problem(case);
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(message);
            status.set_type(ty);
            status.set_description(text::failure(&spec.path, case));
            status
        }
        Outcome::Skipped { reason } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            status
        }
    };
    // The earlier attempts that did not pass, as Surefire writes reruns:
    // `<flakyFailure>`/`<flakyError>` under a case that passed in the end,
    // `<rerunFailure>`/`<rerunError>` under one that did not.
    // Under --runs a flaky case shows its first failed run: that run is
    // one of the failed ones too.
    let shown_failed = (case.outcome == Outcome::Flaky
        && case.runs.is_some_and(|r| r.first_failed.is_some()))
    .then_some(case);
    status.add_reruns(
        shown_failed
            .into_iter()
            .chain(
                case.attempts
                    .iter()
                    .filter(|a| matches!(a.outcome, Outcome::Failed | Outcome::Error)),
            )
            .map(|attempt| {
                let (kind, message, ty) = problem(attempt);
                let mut rerun = TestRerun::new(kind);
                rerun
                    .set_message(message)
                    .set_type(ty)
                    .set_time(Duration::from_millis(attempt.duration_ms))
                    .set_stack_trace(text::failure(&spec.path, attempt));
                let journals = text::journals(attempt);
                if !journals.is_empty() {
                    rerun.set_system_out(journals);
                }
                rerun
            }),
    );
    let mut test = TestCase::new(format!("{}: {}", case.id, case.name), status);
    // What the mocks received and the brokers carried, passed cases too.
    let journals = text::journals(case);
    if !journals.is_empty() {
        test.set_system_out(journals);
    }
    test.set_classname(spec.component.as_str());
    test.set_time(Duration::from_millis(case.duration_ms));
    test.set_assertions(case.checks.len());
    test.add_property(("priority", spec.priority.as_str()));
    if !spec.stories.is_empty() {
        test.add_property(("stories", spec.stories.join(", ").as_str()));
    }
    test.add_property((
        "location",
        format!("{}:{}", spec.path, case.heading.line).as_str(),
    ));
    if let Some(runs) = &case.runs {
        test.add_property(("runs", runs.describe().as_str()));
    }
    if let Some(iterations) = &case.iterations {
        test.add_property((
            "iterations",
            format!(
                "{} of {}, {} failed",
                iterations.run, iterations.planned, iterations.failed
            )
            .as_str(),
        ));
    }
    test
}

/// What a case that did not pass failed with: failure or error, its first
/// failed check and how many more, and the failure's type.
fn problem(case: &CaseResult) -> (NonSuccessKind, String, &'static str) {
    // A flaky run shown in the case's place errored when none of its
    // checks failed outright.
    let error = match case.outcome {
        Outcome::Error => true,
        Outcome::Failed => false,
        _ => {
            case.checks.iter().any(|c| c.is_error())
                && !case.checks.iter().any(|c| c.is_failed() && !c.is_error())
        }
    };
    let count = case.failures().count();
    let first = case
        .failures()
        .find(|c| c.is_error() == error)
        .and_then(|c| {
            c.problem()
                .map(|(message, _)| format!("{}: {message}", c.text))
        });
    let message = match (first, count) {
        (Some(first), 1) => first,
        (Some(first), n) => format!("{first} (and {} more)", n - 1),
        (None, _) => "failed".to_string(),
    };
    if error {
        (NonSuccessKind::Error, message, "error")
    } else {
        (NonSuccessKind::Failure, message, "assertion")
    }
}
