//! Running a case more than once, and the one result that tells of every
//! run: `--retries N` runs a case that did not pass again, up to N times,
//! and one that then passes is FLAKY; `--runs N` runs every case N times
//! and `--until-fail D` runs each until it fails or D has passed, and
//! their results count the runs that passed (a concurrency case's
//! iterations each count). Every run starts from the state after the
//! spec's earlier cases, as the first did: the worker restores the
//! database and the keys after each.

use std::time::{Duration, Instant};

use itspec_results::{CaseResult, Outcome, Runs};

/// How often a case runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repetition {
    /// Once, then up to this many times more while it does not pass.
    Retries(u32),
    /// This many times, whatever happens.
    Runs(u32),
    /// Until it fails, or until the time is up.
    UntilFail(Duration),
}

impl Default for Repetition {
    fn default() -> Self {
        Repetition::Retries(0)
    }
}

/// The runs of one case so far.
pub(super) struct Attempts {
    repetition: Repetition,
    started: Instant,
    earlier: Vec<CaseResult>,
}

impl Attempts {
    pub fn new(repetition: Repetition) -> Self {
        Self {
            repetition,
            started: Instant::now(),
            earlier: Vec::new(),
        }
    }

    /// Whether the case runs again after `last`; if so, `last` is kept
    /// among the earlier runs.
    pub fn again(&mut self, last: &mut Option<CaseResult>) -> bool {
        let Some(result) = last.as_ref() else {
            return false;
        };
        if matches!(result.outcome, Outcome::Skipped { .. }) {
            return false;
        }
        let runs = self.earlier.len() as u32 + 1;
        let again = match self.repetition {
            Repetition::Retries(retries) => !passed(result) && runs <= retries,
            Repetition::Runs(n) => runs < n,
            Repetition::UntilFail(budget) => passed(result) && self.started.elapsed() < budget,
        };
        if again && let Some(result) = last.take() {
            self.earlier.push(result);
        }
        again
    }

    /// The result that tells of every run, `last` the last.
    pub fn result(self, last: CaseResult) -> CaseResult {
        if self.earlier.is_empty() && matches!(self.repetition, Repetition::Retries(_)) {
            return last;
        }
        match self.repetition {
            Repetition::Retries(_) => {
                let mut result = last;
                if result.outcome == Outcome::Passed {
                    result.outcome = Outcome::Flaky;
                }
                result.attempts = self.earlier;
                result
            }
            Repetition::Runs(_) | Repetition::UntilFail(_) => tally(self.earlier, last),
        }
    }
}

/// Whether a run passed.
fn passed(result: &CaseResult) -> bool {
    result.outcome == Outcome::Passed
}

/// Every run of `--runs` or `--until-fail` in one result: the first that
/// did not pass is shown (else the last), the others are its attempts;
/// FLAKY when some passed and some did not.
fn tally(mut runs: Vec<CaseResult>, last: CaseResult) -> CaseResult {
    runs.push(last);
    let mut count = Runs::default();
    for run in &runs {
        let (passed, total) = match &run.iterations {
            Some(iterations) => (iterations.run - iterations.failed, iterations.run),
            None => (u32::from(passed(run)), 1),
        };
        count.passed += passed;
        count.total += total;
    }
    let first_failed = runs
        .iter()
        .position(|r| matches!(r.outcome, Outcome::Failed | Outcome::Error));
    count.first_failed = first_failed.map(|i| i as u32 + 1);
    let shown = first_failed.unwrap_or(runs.len() - 1);
    let mut result = runs.remove(shown);
    // A passed run keeps its outcome and its time: thousands of them
    // under --until-fail must not fill the report.
    for run in runs.iter_mut().filter(|r| r.outcome == Outcome::Passed) {
        run.slim();
        run.exchanges.clear();
        run.checks.clear();
        run.iterations = None;
    }
    let some_passed = count.passed > 0;
    if some_passed && count.passed < count.total {
        result.outcome = Outcome::Flaky;
    }
    result.attempts = runs;
    result.runs = Some(count);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use itspec_results::{Iterations, Span};

    fn run(outcome: Outcome) -> CaseResult {
        CaseResult {
            id: "TC-INT-001".to_string(),
            name: "A".to_string(),
            heading: Span::default(),
            outcome,
            duration_ms: 1,
            exchanges: Vec::new(),
            checks: Vec::new(),
            iterations: None,
            mock_calls: Default::default(),
            messages: Default::default(),
            emails: None,
            service_log: None,
            attempts: Vec::new(),
            runs: None,
            mutation: None,
        }
    }

    /// Runs a case whose runs end as `outcomes` say, as the worker does.
    fn repeat(repetition: Repetition, outcomes: &[Outcome]) -> (CaseResult, usize) {
        let mut attempts = Attempts::new(repetition);
        let mut ran = 0;
        loop {
            let mut last = Some(run(outcomes[ran].clone()));
            ran += 1;
            if !attempts.again(&mut last) {
                return (attempts.result(last.unwrap()), ran);
            }
        }
    }

    #[test]
    fn a_case_that_passes_once_retried_is_flaky_with_its_failed_attempts() {
        let (result, ran) = repeat(
            Repetition::Retries(3),
            &[
                Outcome::Failed,
                Outcome::Error,
                Outcome::Passed,
                Outcome::Passed,
            ],
        );
        assert_eq!(ran, 3);
        assert_eq!(result.outcome, Outcome::Flaky);
        let earlier: Vec<_> = result.attempts.iter().map(|a| a.outcome.clone()).collect();
        assert_eq!(earlier, [Outcome::Failed, Outcome::Error]);
    }

    #[test]
    fn retries_stop_at_their_number_and_a_pass_is_not_retried() {
        let (result, ran) = repeat(Repetition::Retries(2), &vec![Outcome::Failed; 5]);
        assert_eq!((ran, result.outcome.clone()), (3, Outcome::Failed));
        assert_eq!(result.attempts.len(), 2);
        let (result, ran) = repeat(Repetition::Retries(2), &vec![Outcome::Passed; 5]);
        assert_eq!((ran, result.outcome), (1, Outcome::Passed));
        assert!(result.attempts.is_empty() && result.runs.is_none());
        let skipped = Outcome::Skipped {
            reason: "x".to_string(),
        };
        let (_, ran) = repeat(Repetition::Retries(2), &[skipped.clone(), skipped]);
        assert_eq!(ran, 1);
    }

    #[test]
    fn runs_count_every_run_and_show_the_first_that_failed() {
        let mut outcomes = vec![Outcome::Passed; 10];
        outcomes[3] = Outcome::Failed;
        outcomes[7] = Outcome::Failed;
        let (result, ran) = repeat(Repetition::Runs(10), &outcomes);
        assert_eq!(ran, 10);
        assert_eq!(result.outcome, Outcome::Flaky);
        assert_eq!(
            result.runs,
            Some(Runs {
                passed: 8,
                total: 10,
                first_failed: Some(4)
            })
        );
        assert_eq!(result.attempts.len(), 9);
        let (result, _) = repeat(Repetition::Runs(4), &vec![Outcome::Passed; 4]);
        assert_eq!(result.outcome, Outcome::Passed);
        assert_eq!(
            result.runs,
            Some(Runs {
                passed: 4,
                total: 4,
                first_failed: None
            })
        );
        let (result, _) = repeat(Repetition::Runs(2), &vec![Outcome::Failed; 2]);
        assert_eq!(result.outcome, Outcome::Failed);
    }

    #[test]
    fn a_concurrency_case_counts_each_iteration() {
        let mut attempts = Attempts::new(Repetition::Runs(2));
        let mut race = run(Outcome::Failed);
        race.iterations = Some(Iterations {
            planned: 10,
            run: 10,
            failed: 3,
            ..Iterations::default()
        });
        let mut last = Some(race.clone());
        assert!(attempts.again(&mut last));
        race.outcome = Outcome::Passed;
        race.iterations.as_mut().unwrap().failed = 0;
        let result = attempts.result(race);
        assert_eq!(
            result.runs,
            Some(Runs {
                passed: 17,
                total: 20,
                first_failed: Some(1)
            })
        );
        assert_eq!(result.outcome, Outcome::Flaky);
    }

    #[test]
    fn until_fail_stops_at_the_first_failure_or_when_the_time_is_up() {
        let mut outcomes = vec![Outcome::Passed; 6];
        outcomes[4] = Outcome::Failed;
        let (result, ran) = repeat(Repetition::UntilFail(Duration::from_secs(60)), &outcomes);
        assert_eq!(ran, 5);
        assert_eq!(
            result.runs,
            Some(Runs {
                passed: 4,
                total: 5,
                first_failed: Some(5)
            })
        );
        assert_eq!(result.outcome, Outcome::Flaky);
        let (result, ran) = repeat(Repetition::UntilFail(Duration::ZERO), &outcomes);
        assert_eq!(ran, 1);
        assert_eq!(result.outcome, Outcome::Passed);
    }
}
