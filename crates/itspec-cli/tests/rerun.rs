//! The daily loop against the real shop: `FILE:LINE` and `FILE::ID` run
//! one case, `--filter` matches text, `-x` stops at the first failure,
//! `--lf` reruns what failed, `-v` lists passed checks, `--format jsonl`
//! is one event per line, `--watch` reruns what changed; paths are shown
//! relative to the current folder; completions and the man page.

mod common;

use std::io::BufRead as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Test, shop};

fn shop_config(dir: &Path) -> String {
    format!(
        "specs = [\"specs\"]\n\n[service]\ncommand = \"{}\"\nenv = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"sqlite://{}/shop.db\" }}\nready = \"GET /health\"\n",
        shop().display(),
        dir.display()
    )
}

/// Three cases: the second fails (the shop answers 404 for an unknown
/// SKU), the others pass. `fixed` makes the second pass too.
fn stock_spec(fixed: bool) -> String {
    let status = if fixed { 404 } else { 418 };
    format!(
        "# Integration Test Spec: Stock\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n\
         ### TC-INT-001: Stock a SKU\n\n**Request:** PUT /inventory/S-{{{{run_id}}}}\n\n**Input:**\n```json\n{{\"stock\": 5}}\n```\n\n**Assertions:**\n- status == 200\n- body.stock == 5\n\n\
         ### TC-INT-002: An unknown SKU\n\n**Request:** GET /inventory/NOPE-{{{{run_id}}}}\n\n**Assertions:**\n- status == {status}\n\n\
         ### TC-INT-003: Another SKU\n\n**Request:** PUT /inventory/T-{{{{run_id}}}}\n\n**Input:**\n```json\n{{\"stock\": 2}}\n```\n\n**Assertions:**\n- status == 200\n"
    )
}

/// The line of a case's heading in [`stock_spec`].
fn heading_line(id: &str) -> usize {
    stock_spec(false)
        .lines()
        .position(|line| line.starts_with(&format!("### {id}:")))
        .expect("the case")
        + 1
}

fn project() -> Test {
    let test = Test::new();
    let config = shop_config(test.root());
    test.file("itspec.toml", config)
        .file("specs/stock.md", stock_spec(false))
}

/// The ids of the cases a human run printed, in order.
fn ran(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let rest = ["PASS", "FAIL", "ERROR", "SKIP"]
                .iter()
                .find_map(|word| line.strip_prefix(word))?;
            rest.split_whitespace().next().map(str::to_string)
        })
        .collect()
}

#[test]
fn file_line_and_file_id_run_exactly_that_case() {
    let test = project();
    // A line inside the second case's section, below its heading.
    let line = heading_line("TC-INT-002") + 3;
    let output = test.run_with(&["run", &format!("specs/stock.md:{line}")]);
    assert_eq!(ran(&output.stdout), ["TC-INT-002"], "{}", output.stdout);
    assert_eq!(output.code, 1, "{}", output.stdout);

    let output = test.run_with(&["run", "specs/stock.md::TC-INT-003"]);
    assert_eq!(ran(&output.stdout), ["TC-INT-003"], "{}", output.stdout);
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);

    // Both at once, and the heading's own line: one run, in document order.
    let output = test.run_with(&[
        "run",
        "specs/stock.md::TC-INT-003",
        &format!("specs/stock.md:{}", heading_line("TC-INT-001")),
    ]);
    assert_eq!(
        ran(&output.stdout),
        ["TC-INT-001", "TC-INT-003"],
        "{}",
        output.stdout
    );
    assert_eq!(
        output
            .stdout
            .matches("itspec: starting the service")
            .count(),
        1
    );
}

#[test]
fn a_line_or_an_id_that_names_no_case_is_a_usage_error() {
    let test = project();
    let output = test.run_with(&["run", "specs/stock.md:2"]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output.stderr.contains(&format!(
            "specs/stock.md:2: no case there: line 2 is outside every case; its cases start at lines {} (TC-INT-001)",
            heading_line("TC-INT-001")
        )),
        "{}",
        output.stderr
    );
    let output = test.run_with(&["run", "specs/stock.md::TC-INT-020"]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("specs/stock.md::TC-INT-020: no case has this id (did you mean specs/stock.md::TC-INT-002?)"),
        "{}",
        output.stderr
    );
    assert!(!output.stdout.contains("starting the service"));
}

#[test]
fn filter_matches_a_part_of_the_name() {
    let output = project().run_with(&["run", "--filter", "unknown sku"]);
    assert_eq!(ran(&output.stdout), ["TC-INT-002"], "{}", output.stdout);
}

#[test]
fn fail_fast_starts_no_case_after_the_first_failure() {
    let output = project().run_with(&["run", "-x"]);
    assert_eq!(output.code, 1, "{}", output.stdout);
    assert_eq!(
        ran(&output.stdout),
        ["TC-INT-001", "TC-INT-002"],
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("note: stopped after the first failure (--fail-fast): 1 case not run"),
        "{}",
        output.stdout
    );
}

#[test]
fn last_failed_reruns_only_the_failures_until_they_pass() {
    let test = project();
    let output = test.run_with(&["run"]);
    assert_eq!(output.code, 1, "{}", output.stdout);
    assert_eq!(ran(&output.stdout).len(), 3);

    let output = test.run_with(&["run", "--lf"]);
    assert_eq!(ran(&output.stdout), ["TC-INT-002"], "{}", output.stdout);
    assert!(
        output
            .stdout
            .contains("itspec: --last-failed: rerunning the 1 case that failed last time"),
        "{}",
        output.stdout
    );
    assert_eq!(output.code, 1);

    // Fixed: it passes, and leaves the list.
    std::fs::write(test.path("specs/stock.md"), stock_spec(true)).unwrap();
    let output = test.run_with(&["run", "--last-failed"]);
    assert_eq!(ran(&output.stdout), ["TC-INT-002"], "{}", output.stdout);
    assert_eq!(output.code, 0, "{}", output.stdout);

    // Nothing failed last time: everything runs, as pytest does.
    let output = test.run_with(&["run", "--lf"]);
    assert!(
        output
            .stdout
            .contains("no case failed last time: running every case"),
        "{}",
        output.stdout
    );
    assert_eq!(ran(&output.stdout).len(), 3, "{}", output.stdout);
}

#[test]
fn verbose_lists_the_checks_that_passed() {
    let test = project();
    let quiet = test.run_with(&["run", "specs/stock.md::TC-INT-001"]);
    assert!(
        !quiet.stdout.contains("body.stock == 5"),
        "{}",
        quiet.stdout
    );
    let output = test.run_with(&["run", "-v", "specs/stock.md::TC-INT-001"]);
    let line = stock_spec(false)
        .lines()
        .position(|line| line == "- body.stock == 5")
        .unwrap()
        + 1;
    assert!(
        output
            .stdout
            .contains(&format!("ok specs/stock.md:{line}  body.stock == 5")),
        "{}",
        output.stdout
    );
}

#[test]
fn jsonl_is_one_event_per_line_and_nothing_else() {
    let test = project();
    let output = test.run_with(&["run", "--format", "jsonl"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    let events: Vec<serde_json::Value> = output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .filter(|kind| *kind != "notice")
        .collect();
    assert_eq!(
        kinds,
        [
            "run-started",
            "case-finished",
            "case-finished",
            "case-finished",
            "run-finished"
        ]
    );
    let failed = events
        .iter()
        .find(|e| e["id"] == "TC-INT-002")
        .expect("the failed case");
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["path"], "specs/stock.md");
    assert_eq!(failed["line"], heading_line("TC-INT-002"));
    let file = std::fs::canonicalize(test.path("specs/stock.md")).unwrap();
    assert_eq!(
        std::fs::canonicalize(failed["file"].as_str().unwrap()).unwrap(),
        file
    );
    let text = failed["text"].as_str().unwrap();
    assert!(text.contains("FAIL  TC-INT-002"), "{text}");
    assert!(text.contains("expected == 418, got 404"), "{text}");
    let last = events.last().unwrap();
    assert_eq!(last["outcome"], "completed");
    assert_eq!(last["summary"]["passed"], 2);
    assert_eq!(last["summary"]["failed"], 1);
    // What a person reads goes to standard error.
    let output = test.run_with(&["run", "--format", "jsonl", "specs/stock.md::TC-INT-009"]);
    assert_eq!(output.code, 2);
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    assert!(output.stderr.contains("no case has this id"));
}

#[test]
fn paths_are_shown_from_the_current_folder() {
    let test = Test::new();
    let config = shop_config(&test.path("proj"));
    let test = test
        .file("proj/itspec.toml", config)
        .file("proj/specs/stock.md", stock_spec(false));
    let output = test.run_with(&["run", "proj"]);
    assert_eq!(output.code, 1, "{}", output.stdout);
    assert!(
        output.stdout.contains("itspec: starting the service `")
            && output
                .stdout
                .contains("(log: proj/target/itspec/service.log)…"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("\nproj/specs/stock.md  Stock"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains(&format!(
            "proj/specs/stock.md:{} TC-INT-002",
            heading_line("TC-INT-002")
        )),
        "{}",
        output.stdout
    );
    let root = test.root().display().to_string();
    assert!(!output.stdout.contains(&root), "{}", output.stdout);
}

#[test]
fn watch_reruns_the_spec_that_changed_until_ctrl_c() {
    let test = project().file(
        "specs/other.md",
        stock_spec(true).replace("Stock\n", "Other\n"),
    );
    let mut child = test
        .command(&["run", "--watch"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    for stream in [
        Box::new(stdout) as Box<dyn std::io::Read + Send>,
        Box::new(stderr),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream)
                .lines()
                .map_while(Result::ok)
            {
                let _ = lines.send(line);
            }
        });
    }
    // Standard output and standard error come through two pipes, so
    // their lines are waited for together, in any order.
    let wait_for = |texts: &[&str]| {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen: Vec<String> = Vec::new();
        while Instant::now() < deadline {
            if texts
                .iter()
                .all(|text| seen.iter().any(|line| line.contains(text)))
            {
                return seen;
            }
            if let Ok(line) = received.recv_timeout(Duration::from_millis(200)) {
                seen.push(line);
            }
        }
        panic!("not all of {texts:?} in:\n{}", seen.join("\n"));
    };
    wait_for(&["5 passed, 1 failed", "watching for changes"]);
    std::fs::write(test.path("specs/stock.md"), stock_spec(true)).unwrap();
    let second = wait_for(&[
        "changed: specs/stock.md",
        "3 passed, 0 failed",
        "watching for changes",
    ]);
    assert!(
        second
            .iter()
            .any(|l| l.contains("running 3 cases from 1 spec")),
        "only the spec that changed ran: {second:?}"
    );
    assert!(
        !second.iter().any(|l| l.contains("starting the service")),
        "the service stayed up: {second:?}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
}

#[test]
fn completions_and_the_man_page_describe_the_command_line() {
    let test = Test::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = test.run_with(&["completions", shell]);
        assert_eq!(output.code, 0, "{shell}: {}", output.stderr);
        assert!(
            output.stdout.contains("last-failed") && output.stdout.contains("restore"),
            "{shell}: {}",
            output.stdout
        );
    }
    let output = test.run_with(&["completions", "tcsh"]);
    assert_eq!(output.code, 2);

    let output = test.run_with(&["man"]);
    assert_eq!(output.code, 0);
    assert!(output.stdout.contains(".TH itspec 1"), "{}", output.stdout);
    assert!(output.stdout.contains("itspec\\-run"), "{}", output.stdout);
    let output = test.run_with(&["man", "run"]);
    assert!(
        output.stdout.contains(".TH itspec-run 1"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("last\\-failed"), "{}", output.stdout);
    let output = test.run_with(&["man", "fly"]);
    assert_eq!(output.code, 2);
    assert!(output.stderr.contains("itspec has no command `fly`"));
}
