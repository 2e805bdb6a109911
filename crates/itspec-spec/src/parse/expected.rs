//! `**Expected:**` items, expected bodies' markers, and Capture lines.

use super::assertion::{parse_assertion, strip_code_span, subject};
use super::context::Cx;
use super::cursor::Cursor;
use super::located::Located;
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::TextRange;
use crate::marker::parse_marker;
use crate::model::{
    Assertion, AssertionKind, Capture, CmpOp, Operand, OperandKind, Predicate, ResponsePart,
    Subject, SubjectKind, Value, ValueKind,
};
use crate::source::Spanned;

/// `Status: 422`, `Error code: X`, `Message contains: "…"`, or an assertion.
pub(crate) fn expected_item(cx: &mut Cx<'_>, line: TextRange) -> Assertion {
    let located = strip_code_span(Located::at(line.text(cx.source), line.start));
    let text = located.text;
    let span = located.whole_span(cx.source);
    for (label, build) in [
        (
            "status:",
            status as fn(&mut Cx<'_>, Located<'_>) -> Option<AssertionKind>,
        ),
        ("error code:", error_code),
        ("message contains:", message_contains),
    ] {
        let matches = text
            .get(..label.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(label));
        if matches {
            let rest = located.sub(label.len(), text.len());
            let leading = rest.text.len() - rest.text.trim_start().len();
            let value = rest.sub(leading, rest.text.len());
            let kind = build(cx, value).unwrap_or(AssertionKind::Prose { hint: None });
            return Assertion {
                kind,
                text: text.to_string(),
                span,
                within: None,
            };
        }
    }
    parse_assertion(cx, located)
}

fn status(cx: &mut Cx<'_>, value: Located<'_>) -> Option<AssertionKind> {
    let mut cursor = Cursor::new(cx.source, value);
    let start = cursor.pos;
    let operand = cursor.operand().ok();
    let valid = match &operand {
        Some(Operand {
            kind: OperandKind::StatusClass(_),
            ..
        }) => true,
        Some(Operand {
            kind: OperandKind::Value(v),
            ..
        }) => match &v.kind {
            ValueKind::Var(_) => true,
            ValueKind::Number(n) => n.as_u64().is_some_and(|n| (100..=599).contains(&n)),
            _ => false,
        },
        _ => false,
    };
    // A reason phrase after the code (`201 Created`) is allowed.
    let rest_is_reason = cursor
        .rest()
        .trim()
        .chars()
        .all(|c| c.is_alphabetic() || c == ' ' || c == '-');
    match operand {
        Some(operand) if valid && rest_is_reason => Some(AssertionKind::Check {
            subject: Subject {
                kind: SubjectKind::Response {
                    label: None,
                    part: ResponsePart::Status,
                },
                span: value.span(cx.source, start, start),
            },
            predicate: Predicate::Compare {
                op: CmpOp::Eq,
                value: operand,
            },
        }),
        _ => {
            cx.push(
                Diagnostic::error(Code::InvalidExpected, value.whole_span(cx.source), format!("`{}` is not a status code", value.text))
                    .with_help("write a status from 100 to 599, like `Status: 422`, or a class like `Status: 4xx`"),
            );
            None
        }
    }
}

/// A value after a label: quoted, a `{{variable}}`, or the bare rest.
fn text_operand(cx: &mut Cx<'_>, value: Located<'_>, what: &str, example: &str) -> Option<Operand> {
    let span = value.whole_span(cx.source);
    if value.text.is_empty() {
        cx.push(
            Diagnostic::error(
                Code::InvalidExpected,
                span,
                format!("`{what}` has no value"),
            )
            .with_help(format!("like `{what} {example}`")),
        );
        return None;
    }
    if value.text.starts_with('"') || value.text.starts_with("{{") {
        let mut cursor = Cursor::new(cx.source, value);
        if let Ok(operand) = cursor.operand()
            && cursor.at_end()
        {
            return Some(operand);
        }
        cx.push(
            Diagnostic::error(
                Code::InvalidExpected,
                span,
                format!("`{what}` takes one quoted string or variable"),
            )
            .with_help(format!("like `{what} {example}`")),
        );
        return None;
    }
    Some(Operand {
        kind: OperandKind::Value(Value::new(ValueKind::String(value.text.to_string()), span)),
        span,
    })
}

fn error_code(cx: &mut Cx<'_>, value: Located<'_>) -> Option<AssertionKind> {
    text_operand(cx, value, "Error code:", "INVALID_QUANTITY")
        .map(|code| AssertionKind::ErrorCode { code })
}

fn message_contains(cx: &mut Cx<'_>, value: Located<'_>) -> Option<AssertionKind> {
    text_operand(cx, value, "Message contains:", "\"must be positive\"")
        .map(|text| AssertionKind::MessageContains { text })
}

/// Reports every string of an expected body that is an invalid marker.
pub(crate) fn validate_markers(cx: &mut Cx<'_>, value: &Value) {
    value.walk(&mut |node| {
        if let ValueKind::String(text) = &node.kind
            && let Err(error) = parse_marker(text)
        {
            if error.too_deep {
                // At the `#[` that opens the level past the limit.
                let written = cx.source.slice(node.span.start, node.span.end);
                let span = written
                    .match_indices("#[")
                    .nth(crate::limits::MAX_DEPTH)
                    .map_or(node.span, |(at, _)| {
                        cx.span(node.span.start + at, node.span.start + at + 2)
                    });
                cx.push(
                    Diagnostic::error(Code::TooComplex, span, error.message)
                        .with_label(format!(
                            "level {} starts here",
                            crate::limits::MAX_DEPTH + 1
                        ))
                        .with_help(error.help),
                );
            } else {
                cx.push(
                    Diagnostic::error(Code::UnknownMarker, node.span, error.message)
                        .with_help(error.help),
                );
            }
        }
    });
}

/// Markers inside assertions (`received {…}`).
pub(crate) fn validate_assertion_markers(cx: &mut Cx<'_>, assertion: &Assertion) {
    if let AssertionKind::Check {
        predicate: Predicate::Received { body },
        ..
    } = &assertion.kind
    {
        validate_markers(cx, body);
    }
}

/// `name = subject`.
pub(crate) fn capture(cx: &mut Cx<'_>, line: TextRange) -> Option<Capture> {
    let located = strip_code_span(Located::at(line.text(cx.source), line.start));
    let span = located.whole_span(cx.source);
    let mut cursor = Cursor::new(cx.source, located);
    let parsed = (|| {
        let name = cursor.ident()?;
        if !cursor.punct("=") {
            return None;
        }
        let subject = subject(&mut cursor).ok()?;
        let fits = matches!(
            subject.kind,
            SubjectKind::Response { .. } | SubjectKind::Sql { .. }
        );
        (fits && cursor.at_end()).then_some((name, subject))
    })();
    match parsed {
        Some((name, subject)) => {
            if let SubjectKind::Response {
                part: ResponsePart::JsonPath(path),
                ..
            } = &subject.kind
            {
                super::assertion::check_json_path(cx, path);
            }
            Some(Capture {
                name,
                subject,
                span,
            })
        }
        None => {
            if !super::assertion::has_template_slot(located.text) {
                cx.push(
                    Diagnostic::error(Code::InvalidCapture, span, "a capture is written `name = subject`")
                        .with_help("like `- reservation_id = body.id`, `- token = header X-Token` or `- slug = A.body.article.slug`"),
                );
            }
            None
        }
    }
}

/// The inline text of a field as a spanned string.
pub(crate) fn spanned_text(cx: &Cx<'_>, range: TextRange) -> Spanned<String> {
    Spanned::new(range.text(cx.source).to_string(), range.span(cx.source))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn item(text: &str) -> (Assertion, Vec<Diagnostic>) {
        let source = Source::new(text);
        let mut cx = Cx::new(&source);
        let assertion = expected_item(
            &mut cx,
            TextRange {
                start: 0,
                end: text.len(),
            },
        );
        (assertion, cx.diagnostics)
    }

    #[test]
    fn expected_labels() {
        let (status, d) = item("Status: 422");
        assert!(d.is_empty());
        assert!(matches!(
            status.kind,
            AssertionKind::Check {
                predicate: Predicate::Compare { op: CmpOp::Eq, .. },
                ..
            }
        ));
        let (class, _) = item("Status: 4xx");
        assert!(matches!(
            class.kind,
            AssertionKind::Check {
                predicate: Predicate::Compare {
                    value: Operand {
                        kind: OperandKind::StatusClass(4),
                        ..
                    },
                    ..
                },
                ..
            }
        ));
        let (created, d) = item("Status: 201 Created");
        assert!(d.is_empty() && matches!(created.kind, AssertionKind::Check { .. }));
        let (code, _) = item("Error code: INVALID_QUANTITY");
        let AssertionKind::ErrorCode { code } = code.kind else {
            panic!()
        };
        assert!(
            matches!(code.kind, OperandKind::Value(v) if v.as_str() == Some("INVALID_QUANTITY"))
        );
        let (message, _) = item("Message contains: \"quantity must be positive\"");
        let AssertionKind::MessageContains { text } = message.kind else {
            panic!()
        };
        assert!(
            matches!(text.kind, OperandKind::Value(v) if v.as_str() == Some("quantity must be positive"))
        );
        let (other, _) = item("header Location exists");
        assert!(matches!(other.kind, AssertionKind::Check { .. }));
    }

    #[test]
    fn bad_status() {
        let (_, d) = item("Status: 999");
        assert_eq!(d[0].code, Code::InvalidExpected);
        let (_, d) = item("Status: {{status_code}}");
        assert!(d.is_empty());
    }
}
