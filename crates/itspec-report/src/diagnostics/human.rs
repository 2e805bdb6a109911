//! Code frames, as rustc draws them (annotate-snippets).

use itspec_spec::Severity;

use super::FileReport;
use crate::frame::{self, Frame};

/// Every diagnostic of a file as a code frame with its help line.
pub fn render_human(file: &FileReport<'_>, color: bool) -> String {
    let mut out = String::new();
    for diagnostic in file.diagnostics {
        let frame = Frame {
            severity: match diagnostic.severity {
                Severity::Error => frame::Severity::Error,
                Severity::Warning => frame::Severity::Warning,
            },
            code: Some(diagnostic.code.id()),
            message: &diagnostic.message,
            path: file.path,
            text: file.text,
            span: diagnostic.span.range(),
            label: diagnostic.label.as_deref(),
            context: diagnostic
                .notes
                .iter()
                .map(|n| (n.span.range(), n.message.as_str()))
                .collect(),
            notes: Vec::new(),
            help: diagnostic.help.as_deref(),
        };
        out.push_str(&frame::render(&frame, color));
        out.push_str("\n\n");
    }
    out
}
