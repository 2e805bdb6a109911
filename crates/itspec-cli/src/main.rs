//! `itspec`: executable integration test specs.
//!
//! The binary owns the command line: it parses flags, finds the
//! configuration, dispatches to a command, prints, and exits with one of the
//! codes of [`exit_codes`]. Nothing else in the workspace prints or exits.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

mod cli;
mod commands;
mod discover;
mod exit_codes;
mod last_failed;
mod load;
mod output;
mod pick;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands::Context;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            output::eprint(&format!("error: {error:#}"));
            ExitCode::from(exit_codes::USAGE)
        }
    }
}

fn run(cli: &Cli) -> Result<u8> {
    let run_paths: Vec<PathBuf> = match &cli.command {
        Command::Run(args) => args.paths.iter().map(|arg| arg.path.clone()).collect(),
        Command::Mutate(args) => args.paths.iter().map(|arg| arg.path.clone()).collect(),
        _ => Vec::new(),
    };
    let (paths, set): (&[PathBuf], Vec<(String, String)>) = match &cli.command {
        Command::Check(args) => (&args.paths, args.set.clone()),
        Command::List(args) => (&args.paths, Vec::new()),
        Command::Trace(args) => (&args.paths, Vec::new()),
        Command::New(_) | Command::Report(_) => (&[], Vec::new()),
        Command::Restore(args) => (std::slice::from_ref(&args.file), args.set.clone()),
        Command::Run(args) => {
            let mut set = args.set.clone();
            if let Some(url) = &args.base_url {
                set.push(("target.base_url".to_string(), url.clone()));
            }
            (&run_paths, set)
        }
        Command::Mutate(args) => {
            let mut set = args.set.clone();
            if let Some(url) = &args.base_url {
                set.push(("target.base_url".to_string(), url.clone()));
            }
            (&run_paths, set)
        }
        Command::Completions(args) => return commands::completions::print_completions(args.shell),
        Command::Man(args) => return commands::completions::man(args.command.as_deref()),
    };
    let env_file = match &cli.command {
        Command::Check(args) => args.env_file.clone(),
        Command::Run(args) => args.env_file.clone(),
        Command::Mutate(args) => args.env_file.clone(),
        _ => None,
    };
    let context = || -> Result<Context> {
        Ok(Context {
            config: load_config(cli, paths, &set, env_file.clone())?,
            explicit_config: cli.config.is_some(),
            color: output::use_color(cli.color),
        })
    };
    if let Command::Run(args) = &cli.command
        && args.watch
    {
        // The configuration is read again each time it changes.
        loop {
            match commands::watch::run(&context()?, args)? {
                commands::watch::Watched::Restart => continue,
                commands::watch::Watched::Done(code) => return Ok(code),
            }
        }
    }
    let context = context()?;
    match &cli.command {
        Command::Check(args) => commands::check::run(&context, args),
        Command::List(args) => commands::list::run(&context, args),
        Command::New(args) => commands::new::run(&context, args),
        Command::Run(args) => commands::run::run(&context, args),
        Command::Mutate(args) => commands::mutate::run(&context, args),
        Command::Trace(args) => commands::trace::run(&context, args),
        Command::Report(command) => commands::report::run(command),
        Command::Restore(args) => commands::restore::run(&context, args),
        Command::Completions(_) | Command::Man(_) => Ok(exit_codes::SUCCESS),
    }
}

/// The configuration: `--config`, else the nearest `itspec.toml` above the
/// paths given (their common folder) or the current folder; `ITSPEC_…`
/// variables and `--set` flags on top; `{{env.NAME}}` read from the
/// environment, then `--env-file` (or `[service] env_file`).
fn load_config(
    cli: &Cli,
    paths: &[PathBuf],
    set: &[(String, String)],
    env_file: Option<PathBuf>,
) -> Result<Option<itspec_config::Loaded>> {
    let cwd = std::env::current_dir()?;
    let path = match &cli.config {
        Some(path) => Some(path.clone()),
        None => itspec_config::find(&discover::common_folder(paths, &cwd)),
    };
    let mut overrides = itspec_config::Overrides::from_env(std::env::vars());
    for (key, value) in set {
        overrides.push_flag(key, value);
    }
    overrides.env_file = env_file;
    if path.is_none() && overrides.entries.is_empty() {
        return Ok(None);
    }
    match itspec_config::load_with(path.as_deref(), &overrides, &cwd) {
        Ok(loaded) => Ok(Some(loaded)),
        Err(itspec_config::ConfigError::Invalid {
            path,
            line,
            col,
            message,
            ..
        }) => anyhow::bail!(
            "invalid configuration {}:{line}:{col}: {message}",
            load::display(&path)
        ),
        Err(error) => anyhow::bail!("invalid configuration: {error}"),
    }
}
