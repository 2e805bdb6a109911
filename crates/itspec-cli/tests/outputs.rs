//! Every output of a run, snapshotted whole: the console (plain, verbose,
//! GitHub annotations, JSON lines), the JSON, JUnit and HTML reports, and
//! `trace`. A change of any of them shows in review as a snapshot diff
//! (`cargo insta review`); what differs from run to run — times, ports,
//! ids, the temporary folder — is redacted.
//!
//! The project is the shop with two specs: the example's inventory spec
//! (every case passes) and `fixtures/outputs/broken.md`, whose cases fail
//! in every way a case can (a body, a status, a header, a row, a mock
//! call, an unexpected mock call, a changed database), error (a setup
//! that cannot run), pass, repeat concurrently and are skipped, with a
//! prose assertion left unverified.

mod common;

use common::{Output, Test, shop};

const BROKEN: &str = include_str!("fixtures/outputs/broken.md");
const INVENTORY: &str = include_str!("../../../examples/shop/specs/inventory.md");
const SCHEMA: &str = include_str!("../../../examples/shop/schema.sql");
const CONTRACT: &str = include_str!("../../../examples/shop/openapi.yaml");

/// The shop on SQLite with its payment gateway mocked and its contract.
fn project() -> Test {
    let test = Test::new();
    let config = format!(
        r#"specs = ["specs"]

[service]
command = "{shop}"
env = {{ PORT = "{{{{service.port}}}}", DATABASE_URL = "{{{{database.url}}}}", PAYMENTS_URL = "{{{{mocks.payments.url}}}}", PAYMENTS_TIMEOUT_MS = "500" }}
ready = "GET /health"

[database]
url = "sqlite://shop.db"
schema = "schema.sql"

[contract]
openapi = "openapi.yaml"

[mocks.payments]
port = "auto"

[vars]
price = 250
"#,
        shop = shop().display()
    );
    test.file("itspec.toml", config)
        .file("schema.sql", SCHEMA)
        .file("openapi.yaml", CONTRACT)
        .file("specs/inventory.md", INVENTORY)
        .file("specs/broken.md", BROKEN)
}

/// Redacts what changes from run to run, then checks `name`'s snapshot.
fn snapshot(test: &Test, name: &str, text: &str) {
    let root = test.root().display().to_string();
    let shop = shop().display().to_string();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    for (pattern, replacement) in [
        (regex::escape(&shop), "[SHOP]"),
        (regex::escape(&root), "[ROOT]"),
        (r"127\.0\.0\.1:\d+".to_string(), "127.0.0.1:[PORT]"),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".to_string(),
            "[UUID]",
        ),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?".to_string(),
            "[DATETIME]",
        ),
        (
            r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT".to_string(),
            "[HTTP-DATE]",
        ),
        // Durations and instants, as the console, JUnit, JSON and HTML
        // write them.
        (r#"("\w*_ms": ?)-?[\d.e+-]+"#.to_string(), "$1[MS]"),
        (r#""timing": ?\[[^\]]*\]"#.to_string(), r#""timing":[MS]"#),
        (r#"(time|timestamp)="[^"]*""#.to_string(), r#"$1="[TIME]""#),
        (r"\d+(\.\d+)? ?(ms|s)\b".to_string(), "[TIME]"),
        (r"(sent|answered) +\d+\.\d+".to_string(), "$1 [MS]"),
        // The HTML report's time lines and call times.
        (
            r"margin-left:[\d.]+%;width:[\d.]+%".to_string(),
            "margin-left:[X]%;width:[W]%",
        ),
        (r"[\d.]+–\[TIME\]".to_string(), "[TIME]–[TIME]"),
        (r"<td>[\d.]+</td>".to_string(), "<td>[MS]</td>"),
        // GitHub's stop-commands token.
        (r"itspec-[0-9a-f]{32}".to_string(), "itspec-[TOKEN]"),
    ] {
        settings.add_filter(&pattern, replacement);
    }
    settings.bind(|| insta::assert_snapshot!(format!("outputs-{name}"), text));
}

fn console(output: &Output) -> String {
    format!(
        "exit code: {}\n--- stdout\n{}--- stderr\n{}",
        output.code, output.stdout, output.stderr
    )
}

#[test]
fn a_run_and_its_reports() {
    let test = project().args([
        "run",
        "--color",
        "never",
        "--report",
        "json=out/run.json",
        "--report",
        "junit=out/run.xml",
        "--report",
        "html=out/run.html",
    ]);
    let output = test.run();
    assert_eq!(output.code, 1, "{}", console(&output));
    snapshot(&test, "console", &console(&output));
    for (name, file) in [
        ("json", "out/run.json"),
        ("junit", "out/run.xml"),
        ("html", "out/run.html"),
    ] {
        let text = std::fs::read_to_string(test.path(file)).expect("the report");
        snapshot(&test, name, &text);
    }
    let trace = test.run_with(&["trace"]);
    snapshot(&test, "trace", &console(&trace));
}

#[test]
fn verbose_with_github_annotations() {
    let test = project().args([
        "run",
        "specs/broken.md",
        "--color",
        "never",
        "-v",
        "--format",
        "github",
    ]);
    let output = test.run();
    assert_eq!(output.code, 1, "{}", console(&output));
    snapshot(&test, "verbose-github", &console(&output));
}

#[test]
fn json_lines() {
    let test = project().args(["run", "specs/broken.md", "--format", "jsonl"]);
    let output = test.run();
    assert_eq!(output.code, 1, "{}", console(&output));
    snapshot(&test, "jsonl", &console(&output));
}
