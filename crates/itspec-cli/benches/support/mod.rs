//! What the CLI's benches share: the repository, how many runs, the shop.

#![allow(dead_code, reason = "each bench uses part of the support")]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// `ITSPEC_BENCH_RUNS`, else `default`.
pub fn runs(default: usize) -> usize {
    std::env::var("ITSPEC_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The shop example, built in release mode.
pub fn release_shop() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let built = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "shop"])
        .current_dir(REPO)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "the shop builds");
    Path::new(REPO).join("target/release/shop")
}
