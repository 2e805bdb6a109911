//! How reliably the shop's race spec catches its lost update: the shop's
//! `racy` way of taking stock (read, charge, write back) and its `atomic`
//! one, each run `ITSPEC_BENCH_RUNS` times (default 10) with 20 iterations
//! and `--keep-going`, counting the iterations that failed.
//!
//! Run with `cargo bench -p itspec --bench races`.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

use std::process::Command;

mod support;

use support::REPO;

/// "N of 20 iterations failed" in the output, or 0 when the case passed.
fn failed_iterations(stdout: &str) -> u32 {
    stdout
        .lines()
        .find_map(|line| {
            let line = line.trim();
            let (failed, rest) = line.split_once(" of 20 iterations failed")?;
            let _ = rest;
            failed.parse().ok()
        })
        .unwrap_or(0)
}

fn main() {
    let runs = u32::try_from(support::runs(10)).unwrap_or(10);
    let shop = support::release_shop();
    let dir = tempfile::tempdir().unwrap();
    println!("{runs} runs of 20 iterations each (--keep-going)");
    println!("| shop | iterations | failed | detection rate | runs that failed |");
    println!("|---|---|---|---|---|");
    for variant in ["racy", "atomic"] {
        let mut failed = 0;
        let mut runs_failed = 0;
        for run in 0..runs {
            let output = Command::new(env!("CARGO_BIN_EXE_itspec"))
                .args([
                    "run",
                    &format!("{REPO}/examples/shop/specs/reservations.md"),
                    "--config",
                    &format!("{REPO}/examples/shop/itspec.toml"),
                    "--filter",
                    "Two reservations race*",
                    "--keep-going",
                    "--repeat",
                    "20",
                    "--set",
                    &format!("service.command={}", shop.display()),
                    "--set",
                    &format!(
                        "database.url=sqlite:///{}/{variant}-{run}.db",
                        dir.path().display()
                    ),
                    "--set",
                    &format!("vars.stock_update={variant}"),
                ])
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let code = output.status.code();
            assert!(matches!(code, Some(0 | 1)), "{stdout}");
            let n = if code == Some(1) {
                failed_iterations(&stdout).max(1)
            } else {
                0
            };
            failed += n;
            runs_failed += u32::from(code == Some(1));
        }
        let total = runs * 20;
        println!(
            "| {variant} | {total} | {failed} | {:.0}% | {runs_failed} of {runs} |",
            f64::from(failed) * 100.0 / f64::from(total)
        );
    }
}
