//! Actions items: `Request A (concurrent, x10): POST /path {json}` (FORMAT
//! §8), and `Publish A (x10): events orders order.created {json}`
//! (CHANNELS.md §4).

use super::assertion::has_template_slot;
use super::body::code_body;
use super::context::Cx;
use super::cursor::{Cursor, Fail};
use super::json::parse_json;
use super::located::Located;
use super::request::{headers, target};
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::{Block, Item};
use crate::model::{Action, ActionBody, ActionKind, BodyKind};
use crate::source::Spanned;

/// Reads one Actions item.
pub(crate) fn action(cx: &mut Cx<'_>, item: &Item) -> Option<Action> {
    let line = item.text?;
    let text = line.text(cx.source);
    let located = Located::at(text, line.start);
    let mut cursor = Cursor::new(cx.source, located);
    match parse(&mut cursor) {
        Ok(mut action) => {
            if let Some(start) = inline_json_start(&cursor) {
                action.body = parse_json(cx, located.sub(start, text.len())).map(ActionBody::Json);
            }
            for child in &item.children {
                match child {
                    Block::Code(code) if action.body.is_some() => {
                        cx.push(
                            Diagnostic::error(
                                Code::InvalidAction,
                                code.span,
                                format!("{} {} already has a body", action.keyword(), action.label.value),
                            )
                            .with_help("a request or message has one body: inline JSON, `with VARIABLE`, or one block under it"),
                        );
                    }
                    Block::Code(code) => {
                        action.body =
                            code_body(cx, code, "an action's block").map(|body| match body.json {
                                Some(json) if body.kind == BodyKind::Json => ActionBody::Json(json),
                                _ => ActionBody::Block(body),
                            });
                    }
                    other => action.headers.extend(headers(cx, other)),
                }
            }
            action.span = item.span;
            Some(action)
        }
        Err(fail) => {
            if let Some(diagnostic) = fail.diagnostic {
                cx.push(*diagnostic);
            } else if !has_template_slot(text) {
                cx.push(
                    Diagnostic::error(Code::InvalidAction, line.span(cx.source), format!("this action is not a request or a message: expected {}", fail.expected))
                        .with_note(located.span(cx.source, fail.at, fail.at), format!("expected {} here", fail.expected))
                        .with_help("write `Request A: POST /path {\"json\": 1}` or `Publish A: events orders order.created {\"id\": 1}`; mark a step `(concurrent)` to release it with the one before, `(x10)` for ten copies"),
                );
            }
            None
        }
    }
}

/// Where inline JSON starts, when the cursor stopped at a `{` or `[`.
fn inline_json_start(cursor: &Cursor<'_, '_>) -> Option<usize> {
    let rest = cursor.rest();
    let trimmed = rest.trim_start();
    (trimmed.starts_with('{') && !trimmed.starts_with("{{") || trimmed.starts_with('['))
        .then(|| cursor.pos + (rest.len() - trimmed.len()))
}

fn parse(cursor: &mut Cursor<'_, '_>) -> Result<Action, Fail> {
    let start = cursor.pos;
    let publish = if cursor.keyword("Request") {
        false
    } else if cursor.keyword("Publish") {
        true
    } else {
        return cursor.fail("`Request <Label>:` or `Publish <Label>:`");
    };
    let Some(label) = cursor.ident() else {
        return cursor.fail("a label, like `A`");
    };
    let mut concurrent = false;
    let mut copies = None;
    if cursor.punct("(") {
        loop {
            if cursor.keyword("concurrent") {
                concurrent = true;
            } else if let Some(count) = cursor.take_while(|c| c.is_ascii_alphanumeric()) {
                let n = count
                    .value
                    .strip_prefix(['x', 'X'])
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|n| (1..=10_000).contains(n));
                match n {
                    Some(n) => copies = Some(Spanned::new(n, count.span)),
                    None => return cursor.fail("`concurrent` or a count like `x10` (1 to 10000)"),
                }
            } else {
                return cursor.fail("`concurrent` or a count like `x10`");
            }
            if cursor.punct(")") {
                break;
            }
            if !cursor.punct(",") {
                return cursor.fail("`,` or `)`");
            }
        }
    }
    if !cursor.punct(":") {
        return cursor.fail("`:` after the label");
    }
    let kind = if publish {
        destination(cursor)?
    } else {
        let Some(method) = cursor.method() else {
            return cursor.fail("an HTTP method in capitals, like `POST`");
        };
        let Some(target) = target(cursor) else {
            return cursor.fail("a path starting with `/`");
        };
        ActionKind::Request { method, target }
    };
    let mut body = None;
    if cursor.keyword("with") {
        match cursor.variable().or_else(|| {
            cursor.name().map(|name| crate::model::VarRef {
                name: name.value,
                span: name.span,
            })
        }) {
            Some(var) => body = Some(ActionBody::With(var)),
            None => return cursor.fail("a variable after `with`"),
        }
        if !cursor.at_end() {
            return cursor.fail("the end of the line");
        }
    } else if !cursor.at_end() && inline_json_start(cursor).is_none() {
        return cursor.fail("a JSON body, `with VARIABLE`, or the end of the line");
    }
    Ok(Action {
        label,
        concurrent,
        copies,
        kind,
        body,
        headers: Vec::new(),
        span: cursor.span(start, cursor.line.text.len()),
    })
}

/// `BROKER DESTINATION…`: the broker, then words up to the end, `with`, or
/// inline JSON.
fn destination(cursor: &mut Cursor<'_, '_>) -> Result<ActionKind, Fail> {
    let Some(broker) = cursor.ident() else {
        return cursor.fail("a broker's name, like `events`");
    };
    let mut destination = Vec::new();
    loop {
        cursor.skip_ws();
        if cursor.at_end() || inline_json_start(cursor).is_some() {
            break;
        }
        let before = cursor.pos;
        if cursor.keyword("with") {
            cursor.pos = before;
            break;
        }
        match cursor.token() {
            Some(word) => destination.push(word),
            None => break,
        }
    }
    if destination.is_empty() {
        return cursor.fail("where to publish after the broker: a channel, subject or topic, or an exchange and a routing key");
    }
    Ok(ActionKind::Publish {
        broker,
        destination,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::parse_blocks;
    use crate::model::ValueKind;
    use crate::source::Source;

    fn actions(text: &str) -> (Vec<Action>, Vec<Diagnostic>) {
        let source = Source::new(text);
        let blocks = parse_blocks(&source);
        let mut cx = Cx::new(&source);
        let Some(Block::List { items, .. }) = blocks.first() else {
            panic!()
        };
        let actions = items
            .iter()
            .filter_map(|item| action(&mut cx, item))
            .collect();
        (actions, cx.diagnostics)
    }

    #[test]
    fn labels_flags_and_bodies() {
        let (actions, diagnostics) = actions(
            "1. Request A: POST /reservations {\"sku\": \"S\", \"quantity\": {{q}}}\n2. Request B (concurrent): POST /reservations with payload\n3. Request C (concurrent, x10): GET /inventory/S\n   - X-Trace: {{run_id}}\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(actions.len(), 3);
        assert_eq!(actions[0].label.value, "A");
        assert!(!actions[0].concurrent);
        let Some(ActionBody::Json(body)) = &actions[0].body else {
            panic!()
        };
        assert!(matches!(&body.get("quantity").unwrap().kind, ValueKind::Var(v) if v.name == "q"));
        assert!(actions[1].concurrent);
        assert!(matches!(&actions[1].body, Some(ActionBody::With(v)) if v.name == "payload"));
        assert_eq!(actions[2].copies.as_ref().map(|c| c.value), Some(10));
        assert_eq!(actions[2].labels().len(), 10);
        assert_eq!(actions[2].headers[0].name.value, "X-Trace");
    }

    #[test]
    fn a_publish_names_a_broker_and_where_with_a_body() {
        let (actions, diagnostics) = actions(
            "1. Publish A: events orders order.created {\"order_id\": {{id}}}\n2. Publish B (concurrent, x10): bus orders.{{id}} with event\n3. Publish C: cache events:new\n   ```text\n   hello\n   ```\n4. Publish D: events\n",
        );
        assert_eq!(actions.len(), 3, "{diagnostics:?}");
        let ActionKind::Publish {
            broker,
            destination,
        } = &actions[0].kind
        else {
            panic!("{:?}", actions[0].kind)
        };
        assert_eq!(broker.value, "events");
        let words: Vec<&str> = destination.iter().map(|w| w.value.as_str()).collect();
        assert_eq!(words, ["orders", "order.created"]);
        assert!(matches!(&actions[0].body, Some(ActionBody::Json(_))));
        assert!(actions[1].concurrent && actions[1].is_publish());
        assert_eq!(actions[1].count(), 10);
        assert!(matches!(&actions[1].body, Some(ActionBody::With(v)) if v.name == "event"));
        assert!(matches!(&actions[2].body, Some(ActionBody::Block(b)) if b.kind == BodyKind::Text));
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0].message.contains("where to publish"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn a_block_under_a_request_is_its_body_in_its_language() {
        let (actions, diagnostics) = actions(
            "1. Request Login: POST /login\n   ```form\n   username=ada&password={{pw}}\n   ```\n2. Request B: POST /b\n   ```json\n   {\"a\": 1}\n   ```\n   - X-Id: 1\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let Some(ActionBody::Block(body)) = &actions[0].body else {
            panic!("{:?}", actions[0].body)
        };
        assert_eq!(body.kind, BodyKind::Form);
        assert_eq!(body.text.trim(), "username=ada&password={{pw}}");
        assert!(matches!(&actions[1].body, Some(ActionBody::Json(_))));
        assert_eq!(actions[1].headers.len(), 1);
    }

    #[test]
    fn a_request_has_one_body() {
        let (_, diagnostics) =
            actions("1. Request A: POST /a {\"x\": 1}\n   ```form\n   a=1\n   ```\n");
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(diagnostics[0].message.contains("already has a body"));
        let (_, diagnostics) = actions("1. Request A: POST /a\n   ```yaml\n   a: 1\n   ```\n");
        assert!(
            diagnostics[0].message.contains("not a body type"),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn errors_say_what_was_expected() {
        let (actions, diagnostics) = actions("1. Request A POST /x\n2. Request B (x0): GET /y\n");
        assert!(actions.is_empty());
        assert_eq!(diagnostics.len(), 2);
        assert!(
            diagnostics[0].message.contains("`:` after the label"),
            "{}",
            diagnostics[0].message
        );
        assert!(
            diagnostics[1].message.contains("x10"),
            "{}",
            diagnostics[1].message
        );
    }

    #[test]
    fn template_slots_are_left_to_the_placeholder_rule() {
        let (actions, diagnostics) = actions("1. Request A: {{request_a}}\n");
        assert!(actions.is_empty());
        assert!(diagnostics.is_empty());
    }
}
