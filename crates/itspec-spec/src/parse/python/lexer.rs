//! Python tokens, with INDENT/DEDENT and implicit line joining.
//!
//! A `{{slot}}` of the template may stand where a name or a value goes
//! (`def {{fixture_name}}():`, `assert_{{entity}}_created`,
//! `return_value={{mock_return_value}}`); it lexes as part of a name.

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Name(String),
    Int(String),
    Float(String),
    /// A string literal after escapes; `prefix` is its lowercased prefix.
    Str {
        value: String,
        prefix: String,
    },
    Op(&'static str),
    Newline,
    Indent,
    Dedent,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// A lexing error: where and what.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LexError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// The operator at the start of `rest`, longest first.
fn operator(rest: &str) -> Option<&'static str> {
    let bytes = rest.as_bytes();
    let three = match bytes.get(..3) {
        Some(b"**=") => Some("**="),
        Some(b"//=") => Some("//="),
        Some(b">>=") => Some(">>="),
        Some(b"<<=") => Some("<<="),
        Some(b"...") => Some("..."),
        _ => None,
    };
    if three.is_some() {
        return three;
    }
    let two = match bytes.get(..2) {
        Some(b"->") => Some("->"),
        Some(b"**") => Some("**"),
        Some(b"//") => Some("//"),
        Some(b"==") => Some("=="),
        Some(b"!=") => Some("!="),
        Some(b"<=") => Some("<="),
        Some(b">=") => Some(">="),
        Some(b"<<") => Some("<<"),
        Some(b">>") => Some(">>"),
        Some(b"+=") => Some("+="),
        Some(b"-=") => Some("-="),
        Some(b"*=") => Some("*="),
        Some(b"/=") => Some("/="),
        Some(b"%=") => Some("%="),
        Some(b"&=") => Some("&="),
        Some(b"|=") => Some("|="),
        Some(b"^=") => Some("^="),
        Some(b":=") => Some(":="),
        Some(b"@=") => Some("@="),
        _ => None,
    };
    if two.is_some() {
        return two;
    }
    Some(match bytes.first()? {
        b'+' => "+",
        b'-' => "-",
        b'*' => "*",
        b'/' => "/",
        b'%' => "%",
        b'@' => "@",
        b'<' => "<",
        b'>' => ">",
        b'=' => "=",
        b'(' => "(",
        b')' => ")",
        b'[' => "[",
        b']' => "]",
        b'{' => "{",
        b'}' => "}",
        b',' => ",",
        b':' => ":",
        b'.' => ".",
        b';' => ";",
        b'|' => "|",
        b'&' => "&",
        b'^' => "^",
        b'~' => "~",
        _ => return None,
    })
}

pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, LexError> {
    Lexer {
        text,
        pos: 0,
        tokens: Vec::new(),
        indents: vec![0],
        depth: 0,
        at_line_start: true,
    }
    .run()
}

struct Lexer<'t> {
    text: &'t str,
    pos: usize,
    tokens: Vec<Token>,
    indents: Vec<usize>,
    depth: usize,
    at_line_start: bool,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn push(&mut self, tok: Tok, start: usize, end: usize) {
        self.tokens.push(Token { tok, start, end });
    }

    fn error<T>(
        &self,
        start: usize,
        end: usize,
        message: impl Into<String>,
    ) -> Result<T, LexError> {
        Err(LexError {
            start,
            end,
            message: message.into(),
        })
    }

    fn run(mut self) -> Result<Vec<Token>, LexError> {
        loop {
            if self.at_line_start && self.depth == 0 {
                self.indentation()?;
            }
            let Some(c) = self.rest().chars().next() else {
                break;
            };
            let start = self.pos;
            match c {
                ' ' | '\t' | '\x0c' | '\r' => self.pos += 1,
                '#' => {
                    self.pos += self.rest().find('\n').unwrap_or(self.rest().len());
                }
                '\\' if self.rest().starts_with("\\\n") || self.rest().starts_with("\\\r\n") => {
                    self.pos += self.rest().find('\n').map_or(1, |i| i + 1);
                }
                '\n' => {
                    self.pos += 1;
                    if self.depth == 0 {
                        if !matches!(
                            self.tokens.last().map(|t| &t.tok),
                            None | Some(Tok::Newline)
                        ) {
                            self.push(Tok::Newline, start, start + 1);
                        }
                        self.at_line_start = true;
                    }
                }
                '{' if self.rest().starts_with("{{") => self.name()?,
                c if c.is_alphabetic() || c == '_' => {
                    if let Some(quote_at) = self.string_prefix() {
                        self.string(quote_at)?;
                    } else {
                        self.name()?;
                    }
                }
                '"' | '\'' => self.string(self.pos)?,
                c if c.is_ascii_digit() => self.number(),
                '.' if self
                    .rest()
                    .get(1..2)
                    .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit())) =>
                {
                    self.number()
                }
                _ => {
                    let Some(op) = operator(self.rest()) else {
                        return self.error(
                            start,
                            start + c.len_utf8(),
                            format!("unexpected character `{c}`"),
                        );
                    };
                    match op {
                        "(" | "[" | "{" => self.depth += 1,
                        ")" | "]" | "}" => self.depth = self.depth.saturating_sub(1),
                        _ => {}
                    }
                    self.pos += op.len();
                    self.push(Tok::Op(op), start, self.pos);
                }
            }
        }
        let end = self.text.len();
        if !matches!(
            self.tokens.last().map(|t| &t.tok),
            None | Some(Tok::Newline)
        ) {
            self.push(Tok::Newline, end, end);
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.push(Tok::Dedent, end, end);
        }
        self.push(Tok::Eof, end, end);
        Ok(self.tokens)
    }

    /// Measures the indentation of a logical line and emits INDENT/DEDENT.
    fn indentation(&mut self) -> Result<(), LexError> {
        loop {
            let rest = self.rest();
            let mut width = 0;
            let mut len = 0;
            for c in rest.chars() {
                match c {
                    ' ' => width += 1,
                    '\t' => width = (width / 8 + 1) * 8,
                    '\x0c' => width = 0,
                    _ => break,
                }
                len += 1;
            }
            let after = rest.get(len..).unwrap_or("");
            if after.starts_with('\n')
                || after.starts_with("\r\n")
                || after.starts_with('#')
                || after.is_empty()
            {
                // Blank or comment-only line: no indentation change.
                match after.find('\n') {
                    Some(newline) => {
                        self.pos += len + newline + 1;
                        continue;
                    }
                    None => {
                        self.pos += rest.len();
                        self.at_line_start = false;
                        return Ok(());
                    }
                }
            }
            self.pos += len;
            self.at_line_start = false;
            let current = self.indents.last().copied().unwrap_or(0);
            if width > current {
                self.indents.push(width);
                self.push(Tok::Indent, self.pos, self.pos);
            } else {
                while width < self.indents.last().copied().unwrap_or(0) {
                    self.indents.pop();
                    self.push(Tok::Dedent, self.pos, self.pos);
                }
                if width != self.indents.last().copied().unwrap_or(0) {
                    return self.error(
                        self.pos - len,
                        self.pos,
                        "this line's indentation matches no outer block",
                    );
                }
            }
            return Ok(());
        }
    }

    fn name(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        loop {
            let rest = self.rest();
            if rest.starts_with("{{") {
                let Some(close) = rest.find("}}") else {
                    return self.error(self.pos, self.pos + 2, "`{{` without `}}`");
                };
                if rest.get(..close).is_some_and(|inner| inner.contains('\n')) {
                    return self.error(
                        self.pos,
                        self.pos + 2,
                        "`{{` without `}}` on the same line",
                    );
                }
                self.pos += close + 2;
                continue;
            }
            match rest.chars().next() {
                Some(c) if c.is_alphanumeric() || c == '_' => self.pos += c.len_utf8(),
                _ => break,
            }
        }
        let name = self.text.get(start..self.pos).unwrap_or("").to_string();
        self.push(Tok::Name(name), start, self.pos);
        Ok(())
    }

    /// When a name is a string prefix (`r`, `b`, `f`, `rb`, …) directly
    /// followed by a quote, the offset of that quote.
    fn string_prefix(&self) -> Option<usize> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let prefix = rest.get(..len)?.to_ascii_lowercase();
        let is_prefix = matches!(
            prefix.as_str(),
            "r" | "u" | "b" | "f" | "br" | "rb" | "fr" | "rf"
        );
        let quote_follows = rest
            .get(len..)
            .is_some_and(|after| after.starts_with(['"', '\'']));
        (is_prefix && quote_follows).then_some(self.pos + len)
    }

    fn string(&mut self, quote_at: usize) -> Result<(), LexError> {
        let start = self.pos;
        let prefix = self
            .text
            .get(start..quote_at)
            .unwrap_or("")
            .to_ascii_lowercase();
        let raw = prefix.contains('r');
        self.pos = quote_at;
        let rest = self.rest();
        let quote = if rest.starts_with("\"\"\"") {
            "\"\"\""
        } else if rest.starts_with("'''") {
            "'''"
        } else if rest.starts_with('"') {
            "\""
        } else {
            "'"
        };
        self.pos += quote.len();
        let mut value = String::new();
        loop {
            let rest = self.rest();
            if rest.starts_with(quote) {
                self.pos += quote.len();
                break;
            }
            let Some(c) = rest.chars().next() else {
                return self.error(start, quote_at + quote.len(), "this string is never closed");
            };
            if c == '\n' && quote.len() == 1 {
                return self.error(
                    start,
                    quote_at + 1,
                    "this string is never closed on its line",
                );
            }
            if c == '\\' && !raw {
                let escaped = rest.get(1..).and_then(|r| r.chars().next());
                let (text, len) = match escaped {
                    Some('n') => ("\n".to_string(), 2),
                    Some('t') => ("\t".to_string(), 2),
                    Some('r') => ("\r".to_string(), 2),
                    Some('0') => ("\0".to_string(), 2),
                    Some('\\') => ("\\".to_string(), 2),
                    Some('\'') => ("'".to_string(), 2),
                    Some('"') => ("\"".to_string(), 2),
                    Some('\n') => (String::new(), 2),
                    Some('x') => hex_escape(rest, 2).unwrap_or_else(|| ("\\x".to_string(), 2)),
                    Some('u') => hex_escape(rest, 4).unwrap_or_else(|| ("\\u".to_string(), 2)),
                    Some('U') => hex_escape(rest, 8).unwrap_or_else(|| ("\\U".to_string(), 2)),
                    Some(other) => (format!("\\{other}"), 1 + other.len_utf8()),
                    None => ("\\".to_string(), 1),
                };
                value.push_str(&text);
                self.pos += len;
                continue;
            }
            value.push(c);
            self.pos += c.len_utf8();
        }
        self.push(Tok::Str { value, prefix }, start, self.pos);
        Ok(())
    }

    fn number(&mut self) {
        let start = self.pos;
        let rest = self.rest();
        let mut len = 0;
        let mut float = false;
        let bytes = rest.as_bytes();
        let radix = rest.get(..2).map(str::to_ascii_lowercase);
        if matches!(radix.as_deref(), Some("0x" | "0o" | "0b")) {
            len = 2 + rest.get(2..).map_or(0, |r| {
                r.find(|c: char| !(c.is_ascii_hexdigit() || c == '_'))
                    .unwrap_or(r.len())
            });
        } else {
            while let Some(&b) = bytes.get(len) {
                match b {
                    b'0'..=b'9' | b'_' => len += 1,
                    b'.' if !float => {
                        float = true;
                        len += 1;
                    }
                    b'e' | b'E' => {
                        float = true;
                        len += 1;
                        if matches!(bytes.get(len), Some(b'+' | b'-')) {
                            len += 1;
                        }
                    }
                    b'j' | b'J' => {
                        len += 1;
                        break;
                    }
                    _ => break,
                }
            }
        }
        let text = rest.get(..len).unwrap_or("").to_string();
        self.pos += len;
        let tok = if float {
            Tok::Float(text)
        } else {
            Tok::Int(text)
        };
        self.push(tok, start, self.pos);
    }
}

fn hex_escape(rest: &str, digits: usize) -> Option<(String, usize)> {
    let hex = rest.get(2..2 + digits)?;
    let code = u32::from_str_radix(hex, 16).ok()?;
    Some((char::from_u32(code)?.to_string(), 2 + digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn indentation_and_brackets() {
        let toks = toks("def f():\n    return {\n        \"a\": 1,\n    }\n");
        assert_eq!(
            toks,
            [
                Tok::Name("def".into()),
                Tok::Name("f".into()),
                Tok::Op("("),
                Tok::Op(")"),
                Tok::Op(":"),
                Tok::Newline,
                Tok::Indent,
                Tok::Name("return".into()),
                Tok::Op("{"),
                Tok::Str {
                    value: "a".into(),
                    prefix: String::new()
                },
                Tok::Op(":"),
                Tok::Int("1".into()),
                Tok::Op(","),
                Tok::Op("}"),
                Tok::Newline,
                Tok::Dedent,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn template_slots_are_names() {
        let toks = toks("def assert_{{entity}}_created(x):\n    return {{value}}\n");
        assert_eq!(toks[1], Tok::Name("assert_{{entity}}_created".into()));
        assert_eq!(toks[9], Tok::Name("{{value}}".into()));
    }

    #[test]
    fn strings() {
        let toks = toks("'a\\'b' \"\"\"doc\nstring\"\"\" r'\\d' f\"x\"");
        assert_eq!(
            toks[0],
            Tok::Str {
                value: "a'b".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            toks[1],
            Tok::Str {
                value: "doc\nstring".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            toks[2],
            Tok::Str {
                value: "\\d".into(),
                prefix: "r".into()
            }
        );
        assert_eq!(
            toks[3],
            Tok::Str {
                value: "x".into(),
                prefix: "f".into()
            }
        );
    }

    #[test]
    fn errors() {
        assert!(tokenize("x = 'abc\n").is_err());
        assert!(tokenize("if x:\n        a\n    b\n").is_err());
        assert!(tokenize("x = $").is_err());
    }

    #[test]
    fn crlf_and_comments() {
        let toks = toks("a = 1  # one\r\n\r\nb = 2\r\n");
        assert_eq!(toks.iter().filter(|t| **t == Tok::Newline).count(), 2);
    }
}
