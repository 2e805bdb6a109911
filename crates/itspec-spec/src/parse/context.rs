//! The state shared by the parsers: the source and the diagnostics so far.

use crate::diagnostic::Diagnostic;
use crate::source::{Source, Span};

/// Parsing context.
pub(crate) struct Cx<'s> {
    pub source: &'s Source<'s>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'s> Cx<'s> {
    pub fn new(source: &'s Source<'s>) -> Self {
        Self {
            source,
            diagnostics: Vec::new(),
        }
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        self.source.span(start, end)
    }
}
