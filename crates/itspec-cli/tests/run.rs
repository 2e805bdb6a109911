//! `itspec run` end to end: the shop example, failures, exit codes, Ctrl-C.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{REPO, Test, processes_with, server_url, shop, shop_events};

const SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../itspec-runner/tests/fixtures/server.py"
);

fn shop_config(dir: &Path) -> String {
    format!(
        "[service]\ncommand = \"{}\"\nenv = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"sqlite://{}/shop.db\" }}\nready = \"GET /health\"\n",
        shop().display(),
        dir.display()
    )
}

#[test]
fn the_shop_examples_pass() {
    // The shop announces its reservations on RabbitMQ.
    let Some(amqp) = server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = Test::new()
        .args([
            "run",
            &format!("{REPO}/examples/shop"),
            "--set",
            &format!("service.command={}", shop().display()),
            "--set",
            &format!("database.url=sqlite:///{}/shop.db", dir.path().display()),
        ])
        .args(shop_events(&amqp, "examples"))
        .run();
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .contains("itspec: running 26 cases from 4 specs against http://127.0.0.1:"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("note: 1 Draft spec not run (--include-drafts runs them)"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("  PASS  TC-INT-006  Two reservations race for the last unit"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("25 passed, 0 failed, 1 skipped, 0 unverified"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_failure_shows_where_and_why_and_exits_1() {
    let test = Test::new();
    let config = shop_config(test.root());
    let output = test
        .file("itspec.toml", config)
        .file(
            "specs/stock.md",
            "# Integration Test Spec: Stock\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Wrong stock\n\n**Request:** PUT /inventory/S-{{run_id}}\n\n**Input:**\n```json\n{\"stock\": 5}\n```\n\n**Assertions:**\n- status == 200\n- body.stock == 6\n\n### TC-INT-002: Right\n\n**Request:** GET /inventory/S-{{run_id}}\n\n**Assertions:**\n- body.stock == 5\n",
        )
        .args(["run", "--color", "never"])
        .run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stdout.contains("  FAIL  TC-INT-001  Wrong stock"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("error: expected == 6, got 5"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("--> specs/stock.md:19:3"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("response: 200"), "{}", output.stdout);
    assert!(
        output.stdout.contains("  PASS  TC-INT-002  Right"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("1 passed, 1 failed, 0 skipped, 0 unverified"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_spec_with_errors_is_not_run() {
    let output = Test::new()
        .file("itspec.toml", "[target]\nbase_url = \"http://127.0.0.1:9\"\n")
        .file("specs/bad.md", "# Integration Test Spec: Bad\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Bad\n\n**Request:** GET /x/{{nope}}\n")
        .args(["run", "--color", "never"])
        .run();
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output
            .stdout
            .contains("error[IT401]: unknown variable `{{nope}}`"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("itspec: not running: 1 spec has errors"),
        "{}",
        output.stdout
    );
}

#[test]
fn nothing_to_run_is_a_usage_error() {
    let drafts = Test::new()
        .file("itspec.toml", "[target]\nbase_url = \"http://127.0.0.1:9\"\n")
        .file("specs/draft.md", "# Integration Test Spec: D\n\n**Priority:** High\n**Status:** Draft\n\n## Test Cases\n\n### TC-INT-001: D\n\n**Request:** GET /\n")
        .args(["run"])
        .run();
    assert_eq!(drafts.code, 2);
    assert!(
        drafts.stderr.contains("nothing to run: 1 Draft spec(s)"),
        "{}",
        drafts.stderr
    );
    let filtered = Test::new()
        .file("itspec.toml", "[target]\nbase_url = \"http://127.0.0.1:9\"\n")
        .file("specs/a.md", "# Integration Test Spec: A\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Request:** GET /\n")
        .args(["run", "--filter", "TC-NOPE-*"])
        .run();
    assert_eq!(filtered.code, 2);
    assert!(
        filtered.stderr.contains("no case matches"),
        "{}",
        filtered.stderr
    );
}

#[test]
fn a_service_that_does_not_answer_exits_3() {
    let spec = "# Integration Test Spec: A\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Request:** GET /\n";
    let silent = Test::new()
        .file("specs/a.md", spec)
        .args(["run", "--base-url", "http://127.0.0.1:9", "specs"])
        .run();
    assert_eq!(silent.code, 3, "{}", silent.stdout);
    assert!(
        silent
            .stdout
            .contains("error: nothing answers at http://127.0.0.1:9"),
        "{}",
        silent.stdout
    );
}

#[test]
fn bad_settings_exit_2() {
    let output = Test::new()
        .file("itspec.toml", "[service]\ncommand = \"true\"\nready = \"health\"\n")
        .file("specs/a.md", "# Integration Test Spec: A\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Request:** GET /\n")
        .args(["run"])
        .run();
    assert_eq!(output.code, 2);
    assert!(
        output
            .stderr
            .contains("ready = \"health\" is not a request"),
        "{}",
        output.stderr
    );
}

#[test]
fn ctrl_c_stops_the_service_and_exits_130() {
    interrupted_mid_case(nix::sys::signal::Signal::SIGINT);
}

#[test]
fn sigterm_stops_the_service_and_exits_130() {
    interrupted_mid_case(nix::sys::signal::Signal::SIGTERM);
}

/// `signal` while a case waits for a slow response: the run ends at once
/// with 130, and the service and its child are gone.
fn interrupted_mid_case(signal: nix::sys::signal::Signal) {
    let test = Test::new();
    let tag = format!("itspec-{signal}-{}", std::process::id());
    let test = test
        .file(
            "itspec.toml",
            format!("[service]\ncommand = \"python3 {SERVER} {tag} child\"\nenv = {{ PORT = \"{{{{service.port}}}}\" }}\nready = \"GET /health\"\n"),
        )
        .file("specs/a.md", "# Integration Test Spec: Slow\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Slow\n\n**Request:** GET /sleep\n")
        .args(["run", "--set", "target.timeout=60s"]);
    let mut child = test.spawn();
    // Wait until the service has been asked for /sleep, then interrupt.
    let log = test.path("target/itspec/service.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("/health")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{signal}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let left = processes_with(&tag);
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// The shop's race spec on its two ways of taking stock: `racy` (read,
/// charge, write back) loses an update when two reservations race, and
/// 20 iterations catch it; `atomic` passes all 20.
#[test]
fn a_lost_update_is_caught_and_the_atomic_shop_passes() {
    // The shop's configuration observes RabbitMQ.
    let Some(amqp) = server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |stock_update: &str| {
        Test::new()
            .args([
                "run",
                &format!("{REPO}/examples/shop/specs/reservations.md"),
                "--config",
                &format!("{REPO}/examples/shop/itspec.toml"),
                "--filter",
                "Two reservations race*",
                "--set",
                &format!("service.command={}", shop().display()),
                "--set",
                &format!(
                    "database.url=sqlite:///{}/{stock_update}.db",
                    dir.path().display()
                ),
                "--set",
                &format!("vars.stock_update={stock_update}"),
            ])
            .args(shop_events(&amqp, stock_update))
            .run()
    };
    let atomic = run("atomic");
    assert_eq!(atomic.code, 0, "{}\n{}", atomic.stdout, atomic.stderr);
    assert!(
        atomic.stdout.contains("20 iterations, start skew"),
        "{}",
        atomic.stdout
    );
    let racy = run("racy");
    assert_eq!(racy.code, 1, "{}\n{}", racy.stdout, racy.stderr);
    for expected in [
        "  FAIL  TC-INT-006  Two reservations race for the last unit",
        " of 20 failed (",
        "error: expected [201, 409] in any order, got [201,201]",
        "error: iteration ",
        "- no race conditions",
        "timeline of iteration ",
    ] {
        assert!(
            racy.stdout.contains(expected),
            "`{expected}` in\n{}",
            racy.stdout
        );
    }
}
