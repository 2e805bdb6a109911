//! pulldown-cmark events → [`Block`]s.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::code::{CodeBlock, MappedText};
use crate::limits::MAX_DEPTH;
use crate::source::{Source, Span};

/// A range of raw source text, usually one logical line of a spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn text<'a>(&self, source: &Source<'a>) -> &'a str {
        source.slice(self.start, self.end)
    }

    pub fn span(&self, source: &Source<'_>) -> Span {
        source.span(self.start, self.end)
    }
}

/// A block of the document.
#[derive(Clone, Debug)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: TextRange,
        span: Span,
    },
    /// A paragraph as its raw source lines, each trimmed.
    Paragraph {
        lines: Vec<TextRange>,
        span: Span,
    },
    List {
        items: Vec<Item>,
        span: Span,
    },
    Code(CodeBlock),
    Rule(Span),
    /// Block quotes, tables, HTML: kept only for their position.
    Other(Span),
}

impl Block {
    pub fn span(&self) -> Span {
        match self {
            Block::Heading { span, .. }
            | Block::Paragraph { span, .. }
            | Block::List { span, .. }
            | Block::Rule(span)
            | Block::Other(span) => *span,
            Block::Code(code) => code.span,
        }
    }
}

/// A list item: its own text (raw, possibly several lines) and the blocks
/// nested in it.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub text: Option<TextRange>,
    pub children: Vec<Block>,
    pub span: Span,
}

/// Parses the whole document into blocks.
#[cfg(test)]
pub(crate) fn parse_blocks(source: &Source<'_>) -> Vec<Block> {
    parse_blocks_bounded(source).blocks
}

/// A fenced block that is never closed: its opening fence, and how far it
/// runs (to the end of the document, or of the list item it is in).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unclosed {
    pub fence: Span,
    pub block: Span,
    /// A line inside the block that opens another block: the closing
    /// fence was meant to be before it.
    pub reopened: Option<Span>,
}

/// The blocks of a document and what kept parts of it from being read.
#[derive(Debug)]
pub(crate) struct Document {
    pub blocks: Vec<Block>,
    /// The first list nested deeper than [`MAX_DEPTH`].
    pub too_deep: Option<Span>,
    /// Fenced blocks without a closing fence.
    pub unclosed: Vec<Unclosed>,
}

/// Parses the whole document into blocks; a list nested deeper than
/// [`MAX_DEPTH`] is kept as [`Block::Other`], unread, and the span of the
/// first is returned, with every fenced block that is never closed.
pub(crate) fn parse_blocks_bounded(source: &Source<'_>) -> Document {
    let events: Vec<(Event<'_>, Range<usize>)> =
        Parser::new_ext(source.text(), Options::ENABLE_TABLES)
            .into_offset_iter()
            .collect();
    let mut builder = Builder {
        source,
        events,
        next: 0,
        lists: 0,
        too_deep: None,
        unclosed: Vec::new(),
    };
    let blocks = builder.blocks_until_end();
    Document {
        blocks,
        too_deep: builder.too_deep,
        unclosed: builder.unclosed,
    }
}

struct Builder<'s, 'e> {
    source: &'s Source<'s>,
    events: Vec<(Event<'e>, Range<usize>)>,
    next: usize,
    /// How many lists the current block is in.
    lists: usize,
    /// The first list nested too deeply.
    too_deep: Option<Span>,
    /// Fenced blocks without a closing fence.
    unclosed: Vec<Unclosed>,
}

impl Builder<'_, '_> {
    /// Reads blocks until the end of the enclosing container (its `End`
    /// event is consumed) or of the document.
    fn blocks_until_end(&mut self) -> Vec<Block> {
        let mut blocks = Vec::new();
        while let Some((event, range)) = self.events.get(self.next).cloned() {
            self.next += 1;
            match event {
                Event::End(_) => break,
                Event::Start(tag) => {
                    if let Some(block) = self.block(tag, range) {
                        blocks.push(block);
                    }
                }
                Event::Rule => blocks.push(Block::Rule(self.source.span(range.start, range.end))),
                _ => {}
            }
        }
        blocks
    }

    fn block(&mut self, tag: Tag<'_>, range: Range<usize>) -> Option<Block> {
        let span = self
            .source
            .span(range.start, trim_end(self.source, range.start, range.end));
        Some(match tag {
            Tag::Heading { level, .. } => {
                let text = self.inline_range_until_end().unwrap_or(TextRange {
                    start: span.end,
                    end: span.end,
                });
                Block::Heading {
                    level: level as u8,
                    text,
                    span,
                }
            }
            Tag::Paragraph => {
                self.skip_to_end();
                Block::Paragraph {
                    lines: lines_of(self.source, range.start, range.end),
                    span,
                }
            }
            Tag::List(_) if self.lists >= MAX_DEPTH => {
                self.skip_to_end();
                self.too_deep.get_or_insert(span);
                Block::Other(span)
            }
            Tag::List(_) => {
                self.lists += 1;
                let mut items = Vec::new();
                while let Some((event, item_range)) = self.events.get(self.next).cloned() {
                    self.next += 1;
                    match event {
                        Event::Start(Tag::Item) => items.push(self.item(item_range)),
                        Event::End(_) => break,
                        _ => {}
                    }
                }
                self.lists -= 1;
                Block::List { items, span }
            }
            Tag::CodeBlock(kind) => Block::Code(self.code_block(kind, range)),
            Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. } => {
                // Inline content outside a paragraph cannot happen at block
                // level; consume it to stay in step.
                self.skip_to_end();
                return None;
            }
            _ => {
                self.skip_to_end();
                Block::Other(span)
            }
        })
    }

    fn item(&mut self, range: Range<usize>) -> Item {
        let span = self
            .source
            .span(range.start, trim_end(self.source, range.start, range.end));
        let mut text: Option<TextRange> = None;
        let mut children = Vec::new();
        while let Some((event, event_range)) = self.events.get(self.next).cloned() {
            self.next += 1;
            match event {
                Event::End(TagEnd::Item) => break,
                Event::Start(tag) if is_inline(&tag) => {
                    self.skip_to_end();
                    if children.is_empty() {
                        extend(&mut text, &event_range);
                    }
                }
                Event::Start(tag) => {
                    if let Some(block) = self.block(tag, event_range) {
                        children.push(block);
                    }
                }
                Event::Rule => children.push(Block::Rule(
                    self.source.span(event_range.start, event_range.end),
                )),
                Event::End(_) => break,
                _ => {
                    if children.is_empty() {
                        extend(&mut text, &event_range);
                    }
                }
            }
        }
        if text.is_none() {
            // A loose item: its first paragraph is its text.
            if let Some(Block::Paragraph { lines, .. }) = children.first()
                && let (Some(first), Some(last)) = (lines.first(), lines.last())
            {
                text = Some(TextRange {
                    start: first.start,
                    end: last.end,
                });
                children.remove(0);
            }
        }
        let text = text.map(|range| {
            let end = trim_end(self.source, range.start, range.end);
            TextRange {
                start: range.start,
                end,
            }
        });
        Item {
            text,
            children,
            span,
        }
    }

    fn code_block(&mut self, kind: CodeBlockKind<'_>, range: Range<usize>) -> CodeBlock {
        let mut content = MappedText::default();
        while let Some((event, text_range)) = self.events.get(self.next).cloned() {
            self.next += 1;
            match event {
                Event::Text(text) => {
                    let verbatim =
                        self.source.slice(text_range.start, text_range.end) == text.as_ref();
                    content.push(&text, text_range.start, verbatim);
                }
                Event::End(_) => break,
                _ => {}
            }
        }
        let span = self
            .source
            .span(range.start, trim_end(self.source, range.start, range.end));
        let problem = match kind {
            CodeBlockKind::Fenced(_) => unclosed(self.source, &range),
            CodeBlockKind::Indented => None,
        };
        if let Some(reopened) = problem {
            let first_line = self
                .source
                .slice(range.start, range.end)
                .split('\n')
                .next()
                .unwrap_or("")
                .trim_end();
            self.unclosed.push(Unclosed {
                fence: self
                    .source
                    .span(range.start, range.start + first_line.len()),
                block: span,
                reopened: reopened.map(|at| {
                    let line = self.source.slice(at, range.end);
                    let len = line.split('\n').next().unwrap_or("").trim_end().len();
                    self.source.span(at, at + len)
                }),
            });
        }
        let (lang, name, info_span) = match kind {
            CodeBlockKind::Fenced(_) => info_string(self.source, range.start),
            CodeBlockKind::Indented => (None, None, self.source.span(range.start, range.start)),
        };
        CodeBlock {
            lang,
            name,
            info_span,
            content,
            span,
        }
    }

    /// The raw range covered by the inline events before the current
    /// container's end (which is consumed).
    fn inline_range_until_end(&mut self) -> Option<TextRange> {
        let mut text = None;
        let mut depth = 0usize;
        while let Some((event, range)) = self.events.get(self.next).cloned() {
            self.next += 1;
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) if depth == 0 => break,
                Event::End(_) => depth -= 1,
                _ => {}
            }
            extend(&mut text, &range);
        }
        text
    }

    fn skip_to_end(&mut self) {
        let mut depth = 0usize;
        while let Some((event, _)) = self.events.get(self.next).cloned() {
            self.next += 1;
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) if depth == 0 => return,
                Event::End(_) => depth -= 1,
                _ => {}
            }
        }
    }
}

fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn extend(text: &mut Option<TextRange>, range: &Range<usize>) {
    match text {
        Some(text) => {
            text.start = text.start.min(range.start);
            text.end = text.end.max(range.end);
        }
        None => {
            *text = Some(TextRange {
                start: range.start,
                end: range.end,
            });
        }
    }
}

/// Moves `end` back over trailing whitespace.
fn trim_end(source: &Source<'_>, start: usize, end: usize) -> usize {
    let trimmed = source.slice(start, end).trim_end();
    start + trimmed.len()
}

/// The non-blank lines of a range, each trimmed.
fn lines_of(source: &Source<'_>, start: usize, end: usize) -> Vec<TextRange> {
    let text = source.slice(start, end);
    let mut lines = Vec::new();
    let mut offset = start;
    for line in text.split_inclusive('\n') {
        let leading = line.len() - line.trim_start().len();
        let content = line.trim();
        if !content.is_empty() {
            let line_start = offset + leading;
            lines.push(TextRange {
                start: line_start,
                end: line_start + content.len(),
            });
        }
        offset += line.len();
    }
    lines
}

/// Why a fenced block is not closed where its author meant it to be: it
/// runs to the end of its container without a closing fence (`Some(None)`),
/// or a line inside it opens a new block with a language — the author
/// forgot the closing fence before it, and the next block's closing fence
/// closed this one (`Some(Some(offset of that line))`).
fn unclosed(source: &Source<'_>, range: &Range<usize>) -> Option<Option<usize>> {
    let raw = source.slice(range.start, range.end);
    let mut lines = raw.split_inclusive('\n');
    let first = lines.next()?;
    let opening = first.trim();
    let fence_char = opening.chars().next()?;
    let length = opening.chars().take_while(|c| *c == fence_char).count();
    let mut offset = range.start + first.len();
    let mut last_is_fence = false;
    for line in lines {
        let trimmed = line.trim();
        if trimmed.chars().take_while(|c| *c == fence_char).count() >= length {
            let info = trimmed.trim_start_matches(fence_char).trim();
            if !info.is_empty() {
                let leading = line.len() - line.trim_start().len();
                return Some(Some(offset + leading));
            }
            last_is_fence = true;
        } else if !trimmed.is_empty() {
            last_is_fence = false;
        }
        offset += line.len();
    }
    (!last_is_fence).then_some(None)
}

/// The language, name and span of a fenced block's info string.
fn info_string(
    source: &Source<'_>,
    fence_start: usize,
) -> (Option<String>, Option<(String, Span)>, Span) {
    let rest = source.slice(fence_start, source.text().len());
    let line = rest.split('\n').next().unwrap_or("");
    let after_indent = line.trim_start();
    let fence_char = after_indent.chars().next().unwrap_or('`');
    let after_fence = after_indent.trim_start_matches(fence_char);
    let info = after_fence.trim();
    let info_start = fence_start
        + (line.len() - after_fence.len())
        + (after_fence.len() - after_fence.trim_start().len());
    if info.is_empty() {
        return (
            None,
            None,
            source.span(fence_start, fence_start + line.trim_end().len()),
        );
    }
    let info_span = source.span(info_start, info_start + info.len());
    let mut words = info.split_whitespace();
    let lang = words.next().map(|word| word.to_ascii_lowercase());
    let name = words.next().map(|word| {
        let offset = info.find(word).unwrap_or(0);
        (
            word.to_string(),
            source.span(info_start + offset, info_start + offset + word.len()),
        )
    });
    (lang, name, info_span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Block> {
        parse_blocks(&Source::new(text))
    }

    #[test]
    fn paragraph_lines_are_raw_and_trimmed() {
        let text = "**Related:** US-1, POST /x\r\n**Status:** Ready\r\n";
        let source = Source::new(text);
        let blocks = parse_blocks(&source);
        let Some(Block::Paragraph { lines, .. }) = blocks.first() else {
            panic!("expected a paragraph, got {blocks:?}");
        };
        let texts: Vec<_> = lines.iter().map(|line| line.text(&source)).collect();
        assert_eq!(texts, ["**Related:** US-1, POST /x", "**Status:** Ready"]);
    }

    #[test]
    fn list_items_keep_raw_text_and_nested_lists() {
        let text = "- row *t* where id = 1\n  - X-Id: {{a}}\n- second\n";
        let source = Source::new(text);
        let blocks = parse_blocks(&source);
        let Some(Block::List { items, .. }) = blocks.first() else {
            panic!("expected a list");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0].text.map(|t| t.text(&source)),
            Some("row *t* where id = 1")
        );
        let Some(Block::List { items: nested, .. }) = items[0].children.first() else {
            panic!("expected a nested list");
        };
        assert_eq!(nested[0].text.map(|t| t.text(&source)), Some("X-Id: {{a}}"));
        assert_eq!(items[1].text.map(|t| t.text(&source)), Some("second"));
    }

    #[test]
    fn code_block_text_maps_back_to_the_file_with_crlf_and_indentation() {
        let text = "1. Request A: POST /x\r\n   ```json big\r\n   {\"b\": 2}\r\n   ```\r\n";
        let source = Source::new(text);
        let blocks = parse_blocks(&source);
        let Some(Block::List { items, .. }) = blocks.first() else {
            panic!("expected a list");
        };
        let Some(Block::Code(code)) = items[0].children.first() else {
            panic!("expected a code block");
        };
        assert_eq!(code.lang.as_deref(), Some("json"));
        assert_eq!(
            code.name.as_ref().map(|(name, _)| name.as_str()),
            Some("big")
        );
        assert_eq!(code.content.text, "{\"b\": 2}\n");
        let span = code.content.span(&source, 1, 4);
        assert_eq!(source.slice(span.start, span.end), "\"b\"");
        assert_eq!((span.line, span.col), (3, 5));
    }

    #[test]
    fn an_unclosed_fence_is_found() {
        let text = "```json\n{\"a\": 1}\n```\n\n```yaml\na: 1\n\n## Mocks\n";
        let document = parse_blocks_bounded(&Source::new(text));
        assert_eq!(document.unclosed.len(), 1);
        let unclosed = document.unclosed[0];
        assert_eq!((unclosed.fence.line, unclosed.fence.col), (5, 1));
        assert_eq!(unclosed.fence.end - unclosed.fence.start, "```yaml".len());
        let reopened = "```json\n{}\n\n## Mocks\n\n```yaml\na: 1\n```\n";
        let document = parse_blocks_bounded(&Source::new(reopened));
        assert_eq!(document.unclosed.len(), 1);
        let at = document.unclosed[0].reopened.map(|span| span.line);
        assert_eq!(
            at,
            Some(6),
            "the next block's fence closes the one left open"
        );
        let closed = "````\n```json\n```\n````\n~~~\n~~~~\n\n```\n```\n";
        assert!(
            parse_blocks_bounded(&Source::new(closed))
                .unclosed
                .is_empty()
        );
    }

    #[test]
    fn tilde_fences_work() {
        let text = "~~~yaml\na: 1\n~~~\n";
        let blocks = parse(text);
        let Some(Block::Code(code)) = blocks.first() else {
            panic!("expected a code block");
        };
        assert_eq!(code.lang.as_deref(), Some("yaml"));
        assert_eq!(code.content.text, "a: 1\n");
    }

    #[test]
    fn heading_text_is_raw() {
        let text = "### TC-INT-001: A *b* {{c}}\n";
        let source = Source::new(text);
        let blocks = parse_blocks(&source);
        let Some(Block::Heading { level, text, .. }) = blocks.first() else {
            panic!("expected a heading");
        };
        assert_eq!(*level, 3);
        assert_eq!(text.text(&source), "TC-INT-001: A *b* {{c}}");
    }
}
