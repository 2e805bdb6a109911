//! `itspec run`: check the specs, choose the cases, start the environment,
//! run, report.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, bail};
use std::io::IsTerminal as _;

use itspec_report::diagnostics::{FileReport, render_human};
use itspec_report::reporters::{ConsoleFormat, ConsoleOptions, Reporters};
use itspec_results::{Reporter, RunOutcome, RunResult};
use itspec_runner::{Choice, Chooser, Plan, RunOptions, Selection, Settings, SpecInput};
use itspec_spec::{Diagnostic, Severity};

use super::Context;
use crate::cli::{RunArgs, RunFormat};
use crate::exit_codes;
use crate::last_failed::LastFailed;
use crate::output::print;
use crate::pick::{self, Picks};

/// A spec file as read: its errors and what of it runs.
struct Loaded {
    /// The file.
    file: PathBuf,
    errors: Vec<Diagnostic>,
    /// A `FILE:LINE` or `FILE::ID` that names no case of it.
    pick_error: Option<String>,
    choice: Choice,
}

/// The cases a run will run, and what is kept from reading their specs.
pub struct Chosen {
    /// The plan.
    pub plan: Plan,
    /// Each planned spec's file (canonical), by its shown path.
    pub files: HashMap<String, PathBuf>,
    /// What failed in earlier runs, updated by this one.
    pub last_failed: LastFailed,
}

/// Runs the command.
pub fn run(context: &Context, args: &RunArgs) -> Result<u8> {
    let chosen = match choose(context, args, None)? {
        Ok(chosen) => chosen,
        Err(code) => return Ok(code),
    };
    let Chosen {
        plan,
        files,
        mut last_failed,
    } = chosen;
    // Too many workers, a contract that cannot be read: the user's to
    // fix, like a spec error.
    let settings = settings(context, args)?;
    let flaky_fails = settings.flaky_fails;
    let prepared = itspec_runner::prepare_run(plan, settings, run_options(args)?)?;
    let (result, written) = with_reporters(context, args, |reporter| prepared.run(reporter));
    let code = after_run(&result, written, flaky_fails, &files, &mut last_failed);
    if args.update_status && matches!(result.outcome, RunOutcome::Completed) {
        let mut promoted = Vec::new();
        for (planned, spec_result) in prepared.plan.specs.iter().zip(&result.specs) {
            let spec = planned.spec();
            if let Some(file) = files.get(&planned.path)
                && super::status::earned(&spec, spec_result)
                && super::status::promote(file, &spec)?
            {
                promoted.push(planned.path.clone());
            }
        }
        for path in promoted {
            say(args, &format!("itspec: {path} is now Implemented\n"))?;
        }
    }
    Ok(code)
}

/// Writes what a person reads: on standard output, or on standard error
/// when standard output is a tool's stream of events.
pub fn say(args: &RunArgs, text: &str) -> Result<()> {
    if args.format == RunFormat::Jsonl {
        crate::output::eprint(text.trim_end_matches('\n'));
        Ok(())
    } else {
        Ok(print(text)?)
    }
}

/// Reads and checks the specs and chooses the cases to run; `changed`:
/// under `--watch`, the spec files (canonical) that changed, the only ones
/// to run. `Err(code)`: the run ends here, and what it needed to say is
/// said (a spec with errors, a shard with nothing to run).
pub fn choose(
    context: &Context,
    args: &RunArgs,
    changed: Option<&BTreeSet<PathBuf>>,
) -> Result<Result<Chosen, u8>> {
    let project = match &context.config {
        Some(config) => config.dir().to_path_buf(),
        None => std::env::current_dir()?,
    };
    warn_of_saved_rows(&project);
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
    let picks = Picks::new(&args.paths);
    let last_failed = LastFailed::load(&project);
    let rerun_failed = args.last_failed && !last_failed.is_empty();
    if args.last_failed {
        say(
            args,
            &if rerun_failed {
                format!(
                    "itspec: --last-failed: rerunning the {} case{} that failed last time\n",
                    last_failed.len(),
                    if last_failed.len() == 1 { "" } else { "s" }
                )
            } else {
                "itspec: --last-failed: no case failed last time: running every case\n".to_string()
            },
        )?;
    }
    let paths: Vec<PathBuf> = args.paths.iter().map(|arg| arg.path.clone()).collect();
    // Each spec is checked and its cases chosen as it is read: what stays
    // is its text and the chosen cases, not its model.
    let files = super::map_spec_files(context, &paths, |file| {
        let canonical = pick::canonical(&file.path);
        let (spec, diagnostics) = match file.utf8_diagnostic() {
            Some(diagnostic) => (itspec_spec::Spec::default(), vec![diagnostic]),
            None => {
                let options = known.options(&file.path, false);
                // The contract is not linted here: every request and
                // response is checked against it during the run, and what
                // it finds fails its case (docs/architecture.md).
                let checked = itspec_spec::check(&file.text, &options);
                (checked.spec, checked.diagnostics)
            }
        };
        let errors = diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        let (mut only, pick_error) = match picks.resolve(&file.path, &file.text, &spec) {
            Ok(only) => (only, None),
            Err(error) => (Some(Vec::new()), Some(error)),
        };

        if rerun_failed {
            let failed = spec
                .cases
                .iter()
                .enumerate()
                .filter(|(_, case)| last_failed.contains(&canonical, &case.id.value))
                .map(|(index, _)| index);
            only = Some(match only {
                Some(named) => failed.filter(|index| named.contains(index)).collect(),
                None => failed.collect(),
            });
        }
        let input = SpecInput {
            path: file.display_path(),
            text: Arc::from(file.text),
            spec,
        };
        // Under --watch, a spec that did not change is not run again.
        let unchanged = changed.is_some_and(|changed| !changed.contains(&canonical));
        Loaded {
            file: canonical,
            errors,
            pick_error,
            choice: if unchanged {
                Choice::Nothing
            } else {
                chooser.choose_among(input, only.as_deref())
            },
        }
    })?;

    let pick_errors: Vec<&str> = files
        .iter()
        .filter_map(|f| f.pick_error.as_deref())
        .collect();
    if !pick_errors.is_empty() {
        bail!("{}", pick_errors.join("\n"));
    }
    // No report may replace one of them.
    let spec_files: Vec<PathBuf> = files.iter().map(|f| f.file.clone()).collect();
    let mut files_by_path = HashMap::new();
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
                context.color && args.format != RunFormat::Jsonl,
            ));
        }
        out.push_str(&format!(
            "itspec: not running: {} spec{} {} errors (`itspec check` shows every problem)\n",
            blocking.len(),
            if blocking.len() == 1 { "" } else { "s" },
            if blocking.len() == 1 { "has" } else { "have" },
        ));
        say(args, &out)?;
        return Ok(Err(exit_codes::USAGE));
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
            say(
                args,
                &format!(
                    "itspec: shard {}/{} has none of the {all} cases to run\n",
                    shard.index, shard.total
                ),
            )?;
            // An empty report still, so a merge step finds every shard's file.
            itspec_report::files::write_all(&args.reports, &itspec_runner::run_starting_now())?;
            return Ok(Err(exit_codes::SUCCESS));
        }
    }
    Ok(Ok(Chosen {
        plan,
        files: files_by_path,
        last_failed,
    }))
}

/// The settings of `itspec.toml` (or none), with `--base-url` and
/// `--no-service` applied.
pub fn settings(context: &Context, args: &RunArgs) -> Result<Settings> {
    let empty = itspec_config::Loaded {
        path: None,
        dir: std::env::current_dir()?,
        config: itspec_config::Config::default(),
    };
    let loaded = context.config.as_ref().unwrap_or(&empty);
    let mut settings = Settings::from_config(loaded)?;
    if let Some(result) = args.flaky_result {
        settings.flaky_fails = result == crate::cli::FlakyResultArg::Fail;
    }
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
    Ok(settings)
}

/// How to run, from the flags.
pub fn run_options(args: &RunArgs) -> Result<RunOptions> {
    Ok(RunOptions {
        vars: args.vars.clone(),
        strict: args.strict,
        repeat: args.repeat,
        keep_going: args.keep_going,
        jobs: args.jobs,
        drop_passed_exchanges: !Reporters::need_passed_exchanges(&args.reports),
        timings: match &args.timings {
            Some(file) => timings(file)?,
            None => Default::default(),
        },
        fail_fast: args.fail_fast,
        retries: args.retries,
        runs: args.runs,
        until_fail: args.until_fail,
        mutate: None,
    })
}

/// Runs `run` with the reporters the flags ask for — the console as
/// `--format` says and every `--report`, written as the run ends — and
/// says whether every report was written.
pub fn with_reporters(
    context: &Context,
    args: &RunArgs,
    run: impl FnOnce(&mut dyn Reporter) -> RunResult,
) -> (RunResult, bool) {
    let format = match args.format {
        RunFormat::Human => ConsoleFormat::Human,
        RunFormat::Github => ConsoleFormat::Github,
        RunFormat::Jsonl => ConsoleFormat::Jsonl,
    };
    let mut reporters = Reporters::new(
        ConsoleOptions {
            format,
            color: context.color,
            verbose: args.verbose,
            progress: std::io::stderr().is_terminal(),
        },
        args.reports.clone(),
    );
    let result = run(&mut reporters);
    let written = reporters.finish(&result);
    (result, written)
}

/// What follows a run: the failures kept for `--last-failed`; the exit
/// code. A flaky case fails the run unless `flaky_fails` is off
/// (`--flaky-result pass`). A report that could not be written (its
/// folder was checked before) makes a run that passed exit as an
/// environment failure.
pub fn after_run(
    result: &RunResult,
    reports_written: bool,
    flaky_fails: bool,
    files: &HashMap<String, PathBuf>,
    last_failed: &mut LastFailed,
) -> u8 {
    remember_failures(last_failed, result, files);
    let code = match result.outcome {
        RunOutcome::Interrupted => exit_codes::INTERRUPTED,
        RunOutcome::EnvironmentFailed { .. } => exit_codes::ENVIRONMENT,
        RunOutcome::Completed if result.summary.failed + result.summary.errors > 0 => {
            exit_codes::FAILURE
        }
        RunOutcome::Completed if flaky_fails && result.summary.flaky > 0 => exit_codes::FAILURE,
        RunOutcome::Completed => exit_codes::SUCCESS,
    };
    if code == exit_codes::SUCCESS && !reports_written {
        exit_codes::ENVIRONMENT
    } else {
        code
    }
}

/// Keeps what failed for `--last-failed`; a file that cannot be written
/// is told, and the run's verdict stands.
fn remember_failures(
    last_failed: &mut LastFailed,
    result: &RunResult,
    files: &HashMap<String, PathBuf>,
) {
    for spec in &result.specs {
        let Some(file) = files.get(&spec.path) else {
            continue;
        };
        for case in &spec.cases {
            last_failed.update(file, &case.id, &case.outcome);
        }
    }
    if let Err(error) = last_failed.save() {
        crate::output::eprint(&format!(
            "warning: cannot keep the failed cases for --last-failed: {error:#}"
        ));
    }
}

/// Each spec's duration in the JSON report `file`, by path.
fn timings(file: &std::path::Path) -> Result<std::collections::BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("--timings: cannot read {}: {e}", file.display()))?;
    let report = itspec_results::report::read(&text)
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

/// An earlier run that did not end well — it could not restore the
/// database, or it was killed — left its recorded rows on disk: say so
/// before this one starts from the tables as they are. A file a living run
/// holds is its record, not a leftover.
fn warn_of_saved_rows(project: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(project.join("target").join("itspec")) else {
        return;
    };
    let mut saved: Vec<PathBuf> = entries
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
