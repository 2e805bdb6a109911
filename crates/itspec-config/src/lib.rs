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
pub mod interpolate;
mod model;
mod overrides;
mod shown;
mod size;

use std::path::{Path, PathBuf};

pub use duration::Duration;
pub use model::{
    Broker, ChannelWaits, Concurrency, Config, ContractConfig, Database, Entity, Errors,
    FlakyResult, Limits, Mail, MockConfig, Port, Release, Run, Service, Severity, Target, Workers,
};
pub use overrides::{ENV_PREFIX, Environment, Override, Overrides};
pub use shown::shown;
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
    let dir = match path.and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => cwd.to_path_buf(),
    };
    let env = env_source(&table, overrides, cwd, &dir)?;
    let written = table.clone();
    interpolate::resolve(&mut table, &env)
        .map_err(|problem| placeholder_error(&problem, text, file_path, overrides))?;
    // Deserialize from the text when nothing was overridden or replaced,
    // so errors keep their positions in the file.
    let mut config = if overrides.entries.is_empty() && table == written {
        parse(text).map_err(|e| invalid(e, file_path))?
    } else {
        match Config::deserialize(table) {
            Ok(config) => config,
            Err(error) if overrides.entries.is_empty() => {
                // Where the file says it, with the value it became.
                let message = error.message().trim().to_string();
                return Err(match parse(text) {
                    Err(at) => match invalid(at, file_path) {
                        ConfigError::Invalid {
                            path,
                            line,
                            col,
                            span,
                            text,
                            ..
                        } => ConfigError::Invalid {
                            path,
                            line,
                            col,
                            span,
                            message,
                            text,
                        },
                        other => other,
                    },
                    Ok(_) => ConfigError::Invalid {
                        path: file_path.to_path_buf(),
                        line: 1,
                        col: 1,
                        span: None,
                        message,
                        text: text.to_string(),
                    },
                });
            }
            Err(error) => {
                return Err(ConfigError::Override {
                    origin: overrides.origins(),
                    message: error.message().trim().to_string(),
                });
            }
        }
    };
    if let Some(service) = &mut config.service {
        for (name, value) in env.file_only() {
            service.env.entry(name).or_insert(value);
        }
    }
    Ok(Loaded {
        path: path.map(Path::to_path_buf),
        dir,
        config,
    })
}

/// Where `{{env.NAME}}` reads: the environment, then the env file.
fn env_source(
    table: &toml::Table,
    overrides: &Overrides,
    cwd: &Path,
    dir: &Path,
) -> Result<interpolate::EnvSource, ConfigError> {
    let process = match &overrides.environment {
        Some(environment) => environment.0.clone(),
        None => std::env::vars().collect(),
    };
    let file = match interpolate::env_file_path(table, overrides.env_file.as_deref(), cwd, dir) {
        // `[service] env_file` may be missing where the environment has
        // it all (CI); `--env-file` names a file that must be there.
        Some((origin, file)) if origin != "--env-file" && !file.exists() => Some((
            format!("{} (which does not exist)", shown(&file)),
            Default::default(),
        )),
        Some((origin, file)) => {
            let vars =
                interpolate::read_env_file(&file).map_err(|message| ConfigError::Override {
                    origin: format!("{origin} {}", shown(&file)),
                    message,
                })?;
            Some((shown(&file), vars))
        }
        None => None,
    };
    Ok(interpolate::EnvSource { process, file })
}

/// A placeholder that cannot be used, at its place in the file (or named
/// with the override that wrote it).
fn placeholder_error(
    problem: &interpolate::Problem,
    text: &str,
    file_path: &Path,
    overrides: &Overrides,
) -> ConfigError {
    let message = format!(
        "{} uses {}, {}",
        problem.setting, problem.written, problem.message
    );
    if let Some(entry) = overrides
        .entries
        .iter()
        .rev()
        .find(|entry| entry.value.contains(&problem.written))
    {
        return ConfigError::Override {
            origin: entry.origin.clone(),
            message,
        };
    }
    let inner = problem
        .written
        .trim_start_matches('{')
        .trim_end_matches('}');
    let at = text
        .find(&problem.written)
        .or_else(|| text.find(inner).and_then(|at| text.get(..at)?.rfind("{{")))
        .unwrap_or(0);
    let (line, col) = itspec_spec::Source::new(text).position(at);
    ConfigError::Invalid {
        path: file_path.to_path_buf(),
        line,
        col,
        span: Some(at..at + problem.written.len()),
        message,
        text: text.to_string(),
    }
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
                .and_then(|e| e.table.as_deref()),
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

    fn with_env(pairs: &[(&str, &str)]) -> Overrides {
        Overrides {
            environment: Some(Environment(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )),
            ..Overrides::default()
        }
    }

    fn load_in(dir: &Path, text: &str, overrides: &Overrides) -> Result<Loaded, ConfigError> {
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        load_with(Some(&path), overrides, dir)
    }

    #[test]
    fn a_brokers_patterns_keep_worker_for_each_worker_and_take_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[brokers.bus]\nurl = \"nats://127.0.0.1:4222\"\nwatch = [\"{{env.ROOT}}.w{{worker}}.>\"]\n\n\
            [service]\ncommand = \"run\"\nenv = { TOPICS = \"orders.w{{worker}}\", SMTP = \"{{mail.port}}\" }\n\n[mail]\n";
        let loaded = load_in(dir.path(), text, &with_env(&[("ROOT", "orders")])).unwrap();
        assert_eq!(loaded.config.brokers["bus"].watch, ["orders.w{{worker}}.>"]);
        let wrong =
            "[brokers.bus]\nurl = \"nats://127.0.0.1:4222\"\nwatch = [\"{{vars.root}}.>\"]\n";
        let error = load_in(dir.path(), wrong, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("can use {{worker}}"), "{error}");
        let no_mail = "[service]\ncommand = \"run\"\nenv = { SMTP = \"{{mail.port}}\" }\n";
        let error = load_in(dir.path(), no_mail, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("but there is no [mail]"), "{error}");
    }

    #[test]
    fn environment_variables_are_read_in_every_string_setting() {
        let dir = tempfile::tempdir().unwrap();
        let text = "specs = [\"{{env.SPECS}}\"]\n\n[target]\nheaders = { Authorization = \"Bearer {{env.TOKEN}}\" }\n\n\
            [service]\ncommand = \"{{env.VENV}}/bin/uvicorn app:app --port {{service.port}} --db {{database.url}}\"\n\
            port = \"{{env.PORT}}\"\nready_timeout = \"{{env.WAIT}}\"\n\n\
            [database]\nurl = \"postgresql+psycopg://app:{{env.DB_PASSWORD}}@127.0.0.1/app\"\n\n\
            [vars]\nregion = \"{{env.REGION}}\"\nlater = \"{{uuid}}\"\n";
        let loaded = load_in(
            dir.path(),
            text,
            &with_env(&[
                ("SPECS", "tests/specs"),
                ("TOKEN", "t0ken"),
                ("VENV", "/home/a b/.venv"),
                ("PORT", "8123"),
                ("WAIT", "90s"),
                ("DB_PASSWORD", "pa&ss word"),
                ("REGION", "eu"),
            ]),
        )
        .unwrap();
        let config = loaded.config;
        assert_eq!(config.specs, [PathBuf::from("tests/specs")]);
        assert_eq!(
            config
                .target
                .headers
                .get("Authorization")
                .map(String::as_str),
            Some("Bearer t0ken")
        );
        let service = config.service.unwrap();
        // Shell-quoted; the environment's variables are left for later.
        assert_eq!(
            service.command,
            "'/home/a b/.venv'/bin/uvicorn app:app --port {{service.port}} --db {{database.url}}"
        );
        assert_eq!(service.port, Port::Fixed(8123));
        assert_eq!(service.ready_timeout.map(|d| d.millis()), Some(90_000));
        assert_eq!(
            config.database.unwrap().url,
            "postgresql+psycopg://app:pa&ss word@127.0.0.1/app"
        );
        assert_eq!(
            config.vars.get("region").and_then(|v| v.as_str()),
            Some("eu")
        );
        assert_eq!(
            config.vars.get("later").and_then(|v| v.as_str()),
            Some("{{uuid}}")
        );
    }

    #[test]
    fn an_unset_variable_is_named_with_its_setting_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[target]\ntimeout = \"10s\"\n\n[service]\nport = \"auto\"\ncommand = \"{{env.VENV}}/bin/python -m app\"\n";
        let Err(ConfigError::Invalid {
            line, col, message, ..
        }) = load_in(dir.path(), text, &with_env(&[]))
        else {
            panic!("expected an error");
        };
        assert_eq!((line, col), (6, 12));
        assert_eq!(
            message,
            "[service] command uses {{env.VENV}}, which is not set: export VENV, or add it to an env file ([service] env_file or --env-file)"
        );
        // Through an override: named with it.
        let mut overrides = with_env(&[]);
        overrides.push_flag("database.url", "sqlite:///{{env.DATA}}/x.db");
        let error = load_in(dir.path(), "", &overrides).unwrap_err().to_string();
        assert_eq!(
            error,
            "--set database.url: [database] url uses {{env.DATA}}, which is not set: export DATA, or add it to an env file ([service] env_file or --env-file)"
        );
    }

    #[test]
    fn variables_of_the_environment_are_checked_where_they_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let error = |text: &str| match load_in(dir.path(), text, &with_env(&[])) {
            Err(ConfigError::Invalid { message, .. }) => message,
            other => panic!("expected an error for {text}: {other:?}"),
        };
        assert_eq!(
            error("[database]\nurl = \"sqlite://db-{{service.port}}.db\"\n"),
            "[database] url uses {{service.port}}, which is not known there: [database] url can use only {{env.NAME}}"
        );
        assert!(
            error("[service]\ncommand = \"x --port {{service.prot}}\"\n").starts_with(
                "[service] command uses {{service.prot}}, which is not a variable of itspec.toml: use {{service.port}}"
            )
        );
        assert_eq!(
            error("[target]\nbase_url = \"http://127.0.0.1:{{service.port}}\"\n"),
            "[target] base_url uses {{service.port}}, but there is no [service]: itspec knows the service's port only when it starts it"
        );
        assert_eq!(
            error("[service]\ncommand = \"x\"\nenv = { DB = \"{{database.url}}\" }\n"),
            "[service] env.DB uses {{database.url}}, but there is no [database]"
        );
        assert_eq!(
            error("[service]\ncommand = \"x {{vars.regoin}}\"\n\n[vars]\nregion = \"eu\"\n"),
            "[service] command uses {{vars.regoin}}, but [vars] has no `regoin`"
        );
        assert_eq!(
            error("[mocks.pay]\nport = \"{{mocks.pay.port}}\"\n"),
            "[mocks.pay] port uses {{mocks.pay.port}}, which is not known there: [mocks.pay] port can use only {{env.NAME}}"
        );
        // Every form the environment gives, where it is known.
        let loaded = load_in(
            dir.path(),
            "[target]\nbase_url = \"{{service.url}}/api\"\nheaders = { X-Pay = \"{{mocks.pay.url}}\" }\n\n\
             [service]\ncommand = \"x {{service.port}} {{database.url}} {{mocks.pay.port}} {{vars.region}}\"\n\n\
             [database]\nurl = \"sqlite://x.db\"\n\n[vars]\nregion = \"eu\"\n",
            &with_env(&[]),
        );
        assert!(loaded.is_ok(), "{loaded:?}");
    }

    #[test]
    fn the_env_file_fills_in_what_the_environment_does_not_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "# comment\nexport DB_PASSWORD=from-file\nAPI_KEY='k3y'\nDEBUG=1\n",
        )
        .unwrap();
        let text = "[service]\ncommand = \"x\"\nenv_file = \".env\"\nenv = { DEBUG = \"0\" }\n\n\
                    [database]\nurl = \"postgres://app:{{env.DB_PASSWORD}}@127.0.0.1/app\"\n";
        let loaded = load_in(dir.path(), text, &with_env(&[])).unwrap();
        assert_eq!(
            loaded.config.database.unwrap().url,
            "postgres://app:from-file@127.0.0.1/app"
        );
        let env = loaded.config.service.unwrap().env;
        assert_eq!(env.get("API_KEY").map(String::as_str), Some("k3y"));
        // `[service] env` wins over the file.
        assert_eq!(env.get("DEBUG").map(String::as_str), Some("0"));

        // The environment wins over the file, and is not copied.
        let loaded = load_in(dir.path(), text, &with_env(&[("DB_PASSWORD", "exported")])).unwrap();
        assert_eq!(
            loaded.config.database.unwrap().url,
            "postgres://app:exported@127.0.0.1/app"
        );
        assert!(
            !loaded
                .config
                .service
                .unwrap()
                .env
                .contains_key("DB_PASSWORD")
        );

        // --env-file replaces it, against the current folder.
        std::fs::create_dir(dir.path().join("ci")).unwrap();
        std::fs::write(dir.path().join("ci/test.env"), "DB_PASSWORD=ci\n").unwrap();
        let mut overrides = with_env(&[]);
        overrides.env_file = Some(PathBuf::from("ci/test.env"));
        let loaded = load_in(dir.path(), text, &overrides).unwrap();
        assert_eq!(
            loaded.config.database.unwrap().url,
            "postgres://app:ci@127.0.0.1/app"
        );

        // A missing `[service] env_file` is named only when a variable is
        // missing too (CI exports them all); a missing --env-file always.
        let missing = text.replace(".env", "nope.env");
        let loaded = load_in(dir.path(), &missing, &with_env(&[("DB_PASSWORD", "ci")]));
        assert!(loaded.is_ok(), "{loaded:?}");
        let Err(ConfigError::Invalid { message, .. }) =
            load_in(dir.path(), &missing, &with_env(&[]))
        else {
            panic!("expected an error");
        };
        assert!(
            message.contains("which is not set: export DB_PASSWORD or add it to ")
                && message.ends_with("nope.env (which does not exist)"),
            "{message}"
        );
        let mut overrides = with_env(&[]);
        overrides.env_file = Some(PathBuf::from("nope.env"));
        let error = load_in(dir.path(), text, &overrides)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("--env-file ") && error.contains("nope.env: cannot read it"),
            "{error}"
        );
        std::fs::write(dir.path().join("bad.env"), "NOT A LINE\n").unwrap();
        let error = load_in(dir.path(), &text.replace(".env", "bad.env"), &with_env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("[service] env_file ") && error.contains("bad.env: line"),
            "{error}"
        );
    }

    #[test]
    fn entities_are_a_table_name_or_a_table() {
        let config = parse(
            "[database]\nurl = \"sqlite://x.db\"\n\n[database.entities]\nInventory = \"inventory\"\n\n\
             [database.entities.User]\ntable = \"user\"\ndefaults = { is_active = true, id = \"{{uuid}}\" }\n\n\
             [database.entities.Item]\ndefaults = { stock = 0 }\n",
        )
        .unwrap();
        let entities = config.database.unwrap().entities;
        assert_eq!(
            entities.get("Inventory"),
            Some(&Entity {
                table: Some("inventory".into()),
                defaults: Default::default()
            })
        );
        let user = entities.get("User").unwrap();
        assert_eq!(user.table.as_deref(), Some("user"));
        assert_eq!(
            user.defaults.get("is_active"),
            Some(&toml::Value::Boolean(true))
        );
        assert_eq!(entities.get("Item").unwrap().table, None);
        let error = parse("[database]\nurl = \"x\"\nentities = { User = 3 }\n").unwrap_err();
        assert!(
            error.message().contains("an entity is its table's name"),
            "{}",
            error.message()
        );
        let error = parse("[database.entities.User]\ntabel = \"user\"\n").unwrap_err();
        assert!(
            error.message().contains("unknown field `tabel`"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn new_settings_can_be_overridden() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("other.env"), "X=1\n").unwrap();
        let mut overrides = Overrides::from_env([
            (
                "ITSPEC_CONTRACT_UNDOCUMENTED_STATUS".to_string(),
                "warn".to_string(),
            ),
            (
                "ITSPEC_SERVICE_ENV_FILE".to_string(),
                "other.env".to_string(),
            ),
        ]);
        overrides.push_flag("database.entities.User.defaults.is_active", "true");
        let loaded = load_in(
            dir.path(),
            "[service]\ncommand = \"x {{env.X}}\"\n\n[database]\nurl = \"sqlite://x.db\"\nentities = { User = \"user\" }\n",
            &overrides,
        )
        .unwrap();
        assert_eq!(
            loaded.config.contract.undocumented_status,
            Some(Severity::Warn)
        );
        assert_eq!(loaded.config.service.unwrap().command, "x 1");
        let user = loaded
            .config
            .database
            .unwrap()
            .entities
            .remove("User")
            .unwrap();
        assert_eq!(user.table.as_deref(), Some("user"));
        assert_eq!(
            user.defaults.get("is_active"),
            Some(&toml::Value::Boolean(true))
        );
    }
}
