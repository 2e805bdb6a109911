//! Fenced code blocks and the mapping from their text back to the file.

use crate::source::{Source, Span};

/// The text of a code block with the source offset of every byte.
///
/// Inside a fenced block each line is its own piece of source (indentation of
/// a block nested in a list is removed, CRLF becomes LF), so the mapping is a
/// list of segments.
#[derive(Clone, Debug, Default)]
pub(crate) struct MappedText {
    /// The block's content as the block's language sees it.
    pub text: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    text_start: usize,
    source_start: usize,
    /// Whether the segment's text is a verbatim copy of the source, so
    /// offsets inside it map one to one.
    verbatim: bool,
}

impl MappedText {
    /// Appends a piece of text read from `source_start` in the file.
    pub fn push(&mut self, piece: &str, source_start: usize, verbatim: bool) {
        self.segments.push(Segment {
            text_start: self.text.len(),
            source_start,
            verbatim,
        });
        self.text.push_str(piece);
    }

    /// The source offset of a text offset.
    pub fn source_offset(&self, offset: usize) -> usize {
        let index = self
            .segments
            .partition_point(|segment| segment.text_start <= offset)
            .saturating_sub(1);
        match self.segments.get(index) {
            Some(segment) if segment.verbatim => {
                segment.source_start + (offset - segment.text_start)
            }
            Some(segment) => segment.source_start,
            None => 0,
        }
    }

    /// The span in the file of a byte range of the text.
    pub fn span(&self, source: &Source<'_>, start: usize, end: usize) -> Span {
        let start_in_source = self.source_offset(start);
        let end_in_source = if end > start {
            self.source_offset(end - 1) + 1
        } else {
            start_in_source
        };
        source.span(start_in_source, end_in_source)
    }
}

/// A fenced or indented code block.
#[derive(Clone, Debug)]
pub(crate) struct CodeBlock {
    /// The language, lowercased: the first word of the info string.
    pub lang: Option<String>,
    /// The second word of the info string, naming the block.
    pub name: Option<(String, Span)>,
    /// The span of the info string (or of the opening fence when empty).
    pub info_span: Span,
    /// The content.
    pub content: MappedText,
    /// The whole block, fences included.
    pub span: Span,
}
