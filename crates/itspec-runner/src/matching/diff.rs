//! Line diffs for the evidence of a failure: two JSON values pretty-printed,
//! or two texts.

use itspec_results::DiffLine;
use serde_json::Value;

/// A line diff of two JSON values, pretty-printed.
pub fn diff(expected: &Value, actual: &Value) -> Vec<DiffLine> {
    let left = serde_json::to_string_pretty(expected).unwrap_or_default();
    let right = serde_json::to_string_pretty(actual).unwrap_or_default();
    text_diff(&left, &right)
}

/// A line diff of two texts.
pub fn text_diff(expected: &str, actual: &str) -> Vec<DiffLine> {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(expected, actual);
    diff.iter_all_changes()
        .map(|change| DiffLine {
            tag: match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            },
            text: change.value().trim_end_matches(['\n', '\r']).to_string(),
        })
        .collect()
}
