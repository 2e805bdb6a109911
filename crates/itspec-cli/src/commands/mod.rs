//! One file per command. Each returns the exit code; only `main` exits.

pub mod check;
pub mod list;
pub mod new;

use std::path::PathBuf;

use anyhow::Result;

use crate::discover::{candidates, default_paths};
use crate::load::{SpecFile, load_all};

/// The context every command gets: the configuration, when one is found.
pub struct Context {
    /// The loaded `itspec.toml`.
    pub config: Option<itspec_config::Loaded>,
    /// Whether to colour output.
    pub color: bool,
}

/// Finds and reads the specs under the given paths (or the defaults).
pub fn specs(
    context: &Context,
    paths: &[PathBuf],
    options: &itspec_spec::LintOptions,
    lint: bool,
) -> Result<Vec<SpecFile>> {
    let paths = if paths.is_empty() {
        default_paths(context.config.as_ref())
    } else {
        paths.to_vec()
    };
    let candidates = candidates(&paths)?;
    let files = load_all(&candidates, options, lint)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| crate::load::display(p)).collect();
        anyhow::bail!(
            "no specs found in {}: a spec is a .md file whose first heading is `# Integration Test Spec: <component>`",
            shown.join(", ")
        );
    }
    Ok(files)
}
