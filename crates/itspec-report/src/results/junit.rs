//! JUnit XML (through quick-junit): a test suite per spec, a test case per
//! case — classname the component, name `TC-INT-001: name` — failures with
//! their evidence as readable text, skips with their reason, and the
//! spec's priority, status, stories and contract as properties.

use std::time::Duration;

use itspec_runner::results::{CaseResult, Outcome, RunResult, SpecResult};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

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
    report
        .to_string()
        .map_err(|e| format!("cannot write JUnit XML: {e}"))
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
    let status = match &case.outcome {
        Outcome::Passed => TestCaseStatus::success(),
        Outcome::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let count = case.failures().count();
            let first = case.failures().next().map(|c| match &c.verdict {
                itspec_runner::results::Verdict::Failed { message, .. } => {
                    format!("{}: {message}", c.text)
                }
                _ => String::new(),
            });
            let message = match (first, count) {
                (Some(first), 1) => first,
                (Some(first), n) => format!("{first} (and {} more)", n - 1),
                (None, _) => "failed".to_string(),
            };
            status.set_message(message);
            status.set_type("assertion");
            status.set_description(text::failure(&spec.path, case));
            status
        }
        Outcome::Skipped { reason } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            status
        }
    };
    let mut test = TestCase::new(format!("{}: {}", case.id, case.name), status);
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
