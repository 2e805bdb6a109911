//! The settings of `itspec.toml`, as documented in docs/config.md.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

use crate::duration::Duration;
use crate::size::Size;

/// The whole file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Default paths for `check`, `list` and `run`.
    #[serde(default)]
    pub specs: Vec<PathBuf>,
    /// Where requests go.
    #[serde(default)]
    pub target: Target,
    /// The service itspec starts and stops.
    pub service: Option<Service>,
    /// The service's database.
    pub database: Option<Database>,
    /// Mock servers by name.
    #[serde(default)]
    pub mocks: BTreeMap<String, MockConfig>,
    /// Message brokers the service publishes to, by name.
    #[serde(default)]
    pub brokers: BTreeMap<String, Broker>,
    /// The SMTP server itspec runs for the service.
    pub mail: Option<Mail>,
    /// How long message assertions wait.
    #[serde(default)]
    pub channels: ChannelWaits,
    /// Where error codes and messages are read from.
    #[serde(default)]
    pub errors: Errors,
    /// Concurrency cases.
    #[serde(default)]
    pub concurrency: Concurrency,
    /// Parallel workers.
    #[serde(default)]
    pub workers: Workers,
    /// Retries, and what a flaky case does to the exit code.
    #[serde(default)]
    pub run: Run,
    /// Variables for every spec.
    #[serde(default)]
    pub vars: BTreeMap<String, toml::Value>,
    /// What reports and logs hide.
    #[serde(default)]
    pub redact: Redact,
    /// The API contract.
    #[serde(default)]
    pub contract: ContractConfig,
    /// What itspec reads at most.
    #[serde(default)]
    pub limits: Limits,
}

/// `[limits]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The largest body itspec reads: of a response, and of a request a
    /// mock receives (default 16 MB).
    pub max_body: Option<Size>,
}

/// `[contract]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractConfig {
    /// An OpenAPI 3.0 or 3.1 document, YAML or JSON.
    pub openapi: Option<PathBuf>,
    /// What a status the contract does not document is: an error (the
    /// default) or a warning.
    pub undocumented_status: Option<Severity>,
}

/// How much a finding weighs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// It fails `check` and the case.
    #[default]
    Error,
    /// It is shown, and fails nothing.
    Warn,
}

/// `[redact]`: added to what is always hidden.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redact {
    /// More headers whose values are hidden.
    #[serde(default)]
    pub headers: Vec<String>,
    /// More variable-name patterns whose values are hidden.
    #[serde(default)]
    pub vars: Vec<String>,
}

/// `[target]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The base URL requests are sent to.
    pub base_url: Option<String>,
    /// Per-request timeout.
    pub timeout: Option<Duration>,
    /// Headers sent with every request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// `[service]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The command that starts the service.
    pub command: String,
    /// Its environment (with the env file's variables that the
    /// environment does not set, once loaded).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A dotenv file: its variables join the service's environment and
    /// `{{env.NAME}}`.
    pub env_file: Option<PathBuf>,
    /// Its port.
    #[serde(default)]
    pub port: Port,
    /// The request that answers 2xx once it is ready.
    pub ready: Option<String>,
    /// How long to wait for it.
    pub ready_timeout: Option<Duration>,
    /// How long to wait after SIGTERM before SIGKILL.
    pub stop_timeout: Option<Duration>,
}

/// `[mail]`: an SMTP server itspec starts on loopback for the service.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    /// Its port; `"auto"` (the default) picks a free one for each worker.
    #[serde(default)]
    pub port: Port,
}

/// A port: a number, or `"auto"` for a free loopback port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Port {
    /// Pick a free port.
    #[default]
    Auto,
    /// This port.
    Fixed(u16),
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u16),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(port) => Ok(Port::Fixed(port)),
            Raw::Text(text) if text == "auto" => Ok(Port::Auto),
            // `"{{env.PORT}}"`, once replaced.
            Raw::Text(text) => text.trim().parse().map(Port::Fixed).map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a port: write a number or \"auto\""
                ))
            }),
        }
    }
}

/// `[database]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite://…`, `postgres://…`, `mysql://…`.
    pub url: String,
    /// SQL applied to a fresh database.
    pub schema: Option<PathBuf>,
    /// Tables never tracked or written.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Allow writing to a database on another host.
    #[serde(default)]
    pub allow_remote: bool,
    /// Entity class → its table and defaults.
    #[serde(default)]
    pub entities: BTreeMap<String, Entity>,
    /// How long a restore waits for a database that stopped answering.
    pub reconnect_timeout: Option<Duration>,
}

/// `[database.entities.NAME]`, or `NAME = "table"` in `[database]
/// entities`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entity {
    /// Its table, when the default naming rule does not find it.
    pub table: Option<String>,
    /// Values of the fields a fixture row does not give.
    pub defaults: BTreeMap<String, toml::Value>,
}

impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            table: Option<String>,
            #[serde(default)]
            defaults: BTreeMap<String, toml::Value>,
        }
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(table) => Ok(Entity {
                table: Some(table),
                defaults: BTreeMap::new(),
            }),
            value @ toml::Value::Table(_) => {
                let full = Full::deserialize(value).map_err(|e| {
                    serde::de::Error::custom(format!("an entity: {}", e.message().trim()))
                })?;
                Ok(Entity {
                    table: full.table,
                    defaults: full.defaults,
                })
            }
            _ => Err(serde::de::Error::custom(
                "an entity is its table's name (`User = \"user\"`) or a table like \
                 `{ table = \"user\", defaults = { is_active = true } }`",
            )),
        }
    }
}

/// `[mocks.NAME]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockConfig {
    /// The port the mock listens on.
    #[serde(default)]
    pub port: Port,
    /// Calls no route matches do not fail the case.
    #[serde(default)]
    pub allow_unexpected: bool,
}

/// `[brokers.NAME]`: a message broker itspec watches.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Broker {
    /// Where it is; the scheme says which broker it is: `redis://`,
    /// `amqp://`, `nats://`, `mqtt://`.
    pub url: String,
    /// The topics observed during each case: channel patterns and stream
    /// names (Redis), exchanges (RabbitMQ), subjects (NATS), topic
    /// filters (MQTT).
    #[serde(default)]
    pub watch: Vec<String>,
    /// Redis: key patterns recorded before each case and put back after it.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Allow publishing to, and restoring keys on, a broker on another host.
    #[serde(default)]
    pub allow_remote: bool,
}

/// `[channels]`: how long assertions on messages wait.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelWaits {
    /// How long a `message … received` or `messages … count` waits for
    /// messages that make it hold (default 2 s).
    pub wait: Option<Duration>,
    /// How long `no messages` and `no side effects` wait after the case's
    /// last step for messages that come late (default 200 ms).
    pub quiet: Option<Duration>,
}

/// `[errors]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Errors {
    /// JSONPaths tried in order for `Error code:`.
    pub code: Option<Vec<String>>,
    /// JSONPaths tried in order for `Message contains:`.
    pub message: Option<Vec<String>>,
}

/// `[workers]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workers {
    /// Workers when `--jobs` is not given (default 1).
    pub jobs: Option<u32>,
    /// The cases do not interfere, so workers may share one service that
    /// itspec does not start.
    #[serde(default)]
    pub independent: bool,
}

/// `[run]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// How many times a case that did not pass runs again (default 0).
    pub retries: Option<u32>,
    /// Whether a flaky case fails the run (default) or passes it.
    pub flaky_result: Option<FlakyResult>,
}

/// What a flaky case makes of the run's exit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlakyResult {
    /// The run fails, as it would without retries.
    #[default]
    Fail,
    /// The run passes.
    Pass,
}

/// `[concurrency]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concurrency {
    /// Iterations of a concurrency case without `**Repeat:**`.
    pub iterations: Option<u32>,
    /// How a group's requests are let go together.
    pub release: Option<Release>,
}

/// `[concurrency] release`: how a group's requests are let go together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Release {
    /// Every request written but its final byte, then the final bytes
    /// together.
    #[default]
    LastByte,
    /// Every request written whole at the release.
    Whole,
}
