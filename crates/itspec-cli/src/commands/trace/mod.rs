//! `itspec trace`: what the specs cover, with each case's last result from
//! a JSON report (`--from`) — of the stories (stories → specs → cases), or
//! with `--contract` of the OpenAPI contracts (operations × documented
//! statuses → cases, and the operations no case touches).

mod contract;

use anyhow::{Context as _, Result};
use itspec_results::SpecResult;

use super::Context;
use crate::cli::TraceArgs;
use crate::exit_codes;
use crate::output::print;

impl From<crate::cli::TraceFormat> for itspec_report::trace::Format {
    fn from(format: crate::cli::TraceFormat) -> Self {
        match format {
            crate::cli::TraceFormat::Md => Self::Markdown,
            crate::cli::TraceFormat::Json => Self::Json,
            crate::cli::TraceFormat::Html => Self::Html,
        }
    }
}

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
        itspec_report::trace::stories::render(&specs, &results, args.format.into())?
    };
    print(&output)?;
    Ok(exit_codes::SUCCESS)
}
