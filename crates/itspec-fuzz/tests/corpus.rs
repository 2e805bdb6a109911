//! Replays each fuzz target's committed seeds and every input that once
//! failed (`fuzz/seeds/TARGET`, `fuzz/regressions/TARGET`) through what the
//! target checks, so a fixed crash stays fixed without a fuzzer.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for folder in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        files.extend(
            entries
                .map(|entry| entry.unwrap().path())
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    files
}

fn replay(target: &str) {
    let (_, check) = itspec_fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap();
    let files = inputs(target);
    assert!(!files.is_empty(), "no seeds for the `{target}` target");
    let failed: Vec<String> = files
        .iter()
        .filter(|file| {
            let data = std::fs::read(file).unwrap();
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(failed.is_empty(), "`{target}` fails on {failed:#?}");
}

#[test]
fn spec_seeds_and_regressions() {
    replay("spec");
}

#[test]
fn assertion_seeds_and_regressions() {
    replay("assertion");
}

#[test]
fn python_seeds_and_regressions() {
    replay("python");
}

#[test]
fn json_match_seeds_and_regressions() {
    replay("json_match");
}

#[test]
fn config_seeds_and_regressions() {
    replay("config");
}

#[test]
fn every_target_is_replayed() {
    let names: Vec<&str> = itspec_fuzz::TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        ["spec", "assertion", "python", "json_match", "config"]
    );
}
