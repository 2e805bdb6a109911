//! Secrets kept out of every report and log: the values of credential
//! headers (`Authorization`, `Proxy-Authorization`, `Cookie`,
//! `Set-Cookie`, and those `[redact] headers` names) wherever they show up
//! again, credentials in URLs (passwords and `?password=`-like
//! parameters), the database's password, and every occurrence of the value
//! of a variable — configured, passed with `--var`, captured, or from the
//! environment — whose name looks like a secret (`*token*`, `*secret*`,
//! `*password*`, `*key*`, and `[redact] vars`); each in every form it may
//! take in a body or a URL ([`forms`]).
//!
//! A case's result is redacted once it is complete, before anything prints
//! or stores it, and the run's own messages — an environment failure with
//! the service's log, notices — as they are reported, so the
//! console, JUnit, JSON, HTML and GitHub outputs all see the same redacted
//! result.

mod configured;
mod finder;
pub mod forms;
mod name_pattern;
mod run;
pub mod url;

pub use configured::{RunValues, header_secrets};
pub use finder::Finder;
use name_pattern::NamePattern;
pub(crate) use run::Redacting;

use serde_json::Value;

use crate::vars::Scope;
use itspec_results::{CaseResult, Evidence, Exchange, Outcome, ResponseRecord, Verdict};

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
pub const VARS: [&str; 4] = ["*token*", "*secret*", "*password*", "*key*"];

/// The last words of names that say something *about* a secret rather
/// than hold one: `token_type` (`"bearer"`), `key_id`, `expires_in`,
/// `password_changed_at`. A name matching a secret pattern is not hidden
/// when its last word is one of these.
pub const FACTS: [&str; 17] = [
    "type",
    "kind",
    "scheme",
    "name",
    "id",
    "expires",
    "expiry",
    "expiration",
    "ttl",
    "in",
    "at",
    "length",
    "size",
    "count",
    "format",
    "algorithm",
    "url",
];

/// Whether a name says something about a secret rather than hold one:
/// its last word (split at `_`, `-`, `.`, or a lower-to-upper change, as
/// in `tokenType`) is one of [`FACTS`] and it has more than one word.
pub fn describes(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.' | ' ') {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    words.len() > 1
        && words
            .last()
            .is_some_and(|last| FACTS.contains(&last.as_str()))
}

/// Values shorter than this are not searched for: hiding every `1` of a
/// report would hide nothing and garble everything.
const SHORTEST: usize = 4;

/// What to hide.
#[derive(Clone, Debug)]
pub struct Redaction {
    headers: Vec<String>,
    vars: Vec<NamePattern>,
    /// The values of the environment variables named like secrets, read
    /// once.
    env: Vec<String>,
    /// What the run's settings hold that is secret: the database's
    /// password, hidden headers and variables ([`Redaction::for_run`]).
    configured: Vec<String>,
}

impl Default for Redaction {
    fn default() -> Self {
        Redaction::new(&[], &[]).unwrap_or(Redaction {
            headers: Vec::new(),
            vars: Vec::new(),
            env: Vec::new(),
            configured: Vec::new(),
        })
    }
}

/// A `[redact] vars` pattern that is not a glob.
#[derive(Clone, Debug, thiserror::Error)]
#[error("[redact] vars: `{pattern}` is not a pattern: {reason}")]
pub struct BadPattern {
    /// The pattern.
    pub pattern: String,
    /// What the glob parser said.
    pub reason: String,
}

impl Redaction {
    /// The defaults plus more header names and variable-name globs.
    pub fn new(headers: &[String], vars: &[String]) -> Result<Redaction, BadPattern> {
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
                NamePattern::new(&pattern).map_err(|e| BadPattern {
                    reason: e.to_string(),
                    pattern: pattern.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let env = std::env::vars()
            .filter(|(name, _)| vars.iter().any(|g| g.is_match(name)) && !describes(name))
            .map(|(_, value)| value)
            .collect();
        Ok(Redaction {
            headers,
            vars,
            env,
            configured: Vec::new(),
        })
    }

    /// Whether a header's value is hidden.
    pub fn hides_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether a variable's value is hidden: its name matches a secret
    /// pattern, and does not name a fact about a secret ([`describes`]).
    pub fn hides_var(&self, name: &str) -> bool {
        self.vars.iter().any(|g| g.is_match(name)) && !describes(name)
    }

    /// The secret values in `scope`, in the environment and in the run's
    /// settings, longest first (so that a secret containing another is
    /// hidden whole).
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
        merged(found, self.configured.clone())
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

    /// Hides the secrets in a case's result: `secrets`, the values of the
    /// hidden headers its requests, responses and mock calls carried, and
    /// credentials in URLs — each in every form ([`forms`]).
    pub fn case(&self, case: &mut CaseResult, secrets: &[String]) {
        let secrets = &Finder::new(&merged(secrets.to_vec(), self.header_values(case)));
        let text = |s: &mut String| secrets.scrub(s);
        for exchange in &mut case.exchanges {
            self.exchange(exchange, secrets);
        }
        for check in &mut case.checks {
            text(&mut check.text);
            match &mut check.verdict {
                Verdict::Failed { message, evidence } | Verdict::Error { message, evidence } => {
                    text(message);
                    self.named_fields(evidence);
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
                    hide_query(query);
                    text(query);
                }
                self.headers(&mut call.headers, secrets);
                text(&mut call.body);
                if let Some(json) = &mut call.json {
                    value(json, secrets);
                }
            }
        }
        for messages in case.messages.values_mut() {
            for message in messages {
                text(&mut message.topic);
                self.headers(&mut message.headers, secrets);
                text(&mut message.body);
                if let Some(json) = &mut message.json {
                    value(json, secrets);
                }
            }
        }
        for email in case.emails.iter_mut().flatten() {
            text(&mut email.from);
            email.to.iter_mut().for_each(&text);
            text(&mut email.subject);
            self.headers(&mut email.headers, secrets);
            text(&mut email.text);
            text(&mut email.html);
            email.attachments.iter_mut().for_each(&text);
        }
        if let Outcome::Skipped { reason } = &mut case.outcome {
            text(reason);
        }
    }

    fn exchange(&self, exchange: &mut Exchange, secrets: &Finder) {
        let request = &mut exchange.request;
        secrets.scrub(&mut request.url);
        self.headers(&mut request.headers, secrets);
        if let Some(body) = &mut request.body {
            secrets.scrub(body);
        }
        if let Some(response) = &mut exchange.response {
            self.headers(&mut response.headers, secrets);
            secrets.scrub(&mut response.body);
            if let Some(json) = &mut response.json {
                value(json, secrets);
            }
        }
        if let Some(error) = &mut exchange.error {
            secrets.scrub(error);
        }
    }

    fn headers(&self, headers: &mut [(String, String)], secrets: &Finder) {
        for (name, value) in headers {
            if self.hides_header(name) {
                *value = REDACTED.to_string();
            } else {
                secrets.scrub(value);
            }
        }
    }

    /// What the hidden headers of a case's requests, responses and mock
    /// calls held, to be hidden wherever else it shows (a body that echoes
    /// the `Authorization` it got).
    fn header_values(&self, case: &CaseResult) -> Vec<String> {
        let responses = case.exchanges.iter().filter_map(|e| e.response.as_ref());
        case.exchanges
            .iter()
            .flat_map(|e| &e.request.headers)
            .chain(responses.flat_map(|r| &r.headers))
            .chain(case.mock_calls.values().flatten().flat_map(|c| &c.headers))
            .filter(|(name, _)| self.hides_header(name))
            .flat_map(|(name, value)| header_secrets(name, value))
            .collect()
    }
}

fn evidence_text(evidence: &mut Evidence, secrets: &Finder) {
    for text in evidence
        .expected
        .iter_mut()
        .chain(evidence.actual.iter_mut())
        .chain(evidence.diff_title.iter_mut())
        .chain(evidence.notes.iter_mut())
    {
        secrets.scrub(text);
    }
    for mismatch in &mut evidence.mismatches {
        secrets.scrub(&mut mismatch.path);
        secrets.scrub(&mut mismatch.expected);
        secrets.scrub(&mut mismatch.actual);
    }
    for line in &mut evidence.diff {
        secrets.scrub(&mut line.text);
    }
}

impl Redaction {
    /// Rows shown as JSON in evidence — a database diff, a row found —
    /// have the values of their secret-named columns hidden, on both sides
    /// of a diff alike: a changed `hashed_password` shows that it changed,
    /// never one value and not the other.
    fn named_fields(&self, evidence: &mut Evidence) {
        for line in &mut evidence.diff {
            self.hide_named(&mut line.text);
        }
        for note in &mut evidence.notes {
            self.hide_named(note);
        }
    }

    /// Hides the secret-named fields of `text` when it is a JSON object
    /// (after a `label: ` prefix, as in `found: {…}`).
    fn hide_named(&self, text: &mut String) {
        let start = text.find('{').unwrap_or(text.len());
        let Ok(mut row) = serde_json::from_str::<Value>(&text[start..]) else {
            return;
        };
        if self.hide_fields(&mut row) {
            *text = format!("{}{row}", &text[..start]);
        }
    }

    /// Replaces the values of secret-named fields; whether it did.
    fn hide_fields(&self, value: &mut Value) -> bool {
        let mut changed = false;
        match value {
            Value::Object(fields) => {
                for (name, field) in fields.iter_mut() {
                    if self.hides_var(name) && !field.is_null() {
                        *field = Value::String(REDACTED.to_string());
                        changed = true;
                    } else {
                        changed |= self.hide_fields(field);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    changed |= self.hide_fields(item);
                }
            }
            _ => {}
        }
        changed
    }
}

/// Two lists of secrets as one: longest first, each once, none too short
/// to mean anything.
pub fn merged(mut secrets: Vec<String>, more: Vec<String>) -> Vec<String> {
    secrets.extend(more);
    secrets.retain(|s| s.chars().count() >= SHORTEST);
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
    secrets
}

/// A query string (`a=1&token=x`) with the values of parameters named
/// like secrets hidden.
fn hide_query(query: &mut String) {
    let ranges = url::query_secrets(query);
    for range in ranges.into_iter().rev() {
        if query.get(range.clone()).is_some() {
            query.replace_range(range, REDACTED);
        }
    }
}

fn value(json: &mut Value, secrets: &Finder) {
    match json {
        Value::String(text) => secrets.scrub(text),
        Value::Array(items) => items.iter_mut().for_each(|item| value(item, secrets)),
        Value::Object(fields) => fields.values_mut().for_each(|field| value(field, secrets)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echoed(headers: Vec<(String, String)>, body: &str) -> CaseResult {
        use itspec_results::{RequestRecord, ResponseRecord};
        CaseResult {
            id: "TC-INT-001".into(),
            name: "Echo".into(),
            heading: itspec_spec::Span::default(),
            outcome: Outcome::Failed,
            duration_ms: 1,
            exchanges: vec![Exchange {
                label: None,
                request: RequestRecord {
                    method: "GET".into(),
                    url: "http://127.0.0.1:1/echo?access_token=q-tok-1234&page=2".into(),
                    headers,
                    body: None,
                    body_omitted: None,
                },
                response: Some(ResponseRecord {
                    status: 200,
                    headers: Vec::new(),
                    body: body.into(),
                    body_omitted: None,
                    json: serde_json::from_str(body).ok(),
                    duration_ms: 1.0,
                }),
                error: None,
                span: itspec_spec::Span::default(),
                timing: None,
            }],
            checks: Vec::new(),
            iterations: None,
            mock_calls: std::collections::BTreeMap::new(),
            messages: std::collections::BTreeMap::new(),
            emails: None,
            service_log: None,
            attempts: Vec::new(),
            runs: None,
            mutation: None,
        }
    }

    #[test]
    fn what_a_hidden_header_carried_is_hidden_wherever_it_shows() {
        let mut case = echoed(
            vec![
                ("Authorization".into(), "Bearer hdr-tok-4242".into()),
                ("Cookie".into(), "sid=cookie-2468; theme=dark".into()),
            ],
            r#"{"auth": "Bearer hdr-tok-4242", "token": "hdr-tok-4242", "sid": "cookie-2468", "name": "Ada Lovelace"}"#,
        );
        Redaction::default().case(&mut case, &[]);
        let shown = serde_json::to_string(&case).unwrap_or_default();
        for secret in ["hdr-tok-4242", "cookie-2468", "q-tok-1234"] {
            assert!(!shown.contains(secret), "{secret}: {shown}");
        }
        let response = case.exchanges[0].response.as_ref().unwrap();
        assert_eq!(
            response.json,
            Some(serde_json::json!({
                "auth": "[redacted]", "token": "[redacted]", "sid": "[redacted]", "name": "Ada Lovelace"
            }))
        );
        assert!(
            case.exchanges[0]
                .request
                .url
                .ends_with("access_token=[redacted]&page=2")
        );
    }

    #[test]
    fn what_a_broker_carried_loses_the_secrets_of_the_run() {
        let mut case = echoed(Vec::new(), "{}");
        case.messages.insert(
            "events".into(),
            vec![itspec_results::Message::new(
                "orders.created".into(),
                vec![("authorization".into(), "Bearer m-hdr-777".into())],
                br#"{"token": "m-tok-777", "sku": "SKU-1"}"#,
                1.0,
            )],
        );
        Redaction::default().case(&mut case, &["m-tok-777".to_string()]);
        let shown = serde_json::to_string(&case).unwrap_or_default();
        for secret in ["m-tok-777", "m-hdr-777"] {
            assert!(!shown.contains(secret), "{secret}: {shown}");
        }
        assert!(
            shown.contains("orders.created") && shown.contains("SKU-1"),
            "{shown}"
        );
    }

    #[test]
    fn variables_named_like_keys_are_hidden_by_default() {
        let redaction = Redaction::default();
        for name in ["api_key", "stripeKey", "KEY", "x_api_key"] {
            assert!(redaction.hides_var(name), "{name}");
        }
        assert!(!redaction.hides_var("sku"));
    }

    #[test]
    fn names_that_describe_a_secret_are_facts_not_secrets() {
        let redaction = Redaction::default();
        for name in [
            "token_type",
            "tokenType",
            "key_id",
            "password_changed_at",
            "TOKEN-EXPIRES",
        ] {
            assert!(!redaction.hides_var(name), "{name}");
        }
        for name in [
            "token",
            "access_token",
            "refresh_token",
            "hashed_password",
            "key",
            "typekey",
        ] {
            assert!(redaction.hides_var(name), "{name}");
        }
        // `token_type: "bearer"` is shown; the token beside it is not.
        let mut scope = Scope::new();
        scope.set(
            "Login",
            serde_json::json!({ "body": { "access_token": "eyJhbGciOi", "token_type": "bearer" } }),
        );
        let secrets = redaction.secrets(&scope);
        assert!(secrets.contains(&"eyJhbGciOi".to_string()), "{secrets:?}");
        assert!(!secrets.contains(&"bearer".to_string()), "{secrets:?}");
    }

    #[test]
    fn a_secret_column_of_a_row_diff_is_hidden_on_both_sides() {
        let redaction = Redaction::default();
        let mut case = echoed(Vec::new(), "");
        case.checks.push(itspec_results::StepResult::failed(
            itspec_results::StepKind::Assertion,
            itspec_spec::Span::default(),
            "database unchanged",
            "the database changed",
            Evidence {
                diff: vec![
                    itspec_results::DiffLine {
                        tag: '-',
                        text: r#"{"id":1,"hashed_password":"old-hash-1","token_type":"bearer"}"#
                            .to_string(),
                    },
                    itspec_results::DiffLine {
                        tag: '+',
                        text: r#"{"id":1,"hashed_password":"new-hash-2","token_type":"bearer"}"#
                            .to_string(),
                    },
                ],
                notes: vec![r#"found: {"id":1,"api_key":"k-123456"}"#.to_string()],
                ..Evidence::default()
            },
        ));
        redaction.case(&mut case, &["old-hash-1".to_string()]);
        let Some((_, evidence)) = case.checks.last().and_then(|c| c.problem()) else {
            panic!()
        };
        for line in &evidence.diff {
            assert_eq!(
                line.text,
                r#"{"id":1,"hashed_password":"[redacted]","token_type":"bearer"}"#
            );
        }
        assert_eq!(
            evidence.notes[0],
            r#"found: {"id":1,"api_key":"[redacted]"}"#
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
        assert_eq!(error.pattern, "[oops");
        assert!(error.to_string().contains("`[oops`"), "{error}");
    }
}
