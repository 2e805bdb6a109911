//! The speed-up of parallel workers on a database-backed suite: 8 specs of
//! 40 cases against the shop (each case writes through the service, checks
//! a row and is restored), run with `--jobs 1` and `--jobs 2` side by side,
//! on SQLite and, when `ITSPEC_TEST_POSTGRES_URL` names a server, on
//! PostgreSQL. Every run must pass.
//!
//! Run with `cargo bench -p itspec --bench jobs`. `ITSPEC_BENCH_RUNS`
//! (default 3) sets the runs of each; the median is reported;
//! `ITSPEC_BENCH_CASES` (default 40) the cases per spec.
//! `ITSPEC_BENCH_BEFORE` names an earlier `itspec` binary to measure in
//! the same rounds, before and after side by side. Each round runs every
//! binary with `--jobs 1` and `--jobs 2`, one after the other.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use support::REPO;

/// Cases per spec: `ITSPEC_BENCH_CASES`, 40 by default.
fn cases() -> usize {
    std::env::var("ITSPEC_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

fn write_suite(dir: &Path) {
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    for s in 0..8 {
        let mut text = format!(
            "# Integration Test Spec: Stock {s}\n\n**Related:** PUT /inventory/{{sku}}\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n"
        );
        for c in 0..cases() {
            let _ = write!(
                text,
                "\n### TC-INT-{:03}: Stock SKU {s}-{c}\n\n**Request:** PUT /inventory/S{s}-{c}\n\n**Input:**\n```json\n{{ \"stock\": {c}, \"price_cents\": 100 }}\n```\n\n\
                 **Assertions:**\n- status == 200\n- body.stock == {c}\n- row inventory where sku = \"S{s}-{c}\" has stock = {c}\n- rows inventory count == 1\n",
                c + 1
            );
        }
        std::fs::write(dir.join(format!("specs/stock-{s}.md")), text).unwrap();
    }
}

fn config(shop: &Path, url: &str) -> String {
    format!(
        "specs = [\"specs\"]\n\n[target]\nheaders = {{ Accept = \"application/json\" }}\n\n[service]\ncommand = \"{}\"\nready = \"GET /health\"\n\
         env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\" }}\n\n[database]\nurl = \"{url}\"\nschema = \"{REPO}/examples/shop/schema.sql\"\n",
        shop.display()
    )
}

fn run(binary: &str, dir: &Path, jobs: u32) -> Duration {
    let started = Instant::now();
    let output = Command::new(binary)
        .args(["run", "--jobs", &jobs.to_string(), "--color", "never"])
        .current_dir(dir)
        .env_remove("ITSPEC_CONFIG")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("{} passed, 0 failed", 8 * cases())),
        "{stdout}"
    );
    elapsed
}

fn main() {
    let runs: usize = std::env::var("ITSPEC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let shop = support::release_shop();
    let dir = tempfile::tempdir().unwrap();
    let mut databases = vec![(
        "SQLite",
        format!("sqlite:///{}/bench.db", dir.path().display()),
    )];
    match std::env::var("ITSPEC_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => databases.push(("PostgreSQL", url)),
        _ => println!("PostgreSQL: not measured (ITSPEC_TEST_POSTGRES_URL is not set)"),
    }
    let mut binaries = vec![("", env!("CARGO_BIN_EXE_itspec").to_string())];
    if let Ok(before) = std::env::var("ITSPEC_BENCH_BEFORE") {
        binaries.insert(0, ("before", before));
        binaries[1].0 = "after";
    }
    println!(
        "8 specs × {} cases against the shop; median of {runs} rounds, start and stop of every service included",
        cases()
    );
    println!("| database | binary | --jobs 1 | --jobs 2 | speed-up (range) |");
    println!("|---|---|---|---|---|");
    for (label, server) in databases {
        let url = if label == "SQLite" {
            server
        } else {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime
                .block_on(itspec_runner::db::recreate_database(
                    &server,
                    "itspec_bench_jobs",
                    dir.path(),
                ))
                .unwrap()
        };
        let project = dir.path().join(label);
        write_suite(&project);
        std::fs::write(project.join("itspec.toml"), config(&shop, &url)).unwrap();
        // times[binary] = (--jobs 1, --jobs 2) of each round.
        let mut times = vec![Vec::new(); binaries.len()];
        for _ in 0..runs {
            for ((_, binary), times) in binaries.iter().zip(&mut times) {
                times.push((run(binary, &project, 1), run(binary, &project, 2)));
            }
        }
        for ((name, _), times) in binaries.iter().zip(times) {
            let median = |mut values: Vec<f64>| {
                values.sort_by(f64::total_cmp);
                (
                    values[values.len() / 2],
                    values[0],
                    values[values.len() - 1],
                )
            };
            let (one, _, _) = median(times.iter().map(|t| t.0.as_secs_f64()).collect());
            let (two, _, _) = median(times.iter().map(|t| t.1.as_secs_f64()).collect());
            let (ratio, low, high) = median(
                times
                    .iter()
                    .map(|t| t.0.as_secs_f64() / t.1.as_secs_f64())
                    .collect(),
            );
            println!(
                "| {label} | {name} | {one:.2} s | {two:.2} s | {ratio:.2}× ({low:.2}–{high:.2}) |"
            );
        }
    }
}
