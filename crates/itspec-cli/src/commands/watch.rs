//! `run --watch`: run, then wait for a spec or `itspec.toml` to change and
//! run again — the specs that changed — in the same environment: the
//! service, its mocks and the database's record stay up between runs, so
//! a rerun starts at once. When `itspec.toml` changes, or a changed spec
//! needs a mock that is not running, the environment is stopped (the
//! database put back) and started again from the new settings. Ctrl-C
//! stops the watch, between runs or inside one, and leaves nothing behind.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use futures_util::future::LocalBoxFuture;
use itspec_contract::Contracts;
use itspec_results::RunResult;
use itspec_runner::{Plan, Rerun, Settings};
use notify::{RecursiveMode, Watcher as _};
use tokio::sync::mpsc::UnboundedReceiver;

use super::Context;
use super::run::{Chosen, after_run, choose};
use crate::cli::RunArgs;
use crate::exit_codes;
use crate::last_failed::LastFailed;
use crate::output::eprint;
use crate::pick;

/// Changes that come within this time of each other are one change (an
/// editor writes a file in several steps).
const SETTLE: Duration = Duration::from_millis(250);

/// How a watch ended, for `main`: the configuration changed and must be
/// read again, or it is over with this exit code.
pub enum Watched {
    /// `itspec.toml` changed (or a spec needs a mock that is not running):
    /// read it again and go on watching.
    Restart,
    /// Ctrl-C, or a run that was interrupted.
    Done(u8),
}

/// Runs, then reruns on every change until Ctrl-C.
pub fn run(context: &Context, args: &RunArgs) -> Result<Watched> {
    let config_file = context.config.as_ref().and_then(|c| c.path.clone());
    let roots: Vec<PathBuf> = if args.paths.is_empty() {
        crate::discover::default_paths(context.config.as_ref())
    } else {
        args.paths.iter().map(|arg| arg.path.clone()).collect()
    };
    let (sender, changes) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !matches!(event.kind, notify::EventKind::Access(_))
        {
            for path in event.paths {
                let _ = sender.send(path);
            }
        }
    })
    .context("--watch: cannot watch files")?;
    for root in roots.iter().chain(config_file.iter()) {
        let mode = if root.is_dir() {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        watcher
            .watch(root, mode)
            .with_context(|| format!("--watch: cannot watch {}", crate::load::display(root)))?;
    }
    let mut waiting = Waiting {
        context,
        args,
        changes,
        config_file: config_file.as_deref().map(pick::canonical),
        settings: super::run::settings(context, args)?,
        files: HashMap::new(),
        last_failed: LastFailed::default(),
        mocks: BTreeSet::new(),
        restart: false,
    };
    // The first run: every chosen case. Until it can start (a spec with
    // errors, nothing chosen), wait for a change that fixes it.
    let Chosen {
        plan,
        files,
        last_failed,
    } = loop {
        match choose(context, args, None) {
            Ok(Ok(chosen)) => break chosen,
            Ok(Err(_)) => {}
            Err(error) => eprint(&format!("error: {error:#}")),
        }
        match waiting.wait_for_a_change_blocking()? {
            Some(_) if !waiting.restart => {}
            _ => {
                return Ok(if waiting.restart {
                    Watched::Restart
                } else {
                    Watched::Done(exit_codes::INTERRUPTED)
                });
            }
        }
    };
    waiting.files = files;
    waiting.last_failed = last_failed;
    waiting.mocks = mocks_of(&plan);
    let prepared = itspec_runner::prepare_run(
        plan,
        waiting.settings.clone(),
        super::run::run_options(args)?,
    )?;
    let (result, written) = super::run::with_reporters(context, args, |reporter| {
        prepared.run_watching(reporter, &mut waiting)
    });
    if waiting.restart {
        return Ok(Watched::Restart);
    }
    // The last run's result was taken in while waiting, unless the watch
    // ended inside a run.
    let code = if result.specs.is_empty() {
        exit_codes::INTERRUPTED
    } else {
        after_run(
            &result,
            written,
            waiting.settings.flaky_fails,
            &waiting.files,
            &mut waiting.last_failed,
        )
    };
    Ok(Watched::Done(code))
}

/// The mocks a plan's specs define.
fn mocks_of(plan: &Plan) -> BTreeSet<String> {
    plan.specs
        .iter()
        .flat_map(|planned| planned.about.mocks.iter().cloned())
        .collect()
}

/// What the watch keeps between runs.
struct Waiting<'a> {
    context: &'a Context,
    args: &'a RunArgs,
    changes: UnboundedReceiver<PathBuf>,
    /// `itspec.toml`, canonical.
    config_file: Option<PathBuf>,
    settings: Settings,
    /// The running plan's spec files, by shown path.
    files: HashMap<String, PathBuf>,
    last_failed: LastFailed,
    /// The mocks the environment started for the specs.
    mocks: BTreeSet<String>,
    /// The environment must start again from the settings.
    restart: bool,
}

impl Waiting<'_> {
    /// The spec files that changed; `None` when the configuration changed
    /// ([`Waiting::restart`] is set) or the watch must end.
    async fn wait_for_a_change(&mut self) -> Option<BTreeSet<PathBuf>> {
        eprint("itspec: watching for changes to the specs and itspec.toml (Ctrl-C stops)…");
        let changed = next_change(&mut self.changes).await?;
        if self
            .config_file
            .as_ref()
            .is_some_and(|config| changed.contains(config))
        {
            eprint("itspec: itspec.toml changed: starting again from it");
            self.restart = true;
            return None;
        }
        let specs: BTreeSet<PathBuf> = changed
            .into_iter()
            .filter(|path| is_markdown(path) && path.is_file())
            .collect();
        let shown: Vec<String> = specs.iter().map(|p| crate::load::display(p)).collect();
        eprint(&format!("itspec: changed: {}", shown.join(", ")));
        Some(specs)
    }

    /// [`Waiting::wait_for_a_change`] before the environment is up:
    /// Ctrl-C ends it.
    fn wait_for_a_change_blocking(&mut self) -> Result<Option<BTreeSet<PathBuf>>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(runtime.block_on(async {
            tokio::select! {
                changed = self.wait_for_a_change() => changed,
                _ = tokio::signal::ctrl_c() => None,
            }
        }))
    }
}

impl Rerun for Waiting<'_> {
    fn next(&mut self, result: RunResult) -> LocalBoxFuture<'_, Option<(Plan, Contracts)>> {
        Box::pin(async move {
            // The reports were written as the run ended.
            after_run(
                &result,
                true,
                self.settings.flaky_fails,
                &self.files,
                &mut self.last_failed,
            );
            loop {
                let changed = self.wait_for_a_change().await?;
                let chosen = match choose(self.context, self.args, Some(&changed)) {
                    Ok(Ok(chosen)) => chosen,
                    // Said already; the next save may fix it.
                    Ok(Err(_)) => continue,
                    Err(error) => {
                        eprint(&format!("error: {error:#}"));
                        continue;
                    }
                };
                if !mocks_of(&chosen.plan).is_subset(&self.mocks) {
                    eprint("itspec: a spec defines a mock that is not running: starting again");
                    self.restart = true;
                    return None;
                }
                match itspec_runner::contracts(&self.settings, &chosen.plan) {
                    Ok(contracts) => {
                        self.files = chosen.files;
                        self.last_failed = chosen.last_failed;
                        return Some((chosen.plan, contracts));
                    }
                    Err(error) => eprint(&format!("error: {error}")),
                }
            }
        })
    }
}

/// The files that changed, once changes have settled: the first change,
/// and every other until none came for [`SETTLE`]. Only spec files and
/// the configuration count, so what a run writes (logs, the database)
/// never starts another.
async fn next_change(changes: &mut UnboundedReceiver<PathBuf>) -> Option<BTreeSet<PathBuf>> {
    let mut changed = BTreeSet::new();
    loop {
        let next = if changed.is_empty() {
            changes.recv().await
        } else {
            match tokio::time::timeout(SETTLE, changes.recv()).await {
                Ok(next) => next,
                Err(_) => return Some(changed),
            }
        };
        match next {
            Some(path) if is_markdown(&path) || is_config(&path) => {
                changed.insert(pick::canonical(&path));
            }
            Some(_) => {}
            // The watcher is gone: nothing will change any more.
            None => return None,
        }
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("md"))
}

fn is_config(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name == itspec_config::FILE_NAME)
}
