//! `## Mocks` blocks (FORMAT §6): Python `mocker.patch` and native YAML routes.

use super::context::Cx;
use super::cursor::is_method;
use super::json::parse_json;
use super::located::Located;
use super::yaml::parse_yaml;
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::parse_duration;
use crate::markdown::CodeBlock;
use crate::model::{Fault, Member, Mock, MockKind, MockResponse, MockRoute, Value, ValueKind};
use crate::parse::python::{Section, read_block};
use crate::source::{Span, Spanned};

const ROUTE_HELP: &str = "a mock is a list of routes:\n```yaml\npayments:\n  - when: POST /charges\n    body: { amount: \"#number\" }\n    then: { status: 201, body: { id: ch_1 } }\n```";

/// Reads one code block of Mocks.
pub(crate) fn mock_block(cx: &mut Cx<'_>, block: &CodeBlock) -> Vec<Mock> {
    let located = Located::block(&block.content);
    let value = match block.lang.as_deref() {
        Some("python" | "py") => return read_block(cx, block, Section::Mocks).mocks,
        Some("yaml" | "yml") => parse_yaml(cx, located),
        Some("json") => parse_json(cx, located),
        other => {
            let what = other.map_or_else(
                || "a block without a language".to_string(),
                |lang| format!("a `{lang}` block"),
            );
            cx.push(
                Diagnostic::error(
                    Code::InvalidMock,
                    block.info_span,
                    format!("{what} cannot define a mock"),
                )
                .with_help("write mocks as ```python (`mocker.patch`) or ```yaml routes"),
            );
            return Vec::new();
        }
    };
    let Some(value) = value else {
        return Vec::new();
    };
    let ValueKind::Object(mocks) = &value.kind else {
        invalid(
            cx,
            value.span,
            format!(
                "a mock block maps mock names to routes, not {}",
                value.type_name()
            ),
        );
        return Vec::new();
    };
    mocks
        .iter()
        .filter_map(|mock| {
            let routes = routes(cx, mock)?;
            Some(Mock {
                name: mock.key.clone(),
                doc: None,
                kind: MockKind::Routes { routes },
                span: mock.key.span,
            })
        })
        .collect()
}

fn invalid(cx: &mut Cx<'_>, span: Span, message: String) {
    cx.push(Diagnostic::error(Code::InvalidMock, span, message).with_help(ROUTE_HELP));
}

fn unknown_key(cx: &mut Cx<'_>, key: &Spanned<String>, known: &[&str]) {
    let help = match crate::suggest::nearest(&key.value, known.iter().copied()) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!(
            "the keys here are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    cx.push(
        Diagnostic::error(
            Code::InvalidMock,
            key.span,
            format!("unknown key `{}`", key.value),
        )
        .with_help(help),
    );
}

fn routes(cx: &mut Cx<'_>, mock: &Member) -> Option<Vec<MockRoute>> {
    let ValueKind::Array(items) = &mock.value.kind else {
        invalid(
            cx,
            mock.value.span,
            format!("the routes of mock `{}` must be a list", mock.key.value),
        );
        return None;
    };
    let mut routes = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in items {
        match route(cx, item) {
            Some(route) => routes.push(route),
            None => ok = false,
        }
    }
    ok.then_some(routes)
}

fn route(cx: &mut Cx<'_>, item: &Value) -> Option<MockRoute> {
    let ValueKind::Object(members) = &item.kind else {
        invalid(
            cx,
            item.span,
            format!(
                "a route must be an object with `when` and `then`, not {}",
                item.type_name()
            ),
        );
        return None;
    };
    let mut when = None;
    let mut body = None;
    let mut response = MockResponse::default();
    let mut ok = true;
    for member in members {
        match member.key.value.as_str() {
            "when" => when = Some(&member.value),
            "body" => {
                super::expected::validate_markers(cx, &member.value);
                body = Some(member.value.clone());
            }
            "then" => ok &= then(cx, &member.value, &mut response),
            _ => {
                unknown_key(cx, &member.key, &["when", "body", "then"]);
                ok = false;
            }
        }
    }
    let Some(when) = when else {
        invalid(
            cx,
            item.span,
            "a route needs `when: METHOD /path`".to_string(),
        );
        return None;
    };
    let (method, path) = match when
        .as_str()
        .map(|text| text.split_whitespace().collect::<Vec<_>>())
        .as_deref()
    {
        Some([method, path]) if (is_method(method) || *method == "*") && path.starts_with('/') => (
            Spanned::new((*method).to_string(), when.span),
            Spanned::new((*path).to_string(), when.span),
        ),
        _ => {
            cx.push(
                Diagnostic::error(Code::InvalidMock, when.span, "`when` must be `METHOD /path`")
                    .with_help("like `when: POST /charges`; `*` matches any method, `{id}` one path segment, a final `*` the rest"),
            );
            return None;
        }
    };
    ok.then_some(MockRoute {
        method,
        path,
        body,
        response,
        span: item.span,
    })
}

fn then(cx: &mut Cx<'_>, value: &Value, response: &mut MockResponse) -> bool {
    let ValueKind::Object(members) = &value.kind else {
        invalid(
            cx,
            value.span,
            "`then` must be an object like `{ status: 201, body: {…} }`".to_string(),
        );
        return false;
    };
    let mut ok = true;
    for member in members {
        let v = &member.value;
        match member.key.value.as_str() {
            "status" => match v
                .to_json()
                .and_then(|j| j.as_u64())
                .and_then(|n| u16::try_from(n).ok())
            {
                Some(status @ 100..=599) => response.status = status,
                _ => {
                    cx.push(Diagnostic::error(
                        Code::InvalidMock,
                        v.span,
                        "`status` must be a number from 100 to 599",
                    ));
                    ok = false;
                }
            },
            "body" => response.body = Some(v.clone()),
            "headers" => match &v.kind {
                ValueKind::Object(headers) => {
                    for header in headers {
                        let text = match header.value.to_json() {
                            Some(serde_json::Value::String(s)) => s,
                            Some(other) => other.to_string(),
                            None => header.value.as_str().unwrap_or_default().to_string(),
                        };
                        response.headers.push((header.key.value.clone(), text));
                    }
                }
                _ => {
                    cx.push(Diagnostic::error(
                        Code::InvalidMock,
                        v.span,
                        "`headers` must map names to values",
                    ));
                    ok = false;
                }
            },
            "delay" => match v.as_str().and_then(parse_duration) {
                Some(ms) => response.delay_ms = Some(ms),
                None => {
                    cx.push(Diagnostic::error(
                        Code::InvalidMock,
                        v.span,
                        "`delay` must be a duration like `2s` or `500ms`",
                    ));
                    ok = false;
                }
            },
            "fault" => match v.as_str() {
                Some("reset") => response.fault = Some(Fault::Reset),
                Some("timeout") => response.fault = Some(Fault::Timeout),
                _ => {
                    cx.push(
                        Diagnostic::error(Code::InvalidMock, v.span, "`fault` must be `reset` or `timeout`")
                            .with_help("`reset` closes the connection with a TCP reset; `timeout` never answers"),
                    );
                    ok = false;
                }
            },
            _ => {
                unknown_key(
                    cx,
                    &member.key,
                    &["status", "body", "headers", "delay", "fault"],
                );
                ok = false;
            }
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{Block, parse_blocks};
    use crate::source::Source;

    fn mocks(text: &str) -> (Vec<Mock>, Vec<Diagnostic>) {
        let source = Source::new(text);
        let blocks = parse_blocks(&source);
        let mut cx = Cx::new(&source);
        let Some(Block::Code(code)) = blocks.first() else {
            panic!()
        };
        let mocks = mock_block(&mut cx, code);
        (mocks, cx.diagnostics)
    }

    #[test]
    fn yaml_routes() {
        let (mocks, d) = mocks(
            "```yaml\npayments:\n  - when: POST /charges\n    body: { \"amount\": \"#number\" }\n    then: { status: 201, body: { id: ch_1, status: succeeded } }\n  - when: POST /refunds\n    then: { status: 503, delay: 2s }\n  - when: \"* /slow\"\n    then: { fault: timeout }\n```\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let MockKind::Routes { routes } = &mocks[0].kind else {
            panic!()
        };
        assert_eq!(routes.len(), 3);
        assert_eq!(routes[0].response.status, 201);
        assert!(routes[0].body.is_some());
        assert_eq!(routes[1].response.delay_ms, Some(2000));
        assert_eq!(routes[2].method.value, "*");
        assert_eq!(routes[2].response.fault, Some(Fault::Timeout));
    }

    #[test]
    fn unknown_keys_suggest() {
        let (mocks, d) =
            mocks("```yaml\npayments:\n  - when: POST /charges\n    thn: { status: 201 }\n```\n");
        assert!(
            mocks.is_empty()
                || matches!(&mocks[0].kind, MockKind::Routes { routes } if routes.is_empty())
        );
        assert_eq!(d[0].message, "unknown key `thn`");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `then`?"));
        assert_eq!((d[0].span.line, d[0].span.col), (4, 5));
    }

    #[test]
    fn route_bodies_use_markers() {
        let (_, d) = mocks(
            "```yaml\npayments:\n  - when: POST /charges\n    body: { amount: \"#numbr\" }\n```\n",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::UnknownMarker);
    }

    #[test]
    fn python_patch() {
        let (mocks, d) = mocks(
            "```python\n@pytest.fixture\ndef payments(mocker):\n    \"\"\"External.\"\"\"\n    return mocker.patch(\n        \"shop.payments.charge\",\n        return_value={\"id\": \"ch_1\", \"status\": \"succeeded\"}\n    )\n```\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(mocks[0].name.value, "payments");
        assert_eq!(mocks[0].doc.as_deref(), Some("External."));
        let MockKind::Patch {
            target,
            return_value,
        } = &mocks[0].kind
        else {
            panic!()
        };
        assert_eq!(target.value, "shop.payments.charge");
        assert_eq!(
            return_value.to_json(),
            Some(serde_json::json!({"id": "ch_1", "status": "succeeded"}))
        );
    }
}
