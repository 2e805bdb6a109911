//! What each fuzz target checks.
//!
//! The cargo-fuzz targets in `fuzz/` are one line each: they hand their
//! input to a function here. The regression tests (`tests/corpus.rs`)
//! replay every seed and every input that once failed through the same
//! functions, so a fixed crash stays fixed without a fuzzer installed.
//!
//! Each function takes any bytes and panics only when itspec broke a
//! promise: it panicked itself, or a diagnostic points outside the text or
//! inside a character, or a line:col disagrees with the span it names.

use std::path::Path;

use itspec_report::diagnostics::{FileReport, render_github, render_human, render_json};
use itspec_spec::{Diagnostic, LintOptions, Source};
use serde_json::Value;

/// What a target checks of one input.
pub type Check = fn(&[u8]);

/// The fuzz targets, by the name of their folder in `fuzz/seeds` and
/// `fuzz/regressions`.
pub const TARGETS: &[(&str, Check)] = &[
    ("spec", spec),
    ("assertion", assertion),
    ("python", python),
    ("json_match", json_match),
    ("config", config),
];

/// A whole spec document: parsed, linted strictly, and its diagnostics
/// rendered the three ways `itspec check` prints them.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = itspec_spec::strip_bom(text);
    let options = LintOptions {
        strict: true,
        ..LintOptions::default()
    };
    let checked = itspec_spec::check(text, &options);
    assert_sound(text, &checked.diagnostics);
    let file = FileReport {
        path: "fuzz.md",
        text,
        diagnostics: &checked.diagnostics,
    };
    render_human(&file, false);
    render_github(&file);
    render_json(&[file]);
}

/// One line of the assertion grammar.
pub fn assertion(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    assert_sound(line, &itspec_spec::fuzz::assertion(line));
}

/// A Python block, read as each section that takes one.
pub fn python(data: &[u8]) {
    let Ok(code) = std::str::from_utf8(data) else {
        return;
    };
    assert_sound(code, &itspec_spec::fuzz::python(code));
}

/// An expected body with markers and an actual body, separated by the
/// first NUL byte: matched both ways round and diffed. A body without
/// markers matches itself.
pub fn json_match(data: &[u8]) {
    let mut parts = data.splitn(2, |&b| b == 0);
    let expected = parts.next().unwrap_or_default();
    let actual = parts.next().unwrap_or_default();
    let Ok(expected) = serde_json::from_slice::<Value>(expected) else {
        return;
    };
    let actual = serde_json::from_slice::<Value>(actual).ok();
    use itspec_runner::matching::body::match_body;
    use itspec_runner::matching::diff::diff;
    let (mismatches, projected) = match_body(&expected, actual.as_ref());
    for mismatch in &mismatches {
        assert!(mismatch.path.starts_with('$'), "{mismatch:?}");
    }
    diff(&projected, actual.as_ref().unwrap_or(&Value::Null));
    if let Some(actual) = &actual {
        match_body(actual, Some(&expected));
    }
    if !has_marker(&expected) {
        let (mismatches, projected) = match_body(&expected, Some(&expected));
        assert!(
            mismatches.is_empty(),
            "a body must match itself: {mismatches:?}"
        );
        assert_eq!(projected, expected);
    }
}

/// An `itspec.toml`: read, validated, and turned into run settings; an
/// error's line:col lies in the text.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let overrides = itspec_config::Overrides::default();
    match itspec_config::load_text(
        text,
        Some(Path::new("itspec.toml")),
        &overrides,
        Path::new("."),
    ) {
        Ok(loaded) => {
            if let Err(error) = itspec_runner::Settings::from_config(&loaded) {
                error.to_string();
            }
        }
        Err(error) => {
            if let itspec_config::ConfigError::Invalid { line, col, .. } = &error {
                let in_text = Source::new(text).line_range(*line).is_some();
                assert!(in_text && *col >= 1, "{error}");
            }
            error.to_string();
        }
    }
}

/// Whether a value holds a string the matcher reads as a marker.
fn has_marker(value: &Value) -> bool {
    match value {
        Value::String(text) => text.starts_with('#'),
        Value::Array(items) => items.iter().any(has_marker),
        Value::Object(members) => members.values().any(has_marker),
        _ => false,
    }
}

/// Every span of every diagnostic lies in `text` on character boundaries,
/// and its line:col is where the span starts.
fn assert_sound(text: &str, diagnostics: &[Diagnostic]) {
    let source = Source::new(text);
    for d in diagnostics {
        for span in std::iter::once(d.span).chain(d.notes.iter().map(|n| n.span)) {
            assert!(span.start <= span.end && span.end <= text.len(), "{d:?}");
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{d:?}"
            );
            assert_eq!(source.position(span.start), (span.line, span.col), "{d:?}");
        }
    }
}
