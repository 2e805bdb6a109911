//! `itspec trace`, rendered: what the specs cover — their stories
//! ([`stories`]) or their OpenAPI contracts ([`contract`]) — with each
//! case's last result from a JSON report, as Markdown, JSON or one HTML
//! page.

pub mod contract;
pub mod stories;

use itspec_results::{Outcome, SpecResult};
use serde::Serialize;

/// What `trace` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Markdown.
    Markdown,
    /// JSON.
    Json,
    /// One self-contained HTML page.
    Html,
}

/// The last result of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Last {
    Passed,
    Failed,
    Skipped,
    NotRun,
}

impl Last {
    /// The case `id`'s outcome in its spec's last result.
    fn of(result: Option<&SpecResult>, id: &str) -> Last {
        result
            .and_then(|r| r.cases.iter().find(|c| c.id == id))
            .map_or(Last::NotRun, |c| match c.outcome {
                Outcome::Passed => Last::Passed,
                // A flaky case is not a passing one.
                Outcome::Failed | Outcome::Error | Outcome::Flaky => Last::Failed,
                Outcome::Skipped { .. } => Last::Skipped,
            })
    }

    fn as_str(self) -> &'static str {
        match self {
            Last::Passed => "passed",
            Last::Failed => "failed",
            Last::Skipped => "skipped",
            Last::NotRun => "not run",
        }
    }
}

/// A spec's last result: by path, else by component (the report of a run
/// from another folder).
fn result_of<'r>(
    results: &'r [SpecResult],
    path: &str,
    spec: &itspec_spec::Spec,
) -> Option<&'r SpecResult> {
    results.iter().find(|r| r.path == path).or_else(|| {
        results
            .iter()
            .find(|r| Some(r.component.as_str()) == spec.component())
    })
}
