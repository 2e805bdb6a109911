//! Source text and positions: byte spans with their line and column.
//!
//! Every node of the model carries a [`Span`]: the byte range it covers in the
//! spec's text and the 1-based line and column of its start. Columns count
//! Unicode characters, as editors and compilers do. A byte-order mark at the
//! start of a file is not part of the text: offsets start after it.

use serde::Serialize;

pub use itspec_results::Span;

/// A value with the span it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

impl Spanned<String> {
    /// The value as a string slice.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// The spec's text with an index of its line starts, to turn byte offsets
/// into spans.
#[derive(Clone, Debug)]
pub struct Source<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// The line of the last lookup.
    last_line: std::cell::Cell<usize>,
}

impl<'a> Source<'a> {
    /// Indexes `text`. A leading byte-order mark must already be removed
    /// (see [`strip_bom`]).
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self {
            text,
            line_starts,
            last_line: std::cell::Cell::new(0),
        }
    }

    /// The whole text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The text of a byte range, or "" when the range is not on character
    /// boundaries.
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    /// The 1-based line and column of a byte offset. Offsets past the end
    /// are clamped to it.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        // Spans are mostly made in document order: try the last line first.
        let hint = self.last_line.get();
        let in_hint = self
            .line_starts
            .get(hint)
            .is_some_and(|&start| start <= offset)
            && self
                .line_starts
                .get(hint + 1)
                .is_none_or(|&next| offset < next);
        let line_index = if in_hint {
            hint
        } else {
            self.line_starts
                .partition_point(|&start| start <= offset)
                .saturating_sub(1)
        };
        self.last_line.set(line_index);
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let col = match self.text.get(line_start..offset) {
            Some(prefix) if prefix.is_ascii() => prefix.len(),
            Some(prefix) => prefix.chars().count(),
            None => offset - line_start,
        };
        (to_u32(line_index + 1), to_u32(col + 1))
    }

    /// The span of a byte range, widened to character boundaries and
    /// clamped to the text.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let mut start = start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = end.clamp(start, self.text.len());
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        let (line, col) = self.position(start);
        Span {
            start,
            end,
            line,
            col,
        }
    }

    /// Byte range of a 1-based line, without its line break.
    pub fn line_range(&self, line: u32) -> Option<(usize, usize)> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        let end = if self.text.as_bytes().get(end.wrapping_sub(1)) == Some(&b'\r') && end > start {
            end - 1
        } else {
            end
        };
        Some((start, end))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Removes a UTF-8 byte-order mark from the start of `text`.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let source = Source::new("ab\néx\r\nz");
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(1), (1, 2));
        assert_eq!(source.position(3), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(source.position(5), (2, 2));
        assert_eq!(source.position(8), (3, 1));
        assert_eq!(source.position(100), (3, 2));
    }

    #[test]
    fn line_ranges_exclude_line_breaks() {
        let source = Source::new("ab\r\ncd\n");
        assert_eq!(source.line_range(1), Some((0, 2)));
        assert_eq!(source.line_range(2), Some((4, 6)));
        assert_eq!(source.line_range(3), Some((7, 7)));
        assert_eq!(source.line_range(4), None);
    }

    #[test]
    fn spans_widen_to_character_boundaries() {
        let source = Source::new("aéb");
        let span = source.span(2, 2);
        assert_eq!((span.start, span.end), (1, 3));
        let span = source.span(1, 2);
        assert_eq!((span.start, span.end), (1, 3));
        let span = source.span(10, 20);
        assert_eq!((span.start, span.end), (4, 4));
    }

    #[test]
    fn bom_is_stripped() {
        assert_eq!(strip_bom("\u{feff}# T"), "# T");
        assert_eq!(strip_bom("# T"), "# T");
    }
}
