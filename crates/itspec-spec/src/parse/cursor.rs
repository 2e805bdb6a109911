//! A cursor over one line of a line grammar (assertions, setup lines,
//! actions), with the value syntax they share.

use super::context::Cx;
use super::json::parse_json;
use super::located::Located;
use crate::diagnostic::Diagnostic;
use crate::duration::parse_duration;
use crate::model::{Operand, OperandKind, Value, ValueKind, VarRef};
use crate::source::{Source, Span, Spanned};

/// Why a line did not parse: where, and what was expected there.
#[derive(Clone, Debug)]
pub(crate) struct Fail {
    pub at: usize,
    pub expected: String,
    /// A precise error found on the way (invalid JSON inside the line).
    pub diagnostic: Option<Box<Diagnostic>>,
}

pub(crate) type Parsed<T> = Result<T, Fail>;

/// A position in a line.
pub(crate) struct Cursor<'t, 's> {
    pub source: &'s Source<'s>,
    pub line: Located<'t>,
    pub pos: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'t, 's> Cursor<'t, 's> {
    pub fn new(source: &'s Source<'s>, line: Located<'t>) -> Self {
        Self {
            source,
            line,
            pos: 0,
        }
    }

    pub fn rest(&self) -> &'t str {
        self.line.text.get(self.pos..).unwrap_or("")
    }

    pub fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    pub fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.rest().is_empty()
    }

    pub fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        self.line.span(self.source, start, end)
    }

    pub fn fail<T>(&self, expected: impl Into<String>) -> Parsed<T> {
        Err(Fail {
            at: self.pos,
            expected: expected.into(),
            diagnostic: None,
        })
    }

    /// Consumes a keyword (ASCII case-insensitive, whole word).
    pub fn keyword(&mut self, keyword: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        let matches = rest
            .get(..keyword.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(keyword))
            && !rest
                .get(keyword.len()..)
                .and_then(|r| r.chars().next())
                .is_some_and(is_word_char);
        if matches {
            self.pos += keyword.len();
        }
        matches
    }

    /// Consumes exact punctuation.
    pub fn punct(&mut self, punct: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(punct) {
            self.pos += punct.len();
            true
        } else {
            false
        }
    }

    /// Consumes a run of characters accepted by `accept`.
    pub fn take_while(&mut self, accept: impl Fn(char) -> bool) -> Option<Spanned<String>> {
        self.skip_ws();
        let rest = self.rest();
        let len = rest.find(|c: char| !accept(c)).unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        let start = self.pos;
        self.pos += len;
        Some(Spanned::new(
            rest.get(..len).unwrap_or("").to_string(),
            self.span(start, self.pos),
        ))
    }

    /// An identifier: `[A-Za-z_][A-Za-z0-9_]*`.
    pub fn ident(&mut self) -> Option<Spanned<String>> {
        self.skip_ws();
        if !self
            .rest()
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return None;
        }
        self.take_while(is_word_char)
    }

    /// A name that may be written in backticks: a table or column.
    pub fn name(&mut self) -> Option<Spanned<String>> {
        self.skip_ws();
        if self.rest().starts_with('`') {
            let start = self.pos;
            let inner = self.rest().get(1..)?;
            let close = inner.find('`')?;
            let name = inner.get(..close)?.to_string();
            self.pos += close + 2;
            return (!name.is_empty())
                .then(|| Spanned::new(name, self.span(start + 1, self.pos - 1)));
        }
        if !self
            .rest()
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return None;
        }
        self.take_while(|c| is_word_char(c) || c == '.' || c == '$')
    }

    /// A run of non-space characters.
    pub fn token(&mut self) -> Option<Spanned<String>> {
        self.take_while(|c| !c.is_whitespace())
    }

    /// An HTTP method: an uppercase word.
    pub fn method(&mut self) -> Option<Spanned<String>> {
        self.skip_ws();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let word = rest.get(..len)?;
        if !is_method(word)
            || rest
                .get(len..)
                .and_then(|r| r.chars().next())
                .is_some_and(is_word_char)
        {
            return None;
        }
        let start = self.pos;
        self.pos += len;
        Some(Spanned::new(word.to_string(), self.span(start, self.pos)))
    }

    /// A JSON string literal.
    pub fn string(&mut self) -> Option<Spanned<String>> {
        self.skip_ws();
        let rest = self.rest();
        if !rest.starts_with('"') {
            return None;
        }
        let end = string_end(rest)?;
        let literal = rest.get(..end)?;
        let value: String = serde_json::from_str(literal).ok()?;
        let start = self.pos;
        self.pos += end;
        Some(Spanned::new(value, self.span(start, self.pos)))
    }

    /// `{{name}}`.
    pub fn variable(&mut self) -> Option<VarRef> {
        self.skip_ws();
        let rest = self.rest();
        let found = crate::interpolation::find(rest)
            .into_iter()
            .next()
            .filter(|found| found.start == 0 && found.terminated)?;
        let start = self.pos;
        self.pos += found.end;
        Some(VarRef {
            name: found.name(rest).to_string(),
            span: self.span(start, self.pos),
        })
    }

    /// A JSON object or array (with `{{variables}}`), bracket-matched.
    pub fn json_block(&mut self) -> Parsed<Value> {
        self.skip_ws();
        let start = self.pos;
        let Some(len) = bracket_end(self.rest()) else {
            return self.fail("a closing bracket");
        };
        let mut cx = Cx::new(self.source);
        let value = parse_json(&mut cx, self.line.sub(start, start + len));
        match value {
            Some(value) => {
                self.pos += len;
                Ok(value)
            }
            None => Err(Fail {
                at: start,
                expected: "valid JSON".to_string(),
                diagnostic: cx.diagnostics.into_iter().next().map(Box::new),
            }),
        }
    }

    /// Any JSON value, a variable, a duration or a status class.
    pub fn operand(&mut self) -> Parsed<Operand> {
        self.skip_ws();
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with("{{") {
            let Some(var) = self.variable() else {
                return self.fail("a closing `}}`");
            };
            let span = var.span;
            return Ok(Operand {
                kind: OperandKind::Value(Value::new(ValueKind::Var(var), span)),
                span,
            });
        }
        if rest.starts_with('"') {
            let Some(string) = self.string() else {
                return self.fail("a closing `\"`");
            };
            let span = string.span;
            return Ok(value_operand(ValueKind::String(string.value), span));
        }
        if rest.starts_with('{') || rest.starts_with('[') {
            let value = self.json_block()?;
            let span = value.span;
            return Ok(Operand {
                kind: OperandKind::Value(value),
                span,
            });
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')))
            .unwrap_or(rest.len());
        let word = rest.get(..len).unwrap_or("");
        if word.is_empty() {
            return self.fail("a value");
        }
        let kind = if let Some(class) = status_class(word) {
            OperandKind::StatusClass(class)
        } else if let Some(ms) = parse_duration(word) {
            OperandKind::Duration(ms)
        } else if let Ok(number) = word.parse::<serde_json::Number>() {
            OperandKind::Value(Value::new(
                ValueKind::Number(number),
                self.span(start, start + len),
            ))
        } else {
            match word {
                "true" => OperandKind::Value(Value::new(
                    ValueKind::Bool(true),
                    self.span(start, start + len),
                )),
                "false" => OperandKind::Value(Value::new(
                    ValueKind::Bool(false),
                    self.span(start, start + len),
                )),
                "null" => {
                    OperandKind::Value(Value::new(ValueKind::Null, self.span(start, start + len)))
                }
                _ => {
                    return self.fail(
                        "a value: a number, a \"string\", true, false, null, JSON or {{variable}}",
                    );
                }
            }
        };
        self.pos += len;
        Ok(Operand {
            kind,
            span: self.span(start, self.pos),
        })
    }

    /// `[operand, …]`.
    pub fn operand_list(&mut self) -> Parsed<Spanned<Vec<Operand>>> {
        self.skip_ws();
        let start = self.pos;
        if !self.punct("[") {
            return self.fail("`[`");
        }
        let mut items = Vec::new();
        if !self.punct("]") {
            loop {
                items.push(self.operand()?);
                if self.punct("]") {
                    break;
                }
                if !self.punct(",") {
                    return self.fail("`,` or `]`");
                }
            }
        }
        Ok(Spanned::new(items, self.span(start, self.pos)))
    }
}

fn value_operand(kind: ValueKind, span: Span) -> Operand {
    Operand {
        kind: OperandKind::Value(Value::new(kind, span)),
        span,
    }
}

/// `2xx` → 2.
fn status_class(word: &str) -> Option<u16> {
    let bytes = word.as_bytes();
    match bytes {
        [digit @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => Some(u16::from(digit - b'0')),
        _ => None,
    }
}

/// Whether a word is an HTTP method itspec sends.
pub(crate) fn is_method(word: &str) -> bool {
    matches!(
        word,
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" | "TRACE" | "CONNECT"
    )
}

/// The length of a JSON string literal at the start of `text`.
pub(crate) fn string_end(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The length of the bracketed JSON value at the start of `text`.
pub(crate) fn bracket_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += string_end(text.get(i..)?)?;
                continue;
            }
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                let close = text.get(i..)?.find("}}")?;
                i += close + 2;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_matching_skips_strings_and_variables() {
        assert_eq!(bracket_end(r#"{"a": "}", "b": {{x}}} rest"#), Some(22));
        assert_eq!(bracket_end("[1, [2]] x"), Some(8));
        assert_eq!(bracket_end("[1, 2"), None);
    }

    #[test]
    fn operands() {
        let text = r#"4xx 500ms "a\"b" {{v.w}} [1, {"a": 2}] -1.5 null"#;
        let source = Source::new(text);
        let mut cursor = Cursor::new(&source, Located::at(text, 0));
        let kinds: Vec<_> =
            std::iter::from_fn(|| (!cursor.at_end()).then(|| cursor.operand().unwrap().kind))
                .collect();
        assert_eq!(kinds.len(), 7);
        assert_eq!(kinds[0], OperandKind::StatusClass(4));
        assert_eq!(kinds[1], OperandKind::Duration(500));
        assert!(matches!(&kinds[2], OperandKind::Value(v) if v.as_str() == Some("a\"b")));
        assert!(
            matches!(&kinds[3], OperandKind::Value(Value { kind: ValueKind::Var(v), .. }) if v.name == "v.w")
        );
        assert!(
            matches!(&kinds[4], OperandKind::Value(v) if v.to_json() == Some(serde_json::json!([1, {"a": 2}])))
        );
        assert!(matches!(
            &kinds[6],
            OperandKind::Value(Value {
                kind: ValueKind::Null,
                ..
            })
        ));
    }
}
