//! JSON blocks and inline JSON → [`Value`], with unquoted `{{variables}}`.
//!
//! An unquoted `{{x}}` stands for x's JSON value (FORMAT §4.1). It is not
//! JSON, so before parsing it is replaced by a number of the same length;
//! the number at that position becomes a [`ValueKind::Var`] again.

use jsonc_parser::ast;
use jsonc_parser::errors::ParseErrorKind;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use super::context::Cx;
use super::located::Located;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Member, Value, ValueKind, VarRef};
use crate::source::Spanned;

/// Parses JSON, reporting an error at its exact position when it is invalid.
pub(crate) fn parse_json(cx: &mut Cx<'_>, located: Located<'_>) -> Option<Value> {
    let (text, vars) = substitute_variables(cx, located);
    if let Some(at) = crate::limits::json_too_deep(&text) {
        let span = located.span(cx.source, at, at + 1);
        cx.push(crate::limits::too_deep(
            span,
            "this JSON value",
            "write a flatter value: no one can review a body this deep",
        ));
        return None;
    }
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    match parse_to_ast(&text, &CollectOptions::default(), &options) {
        Ok(result) => match result.value {
            Some(value) => Some(Converter { cx, located, vars }.value(&value)),
            None => {
                let span = located.whole_span(cx.source);
                cx.push(
                    Diagnostic::error(Code::InvalidJson, span, "invalid JSON: the block is empty")
                        .with_help("write a JSON value, like `{}`, or remove the block"),
                );
                None
            }
        },
        Err(error) => {
            let range = error.range();
            // A range over a line break (a missing comma) is shown where it starts.
            let widened = range.end.max(range.start + 1).min(text.len());
            let range_end = match text.get(range.start..widened) {
                Some(covered) if !covered.contains(['\n', '\r']) => widened,
                _ => range.start,
            };
            let span = located.span(cx.source, range.start, range_end);
            let message = lowercase_first(&error.kind().to_string());
            let mut diagnostic =
                Diagnostic::error(Code::InvalidJson, span, format!("invalid JSON: {message}"));
            let word: String = text
                .get(range.start..)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(help) = python_literal(&word) {
                diagnostic = diagnostic.with_help(help);
            } else if let Some(help) = help_for(error.kind()) {
                diagnostic = diagnostic.with_help(help);
            }
            cx.push(diagnostic);
            None
        }
    }
}

/// The fix for a Python literal written into JSON.
fn python_literal(word: &str) -> Option<&'static str> {
    Some(match word {
        "True" => "JSON writes `true`; `True` is Python",
        "False" => "JSON writes `false`; `False` is Python",
        "None" => "JSON writes `null`; `None` is Python",
        _ => return None,
    })
}

fn help_for(kind: &ParseErrorKind) -> Option<&'static str> {
    Some(match kind {
        ParseErrorKind::UnexpectedWord | ParseErrorKind::UnexpectedToken => {
            "JSON strings need double quotes (`\"text\"`); variables are written `{{name}}`"
        }
        ParseErrorKind::SingleQuotedStringsNotAllowed => "JSON strings use double quotes",
        ParseErrorKind::TrailingCommasNotAllowed => "remove the comma after the last item",
        ParseErrorKind::CommentsNotAllowed => "JSON has no comments: remove it",
        ParseErrorKind::ExpectedComma => "separate items with a comma",
        ParseErrorKind::UnexpectedTokenInObject | ParseErrorKind::UnexpectedComma => {
            "members are `\"key\": value`, separated by one comma"
        }
        ParseErrorKind::UnterminatedObject => "close the object with `}`",
        ParseErrorKind::UnterminatedArray => "close the array with `]`",
        ParseErrorKind::ExpectedStringObjectProperty => "object keys are double-quoted strings",
        ParseErrorKind::ExpectedColonAfterObjectKey => "put a `:` between a key and its value",
        ParseErrorKind::MultipleRootJsonValues => {
            "a block holds one JSON value; wrap several in an array"
        }
        _ => return None,
    })
}

pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Replaces every `{{…}}` outside a JSON string by a number of the same
/// length, and returns the variables by their offset.
fn substitute_variables(cx: &Cx<'_>, located: Located<'_>) -> (String, Vec<(usize, VarRef)>) {
    let source_text = located.text;
    if !source_text.contains("{{") {
        return (source_text.to_string(), Vec::new());
    }
    let mut bytes = source_text.as_bytes().to_vec();
    let mut vars = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(0);
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'{' && bytes.get(i + 1) == Some(&b'{') {
            let rest = source_text.get(i..).unwrap_or("");
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
                if let Some(slot) = bytes.get_mut(i..end) {
                    slot.fill(b' ');
                    if let Some(first) = slot.first_mut() {
                        *first = b'0';
                    }
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    // Only ASCII bytes replaced whole `{{…}}` runs, so the text stays UTF-8.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| source_text.to_string());
    (text, vars)
}

struct Converter<'a, 'c, 's> {
    cx: &'c Cx<'s>,
    located: Located<'a>,
    vars: Vec<(usize, VarRef)>,
}

impl Converter<'_, '_, '_> {
    fn value(&self, value: &ast::Value<'_>) -> Value {
        match value {
            ast::Value::StringLit(lit) => {
                self.node(ValueKind::String(lit.value.to_string()), lit.range)
            }
            ast::Value::NumberLit(lit) => {
                if let Some((_, var)) = self
                    .vars
                    .iter()
                    .find(|(start, _)| *start == lit.range.start)
                {
                    return Value::new(ValueKind::Var(var.clone()), var.span);
                }
                let kind = match lit.value.parse::<serde_json::Number>() {
                    Ok(number) => ValueKind::Number(number),
                    Err(_) => ValueKind::String(lit.value.to_string()),
                };
                self.node(kind, lit.range)
            }
            ast::Value::BooleanLit(lit) => self.node(ValueKind::Bool(lit.value), lit.range),
            ast::Value::NullKeyword(lit) => self.node(ValueKind::Null, lit.range),
            ast::Value::Array(array) => {
                let items = array.elements.iter().map(|item| self.value(item)).collect();
                self.node(ValueKind::Array(items), array.range)
            }
            ast::Value::Object(object) => {
                let members = object
                    .properties
                    .iter()
                    .map(|prop| {
                        let (name, range) = match &prop.name {
                            ast::ObjectPropName::String(lit) => (lit.value.to_string(), lit.range),
                            ast::ObjectPropName::Word(word) => (word.value.to_string(), word.range),
                        };
                        Member {
                            key: Spanned::new(name, self.span(range)),
                            value: self.value(&prop.value),
                        }
                    })
                    .collect();
                self.node(ValueKind::Object(members), object.range)
            }
        }
    }

    fn span(&self, range: jsonc_parser::common::Range) -> crate::source::Span {
        self.located.span(self.cx.source, range.start, range.end)
    }

    fn node(&self, kind: ValueKind, range: jsonc_parser::common::Range) -> Value {
        Value::new(kind, self.span(range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn parse(text: &str) -> (Option<Value>, Vec<Diagnostic>) {
        let source = Source::new(text);
        let mut cx = Cx::new(&source);
        let value = parse_json(&mut cx, Located::at(text, 0));
        (value, cx.diagnostics)
    }

    #[test]
    fn unquoted_variables_become_variables() {
        let (value, diagnostics) = parse(r#"{ "sku": "{{r.sku}}", "quantity": {{r.quantity}} }"#);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let value = value.unwrap();
        assert_eq!(value.get("sku").and_then(Value::as_str), Some("{{r.sku}}"));
        let quantity = value.get("quantity").unwrap();
        let ValueKind::Var(var) = &quantity.kind else {
            panic!("expected a variable, got {quantity:?}");
        };
        assert_eq!(var.name, "r.quantity");
        assert_eq!((var.span.start, var.span.end), (34, 48));
    }

    #[test]
    fn errors_point_inside_the_text() {
        let (value, diagnostics) = parse("{\n  \"a\": 1,\n  \"b\": nope\n}");
        assert!(value.is_none());
        assert_eq!(diagnostics.len(), 1);
        let d = &diagnostics[0];
        assert_eq!(d.code, Code::InvalidJson);
        assert_eq!((d.span.line, d.span.col), (3, 8));
        assert!(d.message.contains("unexpected word"), "{}", d.message);
    }

    #[test]
    fn python_literals_name_the_json_ones() {
        for (text, help) in [
            (
                r#"{"active": True}"#,
                "JSON writes `true`; `True` is Python",
            ),
            (
                r#"{"active": False}"#,
                "JSON writes `false`; `False` is Python",
            ),
            (
                r#"{"coupon": None}"#,
                "JSON writes `null`; `None` is Python",
            ),
        ] {
            let (_, diagnostics) = parse(text);
            assert_eq!(diagnostics[0].help.as_deref(), Some(help), "{text}");
        }
    }

    #[test]
    fn trailing_commas_are_errors() {
        let (_, diagnostics) = parse("[1, 2,]");
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("remove the comma after the last item")
        );
    }

    #[test]
    fn numbers_keep_their_value() {
        let (value, _) = parse("[1, 1.5, -2e3, 12345678901234567890]");
        let json = value.unwrap().to_json().unwrap();
        assert_eq!(
            json,
            serde_json::json!([1, 1.5, -2000.0, 12345678901234567890u64])
        );
    }
}
