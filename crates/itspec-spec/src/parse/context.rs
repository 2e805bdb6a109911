//! The state shared by the parsers: the source and the diagnostics so far.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::{Source, Span};

/// Parsing context.
pub(crate) struct Cx<'s> {
    pub source: &'s Source<'s>,
    pub diagnostics: Vec<Diagnostic>,
    /// The spec is a Draft: content that would not run is a warning, not
    /// an error. Set once the header is read.
    pub draft: bool,
}

impl<'s> Cx<'s> {
    pub fn new(source: &'s Source<'s>) -> Self {
        Self {
            source,
            diagnostics: Vec::new(),
            draft: false,
        }
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// A problem that stops a Ready spec from running as written, and is
    /// only a warning in a Draft: content that would not be read or run.
    pub fn unless_draft(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        let severity = if self.draft {
            Severity::Warning
        } else {
            Severity::Error
        };
        Diagnostic::new(code, severity, span, message)
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        self.source.span(start, end)
    }
}
