//! Hostile input, timed: JSONPath queries of nested filters as the crate
//! parses them and as itspec does (bounded first), and `check` of specs
//! nested 5,000 deep. `cargo bench -p itspec-spec --bench hostile`; the
//! figures are in docs/benchmarks.md.

#![allow(clippy::print_stdout, reason = "a bench prints its figures")]

use std::time::{Duration, Instant};

/// The best of `runs` timings of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn nested_filters(n: usize) -> String {
    format!("${}{}", "[?@".repeat(n), "]".repeat(n))
}

fn main() {
    println!(
        "JSONPath, n nested filters: serde_json_path::JsonPath::parse | itspec_spec::jsonpath::parse"
    );
    for n in [4, 6, 8, 10, 12, 14] {
        let query = nested_filters(n);
        let raw = best(3, || {
            let _ = serde_json_path::JsonPath::parse(&query);
        });
        let bounded = best(3, || {
            let _ = itspec_spec::jsonpath::parse(&query);
        });
        println!(
            "  {n:>2} ({:>2} bytes): {raw:>12.3?} | {bounded:>12.3?}",
            query.len()
        );
    }
    let query = nested_filters(25);
    let bounded = best(3, || {
        let _ = itspec_spec::jsonpath::parse(&query);
    });
    println!(
        "  25 ({} bytes): (not run: doubles with each filter) | {bounded:.3?}",
        query.len()
    );
    fn tree(depth: usize) -> String {
        if depth == 0 {
            "@".to_string()
        } else {
            format!("@[?{} && {}]", tree(depth - 1), tree(depth - 1))
        }
    }
    let widest = format!("$[?{}]", tree(6));
    let time = best(3, || {
        let _ = itspec_spec::jsonpath::parse(&widest);
    });
    println!(
        "  the slowest query within the limits found (a binary tree of filters, {} bytes): {time:.3?}",
        widest.len()
    );

    let head = "# Integration Test Spec: Hostile\n\n**Related:** US-1, POST /orders\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Deep\n\n**Request:** POST /orders\n\n";
    let deep = 5_000;
    let specs = [
        (
            "JSON Input",
            format!(
                "**Input:**\n```json\n{}{}\n```\n",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
        ),
        (
            "YAML fixture",
            format!(
                "## Data Fixtures\n\n```yaml\ninventory: {}{}\n```\n",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
        ),
        (
            "Python fixture",
            format!(
                "## Data Fixtures\n\n```python\ndef x():\n    return {}1{}\n```\n",
                "(".repeat(deep),
                ")".repeat(deep)
            ),
        ),
        (
            "marker",
            format!(
                "**Expected Output:**\n```json\n{{\"a\": \"{}#string\"}}\n```\n",
                "#[] ".repeat(deep)
            ),
        ),
        (
            "Markdown list",
            format!("**Assertions:**\n{}status == 200\n", "- ".repeat(deep)),
        ),
    ];
    println!("itspec check of a spec nested {deep} deep:");
    for (name, body) in specs {
        let text = format!("{head}{body}");
        let time = best(5, || {
            let _ = itspec_spec::check(&text, &itspec_spec::LintOptions::default());
        });
        println!("  {name:<15} ({:>6} bytes): {time:.3?}", text.len());
    }
}
