//! A fenced code block that is never closed (IT207).
//!
//! Markdown reads everything after an unclosed fence as the block's code:
//! the rest of the case, the sections after it. Reading that as JSON, YAML
//! or Python reports a cascade of errors that have nothing to do with the
//! mistake. So the fence gets one diagnostic, at the line that opens it,
//! and every other problem found inside the block — or found because the
//! sections it swallowed are missing — is left out.

use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::Unclosed;
use crate::source::Source;

/// The message every unclosed fence is reported with; also how the
/// cascade filter finds them again.
const MESSAGE: &str = "this code block is never closed";

/// The diagnostic of an unclosed fence; its note marks where the block
/// ends, which bounds the cascade.
pub(crate) fn diagnostic(source: &Source<'_>, unclosed: &Unclosed) -> Diagnostic {
    let fence_text = source.slice(unclosed.fence.start, unclosed.fence.end);
    let fence: String = fence_text
        .trim_start()
        .chars()
        .take_while(|c| *c == '`' || *c == '~')
        .collect();
    let last_line_start = source
        .text()
        .get(..unclosed.block.end)
        .and_then(|before| before.rfind('\n'))
        .map_or(unclosed.block.start, |at| at + 1)
        .max(unclosed.block.start);
    let end = source.span(last_line_start, unclosed.block.end);
    let diagnostic = Diagnostic::error(Code::UnclosedCodeBlock, unclosed.fence, MESSAGE)
        .with_label("opened here")
        .with_note(end, "so everything down to here is read as its code");
    match unclosed.reopened {
        Some(reopened) => diagnostic
            .with_note(
                reopened,
                "this line opens another block inside it, so the closing fence was meant to come before it",
            )
            .with_help(format!(
                "add a line holding only {fence} after the block's last line, before the next block opens"
            )),
        None => diagnostic.with_help(format!(
            "add a line holding only {fence} after the block's last line to close it"
        )),
    }
}

/// The byte ranges unclosed blocks swallow, after their opening fence.
fn regions(diagnostics: &[Diagnostic]) -> Vec<(usize, usize)> {
    diagnostics
        .iter()
        .filter(|d| d.code == Code::UnclosedCodeBlock && d.message == MESSAGE)
        .map(|d| {
            let end = d.notes.first().map_or(usize::MAX, |n| n.span.end);
            (d.span.end, end)
        })
        .collect()
}

fn inside(regions: &[(usize, usize)], diagnostic: &Diagnostic) -> bool {
    regions
        .iter()
        .any(|(start, end)| diagnostic.span.start >= *start && diagnostic.span.start <= *end)
}

/// Leaves out the problems an unclosed fence causes: those inside the
/// block it opens.
pub(crate) fn drop_cascade(diagnostics: &mut Vec<Diagnostic>) {
    let regions = regions(diagnostics);
    if regions.is_empty() {
        return;
    }
    diagnostics.retain(|d| d.code == Code::UnclosedCodeBlock || !inside(&regions, d));
}

/// Leaves out lint problems an unclosed fence causes: those inside the
/// block, and those that compare parts of the spec with each other — the
/// parts it swallowed are missing, so a reference to them looks wrong.
pub(crate) fn drop_lint_cascade(parsed: &[Diagnostic], lint: &mut Vec<Diagnostic>) {
    let regions = regions(parsed);
    if regions.is_empty() {
        return;
    }
    lint.retain(|d| {
        let compares = matches!(
            d.code,
            Code::UnknownVariable
                | Code::UnknownFixture
                | Code::UnknownMock
                | Code::UnknownCheck
                | Code::UnknownLabel
                | Code::UnknownFixtureKey
                | Code::CheckArguments
                | Code::RelatedMismatch
                | Code::DependencyMismatch
                | Code::NoTestCases
                | Code::UncheckedErrorCase
                | Code::UncheckedResponse
                | Code::ShapeOnlyOutput
                | Code::RaceWithoutFinalState
                | Code::AlwaysTrue
                | Code::UnusedCapture
        );
        !compares && !inside(&regions, d)
    });
}
