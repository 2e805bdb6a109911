//! `itspec run`: check the specs, choose the cases, start the environment,
//! run, report.

use std::sync::Arc;

use anyhow::{Result, bail};
use itspec_report::console::Console;
use itspec_report::diagnostics::{FileReport, render_human};
use itspec_runner::{RunOptions, RunOutcome, Selection, Settings, SpecInput};
use itspec_spec::{Diagnostic, Severity};

use super::Context;
use crate::cli::RunArgs;
use crate::exit_codes;
use crate::output::print;

struct Loaded {
    path: String,
    text: String,
    spec: itspec_spec::Spec,
    errors: Vec<Diagnostic>,
}

/// Runs the command.
pub fn run(context: &Context, args: &RunArgs) -> Result<u8> {
    let known = super::KnownVars::new(
        context,
        args.vars.iter().map(|(name, _)| name.clone()).collect(),
    );
    let files = super::map_spec_files(context, &args.paths, |file| {
        let (spec, diagnostics) = match file.utf8_diagnostic() {
            Some(diagnostic) => (itspec_spec::Spec::default(), vec![diagnostic]),
            None => {
                let options = known.options(&file.path, false);
                let checked = itspec_spec::check(&file.text, &options);
                (checked.spec, checked.diagnostics)
            }
        };
        Loaded {
            path: file.display_path(),
            errors: diagnostics
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect(),
            text: file.text,
            spec,
        }
    })?;

    let selection = Selection {
        filters: args.filter.clone(),
        tags: args.tags.clone(),
        priorities: args.priority.iter().map(|p| (*p).into()).collect(),
        include_drafts: args.include_drafts,
    };
    let mut with_errors = Vec::new();
    let mut inputs = Vec::new();
    for file in files {
        if file.errors.is_empty() {
            inputs.push(SpecInput {
                path: file.path,
                text: Arc::from(file.text),
                spec: file.spec,
            });
        } else {
            with_errors.push(file);
        }
    }
    // A spec with errors blocks the run only when it would have run.
    let would_run = |file: &Loaded| {
        let probe = SpecInput {
            path: file.path.clone(),
            text: Arc::from(""),
            spec: file.spec.clone(),
        };
        itspec_runner::plan(vec![probe], &selection).is_ok_and(|p| !p.specs.is_empty())
    };
    let blocking: Vec<&Loaded> = with_errors.iter().filter(|f| would_run(f)).collect();
    if !blocking.is_empty() {
        let mut out = String::new();
        for file in &blocking {
            out.push_str(&render_human(
                &FileReport {
                    path: &file.path,
                    text: &file.text,
                    diagnostics: &file.errors,
                },
                context.color,
            ));
        }
        out.push_str(&format!(
            "itspec: not running: {} spec{} {} errors (`itspec check` shows every problem)\n",
            blocking.len(),
            if blocking.len() == 1 { "" } else { "s" },
            if blocking.len() == 1 { "has" } else { "have" },
        ));
        print(&out)?;
        return Ok(exit_codes::USAGE);
    }

    let plan = itspec_runner::plan(inputs, &selection)?;
    if plan.specs.is_empty() {
        if plan.drafts > 0 && !args.include_drafts {
            bail!(
                "nothing to run: {} Draft spec(s) are not run without --include-drafts",
                plan.drafts
            );
        }
        bail!("nothing to run: no case matches the selection (--filter, --tags, --priority)");
    }
    let empty = itspec_config::Loaded {
        path: None,
        dir: std::env::current_dir()?,
        config: itspec_config::Config::default(),
    };
    let loaded = context.config.as_ref().unwrap_or(&empty);
    let settings = Settings::from_config(loaded)?;
    if settings.service.is_none() && settings.base_url.is_none() {
        bail!(
            "nothing to send requests to: set target.base_url in itspec.toml (or pass --base-url URL), or add [service] so itspec starts the service"
        );
    }
    let run_options = RunOptions {
        vars: args.vars.clone(),
        strict: args.strict,
        repeat: args.repeat,
        keep_going: args.keep_going,
    };
    let mut console = Console::new(std::io::stdout(), context.color);
    let result = itspec_runner::run(&plan, &settings, &run_options, &mut console);
    Ok(match result.outcome {
        RunOutcome::Interrupted => exit_codes::INTERRUPTED,
        RunOutcome::EnvironmentFailed { .. } => exit_codes::ENVIRONMENT,
        RunOutcome::Completed if result.summary.failed > 0 => exit_codes::FAILURE,
        RunOutcome::Completed => exit_codes::SUCCESS,
    })
}
