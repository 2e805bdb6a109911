//! Hostile specs: nesting that would overflow the stack of any recursive
//! reader is a diagnostic (`IT206 too-complex`) at the bracket, marker or
//! line that goes past the limit — never a crash — and nesting right at
//! the limit is read as usual. Each spec is checked on a thread with a
//! stack of 1 MiB, half of a test thread's, so the limit has room to spare
//! even in a debug build.

use itspec_spec::limits::MAX_DEPTH;
use itspec_spec::{Code, Diagnostic, LintOptions};

const HEAD: &str = "# Integration Test Spec: Hostile\n\n**Related:** US-1, POST /orders\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Deep\n\n**Request:** POST /orders\n\n";

/// The diagnostics of `HEAD` + `body`, checked on a small stack.
fn check(body: &str) -> Vec<Diagnostic> {
    let text = format!("{HEAD}{body}");
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || itspec_spec::check(&text, &LintOptions::default()).diagnostics)
        .unwrap()
        .join()
        .unwrap()
}

/// The one IT206 of `body`, as `line:col message`.
fn too_complex(body: &str) -> String {
    let found: Vec<String> = check(body)
        .into_iter()
        .filter(|d| d.code == Code::TooComplex)
        .map(|d| format!("{}:{} {}", d.span.line, d.span.col, d.message))
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().unwrap()
}

fn no_too_complex(body: &str) {
    let found: Vec<Diagnostic> = check(body)
        .into_iter()
        .filter(|d| d.code == Code::TooComplex)
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

const DEEP: usize = 5_000;

#[test]
fn json_bodies() {
    let input = |value: String| format!("**Input:**\n```json\n{value}\n```\n");
    no_too_complex(&input(nested("[", "", "]", MAX_DEPTH)));
    no_too_complex(&input(nested("{\"a\": ", "1", "}", MAX_DEPTH)));
    assert_eq!(
        too_complex(&input(nested("[", "", "]", DEEP))),
        "15:33 this JSON value nests deeper than 32 levels, the most itspec reads"
    );
    // Unbalanced: still the depth, not the missing brackets.
    assert!(too_complex(&input("[".repeat(DEEP))).starts_with("15:33 "));
    let expected = format!(
        "**Expected Output:**\n```json\n{}\n```\n",
        nested("{\"a\": ", "1", "}", DEEP)
    );
    assert!(too_complex(&expected).starts_with("15:193 "));
}

#[test]
fn json_in_assertions_setup_lines_and_actions() {
    assert!(
        too_complex(&format!(
            "**Assertions:**\n- body.x == {}\n",
            nested("[", "", "]", DEEP)
        ))
        .starts_with("14:45 this JSON value"),
        "{}",
        too_complex(&format!(
            "**Assertions:**\n- body.x == {}\n",
            nested("[", "", "]", DEEP)
        ))
    );
    assert!(
        too_complex(&format!(
            "**Assertions:**\n- status in {}\n",
            nested("[", "", "]", DEEP)
        ))
        .contains("this JSON value")
    );
    assert!(
        too_complex(&format!(
            "**Setup:**\n- mock payments POST /x -> 201 {}\n",
            nested("[", "", "]", DEEP)
        ))
        .contains("this JSON value")
    );
}

#[test]
fn yaml_fixtures_and_mocks() {
    let fixture = |yaml: String| format!("## Data Fixtures\n\n```yaml\n{yaml}\n```\n");
    no_too_complex(&fixture(format!(
        "inventory: {}",
        nested("[", "", "]", MAX_DEPTH - 1)
    )));
    assert_eq!(
        too_complex(&fixture(format!(
            "inventory: {}",
            nested("[", "", "]", DEEP)
        ))),
        "16:44 this YAML value nests deeper than 32 levels, the most itspec reads"
    );
    let block: String = (0..DEEP / 50)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let block = too_complex(&fixture(block));
    assert!(block.starts_with("48:33 this YAML value"), "{block}");
    let mock = format!(
        "## Mocks\n\n```yaml\npayments:\n  - when: POST /charges\n    then: {{ status: 201, body: {} }}\n```\n",
        nested("{a: ", "1", "}", DEEP)
    );
    assert!(too_complex(&mock).contains("this YAML value"));
}

#[test]
fn python_literals_expressions_and_blocks() {
    let fixture = |code: String| format!("## Data Fixtures\n\n```python\n{code}\n```\n");
    // At the limit: a fixture as deep as it may be is read.
    no_too_complex(&fixture(format!(
        "def x():\n    return {}",
        nested("[", "", "]", MAX_DEPTH - 1)
    )));
    for deep in [
        nested("[", "", "]", DEEP),
        nested("(", "1", ")", DEEP),
        nested("{'a': ", "1", "}", DEEP),
        format!("{}1", "-".repeat(DEEP)),
        format!("{}1", "not ".repeat(DEEP)),
        nested("f(", "", ")", DEEP),
        format!("a{}", ".b".repeat(DEEP)),
        format!("1{}", "+1".repeat(DEEP)),
        format!("a{}{}", "[a".repeat(DEEP), "]".repeat(DEEP)),
    ] {
        let message = too_complex(&fixture(format!("def x():\n    return {deep}")));
        assert!(
            message.contains("this Python code nests deeper than 32 levels"),
            "{message}"
        );
    }
    let defs: String = (0..100)
        .map(|i| format!("{}def f():\n", " ".repeat(i)))
        .collect();
    assert!(too_complex(&fixture(format!("{defs}{}pass", " ".repeat(100)))).contains("Python"));
}

#[test]
fn markers() {
    let body =
        |marker: String| format!("**Expected Output:**\n```json\n{{\"a\": \"{marker}\"}}\n```\n");
    no_too_complex(&body(format!("{}#string", "#[] ".repeat(MAX_DEPTH - 1))));
    assert_eq!(
        too_complex(&body(format!("{}#string", "#[] ".repeat(DEEP)))),
        "15:136 this marker nests `#[…]` deeper than 32 levels, the most itspec reads"
    );
}

#[test]
fn json_paths() {
    let filters = |n: usize| format!("$.a{}{}", "[?@".repeat(n), "]".repeat(n));
    no_too_complex(&format!("**Assertions:**\n- {} exists\n", filters(8)));
    assert_eq!(
        too_complex(&format!("**Assertions:**\n- {} exists\n", filters(25))),
        "14:31 this JSONPath nests more than 8 filters inside one another, the most itspec reads"
    );
    assert!(
        too_complex(&format!("**Capture:**\n- x = {}\n", filters(25)))
            .starts_with("14:35 this JSONPath nests more than 8 filters"),
        "{}",
        too_complex(&format!("**Capture:**\n- x = {}\n", filters(25)))
    );
    let parens = too_complex(&format!(
        "**Assertions:**\n- $[?{}] exists\n",
        nested("(", "@.a", ")", 40)
    ));
    assert_eq!(
        parens,
        "14:21 this JSONPath nests brackets and parentheses deeper than 16 levels, the most itspec reads"
    );
    assert!(
        too_complex(&format!(
            "**Assertions:**\n- $.{} exists\n",
            "a".repeat(2_000)
        ))
        .contains("2002 bytes long; itspec reads queries of at most 1024")
    );
}

#[test]
fn markdown_lists() {
    let list = |depth: usize| -> String {
        (0..depth)
            .map(|i| format!("{}- status == 200\n", " ".repeat(i * 2)))
            .collect()
    };
    no_too_complex(&format!("**Assertions:**\n{}", list(MAX_DEPTH - 1)));
    assert_eq!(
        too_complex(&format!("**Assertions:**\n{}", list(200))),
        "46:65 this list nests deeper than 32 levels, the most itspec reads"
    );
    assert!(
        too_complex(&format!(
            "**Assertions:**\n{}status == 200\n",
            "- ".repeat(DEEP)
        ))
        .contains("this list")
    );
}
