//! A whole run and each spec's part of it: how the run ended and its
//! counts.

use serde::{Deserialize, Serialize};

use crate::{CaseResult, Outcome, Verdict};

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
    /// A run beginning at `started_at` (RFC 3339), with nothing in it yet.
    pub fn starting_at(started_at: String) -> Self {
        Self {
            started_at,
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
    /// Cases that failed and then passed (`--retries`), or both passed
    /// and failed (`--runs`).
    #[serde(default)]
    pub flaky: usize,
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
            Outcome::Flaky => self.flaky += 1,
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
