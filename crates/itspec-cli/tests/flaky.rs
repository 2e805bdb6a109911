//! Flaky cases through the binary, against a service that fails 30% of its
//! requests after writing to its SQLite database: `--retries` reports a
//! case that failed and then passed as FLAKY, with the failed attempt in
//! the console, the JSON report and the JUnit file (whose Surefire
//! elements an independent JUnit reader, junit-parser, reads back);
//! `--runs` reports the pass rate with its interval; every run starts from
//! the same database, and none leaves a row behind.

mod common;

use std::io::Cursor;

use common::Test;
use junit_parser::{RerunOrFlakyKind, TestCase};

const SERVICE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/flaky_service.py"
);

/// A project whose service fails 3 of every 10 orders (the first among
/// them), and a case that fails every time.
fn project() -> Test {
    Test::new()
        .file(
            "itspec.toml",
            format!(
                "[service]\ncommand = \"python3 {SERVICE} app.db\"\nenv = {{ PORT = \"{{{{service.port}}}}\" }}\nready = \"GET /ok\"\n\n\
                 [database]\nurl = \"sqlite://app.db\"\nschema = \"db/schema.sql\"\n"
            ),
        )
        .file(
            "db/schema.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, sku TEXT NOT NULL);\n",
        )
        .file(
            "specs/orders.md",
            "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n\
             ### TC-INT-001: An order is taken\n\n**Request:** POST /orders\n\n**Input:**\n```json\n{\"sku\": \"A-1\"}\n```\n\n\
             **Assertions:**\n- status == 201\n- rows orders count == 1\n\n---\n\n\
             ### TC-INT-002: A status the service never answers\n\n**Request:** GET /ok\n\n\
             **Assertions:**\n- status == 404\n",
        )
}

/// The test case of the JUnit file named after case `id`.
fn junit_case<'a>(cases: &'a [TestCase], id: &str) -> &'a TestCase {
    cases
        .iter()
        .find(|c| c.name.contains(id))
        .unwrap_or_else(|| {
            let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
            panic!("no {id} in the JUnit file: {names:?}")
        })
}

/// The orders left in the project's database.
fn orders_left(test: &Test) -> String {
    let output = std::process::Command::new("sqlite3")
        .arg(test.path("app.db"))
        .arg("SELECT count(*) FROM orders")
        .output()
        .expect("sqlite3 runs");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn a_case_that_fails_then_passes_on_a_retry_is_flaky_everywhere() {
    let test = project().args([
        "run",
        "--retries",
        "3",
        "--report",
        "junit=out/run.xml",
        "--report",
        "json=out/run.json",
    ]);
    let output = test.run();
    let stdout = &output.stdout;
    // Flaky fails the run by default, as in nextest.
    assert_eq!(output.code, 1, "{stdout}\n{}", output.stderr);
    assert!(
        stdout.contains("FLAKY  TC-INT-001") && stdout.contains("passed on attempt 2"),
        "{stdout}"
    );
    // The attempt that failed is shown with its evidence: a 500, and the
    // row it left counted 1 as it should, the database having been put
    // back before the second attempt.
    assert!(stdout.contains("attempt 1 did not pass:"), "{stdout}");
    assert!(stdout.contains("500"), "{stdout}");
    assert!(
        stdout.contains("FAIL  TC-INT-002") && stdout.contains("failed 4 attempts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 passed, 1 failed, 1 flaky, 0 skipped"),
        "{stdout}"
    );
    assert_eq!(orders_left(&test), "0");

    // An independent JUnit reader sees Surefire's elements.
    let xml = std::fs::read_to_string(test.path("out/run.xml")).unwrap();
    let suites = junit_parser::from_reader(Cursor::new(xml.as_bytes())).expect("JUnit XML");
    let cases: Vec<TestCase> = suites.suites.iter().flat_map(|s| s.cases.clone()).collect();
    let flaky = junit_case(&cases, "TC-INT-001");
    assert!(flaky.status.is_success(), "{xml}");
    assert_eq!(flaky.reruns.len(), 1, "{xml}");
    assert!(
        matches!(flaky.reruns[0].kind, RerunOrFlakyKind::FlakyFailure),
        "{xml}"
    );
    assert!(flaky.reruns[0].message.contains("status == 201"), "{xml}");
    assert!(
        flaky.reruns[0]
            .stack_trace
            .as_deref()
            .is_some_and(|trace| trace.contains("500")),
        "{xml}"
    );
    let failing = junit_case(&cases, "TC-INT-002");
    assert!(failing.status.is_failure(), "{xml}");
    assert_eq!(failing.reruns.len(), 3, "{xml}");
    assert!(
        failing
            .reruns
            .iter()
            .all(|r| matches!(r.kind, RerunOrFlakyKind::RerunFailure)),
        "{xml}"
    );

    // The JSON report keeps every attempt.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(test.path("out/run.json")).unwrap()).unwrap();
    assert_eq!(report["version"], 4);
    assert_eq!(report["summary"]["flaky"], 1);
    let case = &report["specs"][0]["cases"][0];
    assert_eq!(case["outcome"], "flaky");
    assert_eq!(case["attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(case["attempts"][0]["outcome"], "failed");

    // `--flaky-result pass` lets a flaky case pass the run.
    let test = project().args([
        "run",
        "--retries",
        "1",
        "--flaky-result",
        "pass",
        "specs/orders.md::TC-INT-001",
    ]);
    let output = test.run();
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    assert!(output.stdout.contains("1 flaky"), "{}", output.stdout);
}

#[test]
fn runs_report_the_pass_rate_with_its_interval() {
    let test = project().args([
        "run",
        "--runs",
        "50",
        "specs/orders.md::TC-INT-001",
        "--report",
        "junit=out/runs.xml",
    ]);
    let output = test.run();
    let stdout = &output.stdout;
    assert_eq!(output.code, 1, "{stdout}\n{}", output.stderr);
    // Every failed run is a flaky run in JUnit, the one shown too.
    let xml = std::fs::read_to_string(test.path("out/runs.xml")).unwrap();
    let suites = junit_parser::from_reader(Cursor::new(xml.as_bytes())).expect("JUnit XML");
    let case = &suites.suites[0].cases[0];
    assert!(case.status.is_success(), "{xml}");
    assert_eq!(case.reruns.len(), 15, "{xml}");
    // 3 of every 10 requests fail: 35 of 50 runs pass.
    assert!(
        stdout.contains("FLAKY  TC-INT-001")
            && stdout.contains("35/50 passed (70.0%, 95% CI 56.2–80.9%)"),
        "{stdout}"
    );
    assert!(stdout.contains("run 1 did not pass:"), "{stdout}");
    assert_eq!(orders_left(&test), "0");

    // A case that always passes gets what more runs would tell.
    let test = project().args(["run", "--runs", "5", "specs/orders.md::TC-INT-002"]);
    let output = test.run();
    assert!(
        output
            .stdout
            .contains("0/5 passed (0.0%, 95% CI 0.0–43.5%)"),
        "{}",
        output.stdout
    );
}
