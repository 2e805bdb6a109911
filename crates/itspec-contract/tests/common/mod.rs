//! What the contract tests share: the documents they read, and what `lint`
//! finds in a spec, as text.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the helper"
)]

use itspec_contract::{Contract, lint};
use itspec_spec::{LintOptions, Source};

/// The shop's contract, `examples/shop/openapi.yaml`, named `openapi.yaml`.
pub fn shop() -> Contract {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/shop/openapi.yaml"
    );
    Contract::load(std::path::Path::new(path), "openapi.yaml").unwrap()
}

/// A document of `tests/fixtures`, named by its file name.
pub fn fixture(name: &str) -> Contract {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    Contract::load(std::path::Path::new(&path), name).unwrap()
}

/// Each problem `lint` finds in the spec `text` against `contract`, as
/// `code line:col message`. The spec itself must have no error.
pub fn problems(text: &str, contract: &Contract) -> Vec<String> {
    let checked = itspec_spec::check(text, &LintOptions::default());
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "the spec itself is fine: {errors:?}");
    let source = Source::new(text);
    lint(&checked.spec, contract)
        .iter()
        .map(|d| {
            let (line, col) = source.position(d.span.start);
            format!("{} {line}:{col} {}", d.code.id(), d.message)
        })
        .collect()
}
