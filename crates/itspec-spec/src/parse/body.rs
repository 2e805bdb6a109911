//! A request body written as a fenced block: its language says its type
//! (`json` — the default —, `text`, `xml`, `form`), for the Input of a
//! case and for a request of its Actions alike.

use super::context::Cx;
use super::json::parse_json;
use super::located::Located;
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::CodeBlock;
use crate::model::{Body, BodyKind};

/// The body of `code`; `None` (with a diagnostic) when its language is not
/// a body type. JSON that does not parse has its diagnostic and no `json`. `owner` names what the block
/// belongs to in messages: "an Input block", "a request's block".
pub(crate) fn code_body(cx: &mut Cx<'_>, code: &CodeBlock, owner: &str) -> Option<Body> {
    let kind = match code.lang.as_deref() {
        None | Some("json") => BodyKind::Json,
        Some("text" | "txt" | "plain") => BodyKind::Text,
        Some("xml") => BodyKind::Xml,
        Some("form") => BodyKind::Form,
        Some(other) => {
            cx.push(
                Diagnostic::error(Code::InvalidBodyLanguage, code.info_span, format!("`{other}` is not a body type"))
                    .with_help(format!("{owner} is ```json (the default), ```text, ```xml or ```form (one `name=value` per line, or joined by `&`)")),
            );
            return None;
        }
    };
    let empty = code.content.text.trim().is_empty();
    if empty {
        cx.push(
            Diagnostic::warning(
                Code::EmptyField,
                code.span,
                format!("{owner} is empty: the request is sent without a body"),
            )
            .with_help(
                "write the body in the block, or remove the block for a request without one",
            ),
        );
    }
    let json = if kind == BodyKind::Json && !empty {
        parse_json(cx, Located::block(&code.content))
    } else {
        None
    };
    Some(Body {
        kind,
        text: code.content.text.clone(),
        json,
        span: code.span,
    })
}
