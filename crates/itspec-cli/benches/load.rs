//! Load: whether a long run leaks. The open file descriptors and the
//! resident memory of `itspec run` are sampled every 20 ms from `/proc`
//! while it runs, against a local nginx:
//!
//! - a concurrency case of 256 requests released at once, repeated
//!   `ITSPEC_BENCH_BURSTS` times (default 100);
//! - 10,000 cases (100 specs of 100), each one request and six checks.
//!
//! For each, the descriptors and memory in the first and the last tenth of
//! the run, and their highest. Run with `cargo bench -p itspec --bench load`
//! (nginx must be installed: `apt-get install nginx-light`).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{nginx, write_specs};

/// One sample: when, open descriptors, resident memory in KB.
type Sample = (Duration, usize, u64);

fn sample(pid: u32) -> Option<(usize, u64)> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((fds, rss))
}

/// Runs `itspec run` in `dir` with `args`, sampling it until it ends.
fn watched(dir: &Path, args: &[&str]) -> Vec<Sample> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_itspec"))
        .arg("run")
        .args(args)
        .current_dir(dir)
        .env_remove("ITSPEC_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut samples = Vec::new();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "itspec run {args:?} failed: {status}");
            return samples;
        }
        if let Some((fds, rss)) = sample(child.id()) {
            samples.push((started.elapsed(), fds, rss));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn report(label: &str, samples: &[Sample]) {
    let tenth = (samples.len() / 10).max(1);
    let first = &samples[..tenth];
    let last = &samples[samples.len() - tenth..];
    let max_fd = |s: &[Sample]| s.iter().map(|x| x.1).max().unwrap_or(0);
    let max_rss = |s: &[Sample]| s.iter().map(|x| x.2).max().unwrap_or(0) as f64 / 1024.0;
    println!(
        "| {label} | {:.1} s, {} samples | {} / {} / {} | {:.1} / {:.1} / {:.1} |",
        samples.last().map_or(0.0, |s| s.0.as_secs_f64()),
        samples.len(),
        max_fd(first),
        max_fd(last),
        max_fd(samples),
        max_rss(first),
        max_rss(last),
        max_rss(samples),
    );
}

fn main() {
    let bursts: usize = std::env::var("ITSPEC_BENCH_BURSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = nginx(&dir.path().join("nginx"));
    let base_url = format!("http://127.0.0.1:{port}");

    std::fs::create_dir_all(dir.path().join("burst")).unwrap();
    std::fs::write(
        dir.path().join("burst/burst.md"),
        format!(
            "# Integration Test Spec: Burst\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n\
             ### TC-INT-001: 256 at once\n\n**Actions:**\n1. Request Item (x256): GET /items/1\n\n\
             **Expected:**\n- Item1.status == 200\n- Item256.status == 200\n\n**Repeat:** {bursts}\n"
        ),
    )
    .unwrap();
    write_specs(&dir.path().join("many"), 100, 100);

    println!(
        "Descriptors and resident memory of `itspec run`, sampled every 20 ms: first tenth / last tenth / highest"
    );
    println!("| run | time | open descriptors | resident MB |");
    println!("|---|---|---|---|");
    let burst = watched(
        dir.path(),
        &["burst", "--base-url", &base_url, "--color", "never"],
    );
    report(&format!("{bursts} bursts of 256 requests"), &burst);
    let many = watched(
        dir.path(),
        &["many", "--base-url", &base_url, "--color", "never"],
    );
    report("10,000 cases", &many);
    let _ = server.kill();
    let _ = server.wait();
}
