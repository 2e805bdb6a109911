//! Where something is in a spec: a byte range with the line and column of
//! its start. The parser (`itspec-spec`) makes spans; results keep them so
//! reports can point at the spec's lines.

use serde::{Deserialize, Serialize};

/// A byte range of the spec's text, with the line and column where it starts.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, in characters.
    pub col: u32,
}

impl Span {
    /// The byte range, for slicing the text the span was made from.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}
