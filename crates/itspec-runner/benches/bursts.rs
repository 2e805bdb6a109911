//! How close together a group's requests arrive: bursts of 2, 16 and 256
//! requests released by itspec over connections opened beforehand — both
//! ways, last-byte synchronisation (every request written up to its head's
//! final byte, then those bytes and the bodies together) and whole
//! requests written at the release — beside a Python script that fires the same groups from
//! threads released by a `threading.Barrier`, the race test people write
//! by hand. All go to the same local HTTP server, which notes when each
//! request has arrived whole (its body read); a group's skew is its last
//! arrival minus its first. itspec's own measure, the start skew of its
//! requests (last byte out), is shown too.
//!
//! Run with `cargo bench -p itspec-runner --bench bursts`.
//! `ITSPEC_BENCH_BURSTS` sets how many bursts of each size (default 200);
//! the Python side needs `python3` on PATH.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use itspec_runner::http::{Http, Outgoing, Release, burst, start_skew};

/// Arrival instants by group (the `X-Burst` header).
type Arrivals = Arc<Mutex<HashMap<u64, Vec<Instant>>>>;

const PYTHON: &str = r#"
import http.client, sys, threading
port, size, bursts, first = (int(a) for a in sys.argv[1:5])
for group in range(first, first + bursts):
    connections = []
    for _ in range(size):
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.connect()
        connections.append(c)
    barrier = threading.Barrier(size)
    def fire(c):
        barrier.wait()
        c.request("POST", "/hit", body=b"{}", headers={"X-Burst": str(group), "Content-Type": "application/json"})
        c.getresponse().read()
    threads = [threading.Thread(target=fire, args=(c,)) for c in connections]
    for t in threads: t.start()
    for t in threads: t.join()
    for c in connections: c.close()
"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The server, on a runtime and threads of its own.
fn serve(arrivals: Arrivals) -> u16 {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap().port()).unwrap();
            let app = axum::Router::new().route(
                "/hit",
                // The body is an argument, so the handler runs once the
                // request has arrived whole.
                axum::routing::post(move |headers: HeaderMap, _body: Bytes| {
                    let now = Instant::now();
                    let group = headers
                        .get("x-burst")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    arrivals.lock().unwrap().entry(group).or_default().push(now);
                    async { "ok" }
                }),
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    receiver.recv().unwrap()
}

/// The arrival skews of groups `groups`, in ms, sorted.
fn arrival_skews(arrivals: &Arrivals, groups: std::ops::Range<u64>, size: usize) -> Vec<f64> {
    let arrivals = arrivals.lock().unwrap();
    let mut skews: Vec<f64> = groups
        .map(|g| {
            let times = &arrivals[&g];
            assert_eq!(times.len(), size, "group {g}");
            let first = times.iter().min().unwrap();
            let last = times.iter().max().unwrap();
            last.duration_since(*first).as_secs_f64() * 1000.0
        })
        .collect();
    skews.sort_by(f64::total_cmp);
    skews
}

fn main() {
    let bursts: u64 = std::env::var("ITSPEC_BENCH_BURSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let arrivals: Arrivals = Arc::default();
    let port = serve(Arc::clone(&arrivals));
    let base = format!("http://127.0.0.1:{port}");
    // The runner's own runtime: one thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = Http::new(&base, Duration::from_secs(10), Vec::new()).unwrap();
    let whole = http.clone().with_release(Release::Whole);
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    println!(
        "{bursts} bursts of each size, {} cores; skews in ms (p50 / p99)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "| requests per group | itspec, last byte: start skew | itspec, last byte: arrival skew | itspec, whole requests: start skew | itspec, whole requests: arrival skew | Python threads + Barrier: arrival skew | Python ÷ itspec last byte (p50) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut group = 1u64;
    for size in [2usize, 16, 256] {
        let mut run = |http: &Http| {
            let first = group;
            let mut starts = Vec::with_capacity(bursts as usize);
            for _ in 0..bursts {
                let requests = (0..size)
                    .map(|i| Outgoing {
                        method: "POST".to_string(),
                        url: format!("{base}/hit"),
                        headers: vec![("X-Burst".to_string(), group.to_string())],
                        body: Some((format!("{{\"i\": {i}}}").into_bytes(), "application/json")),
                    })
                    .collect();
                let timed = runtime.block_on(burst(http, requests));
                assert!(
                    timed
                        .iter()
                        .all(|t| t.result.as_ref().is_ok_and(|r| r.status == 200))
                );
                starts.push(start_skew(&timed));
                group += 1;
            }
            starts.sort_by(f64::total_cmp);
            (starts, arrival_skews(&arrivals, first..group, size))
        };
        let (starts, ours) = run(&http);
        let (whole_starts, whole_ours) = run(&whole);
        let theirs = if python {
            let first = group;
            let status = std::process::Command::new("python3")
                .args([
                    "-c",
                    PYTHON,
                    &port.to_string(),
                    &size.to_string(),
                    &bursts.to_string(),
                    &first.to_string(),
                ])
                .status()
                .unwrap();
            assert!(status.success());
            group += bursts;
            Some(arrival_skews(&arrivals, first..group, size))
        } else {
            None
        };
        let pair = |s: &[f64]| format!("{:.3} / {:.3}", percentile(s, 0.5), percentile(s, 0.99));
        println!(
            "| {size} | {} | {} | {} | {} | {} | {} |",
            pair(&starts),
            pair(&ours),
            pair(&whole_starts),
            pair(&whole_ours),
            theirs
                .as_deref()
                .map_or("python3 not found".to_string(), pair),
            theirs.as_deref().map_or(String::new(), |t| format!(
                "{:.1}×",
                percentile(t, 0.5) / percentile(&ours, 0.5).max(1e-6)
            ))
        );
    }
}
