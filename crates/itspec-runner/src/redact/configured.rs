//! Where secrets come from besides variables: what a hidden header
//! carries (`Bearer abc` → `abc` too; each cookie's value), and what the
//! run's settings hold — the database URL's password, `[target] headers`,
//! `[service] env`, the base URL, `[vars]` and `--var` values named like
//! secrets.

use serde_json::Value;

use super::{Redaction, url};
use crate::settings::{Settings, var_value};

/// What a hidden header's value gives away: the value, and the part a
/// service may echo on its own — the credentials after an
/// `Authorization` scheme (`Bearer abc` → `abc`), each cookie's value.
pub fn header_secrets(name: &str, value: &str) -> Vec<String> {
    let value = value.trim();
    let mut found = vec![value.to_string()];
    let name = name.to_ascii_lowercase();
    if name == "cookie" || name == "set-cookie" {
        let pairs = value.split(';');
        // Set-Cookie: the cookie, then its attributes (`Path=/`).
        let pairs: Vec<&str> = if name == "set-cookie" {
            pairs.take(1).collect()
        } else {
            pairs.collect()
        };
        for pair in pairs {
            if let Some((_, cookie)) = pair.split_once('=') {
                found.push(cookie.trim().trim_matches('"').to_string());
            }
        }
    } else if let Some((_, credentials)) = value.split_once(char::is_whitespace) {
        found.push(credentials.trim().to_string());
    }
    found
}

impl Redaction {
    /// This redaction for a run with `settings` and `--var` values `vars`:
    /// what they hold that is secret is hidden in every case and in the
    /// run's own messages.
    pub fn for_run(&self, settings: &Settings, vars: &[(String, String)]) -> Redaction {
        let mut redaction = self.clone();
        redaction.configured = self.configured_secrets(settings, vars);
        redaction
    }

    /// Every secret of the run, in raw form: the configured ones and those
    /// of the environment.
    pub fn run_secrets(&self) -> Vec<String> {
        super::merged(self.configured.clone(), self.env.clone())
    }

    /// `text` with the run's secrets (in every form) and URL credentials
    /// hidden: for a message made after a case was redacted.
    pub fn hide_run_secrets(&self, text: &str) -> String {
        super::Finder::new(&self.run_secrets()).hidden(text)
    }

    fn configured_secrets(&self, settings: &Settings, vars: &[(String, String)]) -> Vec<String> {
        let mut found = self.configured.clone();
        if let Some(database) = &settings.database {
            in_urls(&database.url, &mut found);
        }
        if let Some(base_url) = &settings.base_url {
            in_urls(base_url, &mut found);
        }
        for (name, value) in &settings.headers {
            if self.hides_header(name) {
                found.extend(header_secrets(name, value));
            } else if self.hides_var(name) {
                found.push(value.clone());
            }
        }
        if let Some(service) = &settings.service {
            for (name, value) in &service.env {
                in_urls(value, &mut found);
                // A template is not the secret; what it becomes is found
                // where it comes from.
                if self.hides_var(name) && !value.contains("{{") {
                    found.push(value.clone());
                }
            }
        }
        for (name, value) in &settings.vars {
            self.collect(name, value, false, &mut found);
            if let Value::String(text) = value {
                in_urls(text, &mut found);
            }
        }
        for (name, value) in vars {
            self.collect(name, &var_value(value), false, &mut found);
            in_urls(value, &mut found);
        }
        super::merged(found, Vec::new())
    }
}

/// The credentials of the URLs in `text`, as written and decoded
/// (`pa%2Fss` is `pa/ss` to the service, which may print it so).
fn in_urls(text: &str, found: &mut Vec<String>) {
    for range in url::credentials(text) {
        if let Some(secret) = text.get(range) {
            found.push(secret.to_string());
            let decoded = percent_encoding::percent_decode_str(secret).decode_utf8_lossy();
            found.push(decoded.into_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DatabaseSettings;

    fn settings() -> Settings {
        let loaded = itspec_config::Loaded {
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
    fn a_header_gives_away_its_value_and_its_credentials() {
        assert_eq!(
            header_secrets("Authorization", "Bearer tok-123456"),
            vec!["Bearer tok-123456", "tok-123456"]
        );
        assert_eq!(
            header_secrets("cookie", "sid=abc12345; theme=dark-mode"),
            vec!["sid=abc12345; theme=dark-mode", "abc12345", "dark-mode"]
        );
        assert_eq!(
            header_secrets("Set-Cookie", "sid=\"abc12345\"; Path=/; HttpOnly"),
            vec!["sid=\"abc12345\"; Path=/; HttpOnly", "abc12345"]
        );
        assert_eq!(header_secrets("X-Api-Key", "k-1"), vec!["k-1"]);
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
        let redaction = Redaction::default().for_run(
            &settings,
            &[
                ("session_token".to_string(), "cli-token-7".to_string()),
                ("sku".to_string(), "SKU-1234".to_string()),
            ],
        );
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
        let redaction = Redaction::default().for_run(&settings, &[]);
        let hidden = redaction.hide_run_secrets(
            "cannot connect to postgresql+psycopg://app:s3cret/pw@127.0.0.1/app; s3cret/pw; tok-from-file-9",
        );
        assert!(!hidden.contains("s3cret"), "{hidden}");
        assert!(!hidden.contains("tok-from-file-9"), "{hidden}");
    }
}
