//! One file per command. Each returns the exit code; only `main` exits.

pub mod check;
pub mod completions;
pub mod list;
pub mod mutate;
pub mod new;
pub mod report;
mod reports;
pub mod restore;
pub mod run;
mod status;
pub mod trace;
mod vars;
pub mod watch;

pub use vars::KnownVars;

use std::path::PathBuf;

use anyhow::Result;

use crate::discover::{candidates, default_paths};
use crate::load::{SpecText, display, map_specs};

/// The shard to run: `--shard`, else the one the CI system assigns.
pub fn shard(
    given: Option<itspec_runner::shard::Shard>,
    total: Option<u32>,
) -> Option<itspec_runner::shard::Shard> {
    given.or_else(|| itspec_runner::shard::Shard::from_env(|name| std::env::var(name).ok(), total))
}

/// The context every command gets: the configuration, when one is found.
pub struct Context {
    /// The loaded `itspec.toml`.
    pub config: Option<itspec_config::Loaded>,
    /// Whether `--config` named it (then it applies to every spec).
    pub explicit_config: bool,
    /// Whether to colour output.
    pub color: bool,
}

impl Context {
    /// The severity of a status the contract does not document:
    /// `[contract] undocumented_status = "warn"` makes IT704 a warning.
    pub fn undocumented_status(&self) -> itspec_spec::Severity {
        match self
            .config
            .as_ref()
            .and_then(|loaded| loaded.config.contract.undocumented_status)
        {
            Some(itspec_config::Severity::Warn) => itspec_spec::Severity::Warning,
            _ => itspec_spec::Severity::Error,
        }
    }

    /// The project's contracts: `[contract] openapi`, and the documents
    /// specs name, resolved beside itspec.toml — or in the current folder
    /// without one.
    pub fn contracts(&self) -> Result<itspec_contract::Contracts> {
        match &self.config {
            Some(loaded) => itspec_contract::Contracts::new(
                loaded.dir(),
                loaded.config.contract.openapi.as_deref(),
            ),
            None => itspec_contract::Contracts::new(&std::env::current_dir()?, None),
        }
        .map_err(anyhow::Error::msg)
    }
}

/// Finds the specs under the given paths (or the defaults) and applies
/// `work` to each, in parallel, in path order.
pub fn map_spec_files<T: Send>(
    context: &Context,
    paths: &[PathBuf],
    work: impl Fn(SpecText) -> T + Sync,
) -> Result<Vec<T>> {
    let paths = if paths.is_empty() {
        default_paths(context.config.as_ref())
    } else {
        paths.to_vec()
    };
    let results = map_specs(&candidates(&paths)?, work)?;
    if results.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| display(p)).collect();
        anyhow::bail!(
            "no specs found in {}: a spec is a .md file whose first heading is `# Integration Test Spec: <component>`",
            shown.join(", ")
        );
    }
    Ok(results)
}
