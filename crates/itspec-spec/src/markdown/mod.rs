//! Markdown → a small block tree with exact source ranges.
//!
//! pulldown-cmark finds the structure (headings, paragraphs, lists, fenced
//! blocks); everything above this module works on the raw source text of
//! those blocks, so positions stay true and Markdown never rewrites what a
//! spec author typed inside an assertion.

mod blocks;
mod code;

#[cfg(test)]
pub(crate) use blocks::parse_blocks;
pub(crate) use blocks::{Block, Item, TextRange, Unclosed, parse_blocks_bounded};
pub(crate) use code::{CodeBlock, MappedText};
