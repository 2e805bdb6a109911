//! The service lifecycle with real processes: a service that never becomes
//! ready, one that exits at once, one that crashes mid-run, one that ignores
//! SIGTERM, one with a child process. Each run ends with nothing left behind.

mod support;

use std::time::{Duration, Instant};

use itspec_config::Port;
use itspec_results::Outcome;
use itspec_results::RunOutcome;
use itspec_runner::{RunOptions, ServiceSettings, Settings};

const SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/server.py");

fn tag() -> String {
    format!("itspec-lifecycle-{}", uuid::Uuid::new_v4().simple())
}

/// Processes whose command line mentions `tag`.
fn processes_with(tag: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        // Zombies have an empty command line and are not running.
        if text.contains(tag) {
            found.push(text);
        }
    }
    found
}

fn settings(
    dir: &std::path::Path,
    command: String,
    ready_timeout: Duration,
    stop_timeout: Duration,
) -> Settings {
    let mut settings = support::settings("http://127.0.0.1:1");
    settings.base_url = None;
    settings.dir = dir.to_path_buf();
    settings.service = Some(ServiceSettings {
        command,
        env: vec![("PORT".to_string(), "{{service.port}}".to_string())],
        port: Port::Auto,
        ready: Some(("GET".to_string(), "/health".to_string())),
        ready_timeout,
        stop_timeout,
    });
    settings
}

fn run(settings: &Settings, cases: &str) -> itspec_results::RunResult {
    support::run_with(
        settings,
        &format!("{}{cases}", support::HEAD),
        &RunOptions::default(),
    )
}

const ONE_CASE: &str =
    "### TC-INT-001: Ping\n\n**Request:** GET /ping\n\n**Assertions:**\n- body.ok == true\n";

#[test]
fn a_service_that_never_gets_ready() {
    let dir = tempfile::tempdir().unwrap();
    let tag = tag();
    let command = format!("exec python3 -c 'import time; time.sleep(60)' {tag}");
    let result = run(
        &settings(
            dir.path(),
            command,
            Duration::from_secs(1),
            Duration::from_secs(2),
        ),
        ONE_CASE,
    );
    let RunOutcome::EnvironmentFailed { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("was not ready within 1 s"), "{message}");
    assert!(
        processes_with(&tag).is_empty(),
        "left behind: {:?}",
        processes_with(&tag)
    );
}

#[test]
fn a_service_that_exits_at_once_shows_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let command = "echo 'boom: no database'; exit 3".to_string();
    let result = run(
        &settings(
            dir.path(),
            command,
            Duration::from_secs(10),
            Duration::from_secs(2),
        ),
        ONE_CASE,
    );
    let RunOutcome::EnvironmentFailed { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(message.contains("exited before it was ready"), "{message}");
    assert!(message.contains("boom: no database"), "{message}");
    let path = dir.path().join("target/itspec/service.log");
    let log = std::fs::read_to_string(&path).unwrap();
    assert_eq!(log, "boom: no database\n");
    // The log may hold the service's secrets: its owner's only.
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        !dir.path().join("target/itspec/service.pgid").exists(),
        "the file naming the service's group goes with it"
    );
}

#[test]
fn a_service_that_crashes_mid_run() {
    let dir = tempfile::tempdir().unwrap();
    let tag = tag();
    let command = format!("exec python3 {SERVER} {tag}");
    let cases = "### TC-INT-001: Crash it\n\n**Request:** GET /crash\n\n### TC-INT-002: Never runs\n\n**Request:** GET /ping\n";
    let result = run(
        &settings(
            dir.path(),
            command,
            Duration::from_secs(20),
            Duration::from_secs(2),
        ),
        cases,
    );
    let RunOutcome::EnvironmentFailed { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(
        message.contains("the service exited during the run"),
        "{message}"
    );
    assert!(
        message.contains("served"),
        "the log tail is shown: {message}"
    );
    let cases = support::cases(&result);
    assert_eq!(cases.len(), 1, "the run stops at the crash");
    // Its request got no answer: an error of the case, not a failure.
    assert_eq!(cases[0].outcome, Outcome::Error);
    assert!(processes_with(&tag).is_empty());
}

#[test]
fn a_service_that_ignores_sigterm_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let tag = tag();
    let command = format!("exec python3 {SERVER} {tag} ignore-term");
    let started = Instant::now();
    let result = run(
        &settings(
            dir.path(),
            command,
            Duration::from_secs(20),
            Duration::from_secs(1),
        ),
        ONE_CASE,
    );
    assert_eq!(result.outcome, RunOutcome::Completed);
    assert!(support::passed(support::cases(&result)[0]));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "SIGKILL comes after the grace period"
    );
    assert!(
        processes_with(&tag).is_empty(),
        "left behind: {:?}",
        processes_with(&tag)
    );
}

#[test]
fn children_of_the_service_are_stopped_too() {
    let dir = tempfile::tempdir().unwrap();
    let tag = tag();
    // Not `exec`: the shell stays in between, as with `cargo run`.
    let command = format!("python3 {SERVER} {tag} child");
    let result = run(
        &settings(
            dir.path(),
            command,
            Duration::from_secs(20),
            Duration::from_secs(2),
        ),
        ONE_CASE,
    );
    assert_eq!(result.outcome, RunOutcome::Completed);
    assert!(
        processes_with(&tag).is_empty(),
        "left behind: {:?}",
        processes_with(&tag)
    );
}

#[test]
fn without_a_service_a_silent_target_is_an_environment_failure() {
    let settings = support::settings("http://127.0.0.1:9");
    let result = run(&settings, ONE_CASE);
    let RunOutcome::EnvironmentFailed { message } = &result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(
        message.starts_with("nothing answers at http://127.0.0.1:9"),
        "{message}"
    );
    assert!(result.specs.is_empty());
}
