//! Text cut out of the spec, with the way back to the file.

use crate::markdown::MappedText;
use crate::source::{Source, Span};

/// A piece of text and how its offsets map to the file: either a slice of
/// the file starting at a byte offset, or (part of) a code block's text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Located<'t> {
    pub text: &'t str,
    mapping: Mapping<'t>,
}

#[derive(Clone, Copy, Debug)]
enum Mapping<'t> {
    /// The text starts at this byte offset of the file.
    Offset(usize),
    /// The text starts at this byte offset of a code block's text.
    Block(&'t MappedText, usize),
}

impl<'t> Located<'t> {
    /// A slice of the file starting at `offset`.
    pub fn at(text: &'t str, offset: usize) -> Self {
        Self {
            text,
            mapping: Mapping::Offset(offset),
        }
    }

    /// The text of a code block.
    pub fn block(block: &'t MappedText) -> Self {
        Self {
            text: &block.text,
            mapping: Mapping::Block(block, 0),
        }
    }

    /// The span in the file of a byte range of the text. Trailing line
    /// breaks and spaces are not part of it.
    pub fn span(&self, source: &Source<'_>, start: usize, end: usize) -> Span {
        let end = match self.text.get(start..end) {
            Some(covered) if !covered.trim_end().is_empty() => start + covered.trim_end().len(),
            _ => end,
        };
        match self.mapping {
            Mapping::Offset(offset) => source.span(offset + start, offset + end),
            Mapping::Block(block, shift) => block.span(source, shift + start, shift + end),
        }
    }

    /// The span of the whole text.
    pub fn whole_span(&self, source: &Source<'_>) -> Span {
        self.span(source, 0, self.text.len())
    }

    /// A sub-slice with the same mapping.
    pub fn sub(&self, start: usize, end: usize) -> Located<'t> {
        let text = self.text.get(start..end).unwrap_or("");
        let mapping = match self.mapping {
            Mapping::Offset(offset) => Mapping::Offset(offset + start),
            Mapping::Block(block, shift) => Mapping::Block(block, shift + start),
        };
        Located { text, mapping }
    }
}
