//! Settings overridden from outside the file: `ITSPEC_…` environment
//! variables and `--set path=value` flags (flags win over the environment,
//! the environment over the file).

use crate::ConfigError;

/// The prefix of environment variables that override settings.
pub const ENV_PREFIX: &str = "ITSPEC_";

/// Settings that an environment variable can override: `target.timeout` is
/// `ITSPEC_TARGET_TIMEOUT`. `ITSPEC_VAR_<name>` sets `[vars] <name>`.
const ENV_SETTINGS: &[&str] = &[
    "target.base_url",
    "target.timeout",
    "service.command",
    "service.port",
    "service.ready",
    "service.ready_timeout",
    "service.stop_timeout",
    "service.env_file",
    "database.url",
    "database.schema",
    "database.allow_remote",
    "concurrency.iterations",
    "workers.jobs",
    "workers.independent",
    "run.retries",
    "run.flaky_result",
    "limits.max_body",
    "contract.openapi",
    "contract.undocumented_status",
];

/// One override: a dotted setting path and its value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// `target.timeout`, `mocks.payments.port`, `vars.currency`.
    pub path: String,
    /// The value as written; read as TOML when it is TOML (`8080`, `true`,
    /// `["a"]`), else as a string.
    pub value: String,
    /// Where it came from, for messages.
    pub origin: String,
}

/// The overrides of a run, in the order they apply, and where
/// `{{env.NAME}}` finds its values.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// The overrides.
    pub entries: Vec<Override>,
    /// The environment `{{env.NAME}}` reads (`None`: the process's).
    pub environment: Option<Environment>,
    /// `--env-file`: a dotenv file read instead of `[service] env_file`,
    /// relative to the current folder.
    pub env_file: Option<std::path::PathBuf>,
}

/// Environment variables, never shown by `Debug` (they hold secrets).
#[derive(Clone, Default)]
pub struct Environment(pub std::collections::BTreeMap<String, String>);

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Environment({} variables)", self.0.len())
    }
}

impl Overrides {
    /// The overrides found among environment variables.
    /// The variables are also the environment `{{env.NAME}}` reads.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut entries = Vec::new();
        let mut environment = std::collections::BTreeMap::new();
        for (name, value) in vars {
            environment.insert(name.clone(), value.clone());
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let path = if let Some(var) = rest.strip_prefix("VAR_") {
                format!("vars.{var}")
            } else if let Some(setting) = ENV_SETTINGS
                .iter()
                .find(|setting| setting.replace('.', "_").eq_ignore_ascii_case(rest))
            {
                (*setting).to_string()
            } else {
                continue;
            };
            entries.push(Override {
                path,
                value,
                origin: name,
            });
        }
        entries.sort_by(|a, b| a.origin.cmp(&b.origin));
        Self {
            entries,
            environment: Some(Environment(environment)),
            env_file: None,
        }
    }

    /// Adds a `--set path=value` flag.
    pub fn push_flag(&mut self, path: &str, value: &str) {
        self.entries.push(Override {
            path: path.to_string(),
            value: value.to_string(),
            origin: format!("--set {path}"),
        });
    }

    /// The origins, for a message about the whole set.
    pub(crate) fn origins(&self) -> String {
        self.entries
            .iter()
            .map(|e| e.origin.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Override {
    /// Writes the value into the configuration table.
    pub(crate) fn apply(&self, table: &mut toml::Table) -> Result<(), ConfigError> {
        let error = |message: String| ConfigError::Override {
            origin: self.origin.clone(),
            message,
        };
        let mut keys: Vec<&str> = self.path.split('.').collect();
        let Some(last) = keys.pop().filter(|k| !k.is_empty()) else {
            return Err(error(format!(
                "`{}` is not a setting path like `target.timeout`",
                self.path
            )));
        };
        let mut current = table;
        let mut walked = Vec::new();
        for key in keys {
            let entry = current
                .entry(key.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            walked.push(key);
            // `User = "user"` is `[database.entities.User] table = "user"`.
            if let (["database", "entities", _], toml::Value::String(table)) =
                (walked.as_slice(), &*entry)
            {
                let mut full = toml::Table::new();
                full.insert("table".to_string(), toml::Value::String(table.clone()));
                *entry = toml::Value::Table(full);
            }
            current = match entry {
                toml::Value::Table(inner) => inner,
                _ => {
                    return Err(error(format!(
                        "`{key}` is not a section, so `{}` cannot be set",
                        self.path
                    )));
                }
            };
        }
        current.insert(last.to_string(), value(&self.value));
        Ok(())
    }
}

/// `8080` → an integer, `true` → a boolean, anything that is not TOML → a string.
fn value(text: &str) -> toml::Value {
    let document = format!("v = {text}");
    match toml::from_str::<toml::Table>(&document) {
        Ok(mut table) => table
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(text.to_string())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Port, load_with};

    fn env(pairs: &[(&str, &str)]) -> Overrides {
        Overrides::from_env(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn environment_names_map_to_settings() {
        let overrides = env(&[
            ("ITSPEC_TARGET_BASE_URL", "http://127.0.0.1:9"),
            ("ITSPEC_SERVICE_PORT", "8080"),
            ("ITSPEC_VAR_currency", "USD"),
            ("ITSPEC_LIMITS_MAX_BODY", "1 MB"),
            ("ITSPEC_UNKNOWN", "x"),
            ("HOME", "/root"),
        ]);
        let paths: Vec<_> = overrides.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "limits.max_body",
                "service.port",
                "target.base_url",
                "vars.currency"
            ]
        );
    }

    #[test]
    fn flags_win_over_the_environment_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("itspec.toml");
        std::fs::write(&path, "[target]\nbase_url = \"http://file\"\ntimeout = \"1s\"\n\n[service]\ncommand = \"x\"\n").unwrap();
        let mut overrides = env(&[
            ("ITSPEC_TARGET_BASE_URL", "http://env"),
            ("ITSPEC_TARGET_TIMEOUT", "2s"),
        ]);
        overrides.push_flag("target.base_url", "http://flag");
        overrides.push_flag("service.port", "9000");
        overrides.push_flag("mocks.payments.port", "auto");
        overrides.push_flag("limits.max_body", "64 MB");
        let loaded = load_with(Some(&path), &overrides, dir.path()).unwrap();
        assert_eq!(
            loaded.config.target.base_url.as_deref(),
            Some("http://flag")
        );
        assert_eq!(
            loaded.config.target.timeout.map(|d| d.millis()),
            Some(2_000)
        );
        assert_eq!(loaded.config.service.unwrap().port, Port::Fixed(9000));
        assert_eq!(
            loaded.config.limits.max_body.map(|s| s.bytes()),
            Some(64_000_000)
        );
        assert_eq!(
            loaded.config.mocks.get("payments").map(|m| m.port),
            Some(Port::Auto)
        );
    }

    #[test]
    fn a_bad_override_names_its_origin() {
        let error = load_with(
            None,
            &env(&[("ITSPEC_TARGET_TIMEOUT", "soon")]),
            std::path::Path::new("."),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("ITSPEC_TARGET_TIMEOUT: "), "{message}");
        assert!(message.contains("`soon` is not a duration"), "{message}");
    }

    #[test]
    fn without_a_file_the_current_folder_is_the_base() {
        let loaded = load_with(
            None,
            &Overrides::default(),
            std::path::Path::new("/somewhere"),
        )
        .unwrap();
        assert_eq!(loaded.dir, std::path::PathBuf::from("/somewhere"));
        assert!(loaded.path.is_none());
    }
}
