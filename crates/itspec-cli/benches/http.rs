//! HTTP-only speed, side by side in one invocation: 1,000 cases — status,
//! one header and four JSON paths each — against a local static server
//! (nginx), run by `itspec run`, by a raw HTTP client loop doing the same
//! requests and checks in process (the floor), by one `curl` process
//! fetching the same 1,000 URLs over one connection (the floor with a
//! process start), and, when `hurl` is on PATH, by Hurl running an
//! equivalent `.hurl` file. They run in turn, round after round, and each
//! round's ratios are taken, so a slow moment of the machine falls on both
//! sides of a ratio. Then the peak RSS of a 10,000-case run. The bench
//! writes every file it runs.
//!
//! Run with `cargo bench -p itspec --bench http` (nginx must be installed:
//! `apt-get install nginx-light`). `ITSPEC_BENCH_RUNS` (default 10) sets the
//! rounds; medians are reported, and the range of the ratios.
//! `ITSPEC_BENCH_BIN` measures another `itspec` binary (an earlier build).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

mod support;

use support::{nginx, write_specs};

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The same requests and checks as a Hurl file.
fn write_hurl(file: &Path, port: u16, cases: usize) {
    let mut text = String::new();
    for n in 0..cases {
        let _ = write!(
            text,
            "GET http://127.0.0.1:{port}/items/{n}\nHTTP 200\n[Asserts]\nheader \"X-Bench\" == \"yes\"\n\
             jsonpath \"$.name\" == \"widget\"\njsonpath \"$.price.amount\" == 1250\njsonpath \"$.tags[1]\" == \"b\"\njsonpath \"$.active\" == true\n\n"
        );
    }
    std::fs::write(file, text).unwrap();
}

/// The floor: one client, the same requests one after another, the same
/// checks.
fn raw_loop(port: u16, cases: usize) -> Duration {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let paths: Vec<serde_json_path::JsonPath> =
            ["$.name", "$.price.amount", "$.tags[1]", "$.active"]
                .iter()
                .map(|p| serde_json_path::JsonPath::parse(p).unwrap())
                .collect();
        let expected = [
            serde_json::json!("widget"),
            serde_json::json!(1250),
            serde_json::json!("b"),
            serde_json::json!(true),
        ];
        let started = Instant::now();
        for n in 0..cases {
            let response = client
                .get(format!("http://127.0.0.1:{port}/items/{n}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers().get("x-bench").unwrap(), "yes");
            let body: serde_json::Value =
                serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            for (path, want) in paths.iter().zip(&expected) {
                assert_eq!(path.query(&body).exactly_one().unwrap(), want);
            }
        }
        started.elapsed()
    })
}

/// One curl process fetching the same URLs, one after another, over one
/// connection.
fn write_curl(file: &Path, port: u16, cases: usize) {
    let mut text = String::new();
    for n in 0..cases {
        let _ = writeln!(
            text,
            "url = \"http://127.0.0.1:{port}/items/{n}\"\noutput = \"/dev/null\""
        );
    }
    std::fs::write(file, text).unwrap();
}

/// Runs a command, checks it passed; its wall time.
fn timed(command: &mut Command) -> Duration {
    let started = Instant::now();
    let output = command.output().unwrap();
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{command:?}\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let runs: usize = std::env::var("ITSPEC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    // `ITSPEC_BENCH_BIN`: another `itspec` binary (an earlier build).
    let itspec = std::env::var("ITSPEC_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_itspec").to_string());
    let itspec = itspec.as_str();
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = nginx(&dir.path().join("nginx"));
    let base_url = format!("http://127.0.0.1:{port}");
    write_specs(&dir.path().join("specs"), 10, 100);
    write_hurl(&dir.path().join("items.hurl"), port, 1000);
    write_curl(&dir.path().join("items.curl"), port, 1000);
    let hurl = Command::new("hurl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());

    let mut floor = Vec::new();
    let mut ours = Vec::new();
    let mut curl = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..runs {
        floor.push(raw_loop(port, 1000));
        ours.push(timed(
            Command::new(itspec)
                .args(["run", "specs", "--base-url", &base_url, "--color", "never"])
                .current_dir(dir.path())
                .env_remove("ITSPEC_CONFIG"),
        ));
        curl.push(timed(
            Command::new("curl")
                .args(["--silent", "--fail", "--config"])
                .arg(dir.path().join("items.curl")),
        ));
        if hurl {
            theirs.push(timed(
                Command::new("hurl")
                    .args(["--test", "--jobs", "1"])
                    .arg(dir.path().join("items.hurl")),
            ));
        }
    }
    println!(
        "1,000 cases (status, a header, four JSON paths) against nginx on loopback; {runs} rounds, medians; ratios per round: median (range)"
    );
    println!("| runner | time | itspec ÷ runner |");
    println!("|---|---|---|");
    println!("| itspec run | {} | 1.00 |", ms(median(ours.clone())));
    for (name, times) in [
        ("raw reqwest loop (the floor)", &floor),
        ("one curl process (the floor with a process)", &curl),
        ("hurl --test --jobs 1", &theirs),
    ] {
        if times.is_empty() {
            println!("| hurl | not on PATH | |");
            continue;
        }
        let ratios: Vec<f64> = ours
            .iter()
            .zip(times)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        let (low, high) = ratios
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), r| (l.min(*r), h.max(*r)));
        let mut sorted = ratios.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "| {name} | {} | {:.2} ({low:.2}–{high:.2}) |",
            ms(median(times.clone())),
            sorted[sorted.len() / 2]
        );
    }

    // Peak RSS of 10,000 cases: 100 specs of 100.
    write_specs(&dir.path().join("many"), 100, 100);
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M %e"])
        .arg(itspec)
        .args(["run", "many", "--base-url", &base_url, "--color", "never"])
        .current_dir(dir.path())
        .env_remove("ITSPEC_CONFIG")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let (rss, secs) = last.split_once(' ').unwrap();
    println!(
        "\n10,000 cases: peak RSS {:.1} MB, {secs} s",
        rss.parse::<f64>().unwrap() / 1024.0
    );
    let _ = server.kill();
    let _ = server.wait();
}
