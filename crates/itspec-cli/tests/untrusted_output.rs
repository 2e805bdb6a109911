//! What a hostile service sends, printed: escape sequences and control
//! characters must reach neither the terminal nor a CI log raw, and in a
//! GitHub Actions log no line of a response may be obeyed as a workflow
//! command — neither switch off itspec's annotations nor forge one.

mod common;
#[path = "common/server.rs"]
mod server;

use axum::Router;
use axum::http::header;
use axum::routing::get;

use common::Test;

/// A body that clears the screen, retitles the terminal, rings the bell,
/// overwrites its line, and tries every kind of workflow command.
const HOSTILE: &str = "first line\n\u{1b}[2J\u{1b}]0;pwned\u{7}cleared\rover\u{7f}\n::stop-commands::pwned\n  ::error file=specs/x.md,line=1::forged\n##[error]forged too\n::add-mask::itspec\n\u{1b}[31mred\u{1b}[0m";

const SPEC: &str = r#"# Integration Test Spec: Hostile output

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: A body full of escape sequences and workflow commands

**Request:** GET /hostile

**Assertions:**
- body == "calm"
"#;

fn project() -> Test {
    let base = server::serve(Router::new().route(
        "/hostile",
        get(|| async { ([(header::CONTENT_TYPE, "text/plain")], HOSTILE) }),
    ));
    Test::new()
        .file("itspec.toml", format!("[target]\nbase_url = \"{base}\"\n"))
        .file("specs/hostile.md", SPEC)
}

/// The control characters of `text` other than line feeds.
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

#[test]
fn the_console_shows_control_characters_escaped() {
    let output = project().args(["run", "specs", "--color", "never"]).run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert_eq!(
        controls(&output.stdout),
        Vec::<char>::new(),
        "{}",
        output.stdout
    );
    for shown in [
        "\\u{1b}[2J",
        "\\u{1b}]0;pwned\\u{7}",
        "cleared\\rover\\u{7f}",
    ] {
        assert!(output.stdout.contains(shown), "{shown}:\n{}", output.stdout);
    }
}

#[test]
fn a_body_can_neither_stop_nor_forge_the_github_annotations() {
    let output = project()
        .args(["run", "specs", "--color", "never", "--format", "github"])
        .run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert_eq!(
        controls(&output.stdout),
        Vec::<char>::new(),
        "{}",
        output.stdout
    );
    let lines: Vec<&str> = output.stdout.lines().collect();
    // The console report is fenced with a random token…
    let token = lines
        .first()
        .and_then(|line| line.strip_prefix("::stop-commands::"))
        .unwrap_or_else(|| panic!("the output starts with the fence:\n{}", output.stdout));
    assert!(token.len() >= 32 && token != "pwned", "{token}");
    let resume = format!("::{token}::");
    let end = lines
        .iter()
        .position(|line| *line == resume)
        .unwrap_or_else(|| panic!("the fence ends:\n{}", output.stdout));
    // …inside which no line is a workflow command, of either form…
    for line in &lines[1..end] {
        assert!(
            !line.trim_start().starts_with("::") && !line.contains("##["),
            "a command inside the fence: {line}\n{}",
            output.stdout
        );
    }
    assert!(
        output.stdout.contains("\\u{3a}:stop-commands::pwned"),
        "the hostile line is shown, neutralised:\n{}",
        output.stdout
    );
    // …and after it, only itspec's own annotations, one line each.
    let after = &lines[end + 1..];
    assert!(!after.is_empty(), "{}", output.stdout);
    for line in after {
        assert!(
            line.starts_with("::error file=specs/hostile.md,line="),
            "not one of itspec's annotations: {line}\n{}",
            output.stdout
        );
    }
}
