//! `itspec trace`: what the specs cover, with each case's last result from
//! a JSON report (`--from`) — of the stories (stories → specs → cases), or
//! with `--contract` of the OpenAPI contracts (operations × documented
//! statuses → cases, and the operations no case touches).

mod contract;
mod stories;

use anyhow::{Context as _, Result};
use itspec_results::{Outcome, SpecResult};
use serde::Serialize;

use super::Context;
use crate::cli::TraceArgs;
use crate::exit_codes;
use crate::output::print;

/// Runs the command.
pub fn run(context: &Context, args: &TraceArgs) -> Result<u8> {
    let results: Vec<SpecResult> = match &args.from {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            itspec_results::report::read(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
                .specs
        }
        None => Vec::new(),
    };
    let specs = super::map_spec_files(context, &args.paths, |file| {
        let parsed = itspec_spec::parse(&file.text);
        (file.display_path(), parsed.spec)
    })?;
    let output = if args.contract {
        contract::render(&context.contracts()?, &specs, &results, args.format)?
    } else {
        stories::render(&specs, &results, args.format)?
    };
    print(&output)?;
    Ok(exit_codes::SUCCESS)
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
                Outcome::Failed | Outcome::Error => Last::Failed,
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
