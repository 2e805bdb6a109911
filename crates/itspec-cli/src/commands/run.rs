//! `itspec run`: check the specs, choose the cases, start the environment,
//! run, report.

use std::sync::Arc;

use anyhow::{Result, bail};
use std::io::IsTerminal as _;

use itspec_report::console::Console;
use itspec_report::diagnostics::{FileReport, render_human};
use itspec_report::progress::Progress;
use itspec_report::results::github::StopCommands;
use itspec_runner::{
    Choice, Chooser, Plan, RunOptions, RunOutcome, Selection, Settings, SpecInput,
};
use itspec_spec::{Diagnostic, Severity};

use super::Context;
use crate::cli::{RunArgs, RunFormat};
use crate::exit_codes;
use crate::output::print;

/// A spec file as read: its errors and what of it runs.
struct Loaded {
    /// The file.
    file: std::path::PathBuf,
    errors: Vec<Diagnostic>,
    choice: Choice,
}

/// Runs the command.
pub fn run(context: &Context, args: &RunArgs) -> Result<u8> {
    if let Some(config) = &context.config {
        warn_of_saved_rows(config.dir());
    }
    let known = super::KnownVars::new(
        context,
        args.vars.iter().map(|(name, _)| name.clone()).collect(),
    );
    let selection = Selection {
        filters: args.filter.clone(),
        tags: args.tags.clone(),
        priorities: args.priority.iter().map(|p| (*p).into()).collect(),
        include_drafts: args.include_drafts,
    };
    let chooser = Chooser::new(&selection)?;
    // Each spec is checked and its cases chosen as it is read: what stays
    // is its text and the chosen cases, not its model.
    let files = super::map_spec_files(context, &args.paths, |file| {
        let (spec, diagnostics) = match file.utf8_diagnostic() {
            Some(diagnostic) => (itspec_spec::Spec::default(), vec![diagnostic]),
            None => {
                let options = known.options(&file.path, false);
                let checked = itspec_spec::check(&file.text, &options);
                (checked.spec, checked.diagnostics)
            }
        };
        let errors = diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        let input = SpecInput {
            path: file.display_path(),
            text: Arc::from(file.text),
            spec,
        };
        Loaded {
            file: file.path,
            errors,
            choice: chooser.choose(input),
        }
    })?;

    // No report may replace one of them.
    let spec_files: Vec<std::path::PathBuf> = files.iter().map(|f| f.file.clone()).collect();
    let mut files_by_path = std::collections::HashMap::new();
    let mut chosen = Vec::new();
    // A spec with errors blocks the run only when it would have run.
    let mut blocking = Vec::new();
    for loaded in files {
        if let Choice::Run(planned) = &loaded.choice {
            files_by_path.insert(planned.path.clone(), loaded.file);
        }
        match loaded.choice {
            choice if loaded.errors.is_empty() => chosen.push(choice),
            Choice::Run(planned) => blocking.push((planned, loaded.errors)),
            Choice::Draft | Choice::Nothing => {}
        }
    }
    if !blocking.is_empty() {
        let mut out = String::new();
        for (planned, errors) in &blocking {
            out.push_str(&render_human(
                &FileReport {
                    path: &planned.path,
                    text: &planned.text,
                    diagnostics: errors,
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

    let mut plan = Plan::from_chosen(chosen);
    if plan.specs.is_empty() {
        if plan.drafts > 0 && !args.include_drafts {
            bail!(
                "nothing to run: {} Draft spec(s) are not run without --include-drafts",
                plan.drafts
            );
        }
        bail!("nothing to run: no case matches the selection (--filter, --tags, --priority)");
    }
    super::reports::check_writable(&args.reports, &spec_files)?;
    if let Some(shard) = super::shard(args.shard, args.shard_total) {
        let all = plan.case_count();
        plan = plan.shard(shard);
        if plan.specs.is_empty() {
            print(&format!(
                "itspec: shard {}/{} has none of the {all} cases to run\n",
                shard.index, shard.total
            ))?;
            // An empty report still, so a merge step finds every shard's file.
            return write_reports(
                &itspec_runner::RunResult::starting_now(),
                args,
                exit_codes::SUCCESS,
            );
        }
    }
    let empty = itspec_config::Loaded {
        path: None,
        dir: std::env::current_dir()?,
        config: itspec_config::Config::default(),
    };
    let loaded = context.config.as_ref().unwrap_or(&empty);
    let mut settings = Settings::from_config(loaded)?;
    if args.base_url.is_some() || args.no_service {
        // The user started the service: itspec starts none.
        settings.own_service = settings.service.take().is_some();
        let flag = if args.base_url.is_some() {
            "--base-url"
        } else {
            "--no-service"
        };
        match &settings.base_url {
            None => bail!(
                "{flag}: nothing to send requests to: pass --base-url URL with the address of the service you started (or set target.base_url in itspec.toml)"
            ),
            Some(url) if url.contains("{{service.") => bail!(
                "{flag}: target.base_url = \"{url}\" names the service itspec would start, and none is started: pass --base-url URL with the address of the service you started"
            ),
            Some(_) => {}
        }
    }
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
        jobs: args.jobs,
        drop_passed_exchanges: !args.reports.iter().any(|r| {
            matches!(
                r.kind,
                crate::cli::ReportKind::Json | crate::cli::ReportKind::Html
            )
        }),
        timings: match &args.timings {
            Some(file) => timings(file)?,
            None => Default::default(),
        },
    };
    itspec_runner::worker_count(&plan, &settings, &run_options).map_err(anyhow::Error::msg)?;
    // A contract that cannot be read is the user's to fix, like a spec error.
    let contracts = itspec_runner::contracts(&settings, &plan).map_err(anyhow::Error::msg)?;
    let github = args.format == RunFormat::Github;
    // For GitHub Actions, the console report — which quotes what the
    // service sent — is fenced off: no line of it is obeyed as a workflow
    // command, and only after it do itspec's annotations follow.
    let fence = github.then(StopCommands::new);
    if let Some(fence) = &fence {
        print(&fence.stop())?;
    }
    let console = Console::new(std::io::stdout(), context.color).github(github);
    let mut reporter = Progress::new(console, std::io::stderr().is_terminal());
    let result = itspec_runner::run_with(&plan, &settings, &run_options, &contracts, &mut reporter);
    if let Some(fence) = &fence {
        print(&fence.resume())?;
        print(&itspec_report::results::github::write(&result))?;
    }
    let code = match result.outcome {
        RunOutcome::Interrupted => exit_codes::INTERRUPTED,
        RunOutcome::EnvironmentFailed { .. } => exit_codes::ENVIRONMENT,
        RunOutcome::Completed if result.summary.failed + result.summary.errors > 0 => {
            exit_codes::FAILURE
        }
        RunOutcome::Completed => exit_codes::SUCCESS,
    };
    let code = write_reports(&result, args, code)?;
    if args.update_status && matches!(result.outcome, RunOutcome::Completed) {
        let mut promoted = Vec::new();
        for (planned, spec_result) in plan.specs.iter().zip(&result.specs) {
            let spec = planned.spec();
            if let Some(file) = files_by_path.get(&planned.path)
                && super::status::earned(&spec, spec_result)
                && super::status::promote(file, &spec)?
            {
                promoted.push(planned.path.clone());
            }
        }
        for path in promoted {
            print(&format!("itspec: {path} is now Implemented\n"))?;
        }
    }
    Ok(code)
}

/// Each spec's duration in the JSON report `file`, by path.
fn timings(file: &std::path::Path) -> Result<std::collections::BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("--timings: cannot read {}: {e}", file.display()))?;
    let report = itspec_report::results::json::read(&text)
        .map_err(|e| anyhow::anyhow!("--timings {}: {e}", file.display()))?;
    Ok(report
        .specs
        .iter()
        .map(|spec| {
            (
                spec.path.clone(),
                spec.cases.iter().map(|c| c.duration_ms).sum(),
            )
        })
        .collect())
}

/// Writes the reports asked for. A report that cannot be written after the
/// run (its folder was checked before) is reported, and a run that passed
/// then exits as an environment failure.
fn write_reports(result: &itspec_runner::RunResult, args: &RunArgs, code: u8) -> Result<u8> {
    match super::reports::write_all(result, &args.reports) {
        Ok(()) => Ok(code),
        Err(error) => {
            crate::output::eprint(&format!("error: {error:#}"));
            Ok(if code == exit_codes::SUCCESS {
                exit_codes::ENVIRONMENT
            } else {
                code
            })
        }
    }
}

/// An earlier run that did not end well — it could not restore the
/// database, or it was killed — left its recorded rows on disk: say so
/// before this one starts from the tables as they are. A file a living run
/// holds is its record, not a leftover.
fn warn_of_saved_rows(project: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(project.join("target").join("itspec")) else {
        return;
    };
    let mut saved: Vec<std::path::PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("recorded-rows-") && name.ends_with(".json"))
                && !itspec_runner::db::rescue_in_use(path)
        })
        .collect();
    saved.sort();
    for file in saved {
        let file = crate::load::display(&file);
        crate::output::eprint(&format!(
            "warning: {file} holds the rows recorded by an earlier run that did not finish putting them back (it failed or was killed); \
             the database may still hold what that run's cases wrote: `itspec restore {file}` puts every table back as it was"
        ));
    }
}
