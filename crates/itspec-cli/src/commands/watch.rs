//! `run --watch`: run, then wait for a spec or `itspec.toml` to change and
//! run again — the specs that changed, or every one when the
//! configuration did — until Ctrl-C. Each run is a whole run: it records
//! and puts back the database and stops what it started, so nothing is
//! left behind when the watch ends between two runs or inside one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use notify::{RecursiveMode, Watcher as _};

use super::Context;
use crate::cli::RunArgs;
use crate::exit_codes;
use crate::output::eprint;
use crate::pick;

/// Changes that come within this time of each other are one change (an
/// editor writes a file in several steps).
const SETTLE: Duration = Duration::from_millis(250);

/// How a watch ended, for `main`: the configuration changed and must be
/// read again, or it is over with this exit code.
pub enum Watched {
    /// `itspec.toml` changed: read it again and go on watching.
    ConfigChanged,
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (sender, mut changes) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
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
    let config_file = config_file.as_deref().map(pick::canonical);
    let mut only: Option<BTreeSet<PathBuf>> = None;
    loop {
        let code = match super::run::run_once(context, args, only.as_ref()) {
            Ok(code) => code,
            // A spec that cannot be read now may be fixed by the next save.
            Err(error) => {
                eprint(&format!("error: {error:#}"));
                exit_codes::USAGE
            }
        };
        if code == exit_codes::INTERRUPTED {
            return Ok(Watched::Done(code));
        }
        eprint("itspec: watching for changes to the specs and itspec.toml (Ctrl-C stops)…");
        let changed = runtime.block_on(async {
            tokio::select! {
                changed = next_change(&mut changes) => Some(changed),
                _ = tokio::signal::ctrl_c() => None,
            }
        });
        let Some(changed) = changed else {
            return Ok(Watched::Done(exit_codes::INTERRUPTED));
        };
        if config_file
            .as_ref()
            .is_some_and(|config| changed.contains(config))
        {
            eprint("itspec: itspec.toml changed: running every spec");
            return Ok(Watched::ConfigChanged);
        }
        let specs: BTreeSet<PathBuf> = changed
            .into_iter()
            .filter(|path| is_markdown(path) && path.is_file())
            .collect();
        let shown: Vec<String> = specs.iter().map(|p| crate::load::display(p)).collect();
        eprint(&format!("itspec: changed: {}", shown.join(", ")));
        only = Some(specs);
    }
}

/// The files that changed, once changes have settled: the first change,
/// and every other until none came for [`SETTLE`]. Only spec files and
/// the configuration count, so what a run writes (logs, the database)
/// never starts another.
async fn next_change(
    changes: &mut tokio::sync::mpsc::UnboundedReceiver<PathBuf>,
) -> BTreeSet<PathBuf> {
    let mut changed = BTreeSet::new();
    loop {
        let next = if changed.is_empty() {
            changes.recv().await
        } else {
            match tokio::time::timeout(SETTLE, changes.recv()).await {
                Ok(next) => next,
                Err(_) => return changed,
            }
        };
        match next {
            Some(path) if is_markdown(&path) || is_config(&path) => {
                changed.insert(pick::canonical(&path));
            }
            Some(_) => {}
            // The watcher is gone: wait for Ctrl-C.
            None => return std::future::pending().await,
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
