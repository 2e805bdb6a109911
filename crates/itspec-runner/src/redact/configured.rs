//! Where secrets come from besides variables: what a hidden header
//! carries (`Bearer abc` → `abc` too; each cookie's value), and what the
//! run's settings hold — the database URL's password, `[target] headers`,
//! `[service] env`, the base URL, `[vars]` and `--var` values named like
//! secrets. The settings hand their values over as [`RunValues`].

use serde_json::Value;

use super::{Redaction, url};

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

/// What a run's settings hold that may be secret.
#[derive(Debug, Default)]
pub struct RunValues<'a> {
    /// URLs whose credentials are secret: the database's, the base URL.
    pub urls: Vec<&'a str>,
    /// `[target] headers`.
    pub headers: &'a [(String, String)],
    /// `[service] env`.
    pub env: &'a [(String, String)],
    /// `[vars]`, then each `--var`: its name, its value and the text it
    /// was given as on the command line.
    pub vars: Vec<(&'a str, Value, Option<&'a str>)>,
}

impl Redaction {
    /// This redaction for a run whose settings and `--var`s hold `values`:
    /// what they hold that is secret is hidden in every case and in the
    /// run's own messages.
    pub fn for_run(&self, values: &RunValues<'_>) -> Redaction {
        let mut redaction = self.clone();
        redaction.configured = self.configured_secrets(values);
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

    fn configured_secrets(&self, values: &RunValues<'_>) -> Vec<String> {
        let mut found = self.configured.clone();
        for url in &values.urls {
            in_urls(url, &mut found);
        }
        for (name, value) in values.headers {
            if self.hides_header(name) {
                found.extend(header_secrets(name, value));
            } else if self.hides_var(name) {
                found.push(value.clone());
            }
        }
        for (name, value) in values.env {
            in_urls(value, &mut found);
            // A template is not the secret; what it becomes is found where
            // it comes from.
            if self.hides_var(name) && !value.contains("{{") {
                found.push(value.clone());
            }
        }
        for (name, value, given) in &values.vars {
            self.collect(name, value, false, &mut found);
            let text = match (given, value) {
                (Some(text), _) => Some(*text),
                (None, Value::String(text)) => Some(text.as_str()),
                _ => None,
            };
            if let Some(text) = text {
                in_urls(text, &mut found);
            }
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
}
