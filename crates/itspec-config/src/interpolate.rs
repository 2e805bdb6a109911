//! `{{…}}` in the settings of `itspec.toml`.
//!
//! `{{env.NAME}}` is replaced when the file is read, in every string
//! setting, from the environment and then the env file (`[service]
//! env_file`, `--env-file`): the environment wins, as with docker compose
//! and python-dotenv. The variables of a running environment —
//! `{{service.port}}`, `{{service.url}}`, `{{database.url}}`,
//! `{{mocks.NAME.url}}`, `{{mocks.NAME.port}}`, `{{vars.NAME}}` — are
//! only checked here (each names something that will exist) and replaced
//! when the environment starts, in the settings that can know them:
//! `target.base_url`, `[target] headers`, `[service] command` and
//! `[service] env`. Anything else is an error naming the setting.
//!
//! In `[service] command` every inserted value is shell-quoted for where it
//! lands: outside quotes a value that is not a plain word is put in single
//! quotes, inside single quotes its `'` are escaped, inside double quotes
//! its `"`, `\`, `$` and `` ` ``; the shell always sees the value, never
//! runs it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use itspec_spec::interpolation::find;

/// How an inserted value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// As it is.
    None,
    /// Shell-quoted for the place of `sh -c` text it lands in.
    Shell,
}

/// `text` with each terminated `{{…}}` for which `lookup` gives a value
/// replaced by it (quoted as `quoting` says); the others are left as they
/// are.
pub fn substitute<E>(
    text: &str,
    quoting: Quoting,
    mut lookup: impl FnMut(&str) -> Option<Result<String, E>>,
) -> Result<String, E> {
    let found = find(text);
    if found.is_empty() {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut shell = ShellState::Outside;
    for variable in found {
        if !variable.terminated {
            continue;
        }
        let Some(value) = lookup(variable.name(text)) else {
            continue;
        };
        let value = value?;
        let before = text.get(last..variable.start).unwrap_or("");
        shell = shell.after(before);
        out.push_str(before);
        match quoting {
            Quoting::None => out.push_str(&value),
            Quoting::Shell => out.push_str(&shell.quote(&value)),
        }
        last = variable.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    Ok(out)
}

/// Where a point of `sh -c` text is: outside quotes, or inside single or
/// double quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ShellState {
    Outside,
    Single,
    Double,
}

impl ShellState {
    /// The state after `text`.
    fn after(self, text: &str) -> Self {
        let mut state = self;
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            state = match (state, c) {
                (ShellState::Outside, '\\') | (ShellState::Double, '\\') => {
                    chars.next();
                    state
                }
                (ShellState::Outside, '\'') => ShellState::Single,
                (ShellState::Outside, '"') => ShellState::Double,
                (ShellState::Single, '\'') | (ShellState::Double, '"') => ShellState::Outside,
                _ => state,
            };
        }
        state
    }

    /// `value` written so the shell reads it back as it is, here.
    fn quote(self, value: &str) -> String {
        match self {
            ShellState::Outside => {
                let plain = !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
                if plain {
                    value.to_string()
                } else {
                    format!("'{}'", value.replace('\'', r"'\''"))
                }
            }
            ShellState::Single => value.replace('\'', r"'\''"),
            ShellState::Double => {
                let mut out = String::with_capacity(value.len());
                for c in value.chars() {
                    if matches!(c, '"' | '\\' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out
            }
        }
    }
}

/// Where `{{env.NAME}}` finds its value.
#[derive(Clone, Default)]
pub(crate) struct EnvSource {
    /// The environment.
    pub process: BTreeMap<String, String>,
    /// The env file, as shown in messages, and its variables.
    pub file: Option<(String, BTreeMap<String, String>)>,
}

impl EnvSource {
    fn get(&self, name: &str) -> Option<&str> {
        self.process
            .get(name)
            .or_else(|| self.file.as_ref().and_then(|(_, vars)| vars.get(name)))
            .map(String::as_str)
    }

    /// The env file's variables the environment does not set.
    pub fn file_only(&self) -> Vec<(String, String)> {
        self.file
            .iter()
            .flat_map(|(_, vars)| vars)
            .filter(|(name, _)| !self.process.contains_key(*name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }
}

/// Reads a dotenv file.
pub(crate) fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let iter = dotenvy::from_path_iter(path).map_err(|e| describe_dotenv(&e))?;
    let mut vars = BTreeMap::new();
    for item in iter {
        let (name, value) = item.map_err(|e| describe_dotenv(&e))?;
        vars.insert(name, value);
    }
    Ok(vars)
}

fn describe_dotenv(error: &dotenvy::Error) -> String {
    match error {
        dotenvy::Error::Io(io) => format!("cannot read it: {io}"),
        dotenvy::Error::LineParse(line, at) => {
            format!("line `{line}` is not NAME=VALUE (at character {at})")
        }
        other => other.to_string(),
    }
}

/// A `{{…}}` that cannot be used where it is written.
#[derive(Debug)]
pub(crate) struct Problem {
    /// The setting, as shown: `[service] command`.
    pub setting: String,
    /// The placeholder as written, braces included.
    pub written: String,
    /// What is wrong, after "uses {{…}}, ".
    pub message: String,
}

/// What a setting may hold besides `{{env.NAME}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Allowed {
    /// The variables of the running environment.
    Environment,
    /// Anything: read later by what uses the setting (`[vars]`, entity
    /// defaults with `{{uuid}}`), or not a template at all.
    Later,
    /// `{{worker}}`, kept for the worker to replace: what a broker
    /// watches and tracks, so that each worker has topics and keys of its
    /// own.
    Worker,
    /// Nothing else.
    EnvOnly,
}

fn allowed(path: &[String]) -> Allowed {
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    match keys.as_slice() {
        ["target", "base_url"]
        | ["target", "headers", ..]
        | ["service", "command"]
        | ["service", "env", ..] => Allowed::Environment,
        ["vars", ..]
        | ["errors", ..]
        | ["redact", ..]
        | ["database", "entities", _, "defaults", ..] => Allowed::Later,
        ["brokers", _, "watch" | "keys", ..] => Allowed::Worker,
        _ => Allowed::EnvOnly,
    }
}

/// A setting's name for messages: `[service] command`, `specs`,
/// `[mocks.payments] port`, `[database.entities.User] defaults.id`.
pub(crate) fn setting_name(path: &[String]) -> String {
    let section_len = match path.first().map(String::as_str) {
        _ if path.len() <= 1 => 0,
        Some("mocks" | "brokers") => 2,
        Some("database") if path.get(1).map(String::as_str) == Some("entities") => 3,
        _ => 1,
    };
    let section_len = section_len.min(path.len().saturating_sub(1));
    let key = path.get(section_len..).unwrap_or(&[]).join(".");
    if section_len == 0 {
        key
    } else {
        format!(
            "[{}] {key}",
            path.get(..section_len).unwrap_or(&[]).join(".")
        )
    }
}

/// What the variables of the running environment can name.
struct Known {
    service: bool,
    database: bool,
    mail: bool,
    vars: BTreeSet<String>,
    brokers: BTreeSet<String>,
}

const RUNTIME_FORMS: &str = "{{service.port}}, {{service.url}}, {{database.url}}, \
     {{mocks.NAME.url}}, {{mocks.NAME.port}}, {{brokers.NAME.url}}, {{mail.host}}, {{mail.port}}, \
     {{mail.url}}, {{worker}}, {{vars.NAME}} or {{env.NAME}}";

/// Replaces `{{env.NAME}}` in every string of `table` and checks the other
/// placeholders; the first problem found.
pub(crate) fn resolve(table: &mut toml::Table, env: &EnvSource) -> Result<(), Problem> {
    let known = Known {
        service: table.get("service").is_some_and(toml::Value::is_table),
        database: table.get("database").is_some_and(toml::Value::is_table),
        mail: table.get("mail").is_some_and(toml::Value::is_table),
        vars: table
            .get("vars")
            .and_then(toml::Value::as_table)
            .map(|vars| vars.keys().cloned().collect())
            .unwrap_or_default(),
        brokers: table
            .get("brokers")
            .and_then(toml::Value::as_table)
            .map(|brokers| brokers.keys().cloned().collect())
            .unwrap_or_default(),
    };
    let mut path = Vec::new();
    for (key, value) in table.iter_mut() {
        path.push(key.clone());
        resolve_value(value, &mut path, env, &known)?;
        path.pop();
    }
    Ok(())
}

fn resolve_value(
    value: &mut toml::Value,
    path: &mut Vec<String>,
    env: &EnvSource,
    known: &Known,
) -> Result<(), Problem> {
    match value {
        toml::Value::String(text) => {
            *text = resolve_text(text, path, env, known)?;
        }
        toml::Value::Array(items) => {
            for item in items {
                resolve_value(item, path, env, known)?;
            }
        }
        toml::Value::Table(table) => {
            for (key, value) in table.iter_mut() {
                path.push(key.clone());
                resolve_value(value, path, env, known)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

fn resolve_text(
    text: &str,
    path: &[String],
    env: &EnvSource,
    known: &Known,
) -> Result<String, Problem> {
    let allowed = allowed(path);
    let quoting = if path == ["service", "command"] {
        Quoting::Shell
    } else {
        Quoting::None
    };
    let problem = |name: &str, message: String| Problem {
        setting: setting_name(path),
        written: format!("{{{{{name}}}}}"),
        message,
    };
    substitute(text, quoting, |name| {
        if let Some(variable) = name.strip_prefix("env.") {
            let variable = variable.trim();
            return Some(match env.get(variable) {
                Some(value) => Ok(value.to_string()),
                None => Err(problem(
                    name,
                    match &env.file {
                        Some((file, _)) => {
                            format!("which is not set: export {variable} or add it to {file}")
                        }
                        None => format!(
                            "which is not set: export {variable}, or add it to an env file ([service] env_file or --env-file)"
                        ),
                    },
                )),
            });
        }
        let checked = match allowed {
            Allowed::Later => Ok(()),
            Allowed::EnvOnly => Err(format!(
                "which is not known there: {} can use only {{{{env.NAME}}}}",
                setting_name(path)
            )),
            Allowed::Environment => runtime_name(name, known),
            Allowed::Worker if name.trim() == "worker" => Ok(()),
            Allowed::Worker => Err(format!(
                "which is not known there: {} can use {{{{worker}}}} (each worker's own topics and keys) and {{{{env.NAME}}}}",
                setting_name(path)
            )),
        };
        checked.err().map(|message| Err(problem(name, message)))
    })
}

/// Whether `name` is a variable of the running environment.
fn runtime_name(name: &str, known: &Known) -> Result<(), String> {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["service", "port" | "url"] if known.service => Ok(()),
        ["service", "port" | "url"] => Err(
            "but there is no [service]: itspec knows the service's port only when it starts it"
                .to_string(),
        ),
        ["database", "url"] if known.database => Ok(()),
        ["database", "url"] => Err("but there is no [database]".to_string()),
        ["mocks", mock, "url" | "port"] if !mock.is_empty() => Ok(()),
        ["brokers", broker, "url"] if known.brokers.contains(*broker) => Ok(()),
        ["brokers", broker, "url"] => Err(format!("but there is no [brokers.{broker}]")),
        ["worker"] => Ok(()),
        ["mail", "host" | "port" | "url"] if known.mail => Ok(()),
        ["mail", "host" | "port" | "url"] => {
            Err("but there is no [mail]: add `[mail]` so itspec runs an SMTP server".to_string())
        }
        ["vars", var, ..] => {
            let root = var.split('[').next().unwrap_or(var);
            if known.vars.contains(root) {
                Ok(())
            } else {
                Err(format!("but [vars] has no `{root}`"))
            }
        }
        _ => Err(format!(
            "which is not a variable of itspec.toml: use {RUNTIME_FORMS}"
        )),
    }
}

/// The mocks that the settings' `{{mocks.NAME.…}}` name, with the setting
/// that names each: for `itspec check`, which knows the specs' mocks too.
pub fn mocks_named(config: &crate::Config) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut look = |setting: String, text: &str| {
        for variable in find(text) {
            let name = variable.name(text);
            let parts: Vec<&str> = name.split('.').collect();
            if let ["mocks", mock, _] = parts.as_slice() {
                out.push((setting.clone(), (*mock).to_string()));
            }
        }
    };
    if let Some(url) = &config.target.base_url {
        look("[target] base_url".to_string(), url);
    }
    for (name, value) in &config.target.headers {
        look(format!("[target] headers.{name}"), value);
    }
    if let Some(service) = &config.service {
        look("[service] command".to_string(), &service.command);
        for (name, value) in &service.env {
            look(format!("[service] env.{name}"), value);
        }
    }
    out
}

/// The env file of a run: `--env-file` (against the current folder), else
/// `[service] env_file` (against the file's folder).
pub(crate) fn env_file_path(
    table: &toml::Table,
    flag: Option<&Path>,
    cwd: &Path,
    dir: &Path,
) -> Option<(String, PathBuf)> {
    if let Some(flag) = flag {
        return Some(("--env-file".to_string(), cwd.join(flag)));
    }
    let written = table
        .get("service")
        .and_then(|service| service.get("env_file"))
        .and_then(toml::Value::as_str)?;
    Some(("[service] env_file".to_string(), dir.join(written)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(text: &str, value: &str) -> String {
        substitute::<()>(text, Quoting::Shell, |_| Some(Ok(value.to_string()))).unwrap()
    }

    #[test]
    fn plain_words_stay_bare_and_the_rest_is_quoted() {
        assert_eq!(shell("serve --port {{p}}", "8123"), "serve --port 8123");
        assert_eq!(
            shell("{{v}}/bin/uvicorn app:app", "/home/a/.venv"),
            "/home/a/.venv/bin/uvicorn app:app"
        );
        assert_eq!(
            shell("run --db {{u}}", "postgres://u@h/db?a=1&b=2"),
            "run --db 'postgres://u@h/db?a=1&b=2'"
        );
        assert_eq!(
            shell("echo {{v}}", "it's; rm -rf /"),
            r"echo 'it'\''s; rm -rf /'"
        );
        assert_eq!(shell("echo {{v}}", ""), "echo ''");
    }

    #[test]
    fn values_inside_quotes_are_escaped_for_those_quotes() {
        assert_eq!(shell("echo '{{v}}'", "a'b c"), r"echo 'a'\''b c'");
        assert_eq!(
            shell("echo \"{{v}}\"", "a\"b $HOME `x` \\"),
            r#"echo "a\"b \$HOME \`x\` \\""#
        );
        // A quote escaped outside quotes opens nothing.
        assert_eq!(shell(r"echo \' {{v}}", "a b"), r"echo \' 'a b'");
    }

    #[test]
    fn the_shell_reads_back_what_was_inserted() {
        for value in [
            "a b", "x'y", "$(id)", "`id`", "a\"b\\c", "p&q;r|s", "~/x", "*",
        ] {
            for template in ["{{v}}", "'{{v}}'", "\"{{v}}\"", "pre{{v}}post"] {
                let command = format!("printf %s {}", shell(template, value));
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&command)
                    .output()
                    .unwrap();
                let expected = template.replace(['\'', '"'], "").replace("{{v}}", value);
                assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{command}");
            }
        }
    }

    #[test]
    fn setting_names() {
        let name =
            |keys: &[&str]| setting_name(&keys.iter().map(|k| k.to_string()).collect::<Vec<_>>());
        assert_eq!(name(&["service", "command"]), "[service] command");
        assert_eq!(name(&["specs"]), "specs");
        assert_eq!(
            name(&["mocks", "payments", "port"]),
            "[mocks.payments] port"
        );
        assert_eq!(
            name(&["database", "entities", "User", "defaults", "id"]),
            "[database.entities.User] defaults.id"
        );
        assert_eq!(name(&["service", "env", "DB"]), "[service] env.DB");
    }
}
