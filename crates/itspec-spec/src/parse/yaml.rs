//! YAML blocks → [`Value`], with unquoted `{{variables}}`.
//!
//! An unquoted `{{x}}` would be a YAML flow mapping; as in JSON blocks it
//! stands for x's value instead. Before parsing it is replaced by a plain
//! scalar of the same length, which becomes a [`ValueKind::Var`] again.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::context::Cx;
use super::json::lowercase_first;
use super::located::Located;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Member, Value, ValueKind, VarRef};
use crate::source::{Span, Spanned};

/// Parses a YAML block holding one document.
pub(crate) fn parse_yaml(cx: &mut Cx<'_>, located: Located<'_>) -> Option<Value> {
    let (text, vars) = substitute_variables(cx, located);
    let chars = CharOffsets::new(&text);
    if let Some(at) = super::yaml_depth::too_deep(&text, &chars) {
        let span = located.span(cx.source, at, (at + 1).min(text.len()).max(at));
        cx.push(crate::limits::too_deep(
            span,
            "this YAML value",
            "write a flatter value: no one can review a block this deep",
        ));
        return None;
    }
    let documents = match MarkedYaml::load_from_str(&text) {
        Ok(documents) => documents,
        Err(error) => {
            let at = chars.byte(error.marker().index());
            let span = located.span(cx.source, at, (at + 1).min(text.len()).max(at));
            cx.push(
                Diagnostic::error(
                    Code::InvalidYaml,
                    span,
                    format!("invalid YAML: {}", lowercase_first(error.info())),
                )
                .with_help("check the indentation and quoting on this line and the one above"),
            );
            return None;
        }
    };
    let mut documents = documents.into_iter();
    let Some(document) = documents.next() else {
        let span = located.whole_span(cx.source);
        cx.push(Diagnostic::error(
            Code::InvalidYaml,
            span,
            "invalid YAML: the block is empty",
        ));
        return None;
    };
    if let Some(extra) = documents.next() {
        let at = chars.byte(extra.span.start.index());
        let span = located.span(cx.source, at, at);
        cx.push(
            Diagnostic::error(
                Code::InvalidYaml,
                span,
                "invalid YAML: a block holds one document",
            )
            .with_help("remove the `---` line, or put the second document in its own block"),
        );
        return None;
    }
    let mut converter = Converter {
        cx,
        located,
        chars: &chars,
        vars,
        ok: true,
    };
    let value = converter.value(&document);
    converter.ok.then_some(value)
}

/// Char index → byte offset, for the markers saphyr reports.
pub(super) struct CharOffsets {
    offsets: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    pub(super) fn new(text: &str) -> Self {
        let offsets = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Self {
            offsets,
            len: text.len(),
        }
    }

    pub(super) fn byte(&self, char_index: usize) -> usize {
        match &self.offsets {
            Some(offsets) => offsets.get(char_index).copied().unwrap_or(self.len),
            None => char_index.min(self.len),
        }
    }
}

fn substitute_variables(cx: &Cx<'_>, located: Located<'_>) -> (String, Vec<(usize, VarRef)>) {
    let text = located.text;
    if !text.contains("{{") {
        return (text.to_string(), Vec::new());
    }
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut vars = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    let mut previous = b'\n';
    while let Some(&b) = bytes.get(i) {
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 2;
                    continue;
                }
                if b == q {
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                }
            }
            None => {
                let at_scalar_start = matches!(
                    previous,
                    b'\n' | b' ' | b'\t' | b':' | b',' | b'[' | b'{' | b'-'
                );
                if (b == b'"' || b == b'\'') && at_scalar_start {
                    quote = Some(b);
                } else if b == b'#' && matches!(previous, b'\n' | b' ' | b'\t') {
                    while bytes.get(i).is_some_and(|&c| c != b'\n') {
                        i += 1;
                    }
                    continue;
                } else if b == b'{' && bytes.get(i + 1) == Some(&b'{') {
                    let rest = text.get(i..).unwrap_or("");
                    if let Some(found) = crate::interpolation::find(rest)
                        .first()
                        .filter(|f| f.start == 0 && f.terminated)
                    {
                        let end = i + found.end;
                        vars.push((
                            i,
                            VarRef {
                                name: found.name(rest).to_string(),
                                span: located.span(cx.source, i, end),
                            },
                        ));
                        if let Some(slot) = out.get_mut(i..end) {
                            slot.fill(b'_');
                        }
                        previous = b'_';
                        i = end;
                        continue;
                    }
                }
            }
        }
        if !(quote.is_none() && b == b' ' && previous == b':') {
            previous = b;
        }
        i += 1;
    }
    let substituted = String::from_utf8(out).unwrap_or_else(|_| text.to_string());
    (substituted, vars)
}

struct Converter<'a, 'c, 's> {
    cx: &'c mut Cx<'s>,
    located: Located<'a>,
    chars: &'a CharOffsets,
    vars: Vec<(usize, VarRef)>,
    ok: bool,
}

impl Converter<'_, '_, '_> {
    fn span(&self, node: &MarkedYaml<'_>) -> Span {
        let start = self.chars.byte(node.span.start.index());
        let end = self.chars.byte(node.span.end.index()).max(start);
        self.located.span(self.cx.source, start, end)
    }

    fn error(&mut self, node: &MarkedYaml<'_>, message: &str, help: &str) -> Value {
        let span = self.span(node);
        self.cx.push(
            Diagnostic::error(Code::InvalidYaml, span, message.to_string())
                .with_help(help.to_string()),
        );
        self.ok = false;
        Value::new(ValueKind::Null, span)
    }

    fn value(&mut self, node: &MarkedYaml<'_>) -> Value {
        let span = self.span(node);
        let kind = match &node.data {
            YamlData::Value(scalar) => match scalar {
                Scalar::Null => ValueKind::Null,
                Scalar::Boolean(b) => ValueKind::Bool(*b),
                Scalar::Integer(i) => ValueKind::Number((*i).into()),
                Scalar::FloatingPoint(f) => match serde_json::Number::from_f64(f.into_inner()) {
                    Some(number) => ValueKind::Number(number),
                    None => {
                        return self.error(
                            node,
                            "invalid YAML: infinite or NaN numbers have no JSON form",
                            "write a finite number",
                        );
                    }
                },
                Scalar::String(s) => {
                    let start = self.chars.byte(node.span.start.index());
                    if let Some((_, var)) = self.vars.iter().find(|(at, _)| *at == start) {
                        return Value::new(ValueKind::Var(var.clone()), var.span);
                    }
                    ValueKind::String(s.to_string())
                }
            },
            YamlData::Representation(text, _, _) => ValueKind::String(text.to_string()),
            YamlData::Sequence(items) => {
                ValueKind::Array(items.iter().map(|item| self.value(item)).collect())
            }
            YamlData::Mapping(mapping) => {
                let mut members = Vec::with_capacity(mapping.len());
                for (key, value) in mapping {
                    let key_span = self.span(key);
                    let name = match &key.data {
                        YamlData::Value(Scalar::String(s)) => s.to_string(),
                        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
                        YamlData::Value(Scalar::Null) => "null".to_string(),
                        _ => {
                            self.error(
                                key,
                                "invalid YAML: a key must be a plain value",
                                "write the key as a word or a quoted string",
                            );
                            continue;
                        }
                    };
                    members.push(Member {
                        key: Spanned::new(name, key_span),
                        value: self.value(value),
                    });
                }
                ValueKind::Object(members)
            }
            YamlData::Tagged(_, inner) => return self.value(inner),
            YamlData::Alias(_) => {
                return self.error(
                    node,
                    "invalid YAML: aliases are not supported",
                    "write the value out in full",
                );
            }
            YamlData::BadValue => {
                return self.error(
                    node,
                    "invalid YAML: this value cannot be read",
                    "quote it to make it a string",
                );
            }
        };
        Value::new(kind, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn parse(text: &str) -> (Option<Value>, Vec<Diagnostic>) {
        let source = Source::new(text);
        let mut cx = Cx::new(&source);
        let value = parse_yaml(&mut cx, Located::at(text, 0));
        (value, cx.diagnostics)
    }

    #[test]
    fn rows_with_spans() {
        let text = "inventory:\n  - { sku: SKU-1, stock: 5 }\n  - { sku: SKU-2, stock: 0 }\n";
        let (value, diagnostics) = parse(text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let value = value.unwrap();
        let json = value.to_json().unwrap();
        assert_eq!(
            json,
            serde_json::json!({"inventory": [{"sku": "SKU-1", "stock": 5}, {"sku": "SKU-2", "stock": 0}]})
        );
        let ValueKind::Object(members) = &value.kind else {
            panic!()
        };
        assert_eq!((members[0].key.span.line, members[0].key.span.col), (1, 1));
        let ValueKind::Array(rows) = &members[0].value.kind else {
            panic!()
        };
        let sku = rows[1].get("sku").unwrap();
        assert_eq!((sku.span.line, sku.span.col), (3, 12));
    }

    #[test]
    fn unquoted_variables_become_variables_and_quoted_stay_text() {
        let (value, diagnostics) = parse("a: {{x.y}}\nb: \"{{z}}\"\nc: [{{w}}]\n");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let value = value.unwrap();
        assert!(matches!(&value.get("a").unwrap().kind, ValueKind::Var(v) if v.name == "x.y"));
        assert_eq!(value.get("b").and_then(Value::as_str), Some("{{z}}"));
        let ValueKind::Array(items) = &value.get("c").unwrap().kind else {
            panic!()
        };
        assert!(matches!(&items[0].kind, ValueKind::Var(v) if v.name == "w"));
    }

    #[test]
    fn errors_point_at_the_line() {
        let (value, diagnostics) = parse("a:\n  - 1\n - 2\n");
        assert!(value.is_none());
        assert_eq!(diagnostics[0].code, Code::InvalidYaml);
        assert_eq!(diagnostics[0].span.line, 3);
    }
}
