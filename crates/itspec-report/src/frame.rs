//! Code frames: a message, the spec's lines under it with the span marked,
//! and notes — for lint diagnostics and run failures alike.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How serious a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// An error.
    Error,
    /// A warning.
    Warning,
}

/// One code frame.
#[derive(Clone, Debug)]
pub struct Frame<'a> {
    /// Error or warning.
    pub severity: Severity,
    /// The code shown in brackets, if any (`IT401`).
    pub code: Option<&'a str>,
    /// The title.
    pub message: &'a str,
    /// The file, as shown.
    pub path: &'a str,
    /// The file's text.
    pub text: &'a str,
    /// The byte range to mark.
    pub span: std::ops::Range<usize>,
    /// The label under the span.
    pub label: Option<&'a str>,
    /// Other marked places, with their labels.
    pub context: Vec<(std::ops::Range<usize>, &'a str)>,
    /// Lines after the frame, as `= note: …`.
    pub notes: Vec<String>,
    /// A line after the frame, as `= help: …`.
    pub help: Option<&'a str>,
}

/// Renders a frame.
pub fn render(frame: &Frame<'_>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group(frame)])
}

fn group<'a>(frame: &'a Frame<'a>) -> Group<'a> {
    let level = match frame.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut primary = AnnotationKind::Primary.span(visible(frame.text, frame.span.clone()));
    if let Some(label) = frame.label {
        primary = primary.label(label);
    }
    let mut snippet = Snippet::source(frame.text)
        .path(frame.path)
        .annotation(primary);
    for (span, label) in &frame.context {
        snippet = snippet.annotation(
            AnnotationKind::Context
                .span(visible(frame.text, span.clone()))
                .label(*label),
        );
    }
    let mut title = level.primary_title(frame.message);
    if let Some(code) = frame.code {
        title = title.id(code);
    }
    let mut group = title.element(snippet);
    for note in &frame.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = frame.help {
        group = group.element(Level::HELP.message(help));
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
