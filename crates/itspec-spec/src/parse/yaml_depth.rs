//! How deep a YAML block nests, measured on its events before it is
//! loaded: the loader, the conversion to a value and everything after them
//! recurse once per level, so a block deeper than [`MAX_DEPTH`] is
//! refused before any of them runs. An alias counts as deep as its anchor.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

use super::yaml::CharOffsets;
use crate::limits::{MAX_DEPTH, json_too_deep};

/// A collection being read.
struct Open {
    anchor: usize,
    /// Levels from this collection down to its deepest (1: no collection
    /// inside).
    height: usize,
}

/// Where `text` first nests deeper than [`MAX_DEPTH`] — a collection,
/// or an alias whose anchor would take it there: a byte offset. `None`
/// when it does not, or when the YAML is invalid (the loader reports
/// that).
pub(crate) fn too_deep(text: &str, chars: &CharOffsets) -> Option<usize> {
    let mut open: Vec<Open> = Vec::new();
    let mut heights: HashMap<usize, usize> = HashMap::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(event) => event,
            // The scanner looks ahead through flow collections and gives up
            // past its own limit (256) before the events reach this one.
            Err(error) if error.info().contains("recursion limit") => {
                return Some(
                    json_too_deep(text).unwrap_or_else(|| chars.byte(error.marker().index())),
                );
            }
            Err(_) => return None,
        };
        match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push(Open { anchor, height: 1 });
                if open.len() > MAX_DEPTH {
                    return Some(chars.byte(span.start.index()));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(closed) = open.pop() else {
                    continue;
                };
                if closed.anchor > 0 {
                    heights.insert(closed.anchor, closed.height);
                }
                if let Some(parent) = open.last_mut() {
                    parent.height = parent.height.max(closed.height + 1);
                }
            }
            Event::Alias(anchor) => {
                let height = heights.get(&anchor).copied().unwrap_or(0);
                if open.len() + height > MAX_DEPTH {
                    return Some(chars.byte(span.start.index()));
                }
                if let Some(parent) = open.last_mut() {
                    parent.height = parent.height.max(height + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn too_deep(text: &str) -> Option<usize> {
        super::too_deep(text, &CharOffsets::new(text))
    }

    #[test]
    fn flow_and_block_nesting_count() {
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(too_deep(&at_limit), None);
        let over = format!("a: {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(too_deep(&over), Some(3 + MAX_DEPTH - 1));
        let block: String = (0..=MAX_DEPTH)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect();
        assert!(too_deep(&block).is_some());
        assert_eq!(too_deep("a:\n  b:\n    - [1, {c: 2}]\n"), None);
        // Past the scanner's own limit: still the first bracket past ours.
        let far = format!("a: {}", "[".repeat(5_000));
        assert_eq!(too_deep(&far), Some(3 + MAX_DEPTH));
    }

    #[test]
    fn an_alias_is_as_deep_as_its_anchor() {
        let half = MAX_DEPTH / 2 + 1;
        let text = format!(
            "a: &deep {}{}\nb: {}*deep{}\n",
            "[".repeat(half),
            "]".repeat(half),
            "[".repeat(half),
            "]".repeat(half)
        );
        assert!(too_deep(&text).is_some());
        assert_eq!(too_deep("a: &x [1]\nb: [*x, *x]\n"), None);
    }
}
