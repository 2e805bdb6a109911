//! The settings of a run: `itspec.toml` (with its overrides) turned into
//! what the runner needs, with the documented defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use itspec_config::{Loaded, Port};
use serde_json::{Map, Value};

use crate::assert::ErrorPaths;
use crate::broker::{BrokerKind, BrokerSettings, Waits};
use crate::http::BodyLimit;
use crate::mock::MockSettings;

/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a service gets to become ready.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time between SIGTERM and SIGKILL when stopping a service.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Default iterations of a concurrency case.
pub const DEFAULT_ITERATIONS: u32 = 20;

/// A setting that cannot be used as written.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// Everything a run needs to know about its environment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The folder relative paths resolve against (the config file's).
    pub dir: PathBuf,
    /// `target.base_url`, variables not yet replaced.
    pub base_url: Option<String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// The service to start, if any.
    pub service: Option<ServiceSettings>,
    /// `[database]`.
    pub database: Option<DatabaseSettings>,
    /// `[mocks.NAME]`.
    pub mocks: BTreeMap<String, MockSettings>,
    /// `[brokers.NAME]`.
    pub brokers: BTreeMap<String, BrokerSettings>,
    /// `[mail]`: the port of the SMTP server itspec runs for the service.
    pub mail: Option<Port>,
    /// `[channels]`: how long message assertions wait.
    pub waits: Waits,
    /// Where error codes and messages are read.
    pub errors: ErrorPaths,
    /// `[vars]`.
    pub vars: Map<String, Value>,
    /// Iterations of a concurrency case without `**Repeat:**`.
    pub iterations: u32,
    /// `[concurrency] release`: how a group's requests are let go together.
    pub release: crate::http::Release,
    /// `[run] retries`: how many times a case that did not pass runs again.
    pub retries: u32,
    /// `[run] flaky_result`: a flaky case fails the run (the default).
    pub flaky_fails: bool,
    /// `[workers] jobs`: workers when `--jobs` is not given.
    pub jobs: u32,
    /// What reports hide (`[redact]` and the defaults).
    pub redaction: crate::redact::Redaction,
    /// `[workers] independent`: workers may share a service itspec does
    /// not start.
    pub independent: bool,
    /// `[contract] openapi`, resolved.
    pub contract: Option<PathBuf>,
    /// `[contract] undocumented_status = "warn"`: a status the contract
    /// does not document is a warning, not a failure.
    pub undocumented_status_warns: bool,
    /// `[limits] max_body`: the largest response body, and request body
    /// of a mock, read.
    pub max_body: BodyLimit,
    /// `[service]` is configured but not started: the user runs the
    /// service (`--base-url`, `--no-service`).
    pub own_service: bool,
}

/// `[service]`.
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// The shell command that starts it.
    pub command: String,
    /// Its environment, variables not yet replaced.
    pub env: Vec<(String, String)>,
    /// Its port.
    pub port: Port,
    /// The readiness request: method and path.
    pub ready: Option<(String, String)>,
    /// How long it may take to become ready.
    pub ready_timeout: Duration,
    /// How long it gets between SIGTERM and SIGKILL.
    pub stop_timeout: Duration,
}

/// `[database]`.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// `sqlite://…`, `postgres://…`, `mysql://…`; variables not yet replaced.
    pub url: String,
    /// SQL applied when the database has no tables yet (resolved path).
    pub schema: Option<PathBuf>,
    /// Tables never tracked or written.
    pub exclude: Vec<String>,
    /// Whether a database on another host may be written.
    pub allow_remote: bool,
    /// Entity class → table.
    pub entities: BTreeMap<String, String>,
    /// Entity class → the values of the fields its fixture rows do not
    /// give (`{{uuid}}`, `{{now}}` fresh for each row).
    pub defaults: BTreeMap<String, Map<String, Value>>,
    /// How long a restore waits for a database that stopped answering.
    pub reconnect_timeout: Duration,
}

impl DatabaseSettings {
    /// A local database at `url`, every table tracked, defaults elsewhere.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            schema: None,
            exclude: Vec::new(),
            allow_remote: false,
            entities: BTreeMap::new(),
            defaults: BTreeMap::new(),
            reconnect_timeout: crate::isolation::DEFAULT_RECONNECT_TIMEOUT,
        }
    }
}

impl Settings {
    /// Settings from a loaded configuration.
    pub fn from_config(loaded: &Loaded) -> Result<Self, SettingsError> {
        let config = &loaded.config;
        let service = match &config.service {
            Some(service) => Some(ServiceSettings {
                command: service.command.clone(),
                env: service
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                port: service.port,
                ready: service.ready.as_deref().map(parse_ready).transpose()?,
                ready_timeout: service
                    .ready_timeout
                    .map_or(DEFAULT_READY_TIMEOUT, |d| d.std()),
                stop_timeout: service
                    .stop_timeout
                    .map_or(DEFAULT_STOP_TIMEOUT, |d| d.std()),
            }),
            None => None,
        };
        let defaults = ErrorPaths::default();
        let errors = ErrorPaths {
            code: config.errors.code.clone().unwrap_or(defaults.code),
            message: config.errors.message.clone().unwrap_or(defaults.message),
        };
        for path in errors.code.iter().chain(&errors.message) {
            itspec_spec::jsonpath::parse(path).map_err(|error| {
                SettingsError(format!("[errors]: `{path}` is not a JSONPath: {error}"))
            })?;
        }
        let vars = config
            .vars
            .iter()
            .map(|(name, value)| (name.clone(), toml_to_json(value)))
            .collect();
        Ok(Self {
            dir: loaded.dir.clone(),
            base_url: config.target.base_url.clone(),
            timeout: config.target.timeout.map_or(DEFAULT_TIMEOUT, |d| d.std()),
            headers: config
                .target
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            service,
            database: config.database.as_ref().map(|d| DatabaseSettings {
                url: d.url.clone(),
                schema: d.schema.as_ref().map(|p| loaded.dir.join(p)),
                exclude: d.exclude.clone(),
                allow_remote: d.allow_remote,
                entities: d
                    .entities
                    .iter()
                    .filter_map(|(name, e)| Some((name.clone(), e.table.clone()?)))
                    .collect(),
                defaults: d
                    .entities
                    .iter()
                    .filter(|(_, e)| !e.defaults.is_empty())
                    .map(|(name, e)| {
                        let values = e
                            .defaults
                            .iter()
                            .map(|(field, value)| (field.clone(), toml_to_json(value)))
                            .collect();
                        (name.clone(), values)
                    })
                    .collect(),
                reconnect_timeout: d
                    .reconnect_timeout
                    .map_or(crate::isolation::DEFAULT_RECONNECT_TIMEOUT, |d| d.std()),
            }),
            mocks: config
                .mocks
                .iter()
                .map(|(name, m)| {
                    let settings = MockSettings {
                        port: m.port,
                        allow_unexpected: m.allow_unexpected,
                    };
                    (name.clone(), settings)
                })
                .collect(),
            brokers: brokers(&config.brokers)?,
            mail: config.mail.as_ref().map(|mail| mail.port),
            waits: Waits {
                wait: config
                    .channels
                    .wait
                    .map_or(Waits::default().wait, |d| d.std()),
                quiet: config
                    .channels
                    .quiet
                    .map_or(Waits::default().quiet, |d| d.std()),
            },
            errors,
            vars,
            iterations: config
                .concurrency
                .iterations
                .unwrap_or(DEFAULT_ITERATIONS)
                .max(1),
            release: match config.concurrency.release.unwrap_or_default() {
                itspec_config::Release::LastByte => crate::http::Release::LastByte,
                itspec_config::Release::Whole => crate::http::Release::Whole,
            },
            retries: config.run.retries.unwrap_or(0),
            flaky_fails: config.run.flaky_result.unwrap_or_default()
                == itspec_config::FlakyResult::Fail,
            jobs: config.workers.jobs.unwrap_or(1).max(1),
            independent: config.workers.independent,
            redaction: crate::redact::Redaction::new(&config.redact.headers, &config.redact.vars)
                .map_err(|e| SettingsError(e.to_string()))?,
            contract: config.contract.openapi.as_ref().map(|p| loaded.dir.join(p)),
            undocumented_status_warns: config.contract.undocumented_status
                == Some(itspec_config::Severity::Warn),
            max_body: config
                .limits
                .max_body
                .as_ref()
                .map(BodyLimit::from)
                .unwrap_or_default(),
            own_service: false,
        })
    }
}

/// `[brokers.NAME]`: the kind each URL names, the watched topics checked
/// against its wildcards; what itspec cannot do yet is refused, never
/// ignored.
fn brokers(
    config: &BTreeMap<String, itspec_config::Broker>,
) -> Result<BTreeMap<String, BrokerSettings>, SettingsError> {
    let mut brokers = BTreeMap::new();
    for (name, broker) in config {
        let kind = BrokerKind::of_url(&broker.url).ok_or_else(|| {
            SettingsError(format!(
                "[brokers.{name}] url: `{}` names no broker: write redis://, amqp://, nats:// or mqtt://",
                crate::redact::url::hide_credentials(&broker.url, "***")
            ))
        })?;
        // A Redis broker may only track keys.
        if broker.watch.is_empty() && (kind != BrokerKind::Redis || broker.keys.is_empty()) {
            return Err(SettingsError(format!(
                "[brokers.{name}] watches nothing: list what to observe in `watch` (for {}: {})",
                kind.name(),
                match kind {
                    BrokerKind::Redis => "channel patterns, like [\"events:*\"]",
                    BrokerKind::Amqp => "exchanges, like [\"orders\"]",
                    BrokerKind::Nats => "subjects, like [\"orders.>\"]",
                    BrokerKind::Mqtt => "topic filters, like [\"devices/+/status\"]",
                }
            )));
        }
        // Checked as worker 1 has them.
        for written in &broker.watch {
            let pattern = &crate::broker::with_worker(written, "1");
            if kind == BrokerKind::Mqtt && pattern.starts_with("$share/") {
                return Err(SettingsError(format!(
                    "[brokers.{name}] watch: `{pattern}` is a shared subscription, which would take messages from the service's own group; watch the topic filter itself (`{}`)",
                    pattern.splitn(3, '/').nth(2).unwrap_or("devices/#")
                )));
            }
            let key = if kind == BrokerKind::Amqp {
                let watched = crate::broker::AmqpWatched::parse(pattern).map_err(|why| {
                    SettingsError(format!("[brokers.{name}] watch: `{pattern}`: {why}"))
                })?;
                match watched.key {
                    Some(key) => key,
                    None => continue,
                }
            } else {
                pattern.clone()
            };
            if let Some(why) = kind.rules().invalid(&key) {
                return Err(SettingsError(format!(
                    "[brokers.{name}] watch: `{pattern}` is not a {} pattern: {why}",
                    kind.name()
                )));
            }
        }
        if !broker.keys.is_empty() && kind != BrokerKind::Redis {
            return Err(SettingsError(format!(
                "[brokers.{name}] keys: only a Redis broker has keys to record and put back; this one is {}",
                kind.name()
            )));
        }
        for written in &broker.keys {
            let pattern = &crate::broker::with_worker(written, "1");
            if let Some(why) = BrokerKind::Redis.rules().invalid(pattern) {
                return Err(SettingsError(format!(
                    "[brokers.{name}] keys: `{pattern}` is not a Redis key pattern: {why}"
                )));
            }
        }
        brokers.insert(
            name.clone(),
            BrokerSettings {
                kind,
                url: broker.url.clone(),
                watch: broker.watch.clone(),
                allow_remote: broker.allow_remote,
                keys: broker.keys.clone(),
            },
        );
    }
    Ok(brokers)
}

/// `GET /health` (or just `/health`) → (method, path).
fn parse_ready(text: &str) -> Result<(String, String), SettingsError> {
    let mut words = text.split_whitespace();
    let (method, path) = match (words.next(), words.next(), words.next()) {
        (Some(path), None, None) if path.starts_with('/') => ("GET".to_string(), path.to_string()),
        (Some(method), Some(path), None)
            if path.starts_with('/') && method.chars().all(|c| c.is_ascii_uppercase()) =>
        {
            (method.to_string(), path.to_string())
        }
        _ => {
            return Err(SettingsError(format!(
                "[service] ready = \"{text}\" is not a request: write it like \"GET /health\""
            )));
        }
    };
    Ok((method, path))
}

/// A TOML value as JSON.
pub fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

impl Settings {
    /// The redaction of a run with these settings and `--var` values
    /// `vars`: what they hold that is secret is hidden in every case and
    /// in the run's own messages.
    pub fn redaction_for_run(&self, vars: &[(String, String)]) -> crate::redact::Redaction {
        let urls = self
            .database
            .iter()
            .map(|database| database.url.as_str())
            .chain(self.base_url.as_deref())
            .collect();
        let env = self
            .service
            .as_ref()
            .map_or(&[][..], |service| &service.env[..]);
        let vars = self
            .vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone(), None))
            .chain(
                vars.iter()
                    .map(|(name, text)| (name.as_str(), var_value(text), Some(text.as_str()))),
            )
            .collect();
        self.redaction.for_run(&crate::redact::RunValues {
            urls,
            headers: &self.headers,
            env,
            vars,
        })
    }
}

/// A `--var` value: JSON when it reads as a number, boolean or null, else text.
pub fn var_value(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => value,
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_requests() {
        assert_eq!(
            parse_ready("GET /health").unwrap(),
            ("GET".into(), "/health".into())
        );
        assert_eq!(
            parse_ready("/ready").unwrap(),
            ("GET".into(), "/ready".into())
        );
        assert!(parse_ready("health").is_err());
    }

    #[test]
    fn var_values() {
        assert_eq!(var_value("2"), Value::from(2));
        assert_eq!(var_value("true"), Value::Bool(true));
        assert_eq!(var_value("SKU-1"), Value::String("SKU-1".into()));
        assert_eq!(var_value("\"x\""), Value::String("\"x\"".into()));
    }

    fn settings() -> Settings {
        let loaded = Loaded {
            path: None,
            dir: std::env::temp_dir(),
            config: itspec_config::Config::default(),
        };
        let Ok(settings) = Settings::from_config(&loaded) else {
            unreachable!("the default configuration is valid")
        };
        settings
    }

    #[test]
    fn the_settings_give_away_the_database_password_and_hidden_values() {
        let mut settings = settings();
        settings.database = Some(DatabaseSettings::new(
            "postgres://app:pa%2Fss%3Fword@127.0.0.1/shop?sslpassword=ssl-secret",
        ));
        settings.base_url = Some("http://u:base-pass@127.0.0.1:8080".to_string());
        settings.headers = vec![
            (
                "Authorization".to_string(),
                "Bearer conf-token-1".to_string(),
            ),
            ("Accept".to_string(), "application/json".to_string()),
        ];
        settings.vars.insert(
            "stripe_key".to_string(),
            Value::String("sk-live-42".to_string()),
        );
        settings
            .vars
            .insert("currency".to_string(), Value::String("EURO".to_string()));
        let redaction = settings.redaction_for_run(&[
            ("session_token".to_string(), "cli-token-7".to_string()),
            ("sku".to_string(), "SKU-1234".to_string()),
        ]);
        let secrets = redaction.run_secrets();
        for wanted in [
            "pa%2Fss%3Fword",
            "pa/ss?word",
            "ssl-secret",
            "base-pass",
            "Bearer conf-token-1",
            "conf-token-1",
            "sk-live-42",
            "cli-token-7",
        ] {
            assert!(
                secrets.contains(&wanted.to_string()),
                "{wanted}: {secrets:?}"
            );
        }
        for kept in ["application/json", "EURO", "SKU-1234"] {
            assert!(!secrets.contains(&kept.to_string()), "{kept}: {secrets:?}");
        }
        // Every case of the run hides them too.
        let scope = crate::vars::Scope::new();
        assert!(
            redaction
                .secrets(&scope)
                .contains(&"pa/ss?word".to_string())
        );
    }

    /// A password that reaches the settings through `{{env.NAME}}` (from
    /// the environment or an env file) is hidden like one written there.
    #[test]
    fn secrets_read_through_env_variables_are_hidden() {
        let dir = tempfile::tempdir().unwrap_or_else(|_| unreachable!("a temporary folder"));
        let path = dir.path().join("itspec.toml");
        let written = std::fs::write(
            &path,
            "[service]\ncommand = \"x\"\nenv_file = \".env\"\n\n\
             [database]\nurl = \"postgresql+psycopg://app:{{env.DB_PASSWORD}}@127.0.0.1/app\"\n",
        )
        .and_then(|()| std::fs::write(dir.path().join(".env"), "API_TOKEN=tok-from-file-9\n"));
        assert!(written.is_ok());
        let overrides = itspec_config::Overrides::from_env([(
            "DB_PASSWORD".to_string(),
            "s3cret/pw".to_string(),
        )]);
        let Ok(loaded) = itspec_config::load_with(Some(&path), &overrides, dir.path()) else {
            unreachable!("the configuration is valid")
        };
        let Ok(settings) = Settings::from_config(&loaded) else {
            unreachable!("the settings are valid")
        };
        let redaction = settings.redaction_for_run(&[]);
        let hidden = redaction.hide_run_secrets(
            "cannot connect to postgresql+psycopg://app:s3cret/pw@127.0.0.1/app; s3cret/pw; tok-from-file-9",
        );
        assert!(!hidden.contains("s3cret"), "{hidden}");
        assert!(!hidden.contains("tok-from-file-9"), "{hidden}");
    }
}
