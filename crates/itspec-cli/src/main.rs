//! `itspec`: executable integration test specs.
//!
//! The binary owns the command line: it parses flags, finds the
//! configuration, dispatches to a command, prints, and exits with one of the
//! codes of [`exit_codes`]. Nothing else in the workspace prints or exits.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

mod cli;
mod commands;
mod discover;
mod exit_codes;
mod load;
mod output;

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
    let config = load_config(cli)?;
    let context = Context {
        config,
        color: output::use_color(cli.color),
    };
    match &cli.command {
        Command::Check(args) => commands::check::run(&context, args),
        Command::List(args) => commands::list::run(&context, args),
        Command::New(args) => commands::new::run(&context, args),
    }
}

/// The configuration named by `--config`, else the nearest `itspec.toml`.
fn load_config(cli: &Cli) -> Result<Option<itspec_config::Loaded>> {
    let path = match &cli.config {
        Some(path) => Some(path.clone()),
        None => itspec_config::find(&std::env::current_dir()?),
    };
    let Some(path) = path else { return Ok(None) };
    match itspec_config::load(&path) {
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
        Err(error) => Err(error.into()),
    }
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
