//! How deep the nested things a spec writes may go.
//!
//! Values (JSON and YAML), Python expressions, markers and Markdown lists
//! are read by recursive code — this crate's parsers, its dependencies'
//! and every consumer of the model, down to `Drop`. A spec of 10 KB with
//! 5,000 nested brackets would overflow the stack and abort the process,
//! so each parser measures the nesting *before* it recurses and reports a
//! deeper one as a diagnostic (`IT206 too-complex`) at the bracket that
//! goes past the limit. Nothing a person writes by hand comes near it.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// The deepest a JSON or YAML value, a Python expression, a `#[…]` marker
/// or a Markdown list may nest.
pub const MAX_DEPTH: usize = 32;

/// Where a JSON value nests brackets deeper than [`MAX_DEPTH`]: the byte
/// offset of the first `[` or `{` past it. Strings are skipped, and an
/// unbalanced text is not an error here (the parser reports it).
pub(crate) fn json_too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(i);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// The diagnostic of `what` (`this JSON value`) nested too deeply, at the
/// bracket, indentation or marker that opens the level past the limit.
pub(crate) fn too_deep(span: Span, what: &str, help: &str) -> Diagnostic {
    Diagnostic::error(
        Code::TooComplex,
        span,
        format!("{what} nests deeper than {MAX_DEPTH} levels, the most itspec reads"),
    )
    .with_label(format!("level {} starts here", MAX_DEPTH + 1))
    .with_help(help.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bracket_past_the_limit_is_found() {
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(json_too_deep(&at_limit), None);
        let over = format!(" {}", "[".repeat(MAX_DEPTH + 5));
        assert_eq!(json_too_deep(&over), Some(MAX_DEPTH + 1));
        // Brackets in strings do not count; siblings do not add up.
        let strings = format!("[\"{}\"]", "[".repeat(500));
        assert_eq!(json_too_deep(&strings), None);
        let siblings = "[[]]".repeat(500);
        assert_eq!(json_too_deep(&siblings), None);
    }
}
