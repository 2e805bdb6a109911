//! Splitting a case's blocks into `**Label:**` fields (FORMAT §3).

use super::label::{Form, LabelLine, field_label, heading_label};
use crate::markdown::{Block, TextRange};
use crate::source::{Source, Span, Spanned};

/// The fields of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum FieldKind {
    Description,
    Request,
    Publish,
    Setup,
    Fixtures,
    Input,
    ExpectedOutput,
    Expected,
    Assertions,
    Actions,
    Capture,
    Repeat,
    Tags,
    Skip,
}

impl FieldKind {
    pub const ALL: [(FieldKind, &'static str); 14] = [
        (FieldKind::Description, "Description"),
        (FieldKind::Request, "Request"),
        (FieldKind::Publish, "Publish"),
        (FieldKind::Setup, "Setup"),
        (FieldKind::Fixtures, "Fixtures"),
        (FieldKind::Input, "Input"),
        (FieldKind::ExpectedOutput, "Expected Output"),
        (FieldKind::Expected, "Expected"),
        (FieldKind::Assertions, "Assertions"),
        (FieldKind::Actions, "Actions"),
        (FieldKind::Capture, "Capture"),
        (FieldKind::Repeat, "Repeat"),
        (FieldKind::Tags, "Tags"),
        (FieldKind::Skip, "Skip"),
    ];

    /// The field a label names, ignoring case and a plural `s`.
    pub fn from_label(label: &str) -> Option<FieldKind> {
        let label = label.trim();
        FieldKind::ALL
            .iter()
            .find(|(_, name)| {
                name.eq_ignore_ascii_case(label)
                    || label
                        .strip_suffix(['s', 'S'])
                        .is_some_and(|singular| name.eq_ignore_ascii_case(singular))
                    || name
                        .strip_suffix(['s', 'S'])
                        .is_some_and(|singular| singular.eq_ignore_ascii_case(label))
            })
            .map(|(kind, _)| *kind)
    }

    pub fn name(self) -> &'static str {
        FieldKind::ALL
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("", |(_, name)| name)
    }
}

/// One `**Label:**` and what follows it.
#[derive(Debug)]
pub(crate) struct Field<'b> {
    pub label: Spanned<String>,
    pub kind: Option<FieldKind>,
    /// How the label is written.
    pub form: Form,
    /// Text after the label on its line.
    pub inline: Option<TextRange>,
    /// Further lines of the same or later paragraphs.
    pub lines: Vec<TextRange>,
    /// Lists, code blocks and other blocks after the label.
    pub blocks: Vec<&'b Block>,
    pub span: Span,
}

/// A `**Label:** rest` line: the label's range and the rest's.
pub(crate) fn label_line(
    source: &Source<'_>,
    line: TextRange,
) -> Option<(TextRange, Option<TextRange>)> {
    let text = line.text(source);
    let inner = text.strip_prefix("**")?;
    let close = inner.find("**")?;
    let label = inner.get(..close)?;
    let after = inner.get(close + 2..)?;
    let (label, after, after_offset) = if let Some(label) = label.strip_suffix(':') {
        (label, after, 2 + close + 2)
    } else if let Some(after) = after.strip_prefix(':') {
        (label, after, 2 + close + 3)
    } else {
        return None;
    };
    if label.trim().is_empty() || label.contains('\n') {
        return None;
    }
    let label_range = TextRange {
        start: line.start + 2,
        end: line.start + 2 + label.len(),
    };
    let leading = after.len() - after.trim_start().len();
    let rest = after.trim();
    let rest_range = (!rest.is_empty()).then(|| TextRange {
        start: line.start + after_offset + leading,
        end: line.start + after_offset + leading + rest.len(),
    });
    Some((label_range, rest_range))
}

/// Splits blocks into fields. Blocks before the first label are returned
/// apart; a `---` rule or a heading that is not a label ends the current
/// field.
pub(crate) fn split_fields<'b>(
    source: &Source<'_>,
    blocks: &'b [Block],
) -> (Vec<Field<'b>>, Vec<&'b Block>) {
    let mut fields: Vec<Field<'b>> = Vec::new();
    let mut stray = Vec::new();
    let mut open = false;
    let start = |fields: &mut Vec<Field<'b>>, found: LabelLine, line: TextRange| {
        let label_text = found.label.text(source).trim().to_string();
        fields.push(Field {
            kind: FieldKind::from_label(&label_text),
            form: found.form,
            label: Spanned::new(label_text, found.label.span(source)),
            inline: found.rest,
            lines: Vec::new(),
            blocks: Vec::new(),
            span: source.span(line.start, line.end),
        });
    };
    for block in blocks {
        match block {
            Block::Paragraph { lines, .. } => {
                for &line in lines {
                    if let Some(found) = field_label(source, line) {
                        start(&mut fields, found, line);
                        open = true;
                    } else if let (true, Some(field)) = (open, fields.last_mut()) {
                        field.lines.push(line);
                        field.span = source.span(field.span.start, line.end);
                    } else {
                        stray.push(block);
                    }
                }
            }
            Block::Heading { level, text, span } => match heading_label(source, *text, *level) {
                Some(found) => {
                    start(
                        &mut fields,
                        found,
                        TextRange {
                            start: span.start,
                            end: span.end,
                        },
                    );
                    open = true;
                }
                None => open = false,
            },
            Block::Rule(_) => open = false,
            _ => match (open, fields.last_mut()) {
                (true, Some(field)) => {
                    field.blocks.push(block);
                    field.span = source.span(field.span.start, block.span().end);
                }
                _ => stray.push(block),
            },
        }
    }
    (fields, stray)
}

/// Whether a `###` heading names a field rather than starting a case.
pub(crate) fn is_field_heading(source: &Source<'_>, text: TextRange) -> bool {
    heading_label(source, text, 3).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::parse_blocks;

    #[test]
    fn labels_and_their_content() {
        let text = "**Description:** A case.\nMore words.\n\n**Input:**\n```json\n{}\n```\n\n**Expected:**\n- Status: 201\n\n---\n\nstray\n";
        let source = Source::new(text);
        let blocks = parse_blocks(&source);
        let (fields, stray) = split_fields(&source, &blocks);
        let kinds: Vec<_> = fields.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                Some(FieldKind::Description),
                Some(FieldKind::Input),
                Some(FieldKind::Expected)
            ]
        );
        assert_eq!(fields[0].inline.map(|r| r.text(&source)), Some("A case."));
        assert_eq!(fields[0].lines.len(), 1);
        assert_eq!(fields[1].blocks.len(), 1);
        assert_eq!(fields[0].label.span.col, 3);
        assert_eq!(stray.len(), 1);
    }

    #[test]
    fn colon_outside_the_stars() {
        let source = Source::new("**Status**: Ready");
        let (label, rest) = label_line(&source, TextRange { start: 0, end: 17 }).unwrap();
        assert_eq!(label.text(&source), "Status");
        assert_eq!(rest.unwrap().text(&source), "Ready");
    }

    #[test]
    fn plural_and_case_insensitive() {
        assert_eq!(
            FieldKind::from_label("assertion"),
            Some(FieldKind::Assertions)
        );
        assert_eq!(
            FieldKind::from_label("expected output"),
            Some(FieldKind::ExpectedOutput)
        );
        assert_eq!(FieldKind::from_label("Tag"), Some(FieldKind::Tags));
        assert_eq!(FieldKind::from_label("Expectd"), None);
    }
}
