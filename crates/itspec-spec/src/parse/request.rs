//! `**Request:** METHOD /path` and header lines.

use super::context::Cx;
use super::cursor::{Cursor, is_method};
use super::located::Located;
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::{Block, TextRange};
use crate::model::{Header, RequestLine};
use crate::source::Spanned;

/// Reads `METHOD /path?query`; reports what is wrong otherwise.
pub(crate) fn request_line(
    cx: &mut Cx<'_>,
    line: TextRange,
    header_blocks: &[&Block],
) -> Option<RequestLine> {
    let text = line.text(cx.source);
    let located = Located::at(text, line.start);
    let mut cursor = Cursor::new(cx.source, located);
    let span = line.span(cx.source);
    let Some(method) = cursor.method() else {
        let word = text.split_whitespace().next().unwrap_or("");
        let help = if is_method(&word.to_ascii_uppercase()) {
            format!(
                "write the method in capitals: `{}`",
                word.to_ascii_uppercase()
            )
        } else {
            "write `METHOD /path`, like `POST /reservations`; methods are GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS".to_string()
        };
        cx.push(
            Diagnostic::error(
                Code::InvalidRequest,
                span,
                format!("`{word}` is not an HTTP method"),
            )
            .with_label("expected `METHOD /path`")
            .with_help(help),
        );
        return None;
    };
    let target = target(&mut cursor);
    let Some(target) = target else {
        cx.push(
            Diagnostic::error(Code::InvalidRequest, span, "the request has no path")
                .with_help(format!("write `{} /path`, starting with `/`", method.value)),
        );
        return None;
    };
    // An HTTP version after the path is tolerated.
    let _ = cursor.keyword("HTTP/1.1") || cursor.keyword("HTTP/2");
    if !cursor.at_end() {
        let at = cursor.pos;
        cx.push(
            Diagnostic::error(
                Code::InvalidRequest,
                located.span(cx.source, at, text.len()),
                "unexpected text after the request path",
            )
            .with_help(
                "put the body in an **Input:** block and headers in a list under the Request line",
            ),
        );
    }
    let headers = header_blocks
        .iter()
        .flat_map(|block| headers(cx, block))
        .collect();
    Some(RequestLine {
        method,
        target,
        headers,
        span,
    })
}

/// The path of a request: starts with `/`, a `{{variable}}` or `http`.
pub(crate) fn target(cursor: &mut Cursor<'_, '_>) -> Option<Spanned<String>> {
    cursor.skip_ws();
    let rest = cursor.rest();
    if rest.starts_with('/')
        || rest.starts_with("{{")
        || rest.starts_with("http://")
        || rest.starts_with("https://")
    {
        cursor.token()
    } else {
        None
    }
}

/// `Name: value` items of a list.
pub(crate) fn headers(cx: &mut Cx<'_>, block: &Block) -> Vec<Header> {
    let mut headers = Vec::new();
    match block {
        Block::List { items, .. } => {
            for item in items {
                let Some(text) = item.text else { continue };
                if let Some(header) = header_line(cx, text) {
                    headers.push(header);
                }
            }
        }
        other => {
            let diagnostic = cx
                .unless_draft(
                    Code::IgnoredContent,
                    other.span(),
                    "this block is not read as headers",
                )
                .with_help("list headers as `- Name: value` under the request");
            cx.push(diagnostic);
        }
    }
    headers
}

fn header_line(cx: &mut Cx<'_>, line: TextRange) -> Option<Header> {
    let text = line.text(cx.source);
    let span = line.span(cx.source);
    let colon = text.find(':');
    let name = colon.and_then(|colon| text.get(..colon)).map(str::trim_end);
    let valid_name = name.is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+.^_`|~-".contains(c))
    });
    let (Some(colon), Some(name), true) = (colon, name, valid_name) else {
        cx.push(
            Diagnostic::error(
                Code::InvalidHeader,
                span,
                "a header is written `Name: value`",
            )
            .with_help("like `- Authorization: Bearer {{token}}`"),
        );
        return None;
    };
    let after = text.get(colon + 1..).unwrap_or("");
    let leading = after.len() - after.trim_start().len();
    let value = after.trim();
    let value_start = line.start + colon + 1 + leading;
    Some(Header {
        name: Spanned::new(
            name.to_string(),
            cx.span(line.start, line.start + name.len()),
        ),
        value: Spanned::new(
            value.to_string(),
            cx.span(value_start, value_start + value.len()),
        ),
    })
}
