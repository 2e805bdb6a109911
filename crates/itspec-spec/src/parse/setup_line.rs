//! Setup lines (FORMAT §5.3).

use super::assertion::{condition, has_template_slot};
use super::context::Cx;
use super::cursor::{Cursor, Parsed};
use super::located::Located;
use crate::diagnostic::Code;
use crate::markdown::TextRange;
use crate::model::{CmpOp, Column, Fault, MockOverride, OperandKind, SetupLine, SetupLineKind};

/// Reads a setup line; a line that is none of the forms is kept as prose
/// and reported, since it will not run.
pub(crate) fn setup_line(cx: &mut Cx<'_>, line: TextRange) -> SetupLine {
    let text = line.text(cx.source);
    let located = super::assertion::strip_code_span(Located::at(text, line.start));
    let span = located.whole_span(cx.source);
    let mut cursor = Cursor::new(cx.source, located);
    match parse(&mut cursor) {
        Ok(kind) => SetupLine { kind, span },
        Err(fail) => {
            let mut hint = None;
            if let Some(diagnostic) = fail.diagnostic {
                hint = diagnostic.help.clone();
                cx.push(*diagnostic);
            } else if !has_template_slot(located.text) {
                // In a Ready spec a case must never run without its setup.
                let mut diagnostic = cx.unless_draft(
                    Code::UnparsedSetupLine,
                    span,
                    "this setup line is prose: it will not run",
                );
                if fail.at > 0 {
                    let expected = format!("expected {} here", fail.expected);
                    hint = Some(format!(
                        "{expected}: `{}`",
                        located.text.get(..fail.at).unwrap_or("").trim_end()
                    ));
                    diagnostic =
                        diagnostic.with_note(located.span(cx.source, fail.at, fail.at), expected);
                }
                cx.push(
                    diagnostic.with_help(
                            "write `row TABLE: col = V, …`, `sql \"UPDATE …\"`, `fixture NAME`, `mock NAME METHOD /path -> STATUS [JSON]`, or `mail -> 550`",
                        ),
                );
            }
            SetupLine {
                kind: SetupLineKind::Prose {
                    text: located.text.to_string(),
                    hint,
                },
                span,
            }
        }
    }
}

fn parse(cursor: &mut Cursor<'_, '_>) -> Parsed<SetupLineKind> {
    if cursor.keyword("row") {
        let Some(table) = cursor.name() else {
            return cursor.fail("a table name");
        };
        if !cursor.punct(":") {
            return cursor.fail("`:` after the table name");
        }
        let mut columns = Vec::new();
        loop {
            let start = cursor.pos;
            let condition = condition(cursor)?;
            let OperandKind::Value(value) = condition.value.kind else {
                cursor.pos = start;
                return cursor.fail("a JSON value or {{variable}}");
            };
            if condition.op != CmpOp::Eq {
                cursor.pos = start;
                return cursor.fail("`column = value`");
            }
            columns.push(Column {
                name: condition.column,
                value,
            });
            if cursor.at_end() {
                break;
            }
            if !cursor.punct(",") {
                return cursor.fail("`,` or the end of the line");
            }
        }
        return Ok(SetupLineKind::Row { table, columns });
    }
    if cursor.keyword("sql") {
        let Some(statement) = cursor.string() else {
            return cursor.fail("a statement in double quotes");
        };
        return end(cursor, SetupLineKind::Sql { statement });
    }
    if cursor.keyword("mock") {
        return mock(cursor);
    }
    if cursor.keyword("mail") {
        return mail(cursor);
    }
    let explicit = cursor.keyword("fixture");
    match cursor.ident() {
        Some(name) if explicit || cursor.at_end() => end(cursor, SetupLineKind::Fixture { name }),
        None if explicit => cursor.fail("a fixture name"),
        _ => {
            cursor.pos = 0;
            cursor.fail("`row`, `sql`, `fixture`, `mock` or `mail`")
        }
    }
}

fn end(cursor: &mut Cursor<'_, '_>, kind: SetupLineKind) -> Parsed<SetupLineKind> {
    if cursor.at_end() {
        Ok(kind)
    } else {
        cursor.fail("the end of the line")
    }
}

/// `mail -> CODE ["TEXT"]`: the SMTP server refuses the case's e-mail.
fn mail(cursor: &mut Cursor<'_, '_>) -> Parsed<SetupLineKind> {
    if !cursor.punct("->") {
        return cursor.fail("`->` and the SMTP reply code, like `mail -> 550`");
    }
    cursor.skip_ws();
    let start = cursor.pos;
    let code = match cursor.take_while(|c| c.is_ascii_digit()) {
        Some(code) => match code.value.parse::<u16>() {
            Ok(value @ 400..=599) => crate::source::Spanned::new(value, code.span),
            _ => {
                cursor.pos = start;
                return cursor.fail("an SMTP error code from 400 to 599, like `550`");
            }
        },
        None => return cursor.fail("an SMTP error code from 400 to 599, like `550`"),
    };
    cursor.skip_ws();
    let text = if cursor.peek() == Some('"') {
        match cursor.string() {
            Some(text) => Some(text),
            None => return cursor.fail("the reply's text in double quotes"),
        }
    } else {
        None
    };
    end(cursor, SetupLineKind::Mail { code, text })
}

/// `mock NAME METHOD PATH -> STATUS [JSON] [delay D]`, `-> delay D`,
/// `-> reset`, `-> timeout`.
fn mock(cursor: &mut Cursor<'_, '_>) -> Parsed<SetupLineKind> {
    let Some(mock) = cursor.ident() else {
        return cursor.fail("a mock name");
    };
    let method = match cursor.method() {
        Some(method) => method,
        None if cursor.punct("*") => {
            crate::source::Spanned::new("*".to_string(), cursor.span(cursor.pos - 1, cursor.pos))
        }
        None => return cursor.fail("an HTTP method in capitals, or `*`"),
    };
    cursor.skip_ws();
    if !cursor.rest().starts_with('/') {
        return cursor.fail("a path starting with `/`");
    }
    let Some(path) = cursor.token() else {
        return cursor.fail("a path");
    };
    if !cursor.punct("->") {
        return cursor.fail("`->` and what the mock answers");
    }
    let mut answer = MockOverride::default();
    if cursor.keyword("reset") {
        answer.fault = Some(Fault::Reset);
    } else if cursor.keyword("timeout") {
        answer.fault = Some(Fault::Timeout);
    } else {
        if let Some(status) = cursor.take_while(|c| c.is_ascii_digit()) {
            match status.value.parse::<u16>() {
                Ok(code @ 100..=599) => answer.status = Some(code),
                _ => return cursor.fail("a status from 100 to 599"),
            }
            if matches!(cursor.peek(), Some('{' | '[' | '"')) {
                match cursor.operand()?.kind {
                    OperandKind::Value(body) => answer.body = Some(body),
                    _ => return cursor.fail("a JSON body"),
                }
            }
        }
        if cursor.keyword("delay") {
            match cursor.operand()?.kind {
                OperandKind::Duration(ms) => answer.delay_ms = Some(ms),
                _ => return cursor.fail("a duration like `2s`"),
            }
        }
        if answer.status.is_none() && answer.delay_ms.is_none() {
            return cursor.fail("a status, `delay 2s`, `reset` or `timeout`");
        }
    }
    end(
        cursor,
        SetupLineKind::Mock {
            mock,
            method,
            path,
            answer,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn line(text: &str) -> (SetupLine, Vec<crate::diagnostic::Diagnostic>) {
        let source = Source::new(text);
        let mut cx = Cx::new(&source);
        let line = setup_line(
            &mut cx,
            TextRange {
                start: 0,
                end: text.len(),
            },
        );
        (line, cx.diagnostics)
    }

    #[test]
    fn forms() {
        let (row, d) = line(r#"row inventory: sku = "SKU-LAST", stock = 1"#);
        assert!(d.is_empty(), "{d:?}");
        let SetupLineKind::Row { table, columns } = row.kind else {
            panic!()
        };
        assert_eq!(table.value, "inventory");
        assert_eq!(columns.len(), 2);
        assert!(matches!(
            line(r#"sql "UPDATE t SET a = 1""#).0.kind,
            SetupLineKind::Sql { .. }
        ));
        assert!(matches!(
            line("fixture sku_in_stock").0.kind,
            SetupLineKind::Fixture { .. }
        ));
        assert!(matches!(
            line("sku_in_stock").0.kind,
            SetupLineKind::Fixture { .. }
        ));
        let (mock, d) = line(r#"mock payments POST /charges -> 402 {"error": "declined"}"#);
        assert!(d.is_empty(), "{d:?}");
        let SetupLineKind::Mock { answer, .. } = mock.kind else {
            panic!()
        };
        assert_eq!(answer.status, Some(402));
        assert!(answer.body.is_some());
        let SetupLineKind::Mock { answer, .. } =
            line("mock payments POST /charges -> delay 2s").0.kind
        else {
            panic!()
        };
        assert_eq!(answer.delay_ms, Some(2000));
        let SetupLineKind::Mock { answer, .. } = line("mock payments * /charges -> reset").0.kind
        else {
            panic!()
        };
        assert_eq!(answer.fault, Some(Fault::Reset));
    }

    #[test]
    fn prose_is_reported() {
        let (setup, d) = line("an item with one unit in stock");
        assert!(
            matches!(setup.kind, SetupLineKind::Prose { ref text, .. } if text == "an item with one unit in stock")
        );
        assert_eq!(d[0].code, Code::UnparsedSetupLine);
        let (_, d) = line("{{initial_state}}");
        assert!(d.is_empty());
    }
}
