//! Secrets kept out of every report and log: the values of credential
//! headers (`Authorization`, `Proxy-Authorization`, `Cookie`,
//! `Set-Cookie`, and those `[redact] headers` names), passwords in URLs,
//! and every occurrence of the value of a variable — configured, passed
//! with `--var`, captured, or from the environment — whose name looks like
//! a secret (`*token*`, `*secret*`, `*password*`, and `[redact] vars`).
//!
//! A case's result is redacted once it is complete, before anything prints
//! or stores it, so the console, JUnit, JSON, HTML and GitHub outputs all
//! see the same redacted result.

use globset::{GlobBuilder, GlobMatcher};
use serde_json::Value;

use crate::results::{CaseResult, Evidence, Exchange, Outcome, ResponseRecord, Verdict};
use crate::vars::Scope;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Headers whose values are always hidden.
pub const HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Variable names whose values are always hidden.
pub const VARS: [&str; 3] = ["*token*", "*secret*", "*password*"];

/// Values shorter than this are not searched for: hiding every `1` of a
/// report would hide nothing and garble everything.
const SHORTEST: usize = 4;

/// What to hide.
#[derive(Clone, Debug)]
pub struct Redaction {
    headers: Vec<String>,
    vars: Vec<GlobMatcher>,
    /// The values of the environment variables named like secrets, read
    /// once.
    env: Vec<String>,
}

impl Default for Redaction {
    fn default() -> Self {
        Redaction::new(&[], &[]).unwrap_or(Redaction {
            headers: Vec::new(),
            vars: Vec::new(),
            env: Vec::new(),
        })
    }
}

impl Redaction {
    /// The defaults plus more header names and variable-name globs.
    pub fn new(headers: &[String], vars: &[String]) -> Result<Redaction, String> {
        let headers = HEADERS
            .iter()
            .map(|h| (*h).to_string())
            .chain(headers.iter().map(|h| h.to_ascii_lowercase()))
            .collect();
        let vars = VARS
            .iter()
            .map(|v| (*v).to_string())
            .chain(vars.iter().cloned())
            .map(|pattern| {
                GlobBuilder::new(&pattern)
                    .case_insensitive(true)
                    .build()
                    .map(|g| g.compile_matcher())
                    .map_err(|e| format!("[redact] vars: `{pattern}` is not a pattern: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let env = std::env::vars()
            .filter(|(name, _)| vars.iter().any(|g| g.is_match(name)))
            .map(|(_, value)| value)
            .collect();
        Ok(Redaction { headers, vars, env })
    }

    /// Whether a header's value is hidden.
    pub fn hides_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether a variable's value is hidden.
    pub fn hides_var(&self, name: &str) -> bool {
        self.vars.iter().any(|g| g.is_match(name))
    }

    /// The secret values in `scope` and in the environment, longest first
    /// (so that a secret containing another is hidden whole).
    pub fn secrets(&self, scope: &Scope) -> Vec<String> {
        self.secrets_with(scope, std::iter::empty())
    }

    /// [`Redaction::secrets`], and what `responses` hold under secret
    /// names: a header like `X-Auth-Token`, a body field like `token`.
    pub fn secrets_with<'r>(
        &self,
        scope: &Scope,
        responses: impl Iterator<Item = &'r ResponseRecord>,
    ) -> Vec<String> {
        let mut found = Vec::new();
        for (name, value) in scope.entries() {
            self.collect(name, value, false, &mut found);
        }
        for response in responses {
            for (name, value) in &response.headers {
                if self.hides_var(name) {
                    found.push(value.clone());
                }
            }
            if let Some(body) = &response.json {
                self.collect("body", body, false, &mut found);
            }
        }
        found.extend(self.env.iter().cloned());
        merged(found, Vec::new())
    }

    fn collect(&self, name: &str, value: &Value, hidden: bool, found: &mut Vec<String>) {
        let hidden = hidden || self.hides_var(name);
        match value {
            Value::Object(fields) => {
                for (key, field) in fields {
                    self.collect(key, field, hidden, found);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.collect(name, item, hidden, found);
                }
            }
            Value::String(text) if hidden => found.push(text.clone()),
            Value::Number(number) if hidden => found.push(number.to_string()),
            _ => {}
        }
    }

    /// Hides the secrets in a case's result.
    pub fn case(&self, case: &mut CaseResult, secrets: &[String]) {
        let text = |s: &mut String| hide(s, secrets);
        for exchange in &mut case.exchanges {
            self.exchange(exchange, secrets);
        }
        for check in &mut case.checks {
            text(&mut check.text);
            match &mut check.verdict {
                Verdict::Failed { message, evidence } => {
                    text(message);
                    evidence_text(evidence, secrets);
                }
                Verdict::Unverified { reason } => text(reason),
                Verdict::Passed => {}
            }
        }
        for calls in case.mock_calls.values_mut() {
            for call in calls {
                text(&mut call.path);
                if let Some(query) = &mut call.query {
                    text(query);
                }
                self.headers(&mut call.headers, secrets);
                text(&mut call.body);
                if let Some(json) = &mut call.json {
                    value(json, secrets);
                }
            }
        }
        if let Outcome::Skipped { reason } = &mut case.outcome {
            text(reason);
        }
    }

    fn exchange(&self, exchange: &mut Exchange, secrets: &[String]) {
        let request = &mut exchange.request;
        if let Some(url) = url_password(&request.url) {
            request.url = url;
        }
        hide(&mut request.url, secrets);
        self.headers(&mut request.headers, secrets);
        if let Some(body) = &mut request.body {
            hide(body, secrets);
        }
        if let Some(response) = &mut exchange.response {
            self.headers(&mut response.headers, secrets);
            hide(&mut response.body, secrets);
            if let Some(json) = &mut response.json {
                value(json, secrets);
            }
        }
        if let Some(error) = &mut exchange.error {
            if let Some(hidden) = url_password(error) {
                *error = hidden;
            }
            hide(error, secrets);
        }
    }

    fn headers(&self, headers: &mut [(String, String)], secrets: &[String]) {
        for (name, value) in headers {
            if self.hides_header(name) {
                *value = REDACTED.to_string();
            } else {
                hide(value, secrets);
            }
        }
    }
}

fn evidence_text(evidence: &mut Evidence, secrets: &[String]) {
    for text in evidence
        .expected
        .iter_mut()
        .chain(evidence.actual.iter_mut())
        .chain(evidence.diff_title.iter_mut())
        .chain(evidence.notes.iter_mut())
    {
        hide(text, secrets);
    }
    for mismatch in &mut evidence.mismatches {
        hide(&mut mismatch.path, secrets);
        hide(&mut mismatch.expected, secrets);
        hide(&mut mismatch.actual, secrets);
    }
    for line in &mut evidence.diff {
        hide(&mut line.text, secrets);
    }
}

/// Two lists of secrets as one, in the order [`hide`] wants: longest
/// first (a secret containing another is hidden whole), each once, none
/// too short to mean anything.
pub fn merged(mut secrets: Vec<String>, more: Vec<String>) -> Vec<String> {
    secrets.extend(more);
    secrets.retain(|s| s.chars().count() >= SHORTEST);
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
    secrets
}

/// Replaces every occurrence of each secret in `text`.
pub fn hide(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), REDACTED);
        }
    }
}

fn value(json: &mut Value, secrets: &[String]) {
    match json {
        Value::String(text) => hide(text, secrets),
        Value::Array(items) => items.iter_mut().for_each(|item| value(item, secrets)),
        Value::Object(fields) => fields.values_mut().for_each(|field| value(field, secrets)),
        _ => {}
    }
}

/// `scheme://user:password@host/…` with the password hidden; `None` when
/// the text has no password in a URL.
pub fn url_password(text: &str) -> Option<String> {
    let rest_start = text.find("://")? + 3;
    let rest = text.get(rest_start..)?;
    let authority = rest.get(..rest.find(['/', '?', '#']).unwrap_or(rest.len()))?;
    let at = authority.rfind('@')?;
    let colon = authority.get(..at)?.find(':')?;
    let head = text.get(..rest_start + colon + 1)?;
    let tail = text.get(rest_start + at..)?;
    Some(format!("{head}{REDACTED}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            url_password("postgres://app:s3cret@db:5432/shop?x=1").as_deref(),
            Some("postgres://app:[redacted]@db:5432/shop?x=1")
        );
        assert_eq!(url_password("http://user@host/a:b@c"), None);
        assert_eq!(url_password("no url here"), None);
        assert_eq!(
            url_password("http://a:b@h/p and more").as_deref(),
            Some("http://a:[redacted]@h/p and more")
        );
    }

    #[test]
    fn secret_variables_are_found_by_name_nested_and_configured() {
        let redaction = Redaction::new(&["X-Api-Key".into()], &["*apikey*".into()]).unwrap();
        let mut scope = Scope::new();
        scope.set("auth_token", Value::String("tok-123456".into()));
        scope.set("DB_Password", Value::from(987_654));
        scope.set(
            "login",
            serde_json::json!({ "user": "ada", "session": { "secretKey": "sk-abcdef" } }),
        );
        scope.set("stripeApiKey", Value::String("pk-live-1".into()));
        scope.set("short_token", Value::String("abc".into()));
        scope.set("price", Value::String("12500".into()));
        let secrets = redaction.secrets(&scope);
        for wanted in ["tok-123456", "987654", "sk-abcdef", "pk-live-1"] {
            assert!(
                secrets.contains(&wanted.to_string()),
                "{wanted}: {secrets:?}"
            );
        }
        for kept in ["ada", "abc", "12500"] {
            assert!(!secrets.contains(&kept.to_string()), "{kept}: {secrets:?}");
        }
        assert!(redaction.hides_header("x-api-key"));
        assert!(redaction.hides_header("Set-Cookie"));
        assert!(!redaction.hides_header("Content-Type"));
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_it() {
        let error = Redaction::new(&[], &["[oops".into()]).unwrap_err();
        assert!(error.contains("`[oops`"), "{error}");
    }

    #[test]
    fn a_longer_secret_is_hidden_whole() {
        let mut text = "key=abcdefgh".to_string();
        hide(&mut text, &["abcdefgh".into(), "abcd".into()]);
        assert_eq!(text, "key=[redacted]");
    }
}
