//! `itspec mutate`: a run of the chosen cases in which every case that
//! passes runs again once per mutant of its response (docs/cli.md), then
//! the cases' scores and survivors. Progress goes to standard error; the
//! report to standard output.

use anyhow::Result;
use itspec_results::{Event, Outcome, Reporter, RunOutcome, Stamped};
use itspec_runner::Mutate;

use super::Context;
use super::run::{choose, run_options, settings};
use crate::cli::{MutateArgs, MutateFormat};
use crate::exit_codes;
use crate::output::{eprint, print};

/// Runs the command: 0 when every mutant of every case was killed, 1 when
/// one survived or was not tried, or a case did not pass, 3 when the
/// environment failed.
pub fn run(context: &Context, args: &MutateArgs) -> Result<u8> {
    let run_args = args.run_args();
    let chosen = match choose(context, &run_args, None)? {
        Ok(chosen) => chosen,
        Err(code) => return Ok(code),
    };
    let mut options = run_options(&run_args)?;
    options.mutate = Some(Mutate {
        budget: args.budget,
    });
    // Each case's response is what its mutants are made of.
    options.drop_passed_exchanges = false;
    let prepared = itspec_runner::prepare_run(chosen.plan, settings(context, &run_args)?, options)?;
    let result = prepared.run(&mut Progress);
    if let RunOutcome::EnvironmentFailed { message } = &result.outcome {
        eprint(&format!("error: {message}"));
        return Ok(exit_codes::ENVIRONMENT);
    }
    let report = match args.format {
        MutateFormat::Human => itspec_report::mutation::human(&result),
        MutateFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&itspec_report::mutation::json(&result))?
        ),
    };
    // A closed pipe: nothing better can be done with the report.
    let _ = print(&report);
    if result.outcome == RunOutcome::Interrupted {
        return Ok(exit_codes::INTERRUPTED);
    }
    let cases = || result.specs.iter().flat_map(|s| &s.cases);
    // A mutant not tried is not known to be killed: the run is not a pass.
    let survived = cases().any(|c| {
        c.mutation
            .as_ref()
            .is_some_and(|m| !m.survived.is_empty() || m.untried > 0)
    });
    let not_passed = cases().any(|c| matches!(c.outcome, Outcome::Failed | Outcome::Error));
    Ok(if survived || not_passed {
        exit_codes::FAILURE
    } else {
        exit_codes::SUCCESS
    })
}

/// Tells on standard error what is being done: the service starting, each
/// case as its mutants are done.
struct Progress;

impl Reporter for Progress {
    fn report(&mut self, stamped: Stamped<'_>) {
        match stamped.event {
            Event::ServiceStarting { command, .. } => {
                eprint(&format!("itspec: starting the service `{command}`…"));
            }
            Event::Notice { message } => eprint(&format!("itspec: {message}")),
            Event::CaseFinished { spec, result } => {
                let done = match &result.mutation {
                    Some(m) => format!("{} mutants", m.tried + m.untried),
                    None => "not mutated".to_string(),
                };
                eprint(&format!("itspec: {} {} ({done})", spec.path, result.id));
            }
            _ => {}
        }
    }
}
