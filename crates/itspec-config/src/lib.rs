//! `itspec.toml`: where it is, what it says (FORMAT §10).
//!
//! The environment of a spec — URLs, ports, the database, the command that
//! starts the service — lives here, never in a spec. This crate finds the
//! file (the current folder or its nearest parent), reads it strictly
//! (unknown keys are errors with their line and column) and exposes typed
//! settings. It starts nothing.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

mod duration;
mod model;
mod overrides;
mod size;

use std::path::{Path, PathBuf};

pub use duration::Duration;
pub use model::{
    Concurrency, Config, Database, Errors, Limits, MockConfig, Port, Service, Target, Workers,
};
pub use overrides::{ENV_PREFIX, Override, Overrides};
pub use size::Size;

use serde::Deserialize;

/// The file name itspec looks for.
pub const FILE_NAME: &str = "itspec.toml";

/// A configuration and where it was read from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file, when there is one.
    pub path: Option<PathBuf>,
    /// The folder relative paths are resolved against: the file's folder,
    /// else the current folder.
    pub dir: PathBuf,
    /// The settings.
    pub config: Config,
}

impl Loaded {
    /// The folder relative paths in the file are resolved against.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `specs` paths, resolved against the file's folder.
    pub fn spec_paths(&self) -> Vec<PathBuf> {
        self.config.specs.iter().map(|p| self.dir.join(p)).collect()
    }
}

/// Why a configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or not a valid configuration.
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: u32,
        /// 1-based column of the problem.
        col: u32,
        /// Byte range of the problem, for a code frame.
        span: Option<std::ops::Range<usize>>,
        /// What is wrong.
        message: String,
        /// The file's text, for a code frame.
        text: String,
    },
    /// An override from the environment or a flag is invalid.
    #[error("{origin}: {message}")]
    Override {
        /// The variable or flag, like `ITSPEC_TARGET_TIMEOUT` or `--set target.timeout`.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// The nearest `itspec.toml` in `start` or one of its parents.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Reads and validates a configuration file.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    load_with(Some(path), &Overrides::default(), Path::new("."))
}

/// Reads a configuration file (if any) and applies overrides on top of it.
/// Without a file, relative paths resolve against `cwd`.
pub fn load_with(
    path: Option<&Path>,
    overrides: &Overrides,
    cwd: &Path,
) -> Result<Loaded, ConfigError> {
    let text = match path {
        Some(path) => std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?,
        None => String::new(),
    };
    load_text(&text, path, overrides, cwd)
}

/// Validates configuration text read from `path` (if any) and applies
/// overrides on top of it, as [`load_with`] does with the file's text.
pub fn load_text(
    text: &str,
    path: Option<&Path>,
    overrides: &Overrides,
    cwd: &Path,
) -> Result<Loaded, ConfigError> {
    let invalid = |error: toml::de::Error, path: &Path| {
        let span = error.span();
        let source = itspec_spec::Source::new(text);
        let (line, col) = source.position(span.as_ref().map_or(0, |s| s.start));
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            col,
            span,
            message: error.message().trim().to_string(),
            text: text.to_string(),
        }
    };
    let file_path = path.unwrap_or_else(|| Path::new(FILE_NAME));
    let mut table: toml::Table = toml::from_str(text).map_err(|e| invalid(e, file_path))?;
    for entry in &overrides.entries {
        entry.apply(&mut table)?;
    }
    // Deserialize from the text when nothing was overridden, so errors keep
    // their positions in the file.
    let config = if overrides.entries.is_empty() {
        parse(text).map_err(|e| invalid(e, file_path))?
    } else {
        Config::deserialize(table).map_err(|error| ConfigError::Override {
            origin: overrides.origins(),
            message: error.message().trim().to_string(),
        })?
    };
    let dir = match path.and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => cwd.to_path_buf(),
    };
    Ok(Loaded {
        path: path.map(Path::to_path_buf),
        dir,
        config,
    })
}

/// Parses configuration text.
pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
    toml::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
specs = ["specs"]

[target]
base_url = "http://127.0.0.1:{{service.port}}"
timeout = "10s"
headers = { Accept = "application/json" }

[service]
command = "cargo run --release -p shop"
env = { DATABASE_URL = "{{database.url}}", PAYMENTS_URL = "{{mocks.payments.url}}", PORT = "{{service.port}}" }
port = "auto"
ready = "GET /health"
ready_timeout = "120s"

[database]
url = "sqlite://target/shop.db"
schema = "examples/shop/schema.sql"
exclude = []
allow_remote = false
entities = { Inventory = "inventory" }

[mocks.payments]
port = "auto"

[errors]
code = ["$.error.code", "$.code"]
message = ["$.error.message", "$.message"]

[concurrency]
iterations = 20

[workers]
jobs = 2
independent = false

[vars]
currency = "EUR"

[limits]
max_body = "16 MB"
"#;

    #[test]
    fn the_documented_example_reads() {
        let config = parse(FULL).unwrap();
        assert_eq!(config.specs, [PathBuf::from("specs")]);
        assert_eq!(config.target.timeout.map(|d| d.millis()), Some(10_000));
        let service = config.service.unwrap();
        assert_eq!(service.port, Port::Auto);
        assert_eq!(service.ready_timeout.map(|d| d.millis()), Some(120_000));
        assert_eq!(
            config
                .database
                .unwrap()
                .entities
                .get("Inventory")
                .map(String::as_str),
            Some("inventory")
        );
        assert_eq!(
            config.mocks.get("payments").map(|m| m.port),
            Some(Port::Auto)
        );
        assert_eq!(config.concurrency.iterations, Some(20));
        assert_eq!(config.workers.jobs, Some(2));
        assert!(config.vars.contains_key("currency"));
        assert_eq!(
            config
                .limits
                .max_body
                .map(|s| (s.bytes(), s.text().to_string())),
            Some((16_000_000, "16 MB".to_string()))
        );
    }

    #[test]
    fn a_size_that_is_not_one_is_an_error_at_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "[limits]\nmax_body = \"huge\"\n").unwrap();
        let Err(ConfigError::Invalid { line, message, .. }) = load(&path) else {
            panic!("expected an error");
        };
        assert_eq!(line, 2);
        assert!(message.contains("`huge` is not a size"), "{message}");
    }

    #[test]
    fn unknown_keys_are_errors_with_positions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "[target]\nbase_ulr = \"x\"\n").unwrap();
        let Err(ConfigError::Invalid {
            line, col, message, ..
        }) = load(&path)
        else {
            panic!("expected an error");
        };
        assert_eq!((line, col), (2, 1));
        assert!(message.contains("unknown field `base_ulr`"), "{message}");
    }

    #[test]
    fn durations_and_ports_are_checked() {
        assert!(parse("[target]\ntimeout = \"10 parsecs\"\n").is_err());
        assert!(parse("[service]\ncommand = \"x\"\nport = \"any\"\n").is_err());
        assert_eq!(
            parse("[service]\ncommand = \"x\"\nport = 8080\n")
                .unwrap()
                .service
                .unwrap()
                .port,
            Port::Fixed(8080)
        );
    }

    #[test]
    fn found_in_the_nearest_parent() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "").unwrap();
        assert_eq!(find(&nested), Some(dir.path().join(FILE_NAME)));
    }
}
