//! Text that services, specs and logs control, made safe to print on a
//! terminal or in a CI log: control characters (C0, DEL, C1) and the
//! bidirectional overrides are shown escaped the way Rust writes them —
//! `\u{1b}` for ESC, `\r`, `\u{7f}`, `\u{202e}` — so no escape sequence
//! reaches the terminal; line feeds and tabs are kept for layout. For a
//! GitHub Actions log, a line that the runner would read as a workflow
//! command (`::stop-commands::…`, `::error::…`, `##[error]…`) is shown with
//! its first `:` or `#` escaped (`\u{3a}:error::…`), so it is printed
//! instead of obeyed.
//!
//! Escaping only: what to escape is decided where text is rendered.

use std::borrow::Cow;

/// Whether a character is shown escaped.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with control characters escaped, line feeds and tabs kept.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with every line that GitHub Actions would take for a workflow
/// command neutralised: a line whose first characters after its leading
/// whitespace are `::`, and `##[` anywhere (the runner's older form).
pub fn workflow_commands(text: &str) -> Cow<'_, str> {
    let command = |line: &str| line.trim_start().starts_with("::") || line.contains("##[");
    if !text.split('\n').any(command) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let line = line.replace("##[", "#\\u{23}[");
            let body = line.trim_start();
            match body.strip_prefix(':') {
                Some(rest) if rest.starts_with(':') => {
                    let indent = line.len() - body.len();
                    format!("{}\\u{{3a}}{rest}", line.get(..indent).unwrap_or(""))
                }
                _ => line,
            }
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(
            controls("a\u{1b}[2J\u{1b}]0;title\u{7}b\rc\u{7f}d\u{9b}e\u{0}"),
            "a\\u{1b}[2J\\u{1b}]0;title\\u{7}b\\rc\\u{7f}d\\u{9b}e\\u{0}"
        );
        assert_eq!(controls("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn line_feeds_tabs_and_text_are_kept() {
        let text = "{\n\t\"name\": \"Ada ✓ ü 𝄞\"\n}";
        assert!(matches!(controls(text), Cow::Borrowed(_)));
        assert_eq!(controls(text), text);
    }

    #[test]
    fn lines_that_would_be_workflow_commands_are_neutralised() {
        assert_eq!(
            workflow_commands(
                "ok\n::stop-commands::xyz\n    \t::error file=a.md::forged\nx ::not at the start"
            ),
            "ok\n\\u{3a}:stop-commands::xyz\n    \t\\u{3a}:error file=a.md::forged\nx ::not at the start"
        );
        assert_eq!(
            workflow_commands("text ##[error]forged"),
            "text #\\u{23}[error]forged"
        );
        assert!(matches!(
            workflow_commands("plain: a::b\n: one colon"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_line_start_after_unicode_spaces_counts_too() {
        let neutral = workflow_commands("\u{a0}\u{2003}::warning::x");
        assert!(!neutral.trim_start().starts_with("::"), "{neutral}");
    }
}
