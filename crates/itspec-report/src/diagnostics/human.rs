//! Code frames, as rustc draws them (annotate-snippets).

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use itspec_spec::{Diagnostic, Severity};

use super::FileReport;

/// Every diagnostic of a file as a code frame with its help line.
pub fn render_human(file: &FileReport<'_>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for diagnostic in file.diagnostics {
        out.push_str(&renderer.render(&[group(file, diagnostic)]));
        out.push_str("\n\n");
    }
    out
}

fn group<'a>(file: &FileReport<'a>, diagnostic: &'a Diagnostic) -> Group<'a> {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut primary = AnnotationKind::Primary.span(visible(file.text, diagnostic.span.range()));
    if let Some(label) = &diagnostic.label {
        primary = primary.label(label.as_str());
    }
    let mut snippet = Snippet::source(file.text)
        .path(file.path)
        .annotation(primary);
    for note in &diagnostic.notes {
        snippet = snippet.annotation(
            AnnotationKind::Context
                .span(visible(file.text, note.span.range()))
                .label(note.message.as_str()),
        );
    }
    let mut group = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.id())
        .element(snippet);
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    group
}

/// An empty span becomes the character under it, so it shows as a caret.
fn visible(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = range.start.min(text.len());
    let end = range.end.min(text.len()).max(start);
    if end > start {
        return start..end;
    }
    match text.get(start..).and_then(|rest| rest.chars().next()) {
        Some(c) if c != '\n' && c != '\r' => start..start + c.len_utf8(),
        _ => start..start,
    }
}
