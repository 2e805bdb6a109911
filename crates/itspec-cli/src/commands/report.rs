//! `itspec report merge`: the JSON reports of several runs — the shards of
//! one run — as one report, written as JSON, JUnit or HTML.

use anyhow::{Context as _, Result};
use itspec_results::report;
use itspec_spec::model::Priority;

use crate::cli::{MergeArgs, ReportCommand};
use crate::exit_codes;
use crate::output::print;

/// Runs the command.
pub fn run(command: &ReportCommand) -> Result<u8> {
    match command {
        ReportCommand::Merge(args) => merge(args),
    }
}

fn merge(args: &MergeArgs) -> Result<u8> {
    let mut reports = Vec::with_capacity(args.reports.len());
    for file in &args.reports {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        reports.push(report::read(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?);
    }
    super::reports::check_writable(&args.outputs, &[])?;
    let merged = report::merge(reports, |priority| {
        Priority::parse(priority).unwrap_or(Priority::Medium)
    });
    if args.outputs.is_empty() {
        print(&(report::write(&merged) + "\n"))?;
    } else {
        itspec_report::files::write_all(&args.outputs, &merged)?;
    }
    Ok(exit_codes::SUCCESS)
}
