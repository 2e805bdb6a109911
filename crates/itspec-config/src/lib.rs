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
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

mod duration;
mod model;

use std::path::{Path, PathBuf};

pub use duration::Duration;
pub use model::{Concurrency, Config, Database, Errors, MockConfig, Port, Service, Target};

/// The file name itspec looks for.
pub const FILE_NAME: &str = "itspec.toml";

/// A configuration and where it was read from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// The settings.
    pub config: Config,
}

impl Loaded {
    /// The folder relative paths in the file are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// The `specs` paths, resolved against the file's folder.
    pub fn spec_paths(&self) -> Vec<PathBuf> {
        self.config
            .specs
            .iter()
            .map(|p| self.dir().join(p))
            .collect()
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
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let config = parse(&text).map_err(|error| {
        let span = error.span();
        let source = itspec_spec::Source::new(&text);
        let (line, col) = source.position(span.as_ref().map_or(0, |s| s.start));
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            col,
            span,
            message: error.message().trim().to_string(),
            text: text.clone(),
        }
    })?;
    Ok(Loaded {
        path: path.to_path_buf(),
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

[vars]
currency = "EUR"
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
        assert!(config.vars.contains_key("currency"));
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
