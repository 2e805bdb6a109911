//! Errors are not failures, a service you started yourself, and what a
//! 5xx answer shows — against a small Python service, through the binary.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::Test;

const SERVICE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/crashy_service.py"
);

const HEAD: &str = "# Integration Test Spec: Outcomes\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n";

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("an address").port()
}

/// The service, started by the test (as a user would start it), and its URL.
struct Running(Child, String);

impl Running {
    fn start(marker: Option<&Path>) -> Running {
        let port = closed_port();
        let mut command = Command::new("python3");
        command.arg(SERVICE).arg(port.to_string());
        if let Some(marker) = marker {
            command.arg(marker);
        }
        let child = command.spawn().expect("python3 runs");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the service starts"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Running(child, format!("http://127.0.0.1:{port}"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A config whose service itspec starts itself.
fn started_by_itspec() -> String {
    format!(
        "[service]\ncommand = \"python3 {SERVICE} {{{{service.port}}}}\"\nready = \"GET /ok\"\n"
    )
}

#[test]
fn an_unanswered_request_is_an_error_not_a_failure_in_every_report() {
    let closed = closed_port();
    let spec = format!(
        "{HEAD}### TC-INT-001: Passes\n\n**Request:** GET /ok\n\n**Expected:**\n- status == 200\n\n\
         ### TC-INT-002: Fails\n\n**Request:** GET /ok\n\n**Expected:**\n- status == 201\n\n\
         ### TC-INT-003: Nothing answers\n\n**Request:** GET http://127.0.0.1:{closed}/x\n\n**Expected:**\n- status == 200\n"
    );
    let test = Test::new()
        .file("itspec.toml", started_by_itspec())
        .file("specs/a.md", spec);
    let output = test.run_with(&[
        "run",
        "specs",
        "--report",
        "junit=out/junit.xml",
        "--report",
        "json=out/run.json",
    ]);
    assert_eq!(output.code, 1, "{}{}", output.stdout, output.stderr);
    assert!(
        output.stdout.contains("ERROR  TC-INT-003"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("FAIL  TC-INT-002"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("1 passed, 1 failed, 1 error, 0 skipped"),
        "{}",
        output.stdout
    );
    let junit = std::fs::read_to_string(test.path("out/junit.xml")).unwrap();
    assert_eq!(junit.matches("<error").count(), 1, "{junit}");
    assert_eq!(junit.matches("<failure").count(), 1, "{junit}");
    assert!(junit.contains("errors=\"1\""), "{junit}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(test.path("out/run.json")).unwrap()).unwrap();
    let outcomes: Vec<&str> = json["specs"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["passed", "failed", "error"]);
    assert_eq!(json["summary"]["errors"], 1);
}

#[test]
fn a_5xx_answer_shows_what_the_service_logged_during_the_case() {
    let spec = format!(
        "{HEAD}### TC-INT-001: Fine\n\n**Request:** GET /ok\n\n**Expected:**\n- status == 200\n\n\
         ### TC-INT-002: Crashes\n\n**Request:** GET /crash\n\n**Expected:**\n- status == 200\n"
    );
    let output = Test::new()
        .file("itspec.toml", started_by_itspec())
        .file("specs/a.md", spec)
        .args(["run", "specs"])
        .run();
    assert_eq!(output.code, 1, "{}{}", output.stdout, output.stderr);
    assert!(
        output.stdout.contains("ZeroDivisionError"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("handling GET /crash for order 42"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("the service's log during this case (")
            && output.stdout.contains("service.log):"),
        "{}",
        output.stdout
    );
}

#[test]
fn an_environment_failure_is_an_error_in_junit() {
    let test = Test::new()
        .file(
            "itspec.toml",
            "[service]\ncommand = \"echo cannot start >&2; exit 1\"\n",
        )
        .file(
            "specs/a.md",
            format!("{HEAD}### TC-INT-001: A\n\n**Request:** GET /ok\n"),
        );
    let output = test.run_with(&["run", "specs", "--report", "junit=junit.xml"]);
    assert_eq!(output.code, 3, "{}{}", output.stdout, output.stderr);
    let junit = std::fs::read_to_string(test.path("junit.xml")).unwrap();
    assert!(junit.contains("tests=\"1\""), "{junit}");
    assert!(junit.contains("errors=\"1\""), "{junit}");
    assert!(junit.contains("itspec run: environment"), "{junit}");
    assert!(junit.contains("cannot start"), "{junit}");
}

#[test]
fn a_run_refused_before_it_starts_leaves_report_paths_as_they_were() {
    let test = Test::new().file("itspec.toml", started_by_itspec()).file(
        "specs/a.md",
        format!("{HEAD}### TC-INT-001: A\n\n**Request:** GET /ok\n"),
    );
    // target.base_url names the service itspec would start: refused.
    let output = test.run_with(&["run", "specs", "--no-service", "--report", "junit=new.xml"]);
    assert_eq!(output.code, 2, "{}{}", output.stdout, output.stderr);
    assert!(output.stderr.contains("--no-service"), "{}", output.stderr);
    assert!(!test.path("new.xml").exists(), "no empty report is left");
}

#[test]
fn a_base_url_means_the_service_is_yours_and_itspec_starts_none() {
    let marker_dir = tempfile::tempdir().unwrap();
    let yours = Running::start(None);
    let test = Test::new()
        .file(
            "itspec.toml",
            format!(
                "[service]\ncommand = \"touch {}; sleep 30\"\n",
                marker_dir.path().join("started").display()
            ),
        )
        .file(
            "specs/a.md",
            format!("{HEAD}### TC-INT-001: A\n\n**Request:** GET /ok\n\n**Expected:**\n- status == 200\n"),
        );
    let output = test.run_with(&["run", "specs", "--base-url", &yours.1]);
    assert_eq!(output.code, 0, "{}{}", output.stdout, output.stderr);
    assert!(
        !marker_dir.path().join("started").exists(),
        "[service] was started"
    );
    assert!(!output.stdout.contains("sleep 30"), "{}", output.stdout);

    // With workers, the refusal says what can work here: not `independent`,
    // which a database rules out.
    let refused = Test::new()
        .file(
            "itspec.toml",
            "[service]\ncommand = \"true\"\n[database]\nurl = \"sqlite://app.db\"\n",
        )
        .file(
            "specs/a.md",
            format!("{HEAD}### TC-INT-001: A\n\n**Request:** GET /ok\n"),
        )
        .file(
            "specs/b.md",
            format!("{HEAD}### TC-INT-002: B\n\n**Request:** GET /ok\n"),
        )
        .run_with(&["run", "specs", "--jobs", "2", "--base-url", &yours.1]);
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("the one service you started"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("independent"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_base_url_without_a_scheme_says_so() {
    let output = Test::new()
        .file(
            "specs/a.md",
            format!("{HEAD}### TC-INT-001: A\n\n**Request:** GET /ok\n"),
        )
        .args(["run", "specs", "--base-url", "127.0.0.1:8000"])
        .run();
    assert_eq!(output.code, 2, "{}{}", output.stdout, output.stderr);
    assert!(
        output
            .stderr
            .contains("has no scheme: write http://127.0.0.1:8000"),
        "{}",
        output.stderr
    );
}
