//! Where `--report KIND=PATH` may write: a new file, an empty one, or an
//! earlier report of itspec's — never over a spec or a file of the user's,
//! which is refused before anything runs (exit 2), naming the file and
//! what to do.

mod common;
#[path = "common/server.rs"]
mod server;

use axum::Router;
use axum::routing::get;

use common::{Output, Test};

const SPEC: &str = r#"# Integration Test Spec: Health

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: The service answers

**Request:** GET /health

**Assertions:**
- status == 200
"#;

const OTHER_SPEC: &str =
    "# Integration Test Spec: Elsewhere\n\n**Priority:** Low\n**Status:** Draft\n";

fn project() -> Test {
    let base = server::serve(Router::new().route("/health", get(|| async { "ok" })));
    Test::new()
        .file("itspec.toml", format!("[target]\nbase_url = \"{base}\"\n"))
        .file("specs/health.md", SPEC)
        .file("docs/elsewhere.md", OTHER_SPEC)
        .file("notes.txt", "the user's notes\n")
}

fn assert_refused(test: &Test, output: &Output, file: &str, reason: &str, before: &[u8]) {
    assert_eq!(output.code, 2, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains(file) && output.stderr.contains(reason),
        "names {file} and says {reason:?}:\n{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("choose another path"),
        "says how to fix it:\n{}",
        output.stderr
    );
    assert!(
        !output.stdout.contains("running"),
        "nothing ran: {}",
        output.stdout
    );
    assert_eq!(
        std::fs::read(test.path(file)).unwrap(),
        before,
        "{file} is untouched"
    );
}

#[test]
fn a_report_never_replaces_a_spec_of_the_run() {
    let test = project();
    let output = test.run_with(&["run", "specs", "--report", "json=specs/health.md"]);
    assert_refused(
        &test,
        &output,
        "specs/health.md",
        "it is a spec",
        SPEC.as_bytes(),
    );
}

#[test]
fn a_report_never_replaces_a_spec_that_is_not_run() {
    let test = project();
    let output = test.run_with(&["run", "specs", "--report", "html=docs/elsewhere.md"]);
    assert_refused(
        &test,
        &output,
        "docs/elsewhere.md",
        "it is a spec",
        OTHER_SPEC.as_bytes(),
    );
}

#[test]
fn a_spec_named_on_the_command_line_is_a_spec_whatever_its_name() {
    let test = project().file("checks/health.txt", SPEC);
    let output = test.run_with(&[
        "run",
        "checks/health.txt",
        "--report",
        "junit=checks/health.txt",
    ]);
    assert_refused(
        &test,
        &output,
        "checks/health.txt",
        "it is a spec of this run",
        SPEC.as_bytes(),
    );
}

#[test]
fn a_report_never_replaces_a_file_itspec_did_not_write() {
    let test = project();
    for kind in ["json", "junit", "html"] {
        let report = format!("{kind}=notes.txt");
        let output = test.run_with(&["run", "specs", "--report", report.as_str()]);
        assert_refused(
            &test,
            &output,
            "notes.txt",
            "is not a report itspec wrote",
            b"the user's notes\n",
        );
    }
}

#[test]
fn report_merge_refuses_too() {
    let test = project();
    let output = test.run_with(&["run", "specs", "--report", "json=out/r.json"]);
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    let output = test.run_with(&[
        "report",
        "merge",
        "out/r.json",
        "--report",
        "html=notes.txt",
    ]);
    assert_eq!(output.code, 2, "{}\n{}", output.stdout, output.stderr);
    assert!(output.stderr.contains("notes.txt"), "{}", output.stderr);
    assert_eq!(
        std::fs::read(test.path("notes.txt")).unwrap(),
        b"the user's notes\n"
    );
}

#[test]
fn earlier_reports_and_empty_files_are_replaced() {
    let test = project().file("out/empty.json", "");
    let reports = [
        "--report",
        "json=out/r.json",
        "--report",
        "junit=out/r.xml",
        "--report",
        "html=out/r.html",
    ];
    let first = test.run_with(&[&["run", "specs"][..], &reports[..]].concat());
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let before: Vec<String> = ["out/r.json", "out/r.xml", "out/r.html"]
        .iter()
        .map(|p| std::fs::read_to_string(test.path(p)).unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(5));
    // Each kind over each kind's earlier report, and over an empty file.
    let second = test.run_with(&[
        "run",
        "specs",
        "--report",
        "html=out/r.json",
        "--report",
        "json=out/r.xml",
        "--report",
        "junit=out/r.html",
        "--report",
        "json=out/empty.json",
    ]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    for (path, old) in ["out/r.json", "out/r.xml", "out/r.html"].iter().zip(before) {
        let new = std::fs::read_to_string(test.path(path)).unwrap();
        assert_ne!(new, old, "{path} was replaced");
    }
    assert!(
        std::fs::read_to_string(test.path("out/empty.json"))
            .unwrap()
            .contains("\"format\": \"itspec-report\"")
    );
}
