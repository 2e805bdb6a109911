//! The header's Related line, the Related section and Dependencies.

use super::assertion::has_template_slot;
use super::context::Cx;
use super::fields::label_line;
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::{Block, TextRange};
use crate::model::{Contract, Dependency, DependencyKind, Related, RelatedSection};
use crate::source::{Span, Spanned};

/// Whether an item is a story id of the default pattern
/// `[A-Z][A-Z0-9]*-\d+`, like `US-204`.
pub(crate) fn is_story_id(item: &str) -> bool {
    let Some((prefix, number)) = item.rsplit_once('-') else {
        return false;
    };
    let mut prefix_chars = prefix.chars();
    prefix_chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && prefix_chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

impl Contract {
    /// Reads a contract: `POST /reservations`, `openapi.yaml#createOrder`
    /// or `openapi.yaml#/paths/~1orders/post`.
    pub fn parse(text: &str) -> Option<Contract> {
        contract(text)
    }
}

/// Reads a contract: `POST /x`, `file.yaml#operationId`, `file.yaml#/paths/…`.
fn contract(text: &str) -> Option<Contract> {
    let text = text.trim();
    if let Some((method, path)) = text.split_once(' ') {
        let path = path.trim();
        if super::cursor::is_method(method) && path.starts_with('/') && !path.contains(' ') {
            return Some(Contract::Endpoint {
                method: method.to_string(),
                path: path.to_string(),
            });
        }
    }
    let (file, operation) = text.split_once('#')?;
    let is_document = [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| file.to_ascii_lowercase().ends_with(ext));
    (is_document && !operation.is_empty() && !text.contains(' ')).then(|| Contract::OpenApi {
        file: file.to_string(),
        operation: operation.to_string(),
    })
}

/// Comma-separated items of a range, each trimmed, unwrapped from
/// backticks and Markdown links.
pub(crate) fn items(cx: &Cx<'_>, range: TextRange) -> Vec<Spanned<String>> {
    let text = range.text(cx.source);
    let mut items = Vec::new();
    let mut offset = 0;
    for piece in text.split(',') {
        let leading = piece.len() - piece.trim_start().len();
        let trimmed = piece.trim();
        let start = range.start + offset + leading;
        offset += piece.len() + 1;
        if trimmed.is_empty() {
            continue;
        }
        let (inner, inner_start) = unwrap(trimmed, start);
        items.push(Spanned::new(
            inner.to_string(),
            cx.span(inner_start, inner_start + inner.len()),
        ));
    }
    items
}

fn unwrap(text: &str, start: usize) -> (&str, usize) {
    if let Some(inner) = text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
        return (inner, start + 1);
    }
    if let Some(rest) = text.strip_prefix('[')
        && let Some(close) = rest.find("](")
        && text.ends_with(')')
    {
        return (rest.get(..close).unwrap_or(rest), start + 1);
    }
    (text, start)
}

/// The header's `**Related:**` items sorted into stories and contract.
pub(crate) fn related(cx: &mut Cx<'_>, range: TextRange, line: Span) -> Related {
    let mut related = Related {
        span: Some(line),
        ..Related::default()
    };
    for item in items(cx, range) {
        if has_template_slot(&item.value) {
            continue;
        }
        if is_story_id(&item.value) {
            related.stories.push(item);
        } else if let Some(contract) = contract(&item.value) {
            if let Some(first) = &related.contract {
                cx.push(
                    Diagnostic::error(Code::SeveralContracts, item.span, "Related names a second API contract")
                        .with_note(first.span, "the first one")
                        .with_help("a spec covers one API contract; split the cases into one spec per contract"),
                );
            } else {
                related.contract = Some(Spanned::new(contract, item.span));
            }
        } else {
            cx.push(
                Diagnostic::warning(Code::UnknownRelatedItem, item.span, format!("`{}` is neither a story id nor an API contract", item.value))
                    .with_help("story ids look like `US-204`; a contract is `POST /reservations` or `openapi.yaml#operationId`"),
            );
            related.other.push(item);
        }
    }
    related
}

/// `- **Stories:** …`, `- **API Contract:** …`, `- **Unit Tests:** …`.
pub(crate) fn related_section(cx: &mut Cx<'_>, blocks: &[Block]) -> RelatedSection {
    let mut section = RelatedSection::default();
    let mut lines: Vec<TextRange> = Vec::new();
    for block in blocks {
        match block {
            Block::List { items, .. } => lines.extend(items.iter().filter_map(|item| item.text)),
            Block::Paragraph {
                lines: paragraph, ..
            } => lines.extend(paragraph.iter().copied()),
            _ => {}
        }
    }
    for line in lines {
        let Some((label, rest)) = label_line(cx.source, line) else {
            continue;
        };
        let label_text = label.text(cx.source).trim().to_ascii_lowercase();
        let value = rest.map(|r| Spanned::new(r.text(cx.source).to_string(), r.span(cx.source)));
        match label_text.as_str() {
            "stories" | "story" => {
                section.stories = rest.map(|r| Spanned::new(items(cx, r), r.span(cx.source)));
            }
            "api contract" | "contract" => section.contract = value,
            "unit tests" | "unit test" => section.unit_tests = value,
            _ => {}
        }
    }
    section
}

/// The items of `## Dependencies`.
pub(crate) fn dependencies(cx: &Cx<'_>, blocks: &[Block]) -> Vec<Dependency> {
    let mut dependencies = Vec::new();
    for block in blocks {
        let Block::List { items, .. } = block else {
            continue;
        };
        for item in items {
            let Some(range) = item.text else { continue };
            let text = range.text(cx.source);
            let span = range.span(cx.source);
            let (label, rest) = text.split_once(':').unwrap_or(("", text));
            let label = label.trim().trim_matches('*').trim().to_ascii_lowercase();
            let rest_start = range.start + text.len() - rest.len();
            let backticked = backticked(cx, rest, rest_start);
            let kind = match label.as_str() {
                "database" | "db" => DependencyKind::Database { tables: backticked },
                "mock" | "mocks" => match first_name(cx, rest, rest_start, backticked) {
                    Some(name) => DependencyKind::Mock { name },
                    None => DependencyKind::Other,
                },
                "broker" | "brokers" => match first_name(cx, rest, rest_start, backticked) {
                    Some(name) => DependencyKind::Broker { name },
                    None => DependencyKind::Other,
                },
                "mail" | "email" | "e-mail" | "smtp" => DependencyKind::Mail,
                _ => DependencyKind::Other,
            };
            dependencies.push(Dependency {
                kind,
                text: text.to_string(),
                span,
            });
        }
    }
    dependencies
}

/// The name an item gives: its first backticked name, else its first word.
fn first_name(
    cx: &Cx<'_>,
    rest: &str,
    rest_start: usize,
    backticked: Vec<Spanned<String>>,
) -> Option<Spanned<String>> {
    if let Some(name) = backticked.into_iter().next() {
        return Some(name);
    }
    let word = rest
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|w| !w.is_empty())?;
    let at = rest_start + rest.find(word).unwrap_or(0);
    Some(Spanned::new(word.to_string(), cx.span(at, at + word.len())))
}

fn backticked(cx: &Cx<'_>, text: &str, start: usize) -> Vec<Spanned<String>> {
    let mut names = Vec::new();
    let mut rest = text;
    let mut offset = start;
    while let Some(open) = rest.find('`') {
        let after = rest.get(open + 1..).unwrap_or("");
        let Some(close) = after.find('`') else { break };
        let name = after.get(..close).unwrap_or("");
        let name_start = offset + open + 1;
        if !name.is_empty() {
            names.push(Spanned::new(
                name.to_string(),
                cx.span(name_start, name_start + name.len()),
            ));
        }
        let consumed = open + 1 + close + 1;
        rest = rest.get(consumed..).unwrap_or("");
        offset += consumed;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracts() {
        assert_eq!(
            contract("POST /reservations"),
            Some(Contract::Endpoint {
                method: "POST".into(),
                path: "/reservations".into()
            })
        );
        assert_eq!(
            contract("openapi.yaml#/paths/~1orders/post"),
            Some(Contract::OpenApi {
                file: "openapi.yaml".into(),
                operation: "/paths/~1orders/post".into()
            })
        );
        assert_eq!(contract("US-204"), None);
        assert_eq!(contract("post /x"), None);
    }

    #[test]
    fn stories_match_the_default_pattern() {
        assert!(is_story_id("US-204"));
        assert!(is_story_id("JIRA2-1"));
        assert!(!is_story_id("us-204"));
        assert!(!is_story_id("US-"));
        assert!(!is_story_id("US-2-A"));
    }
}
