//! Parsing: text → [`Spec`](crate::Spec) and the problems found on the way.
//!
//! `document` walks the Markdown structure; the other modules read one
//! element each (a case, a field, a line grammar, a block notation).

mod action;
pub(crate) mod assertion;
mod body;
mod case;
pub(crate) mod context;
mod cursor;
mod document;
mod expected;
mod fields;
mod fixtures;
mod hint;
mod json;
mod label;
pub(crate) mod located;
mod mocks;
pub(crate) mod python;
mod related;
mod request;
mod setup_line;
mod unclosed;
mod unread;
mod vars;
mod yaml;
mod yaml_depth;

use crate::diagnostic::Diagnostic;
use crate::model::Spec;
use crate::source::Source;

/// A parsed spec and the problems found while reading it.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The model.
    pub spec: Spec,
    /// Syntax problems, in document order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a spec's text (without a byte-order mark).
pub fn parse(text: &str) -> Parsed {
    let source = Source::new(text);
    let mut cx = context::Cx::new(&source);
    let spec = document::parse_document(&mut cx);
    let mut diagnostics = cx.diagnostics;
    unclosed::drop_cascade(&mut diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parsed { spec, diagnostics }
}

pub(crate) use unclosed::drop_lint_cascade;
