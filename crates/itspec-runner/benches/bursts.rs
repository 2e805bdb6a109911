//! How close together a group's requests start: the start skew (the latest
//! start minus the earliest) of bursts of 2, 16 and 256 requests released
//! by one barrier over connections opened beforehand, against an in-process
//! HTTP server on loopback.
//!
//! Run with `cargo bench -p itspec-runner --bench bursts`.
//! `ITSPEC_BENCH_BURSTS` sets how many bursts of each size (default 200).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

use std::time::Duration;

use itspec_runner::http::{Http, Outgoing, burst, start_skew};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let bursts: usize = std::env::var("ITSPEC_BENCH_BURSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/hit", axum::routing::post(|| async { "ok" }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let http = Http::new(&base, Duration::from_secs(10), Vec::new()).unwrap();
        println!(
            "{bursts} bursts of each size, {} cores",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        println!("| requests per group | start skew p50 | p99 | max |");
        println!("|---|---|---|---|");
        for size in [2usize, 16, 256] {
            let mut skews = Vec::with_capacity(bursts);
            for _ in 0..bursts {
                let requests = (0..size)
                    .map(|i| Outgoing {
                        method: "POST".to_string(),
                        url: format!("{base}/hit"),
                        headers: Vec::new(),
                        body: Some((format!("{{\"i\": {i}}}").into_bytes(), "application/json")),
                    })
                    .collect();
                let timed = burst(&http, requests).await;
                assert!(
                    timed
                        .iter()
                        .all(|t| t.result.as_ref().is_ok_and(|r| r.status == 200))
                );
                skews.push(start_skew(&timed));
            }
            skews.sort_by(f64::total_cmp);
            println!(
                "| {size} | {:.3} ms | {:.3} ms | {:.3} ms |",
                percentile(&skews, 0.5),
                percentile(&skews, 0.99),
                skews[skews.len() - 1]
            );
        }
    });
}
