//! Secrets end to end: a service that echoes the credentials it got and
//! quotes configured secrets JSON-escaped and percent-encoded, and a
//! service whose log — quoted when it fails to start — prints its
//! database URL and tokens. No form of any secret may reach the console,
//! the GitHub annotations, or the JSON, JUnit and HTML reports.

mod common;
#[path = "../../itspec-runner/tests/databases/mod.rs"]
mod databases;
#[path = "common/server.rs"]
mod server;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};

use common::{Output, Test};
use databases::{Backend, fresh_db};

/// `[vars] api_key`: hidden by default (`*key*`), with a quote and a slash
/// so that its JSON and URL forms differ from it.
const API_KEY: &str = "k\"ey/42-secret";

/// What the leaky service answers: the configured secrets as other
/// programs write them — JSON with `\/`, percent-encoded in a URL, in
/// lower-case escapes — and URLs with credentials.
const LEAK: &str = r#"{
  "raw": "k\"ey\/42-secret",
  "callback": "https://h/cb?next=k%22ey%2F42-secret",
  "lower": "k%22ey%2f42-secret",
  "token": "sess-tok-31337",
  "cli": "cli-pw-5150",
  "dsn": "postgres://app:url-pw-8642@db/x?password=q-pw-9753"
}"#;

/// What must not show anywhere: a piece of every form of every secret.
const NEEDLES: [&str; 7] = [
    "42-secret",
    "31337",
    "5150",
    "conf-hdr-7777",
    "cookie-val-2468",
    "url-pw-8642",
    "q-pw-9753",
];

const SPEC: &str = r#"# Integration Test Spec: Secrets everywhere

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: A body that echoes the credentials it got

**Request:** POST /echo
- Cookie: sid=cookie-val-2468
- X-Note: {{cli_password}}

**Input:**
```json
{ "note": "plain" }
```

**Assertions:**
- status == 599
- body.headers.cookie == "nothing"
- body.headers.authorization == "nothing"

---

### TC-INT-002: A body that quotes the configured secrets in other forms

**Request:** GET /leak

**Assertions:**
- body.raw == "nothing"
- body.lower == "nothing"
"#;

async fn echo(headers: HeaderMap, body: String) -> axum::Json<Value> {
    let names: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("").to_string();
            (name.as_str().to_string(), Value::String(value))
        })
        .collect();
    axum::Json(json!({ "headers": names, "body": body }))
}

fn leaky_service() -> String {
    server::serve(Router::new().route("/echo", post(echo)).route(
        "/leak",
        get(|| async { ([(header::CONTENT_TYPE, "application/json")], LEAK).into_response() }),
    ))
}

/// Every output of a run, by name: the console (standard output and
/// error) and the report files.
fn outputs(test: &Test, output: &Output) -> Vec<(&'static str, String)> {
    let read = |path: &str| std::fs::read_to_string(test.path(path)).unwrap_or_default();
    vec![
        ("stdout", output.stdout.clone()),
        ("stderr", output.stderr.clone()),
        ("json", read("out/r.json")),
        ("junit", read("out/r.xml")),
        ("html", read("out/r.html")),
    ]
}

const REPORTS: [&str; 6] = [
    "--report",
    "json=out/r.json",
    "--report",
    "junit=out/r.xml",
    "--report",
    "html=out/r.html",
];

#[test]
fn no_form_of_a_secret_reaches_the_console_the_annotations_or_a_report() {
    let base = leaky_service();
    let config = format!(
        "[target]\nbase_url = \"{base}\"\nheaders = {{ Authorization = \"Bearer conf-hdr-7777\" }}\n\n\
         [vars]\napi_key = '{API_KEY}'\nsession_token = \"sess-tok-31337\"\n"
    );
    let test = Test::new()
        .file("itspec.toml", config)
        .file("specs/secrets.md", SPEC)
        .args([
            "run",
            "specs",
            "--color",
            "never",
            "--format",
            "github",
            "--var",
            "cli_password=cli-pw-5150",
        ])
        .args(REPORTS);
    let output = test.run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    for (name, text) in outputs(&test, &output) {
        assert!(name == "stderr" || !text.is_empty(), "{name} was written");
        for needle in NEEDLES {
            assert!(!text.contains(needle), "{name} shows `{needle}`:\n{text}");
        }
    }
    // The checks still ran on the real values, and show the mark.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(test.path("out/r.json")).unwrap()).unwrap();
    let leak = &json["specs"][0]["cases"][1];
    let failed = serde_json::to_string(&leak["checks"]).unwrap();
    assert!(failed.contains("[redacted]"), "{failed}");
    assert!(
        output.stdout.contains("[redacted]"),
        "the console shows the mark:\n{}",
        output.stdout
    );
}

/// A service that prints its configuration and exits before it is ready.
const TALKATIVE: &str = r#"echo "starting with TOKEN=$TOKEN"
echo 'json: {"session": "se\"ss\/tok-31337"}'
echo 'form: session=se%22ss%2Ftok-31337'
echo 'dsn: postgres://app:raw/pa?ss@127.0.0.1/db and postgres://u@h/db?password=qp-s3cret'
echo "database: $DATABASE_URL, password pa/ss?w0rd"
exit 1
"#;

fn talkative_project(database: Option<&str>) -> Test {
    let database = database
        .map(|url| format!("\n[database]\nurl = \"{url}\"\n"))
        .unwrap_or_default();
    let env = if database.is_empty() {
        "TOKEN = \"{{vars.session_token}}\"".to_string()
    } else {
        "TOKEN = \"{{vars.session_token}}\", DATABASE_URL = \"{{database.url}}\"".to_string()
    };
    Test::new()
        .file("service.sh", TALKATIVE)
        .file(
            "itspec.toml",
            format!(
                "[service]\ncommand = \"sh service.sh\"\nenv = {{ {env} }}\nready = \"GET /health\"\nready_timeout = \"10s\"\n\
                 {database}\n[vars]\nsession_token = 'se\"ss/tok-31337'\n"
            ),
        )
        .file("specs/a.md", common::GOOD_SPEC)
        .args(["run", "specs", "--color", "never"])
        .args(REPORTS)
}

fn assert_run_level_secrets_hidden(test: &Test, needles: &[&str]) {
    let output = test.run();
    assert_eq!(output.code, 3, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stdout.contains("starting with TOKEN=[redacted]"),
        "the service's log is quoted, redacted:\n{}",
        output.stdout
    );
    for (name, text) in outputs(test, &output) {
        for needle in needles {
            assert!(!text.contains(needle), "{name} shows `{needle}`:\n{text}");
        }
    }
}

#[test]
fn the_log_of_a_service_that_failed_is_quoted_without_its_secrets() {
    let test = talkative_project(None);
    assert_run_level_secrets_hidden(&test, &["tok-31337", "raw/pa", "qp-s3cret"]);
}

#[test]
fn the_database_password_stays_out_of_an_environment_failure() {
    let Some(db) = fresh_db(Backend::Postgres, "itspec_secrets_password") else {
        return;
    };
    // The test server trusts local connections: any password will do.
    let Some(at) = db.url.find('@') else {
        return;
    };
    let url = format!("{}:pa%2Fss%3Fw0rd{}", &db.url[..at], &db.url[at..]);
    let test = talkative_project(Some(&url));
    assert_run_level_secrets_hidden(&test, &["tok-31337", "raw/pa", "qp-s3cret", "w0rd"]);
}
