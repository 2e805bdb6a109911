//! The assertion grammar (FORMAT §4): one line → an [`Assertion`].
//!
//! A line that parses is executable. A line that does not is prose: it is
//! kept, reported as unverified with the nearest grammatical form as a hint
//! (see [`super::hint`]), and never guessed at.

use super::context::Cx;
use super::cursor::{Cursor, Parsed};
use super::hint::nearest_form;
use super::located::Located;
use crate::ValueType;
use crate::diagnostic::{Code, Diagnostic};
use crate::jsonpath::JsonPathError;
use crate::model::{
    Assertion, AssertionKind, CmpOp, Condition, EmailPart, Operand, OperandKind, PathSegment,
    Phrase, Predicate, ResponsePart, RouteRef, Subject, SubjectKind, Value, ValueKind,
};
use crate::source::Spanned;

/// Parses an assertion line, reporting prose and invalid parts.
pub(crate) fn parse_assertion(cx: &mut Cx<'_>, line: Located<'_>) -> Assertion {
    let line = strip_code_span(line);
    let span = line.whole_span(cx.source);
    let text = line.text.to_string();
    let (within, line) = match within(cx, line) {
        Ok(Some((ms, rest))) => (Some(ms), rest),
        Ok(None) => (None, line),
        Err(diagnostic) => {
            cx.push(*diagnostic);
            return Assertion {
                kind: AssertionKind::Prose { hint: None },
                text,
                span,
                within: None,
            };
        }
    };
    match parse_kind(cx, line) {
        Ok(AssertionKind::Phrase { .. }) if within.is_some() => {
            cx.push(
                Diagnostic::error(
                    Code::InvalidWithin,
                    span,
                    format!(
                        "`within` waits for something to come, and `{}` is judged once, on what the case's requests left",
                        line.text.trim()
                    ),
                )
                .with_help("write the phrase without `within`; to wait for late messages, write `within D: no messages`"),
            );
            Assertion {
                kind: AssertionKind::Prose { hint: None },
                text,
                span,
                within: None,
            }
        }
        Ok(kind) => {
            validate(cx, &kind);
            Assertion {
                kind,
                text,
                span,
                within,
            }
        }
        Err(fail) => {
            let hint = nearest_form(cx.source, line.text);
            if let Some(diagnostic) = fail.diagnostic {
                cx.push(*diagnostic);
            } else if !has_template_slot(line.text) {
                let mut diagnostic = Diagnostic::warning(
                    Code::ProseAssertion,
                    span,
                    "this assertion is prose: it will be reported as unverified",
                )
                .with_label("not in the assertion grammar");
                diagnostic = match &hint {
                    Some(form) => diagnostic.with_help(format!("did you mean `{form}`?")),
                    None => diagnostic.with_help(
                        "write it in the assertion grammar, like `status == 201`, `body.id is uuid`, `row TABLE where COL = V has COL = V`, `database unchanged` (docs/format.md, Assertions)",
                    ),
                };
                if fail.at > 0 {
                    let at = line.span(cx.source, fail.at, fail.at);
                    diagnostic =
                        diagnostic.with_note(at, format!("expected {} here", fail.expected));
                }
                cx.push(diagnostic);
            }
            Assertion {
                kind: AssertionKind::Prose { hint },
                text,
                span,
                within,
            }
        }
    }
}

/// The longest `within`: ten minutes.
const MAX_WITHIN_MS: u64 = 600_000;

/// `within D: ASSERTION`: the wait in milliseconds and the assertion after
/// the colon. A `within` that is not followed by a duration and a colon is
/// an error, never prose: the line would otherwise be checked at once.
fn within<'t>(
    cx: &Cx<'_>,
    line: Located<'t>,
) -> Result<Option<(u64, Located<'t>)>, Box<Diagnostic>> {
    let trimmed = line.text.trim_start();
    let lead = line.text.len() - trimmed.len();
    let is_within = trimmed
        .get(..7)
        .is_some_and(|head| head.eq_ignore_ascii_case("within "));
    if !is_within {
        return Ok(None);
    }
    let after = trimmed.get(7..).unwrap_or("");
    let parsed = after.split_once(':').and_then(|(duration, rest)| {
        let ms = crate::duration::parse_duration(duration)?;
        (!rest.trim().is_empty()).then_some((ms, duration.len(), rest))
    });
    match parsed {
        Some((ms, duration_len, rest)) if ms > 0 && ms <= MAX_WITHIN_MS => {
            let start = lead + 7 + duration_len + 1;
            let rest_lead = rest.len() - rest.trim_start().len();
            Ok(Some((ms, line.sub(start + rest_lead, line.text.len()))))
        }
        _ => Err(Box::new(
            Diagnostic::error(
                Code::InvalidWithin,
                line.whole_span(cx.source),
                "`within` needs a duration and a colon before the assertion it waits for",
            )
            .with_help(
                "write it like `within 5s: row shipments where order_id = 7 exists` (at most 10m)",
            ),
        )),
    }
}

/// Parses a line without reporting anything: `None` when it is prose.
pub(crate) fn try_parse(source: &crate::source::Source<'_>, text: &str) -> Option<AssertionKind> {
    let mut cx = Cx::new(source);
    parse_kind(&mut cx, Located::at(text, 0)).ok()
}

/// Whether a line holds one of the template's unfilled `{{slots}}`.
pub(crate) fn has_template_slot(text: &str) -> bool {
    crate::interpolation::find(text)
        .iter()
        .any(|found| crate::template::is_slot(found.name(text)))
}

/// `` `status == 200` `` → `status == 200`.
pub(crate) fn strip_code_span(line: Located<'_>) -> Located<'_> {
    let text = line.text;
    if text.len() >= 2
        && text.starts_with('`')
        && text.ends_with('`')
        && !text.get(1..text.len() - 1).unwrap_or("").contains('`')
    {
        line.sub(1, text.len() - 1)
    } else {
        line
    }
}

fn parse_kind(cx: &mut Cx<'_>, line: Located<'_>) -> Parsed<AssertionKind> {
    let mut cursor = Cursor::new(cx.source, line);
    let first = line
        .text
        .trim_start()
        .as_bytes()
        .first()
        .map(u8::to_ascii_lowercase);
    if matches!(first, Some(b'd' | b'n' | b't'))
        && let Some(phrase) = phrase(&mut cursor)
    {
        return Ok(AssertionKind::Phrase { phrase });
    }
    cursor.pos = 0;
    if let Some(no_messages) = no_messages(&mut cursor)? {
        return Ok(no_messages);
    }
    cursor.pos = 0;
    if cursor.keyword("no") && cursor.keyword("emails") {
        let to = email_to(&mut cursor)?;
        if !cursor.at_end() {
            return cursor.fail("the end of the line");
        }
        return Ok(AssertionKind::NoEmails { to });
    }
    cursor.pos = 0;
    if let Some(call) = check_call(&mut cursor)? {
        return Ok(call);
    }
    cursor.pos = 0;
    let subject = subject(&mut cursor)?;
    let predicate = predicate(&mut cursor, &subject)?;
    if !cursor.at_end() {
        return cursor.fail("the end of the line");
    }
    check_fits(&cursor, &subject, &predicate)?;
    Ok(AssertionKind::Check { subject, predicate })
}

fn phrase(cursor: &mut Cursor<'_, '_>) -> Option<Phrase> {
    let fixed = [
        (&["database", "unchanged"][..], Phrase::DatabaseUnchanged),
        (&["no", "side", "effects"][..], Phrase::NoSideEffects),
        (&["no", "mock", "calls"][..], Phrase::NoMockCalls),
        (&["no", "race", "conditions"][..], Phrase::NoRaceConditions),
    ];
    for (words, phrase) in fixed {
        cursor.pos = 0;
        if words.iter().all(|word| cursor.keyword(word)) && cursor.at_end() {
            return Some(phrase);
        }
    }
    cursor.pos = 0;
    if cursor.keyword("table") {
        let table = cursor.name()?;
        if cursor.keyword("unchanged") && cursor.at_end() {
            return Some(Phrase::TableUnchanged(table));
        }
    }
    None
}

/// `no messages [on NAME [TOPIC]]`.
fn no_messages(cursor: &mut Cursor<'_, '_>) -> Parsed<Option<AssertionKind>> {
    if !(cursor.keyword("no") && cursor.keyword("messages")) {
        return Ok(None);
    }
    let (mut broker, mut topic) = (None, None);
    if cursor.keyword("on") {
        let Some(name) = cursor.ident() else {
            return cursor.fail("a broker name");
        };
        broker = Some(name);
        topic = self::topic(cursor, &[])?;
    }
    if !cursor.at_end() {
        return cursor.fail("the end of the line");
    }
    Ok(Some(AssertionKind::NoMessages { broker, topic }))
}

/// `to "ADDR"` after `email`, `emails` or `no emails`, if there.
fn email_to(cursor: &mut Cursor<'_, '_>) -> Parsed<Option<Spanned<String>>> {
    if !cursor.keyword("to") {
        return Ok(None);
    }
    match cursor.string() {
        Some(address) => Ok(Some(address)),
        None => cursor.fail("an address in double quotes, like `\"ana@example.com\"`"),
    }
}

/// What an `email` subject looks at, after its address.
fn email_part(cursor: &mut Cursor<'_, '_>) -> Parsed<EmailPart> {
    cursor.skip_ws();
    let start = cursor.pos;
    if cursor.keyword("received") || (cursor.keyword("not") && cursor.keyword("received")) {
        // The predicate reads the words again.
        cursor.pos = start;
        return Ok(EmailPart::Received);
    }
    cursor.pos = start;
    if cursor.keyword("subject") {
        return Ok(EmailPart::Subject);
    }
    if cursor.keyword("body") {
        return Ok(EmailPart::Body);
    }
    if cursor.keyword("from") {
        return Ok(EmailPart::From);
    }
    if cursor.keyword("header") {
        return match cursor.take_while(is_token_char) {
            Some(name) => Ok(EmailPart::Header(name)),
            None => cursor.fail("a header name"),
        };
    }
    if cursor.keyword("attachment") {
        return match cursor.string() {
            Some(name) => Ok(EmailPart::Attachment(name)),
            None => cursor.fail("the attachment's file name in double quotes"),
        };
    }
    cursor.fail("`received`, `subject`, `body`, `from`, `header NAME` or `attachment \"NAME\"`")
}

/// The topic after a broker's name, unless the next word is one of
/// `stop`: a quoted string, or a word without spaces (the broker's
/// wildcards in it).
fn topic(cursor: &mut Cursor<'_, '_>, stop: &[&str]) -> Parsed<Option<Spanned<String>>> {
    cursor.skip_ws();
    if cursor.at_end() {
        return Ok(None);
    }
    let start = cursor.pos;
    if stop.iter().any(|word| cursor.keyword(word)) {
        cursor.pos = start;
        return Ok(None);
    }
    if cursor.peek() == Some('"') {
        return match cursor.string() {
            Some(topic) => Ok(Some(topic)),
            None => cursor.fail("a topic in double quotes"),
        };
    }
    Ok(cursor.token())
}

/// `name(arg, …)` on its own.
fn check_call(cursor: &mut Cursor<'_, '_>) -> Parsed<Option<AssertionKind>> {
    let Some(name) = cursor.ident() else {
        return Ok(None);
    };
    if name.value.eq_ignore_ascii_case("count") || !cursor.punct("(") {
        return Ok(None);
    }
    let mut args = Vec::new();
    if !cursor.punct(")") {
        loop {
            let start = cursor.pos;
            let arg = match cursor.name() {
                Some(word) if !matches!(word.value.as_str(), "true" | "false" | "null") => {
                    Operand {
                        kind: OperandKind::Name(word.value),
                        span: word.span,
                    }
                }
                _ => {
                    cursor.pos = start;
                    cursor.operand()?
                }
            };
            args.push(arg);
            if cursor.punct(")") {
                break;
            }
            if !cursor.punct(",") {
                return cursor.fail("`,` or `)`");
            }
        }
    }
    if !cursor.at_end() {
        return cursor.fail("the end of the line");
    }
    Ok(Some(AssertionKind::Call { name, args }))
}

/// A subject, also used by Capture lines.
pub(crate) fn subject(cursor: &mut Cursor<'_, '_>) -> Parsed<Subject> {
    cursor.skip_ws();
    let start = cursor.pos;
    let kind = if cursor.keyword("statuses") {
        SubjectKind::Statuses
    } else if cursor.keyword("count") {
        if !(cursor.punct("(") && cursor.keyword("status")) {
            return cursor.fail("`count(status == N)`");
        }
        let op = comparison(cursor).map_or_else(|| cursor.fail("a comparison like `==`"), Ok)?;
        let value = cursor.operand()?;
        if !cursor.punct(")") {
            return cursor.fail("`)`");
        }
        SubjectKind::CountStatus { op, value }
    } else if cursor.keyword("rows") {
        let table = table(cursor)?;
        let conditions = if cursor.keyword("where") {
            conditions(cursor)?
        } else {
            Vec::new()
        };
        SubjectKind::Rows { table, conditions }
    } else if cursor.keyword("row") {
        let table = table(cursor)?;
        if !cursor.keyword("where") {
            return cursor.fail("`where COLUMN = VALUE`");
        }
        let conditions = conditions(cursor)?;
        SubjectKind::Row { table, conditions }
    } else if cursor.keyword("sql") {
        let Some(query) = cursor.string() else {
            return cursor.fail("a query in double quotes");
        };
        SubjectKind::Sql { query }
    } else if cursor.keyword("messages") {
        let Some(broker) = cursor.ident() else {
            return cursor.fail("a broker name");
        };
        let topic = topic(cursor, &["count"])?;
        SubjectKind::Messages { broker, topic }
    } else if cursor.keyword("message") {
        let Some(broker) = cursor.ident() else {
            return cursor.fail("a broker name");
        };
        let topic = topic(cursor, &["received", "header"])?;
        let header = if cursor.keyword("header") {
            match cursor.take_while(is_token_char) {
                Some(name) => Some(name),
                None => return cursor.fail("a header name"),
            }
        } else {
            None
        };
        SubjectKind::Message {
            broker,
            topic,
            header,
        }
    } else if cursor.keyword("emails") {
        SubjectKind::Emails {
            to: email_to(cursor)?,
        }
    } else if cursor.keyword("email") {
        let to = email_to(cursor)?;
        SubjectKind::Email {
            to,
            part: email_part(cursor)?,
        }
    } else if cursor.keyword("key") {
        let Some(broker) = cursor.ident() else {
            return cursor.fail("a broker name");
        };
        let Some(key) = cursor.string() else {
            return cursor.fail("a key in double quotes, like `\"cart:{{cart_id}}\"`");
        };
        let ttl = cursor.keyword("ttl");
        SubjectKind::Key { broker, key, ttl }
    } else if cursor.keyword("mock") {
        let Some(mock) = cursor.ident() else {
            return cursor.fail("a mock name");
        };
        let route = route(cursor)?;
        if cursor.keyword("calls") {
            SubjectKind::MockCalls { mock, route }
        } else {
            SubjectKind::Mock { mock, route }
        }
    } else if let Some(part) = response_part(cursor)? {
        SubjectKind::Response { label: None, part }
    } else {
        let label_start = cursor.pos;
        match cursor.ident() {
            Some(label) if cursor.rest().starts_with('.') => {
                cursor.pos += 1;
                match response_part(cursor)? {
                    Some(part) => SubjectKind::Response {
                        label: Some(label),
                        part,
                    },
                    None => {
                        return cursor
                            .fail("`status`, `body`, `header NAME` or `duration` after the label");
                    }
                }
            }
            _ => {
                cursor.pos = label_start;
                return cursor.fail(
                    "a subject like `status`, `body.path`, `header NAME`, `row TABLE where …`",
                );
            }
        }
    };
    Ok(Subject {
        kind,
        span: cursor.span(start, cursor.pos),
    })
}

fn response_part(cursor: &mut Cursor<'_, '_>) -> Parsed<Option<ResponsePart>> {
    cursor.skip_ws();
    if cursor.keyword("status") {
        return Ok(Some(ResponsePart::Status));
    }
    if cursor.keyword("duration") {
        return Ok(Some(ResponsePart::Duration));
    }
    if cursor.keyword("header") {
        let Some(name) = cursor.take_while(is_token_char) else {
            return cursor.fail("a header name");
        };
        return Ok(Some(ResponsePart::Header(name)));
    }
    if cursor.keyword("body") {
        return Ok(Some(ResponsePart::Body(body_path(cursor)?)));
    }
    if cursor.rest().starts_with('$') {
        return Ok(Some(ResponsePart::JsonPath(json_path(cursor))));
    }
    Ok(None)
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+.^_`|~-".contains(c)
}

/// `.a[0]["b c"].d` right after `body`.
pub(crate) fn body_path(cursor: &mut Cursor<'_, '_>) -> Parsed<Vec<PathSegment>> {
    let mut segments = Vec::new();
    loop {
        let rest = cursor.rest();
        if let Some(after_dot) = rest.strip_prefix('.') {
            let len = after_dot
                .find(|c: char| c.is_whitespace() || matches!(c, '.' | '['))
                .unwrap_or(after_dot.len());
            if len == 0 {
                return cursor.fail("a key after `.`");
            }
            segments.push(PathSegment::Key(
                after_dot.get(..len).unwrap_or("").to_string(),
            ));
            cursor.pos += 1 + len;
        } else if let Some(after_bracket) = rest.strip_prefix('[') {
            if after_bracket.starts_with('"') {
                cursor.pos += 1;
                let Some(key) = cursor.string() else {
                    return cursor.fail("a quoted key");
                };
                if !cursor.rest().starts_with(']') {
                    return cursor.fail("`]`");
                }
                cursor.pos += 1;
                segments.push(PathSegment::Key(key.value));
            } else {
                let close = after_bracket.find(']');
                let index = close
                    .and_then(|close| after_bracket.get(..close))
                    .and_then(|digits| digits.trim().parse::<i64>().ok());
                match (close, index) {
                    (Some(close), Some(index)) => {
                        segments.push(PathSegment::Index(index));
                        cursor.pos += close + 2;
                    }
                    _ => return cursor.fail("an index like `[0]`"),
                }
            }
        } else {
            return Ok(segments);
        }
    }
}

/// A JSONPath runs to the first space outside brackets and quotes.
fn json_path(cursor: &mut Cursor<'_, '_>) -> Spanned<String> {
    let rest = cursor.rest();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' | ')' => depth = depth.saturating_sub(1),
                c if c.is_whitespace() && depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            },
        }
    }
    let start = cursor.pos;
    cursor.pos += end;
    Spanned::new(
        rest.get(..end).unwrap_or("").to_string(),
        cursor.span(start, cursor.pos),
    )
}

fn table(cursor: &mut Cursor<'_, '_>) -> Parsed<Spanned<String>> {
    match cursor.name() {
        Some(table) => Ok(table),
        None => cursor.fail("a table name"),
    }
}

fn route(cursor: &mut Cursor<'_, '_>) -> Parsed<Option<RouteRef>> {
    let Some(method) = cursor.method() else {
        return Ok(None);
    };
    cursor.skip_ws();
    if !cursor.rest().starts_with('/') {
        return cursor.fail("a path starting with `/`");
    }
    let Some(path) = cursor.token() else {
        return cursor.fail("a path");
    };
    Ok(Some(RouteRef { method, path }))
}

fn comparison(cursor: &mut Cursor<'_, '_>) -> Option<CmpOp> {
    for (text, op) in [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
    ] {
        if cursor.punct(text) {
            return Some(op);
        }
    }
    None
}

/// `COL = V {and COL = V}`.
fn conditions(cursor: &mut Cursor<'_, '_>) -> Parsed<Vec<Condition>> {
    let mut conditions = vec![condition(cursor)?];
    while cursor.keyword("and") {
        conditions.push(condition(cursor)?);
    }
    Ok(conditions)
}

/// `COL = V`, `COL != V`, `COL < V`, …, `COL is null`, `COL is not null`.
pub(crate) fn condition(cursor: &mut Cursor<'_, '_>) -> Parsed<Condition> {
    let Some(column) = cursor.name() else {
        return cursor.fail("a column name");
    };
    if cursor.keyword("is") {
        let negated = cursor.keyword("not");
        let start = cursor.pos;
        if !cursor.keyword("null") {
            return cursor.fail("`null`");
        }
        let span = cursor.span(start, cursor.pos);
        return Ok(Condition {
            column,
            op: if negated { CmpOp::Ne } else { CmpOp::Eq },
            value: Operand {
                kind: OperandKind::Value(Value::new(ValueKind::Null, span)),
                span,
            },
        });
    }
    let op = if cursor.punct("==") {
        CmpOp::Eq
    } else if cursor.punct("!=") || cursor.punct("<>") {
        CmpOp::Ne
    } else if cursor.punct("<=") {
        CmpOp::Le
    } else if cursor.punct(">=") {
        CmpOp::Ge
    } else if cursor.punct("=") {
        CmpOp::Eq
    } else if cursor.punct("<") {
        CmpOp::Lt
    } else if cursor.punct(">") {
        CmpOp::Gt
    } else {
        return cursor.fail("`=` and a value");
    };
    let value = cursor.operand()?;
    Ok(Condition { column, op, value })
}

fn predicate(cursor: &mut Cursor<'_, '_>, subject: &Subject) -> Parsed<Predicate> {
    cursor.skip_ws();
    if let SubjectKind::Email {
        part: EmailPart::Received,
        ..
    } = subject.kind
    {
        if cursor.keyword("received") {
            return Ok(Predicate::Exists);
        }
        if cursor.keyword("not") && cursor.keyword("received") {
            return Ok(Predicate::NotExists);
        }
        return cursor.fail("`received` or `not received`");
    }
    if let Some(op) = comparison(cursor) {
        let value = if matches!(subject.kind, SubjectKind::Statuses) && cursor.peek() == Some('[') {
            let list = cursor.operand_list()?;
            if cursor.keyword("in") {
                if !(cursor.keyword("any") && cursor.keyword("order")) {
                    return cursor.fail("`in any order`");
                }
                if op != CmpOp::Eq {
                    return cursor.fail("`==` before `[…] in any order`");
                }
                return Ok(Predicate::InAnyOrder { values: list.value });
            }
            list_operand(cursor, list)?
        } else {
            cursor.operand()?
        };
        return Ok(Predicate::Compare { op, value });
    }
    if cursor.keyword("in") {
        return Ok(Predicate::In {
            values: cursor.operand_list()?.value,
        });
    }
    if cursor.keyword("not") {
        if cursor.keyword("exists") {
            return Ok(Predicate::NotExists);
        }
        if cursor.keyword("contains") {
            return Ok(Predicate::Contains {
                value: cursor.operand()?,
                negated: true,
            });
        }
        return cursor.fail("`exists` or `contains` after `not`");
    }
    if cursor.keyword("contains") {
        return Ok(Predicate::Contains {
            value: cursor.operand()?,
            negated: false,
        });
    }
    if cursor.keyword("matches") {
        return match cursor.string() {
            Some(regex) => Ok(Predicate::Matches { regex }),
            None => cursor.fail("a regular expression in double quotes"),
        };
    }
    if cursor.keyword("exists") {
        return Ok(Predicate::Exists);
    }
    if cursor.keyword("is") {
        let Some(word) = cursor.ident() else {
            return cursor.fail("a type");
        };
        return match ValueType::parse(&word.value) {
            Some(type_name) => Ok(Predicate::Is {
                type_name: Spanned::new(type_name, word.span),
            }),
            None => cursor.fail("a type: string, number, integer, boolean, null, array, object, uuid, datetime, date or email"),
        };
    }
    if cursor.keyword("has") {
        let mut columns = vec![condition(cursor)?];
        while cursor.punct(",") || cursor.keyword("and") {
            columns.push(condition(cursor)?);
        }
        return Ok(Predicate::Has { columns });
    }
    if cursor.keyword("count") {
        let Some(op) = comparison(cursor) else {
            return cursor.fail("a comparison like `== 1`");
        };
        return Ok(Predicate::Count {
            op,
            value: cursor.operand()?,
        });
    }
    if cursor.keyword("received") {
        cursor.skip_ws();
        let start = cursor.pos;
        let operand = cursor.operand()?;
        return match operand.kind {
            OperandKind::Value(body) => Ok(Predicate::Received { body }),
            _ => {
                cursor.pos = start;
                cursor.fail("a JSON body")
            }
        };
    }
    cursor.fail("a predicate like `== V`, `contains V`, `exists`, `is TYPE`")
}

/// A `[…]` list compared with `==`: a JSON array.
fn list_operand(cursor: &Cursor<'_, '_>, list: Spanned<Vec<Operand>>) -> Parsed<Operand> {
    let mut items = Vec::with_capacity(list.value.len());
    for item in list.value {
        match item.kind {
            OperandKind::Value(value) => items.push(value),
            _ => return cursor.fail("JSON values in the list"),
        }
    }
    Ok(Operand {
        kind: OperandKind::Value(Value::new(ValueKind::Array(items), list.span)),
        span: list.span,
    })
}

/// Whether the predicate applies to the subject.
fn check_fits(cursor: &Cursor<'_, '_>, subject: &Subject, predicate: &Predicate) -> Parsed<()> {
    let fits = match (&subject.kind, predicate) {
        (
            SubjectKind::Row { .. },
            Predicate::Has { .. } | Predicate::Exists | Predicate::NotExists,
        ) => true,
        (SubjectKind::Row { .. }, _) => false,
        (
            SubjectKind::Rows { .. },
            Predicate::Count { .. } | Predicate::Exists | Predicate::NotExists,
        ) => true,
        (SubjectKind::Rows { .. }, _) => false,
        (
            SubjectKind::Mock { .. } | SubjectKind::Message { header: None, .. },
            Predicate::Received { .. },
        ) => true,
        (
            SubjectKind::Message {
                header: Some(_), ..
            },
            Predicate::Compare { op: CmpOp::Eq, .. },
        ) => true,
        (SubjectKind::Mock { .. } | SubjectKind::Message { .. }, _) => false,
        (SubjectKind::Messages { .. } | SubjectKind::Emails { .. }, Predicate::Count { .. }) => {
            true
        }
        (SubjectKind::Messages { .. } | SubjectKind::Emails { .. }, _) => false,
        (
            SubjectKind::Email {
                part: EmailPart::Received | EmailPart::Attachment(_),
                ..
            },
            Predicate::Exists | Predicate::NotExists,
        ) => true,
        (
            SubjectKind::Email {
                part: EmailPart::Received | EmailPart::Attachment(_),
                ..
            },
            _,
        ) => false,
        (
            SubjectKind::Email { .. },
            Predicate::Compare {
                op: CmpOp::Eq | CmpOp::Ne,
                ..
            }
            | Predicate::In { .. }
            | Predicate::Contains { .. }
            | Predicate::Matches { .. }
            | Predicate::Exists
            | Predicate::NotExists
            | Predicate::Is { .. },
        ) => true,
        (SubjectKind::Email { .. }, _) => false,
        (
            SubjectKind::MockCalls { .. } | SubjectKind::CountStatus { .. },
            Predicate::Compare { .. },
        ) => true,
        (SubjectKind::MockCalls { .. } | SubjectKind::CountStatus { .. }, _) => false,
        (
            SubjectKind::Statuses,
            Predicate::Compare { .. } | Predicate::InAnyOrder { .. } | Predicate::Contains { .. },
        ) => true,
        (SubjectKind::Statuses, _) => false,
        (
            _,
            Predicate::Has { .. }
            | Predicate::Count { .. }
            | Predicate::Received { .. }
            | Predicate::InAnyOrder { .. },
        ) => false,
        _ => true,
    };
    if fits {
        return Ok(());
    }
    let expected = match &subject.kind {
        SubjectKind::Row { .. } => "`has COL = V`, `exists` or `not exists` after a `row` subject",
        SubjectKind::Rows { .. } => "`count == N`, `exists` or `not exists` after a `rows` subject",
        SubjectKind::Mock { .. } => "`calls == N` or `received JSON` after a `mock` subject",
        SubjectKind::Message { header: None, .. } => {
            "`received JSON` (or `header H == V`) after a `message` subject"
        }
        SubjectKind::Message { .. } => "`== V` after `message NAME header H`",
        SubjectKind::Messages { .. } => "`count == N` after a `messages` subject",
        SubjectKind::Emails { .. } => "`count == N` after an `emails` subject",
        SubjectKind::Email {
            part: EmailPart::Received,
            ..
        } => "`received` or `not received`",
        SubjectKind::Email {
            part: EmailPart::Attachment(_),
            ..
        } => "`exists` or `not exists` after `attachment \"NAME\"`",
        SubjectKind::Email { .. } => {
            "`== V`, `!= V`, `contains V`, `not contains V`, `matches \"regex\"`, `exists` or `is TYPE` after an `email` part"
        }
        SubjectKind::MockCalls { .. } | SubjectKind::CountStatus { .. } => {
            "a comparison like `== 1`"
        }
        SubjectKind::Statuses => {
            "`== [V, …]`, `== [V, …] in any order` or `contains V` after `statuses`"
        }
        _ => "a predicate like `== V`, `contains V`, `exists`, `is TYPE`",
    };
    Err(super::cursor::Fail {
        at: subject.span.end.saturating_sub(cursor.span(0, 0).start),
        expected: expected.to_string(),
        diagnostic: None,
    })
}

/// Checks what the grammar accepts but may still be wrong: regexes and
/// JSONPath queries.
fn validate(cx: &mut Cx<'_>, kind: &AssertionKind) {
    let AssertionKind::Check { subject, predicate } = kind else {
        return;
    };
    if let SubjectKind::Response {
        part: ResponsePart::JsonPath(path),
        ..
    } = &subject.kind
    {
        check_json_path(cx, path);
    }
    if let Predicate::Matches { regex } = predicate
        && let Err(detail) = crate::pattern::check_regex(&regex.value)
    {
        cx.push(
                Diagnostic::error(Code::InvalidRegex, regex.span, format!("invalid regular expression: {detail}"))
                    .with_help("fix the pattern (Rust regex syntax); backslashes are escaped in the quoted string: `\"\\\\d+\"`"),
            );
    }
}

/// Reports a JSONPath that is over the limits, or not RFC 9535.
pub(crate) fn check_json_path(cx: &mut Cx<'_>, path: &Spanned<String>) {
    match crate::jsonpath::parse(&path.value) {
        Ok(_) => {}
        Err(JsonPathError::TooComplex { at, message }) => {
            // The query is written on one line, as it is in the spec.
            let start = path.span.start + at.min(path.value.len());
            let end = (start + 1).min(path.span.end).max(start);
            cx.push(
                Diagnostic::error(Code::TooComplex, cx.span(start, end), message)
                    .with_label("past the limit")
                    .with_help(
                        "split the query into simpler ones, or check the value with `contains`",
                    ),
            );
        }
        Err(JsonPathError::Invalid { message }) => cx.push(
            Diagnostic::error(
                Code::InvalidJsonPath,
                path.span,
                format!("invalid JSONPath: {message}"),
            )
            .with_help("write an RFC 9535 query, like `$.items[0].sku` or `$.items[?@.stock > 0]`"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn parse(text: &str) -> (Assertion, Vec<Diagnostic>) {
        let source = Source::new(text);
        let mut cx = Cx::new(&source);
        let assertion = parse_assertion(&mut cx, Located::at(text, 0));
        (assertion, cx.diagnostics)
    }

    fn kind(text: &str) -> AssertionKind {
        let (assertion, diagnostics) = parse(text);
        assert!(diagnostics.is_empty(), "{text}: {diagnostics:?}");
        assertion.kind
    }

    fn check(text: &str) -> (SubjectKind, Predicate) {
        match kind(text) {
            AssertionKind::Check { subject, predicate } => (subject.kind, predicate),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn status_comparisons() {
        let (subject, predicate) = check("status == 201");
        assert!(matches!(
            subject,
            SubjectKind::Response {
                label: None,
                part: ResponsePart::Status
            }
        ));
        let Predicate::Compare {
            op: CmpOp::Eq,
            value,
        } = predicate
        else {
            panic!()
        };
        assert!(
            matches!(value.kind, OperandKind::Value(v) if v.to_json() == Some(serde_json::json!(201)))
        );
        let (_, predicate) = check("status == 4xx");
        assert!(matches!(
            predicate,
            Predicate::Compare {
                value: Operand {
                    kind: OperandKind::StatusClass(4),
                    ..
                },
                ..
            }
        ));
        let (_, predicate) = check("status in [200, 201]");
        assert!(matches!(predicate, Predicate::In { values } if values.len() == 2));
    }

    #[test]
    fn body_paths_and_types() {
        let (subject, predicate) = check(r#"body.items[0]["odd key"].sku is uuid"#);
        let SubjectKind::Response {
            part: ResponsePart::Body(path),
            ..
        } = subject
        else {
            panic!()
        };
        assert_eq!(
            path,
            [
                PathSegment::Key("items".into()),
                PathSegment::Index(0),
                PathSegment::Key("odd key".into()),
                PathSegment::Key("sku".into())
            ]
        );
        assert!(
            matches!(predicate, Predicate::Is { type_name } if type_name.value == ValueType::Uuid)
        );
    }

    #[test]
    fn jsonpath_runs_to_the_first_space_outside_brackets() {
        let (subject, predicate) = check("$.items[?@.stock > 0].sku contains \"SKU-1\"");
        let SubjectKind::Response {
            part: ResponsePart::JsonPath(path),
            ..
        } = subject
        else {
            panic!()
        };
        assert_eq!(path.value, "$.items[?@.stock > 0].sku");
        assert!(matches!(
            predicate,
            Predicate::Contains { negated: false, .. }
        ));
    }

    #[test]
    fn rows_and_row() {
        let (subject, predicate) = check(
            r#"row reservations where id = {{body.id}} and sku = "A" has status = "confirmed", quantity = 2"#,
        );
        let SubjectKind::Row { table, conditions } = subject else {
            panic!()
        };
        assert_eq!(table.value, "reservations");
        assert_eq!(conditions.len(), 2);
        assert!(
            matches!(&conditions[0].value.kind, OperandKind::Value(Value { kind: ValueKind::Var(v), .. }) if v.name == "body.id")
        );
        let Predicate::Has { columns } = predicate else {
            panic!()
        };
        assert_eq!(
            columns
                .iter()
                .map(|c| c.column.value.as_str())
                .collect::<Vec<_>>(),
            ["status", "quantity"]
        );
        let (subject, predicate) = check(r#"rows reservations where sku = "SKU-LAST" count == 1"#);
        assert!(matches!(subject, SubjectKind::Rows { .. }));
        assert!(matches!(predicate, Predicate::Count { op: CmpOp::Eq, .. }));
        let (_, predicate) = check("row `order` where id = 1 not exists");
        assert_eq!(predicate, Predicate::NotExists);
    }

    #[test]
    fn mocks() {
        let (subject, predicate) = check(r#"mock payments POST /charges received {"amount": 200}"#);
        let SubjectKind::Mock {
            mock,
            route: Some(route),
        } = subject
        else {
            panic!()
        };
        assert_eq!(
            (
                mock.value.as_str(),
                route.method.value.as_str(),
                route.path.value.as_str()
            ),
            ("payments", "POST", "/charges")
        );
        assert!(
            matches!(predicate, Predicate::Received { body } if body.to_json() == Some(serde_json::json!({"amount": 200})))
        );
        let (subject, _) = check("mock payments calls == 0");
        assert!(matches!(
            subject,
            SubjectKind::MockCalls { route: None, .. }
        ));
    }

    #[test]
    fn messages() {
        let topic_of = |text: &str| match check(text) {
            (SubjectKind::Message { broker, topic, .. }, Predicate::Received { body }) => (
                broker.value,
                topic.map(|t| t.value),
                body.to_json().unwrap_or_default(),
            ),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            topic_of(r#"message events received {"order_id": 7}"#),
            ("events".into(), None, serde_json::json!({"order_id": 7}))
        );
        assert_eq!(
            topic_of(r#"message events order.* received {"order_id": 7}"#).1,
            Some("order.*".into())
        );
        assert_eq!(
            topic_of(r#"message cache "events:a b" received {}"#).1,
            Some("events:a b".into())
        );
        assert_eq!(
            topic_of(r#"message devices devices/+/status received {}"#).1,
            Some("devices/+/status".into())
        );
        let (subject, predicate) =
            check(r#"message bus orders.* header content-type == "application/json""#);
        assert!(
            matches!(&subject, SubjectKind::Message { topic: Some(topic), header: Some(header), .. } if topic.value == "orders.*" && header.value == "content-type"),
            "{subject:?}"
        );
        assert!(matches!(
            predicate,
            Predicate::Compare { op: CmpOp::Eq, .. }
        ));
        assert!(matches!(
            check("message bus header type == \"x\"").0,
            SubjectKind::Message {
                topic: None,
                header: Some(_),
                ..
            }
        ));
        let (subject, predicate) = check("messages bus orders.> count >= 2");
        assert!(
            matches!(&subject, SubjectKind::Messages { broker, topic: Some(topic) } if broker.value == "bus" && topic.value == "orders.>"),
            "{subject:?}"
        );
        assert!(matches!(predicate, Predicate::Count { op: CmpOp::Ge, .. }));
        assert!(matches!(
            check("messages bus count == 0").0,
            SubjectKind::Messages { topic: None, .. }
        ));
        for (text, broker, topic) in [
            ("no messages", None, None),
            ("no messages on events", Some("events"), None),
            (
                "no messages on events order.created",
                Some("events"),
                Some("order.created"),
            ),
        ] {
            let AssertionKind::NoMessages {
                broker: b,
                topic: t,
            } = kind(text)
            else {
                panic!("{text}")
            };
            assert_eq!(
                (b.map(|b| b.value), t.map(|t| t.value)),
                (broker.map(String::from), topic.map(String::from)),
                "{text}"
            );
        }
        // A messages subject counts; a message subject receives.
        for wrong in [
            "message events count == 1",
            "messages events received {}",
            "message received {}",
            "no messages on",
            "message events header type != \"x\"",
            "message events header type received {}",
        ] {
            assert!(
                matches!(parse(wrong).0.kind, AssertionKind::Prose { .. }),
                "{wrong}"
            );
        }
    }

    #[test]
    fn within_waits_for_any_assertion() {
        let (assertion, diagnostics) = parse("within 5s: row shipments where order_id = 7 exists");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(assertion.within, Some(5_000));
        assert!(matches!(assertion.kind, AssertionKind::Check { .. }));
        assert_eq!(
            assertion.text,
            "within 5s: row shipments where order_id = 7 exists"
        );
        let (assertion, _) = parse("WITHIN 250ms:no messages");
        assert_eq!(assertion.within, Some(250));
        assert!(matches!(assertion.kind, AssertionKind::NoMessages { .. }));
        assert_eq!(parse("status == 201").0.within, None);
        for wrong in [
            "within 5s row t where a = 1 exists",
            "within soon: status == 201",
            "within 0s: status == 201",
            "within 5s:",
            "within 11m: status == 201",
        ] {
            let (assertion, diagnostics) = parse(wrong);
            assert!(
                matches!(assertion.kind, AssertionKind::Prose { .. }),
                "{wrong}"
            );
            assert_eq!(
                diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
                [Code::InvalidWithin],
                "{wrong}"
            );
        }
        // A phrase is judged once: waiting for it would check nothing more.
        for phrase in ["database unchanged", "no side effects", "no mock calls"] {
            let (assertion, diagnostics) = parse(&format!("within 5s: {phrase}"));
            assert!(
                matches!(assertion.kind, AssertionKind::Prose { .. }),
                "{phrase}"
            );
            assert_eq!(diagnostics.len(), 1, "{phrase}");
            assert_eq!(diagnostics[0].code, Code::InvalidWithin, "{phrase}");
        }
        // The wrapped line is still checked as a line of its own: prose in
        // it is prose.
        let (assertion, _) = parse("within 2s: the order shows up");
        assert!(matches!(assertion.kind, AssertionKind::Prose { .. }));
    }

    #[test]
    fn concurrency_subjects() {
        let (subject, predicate) = check("statuses == [201, 409] in any order");
        assert_eq!(subject, SubjectKind::Statuses);
        assert!(matches!(predicate, Predicate::InAnyOrder { values } if values.len() == 2));
        let (subject, _) = check("count(status == 201) == 1");
        assert!(matches!(
            subject,
            SubjectKind::CountStatus { op: CmpOp::Eq, .. }
        ));
        let (subject, _) = check("B3.body.article.slug exists");
        let SubjectKind::Response {
            label: Some(label),
            part: ResponsePart::Body(path),
        } = subject
        else {
            panic!()
        };
        assert_eq!(label.value, "B3");
        assert_eq!(path.len(), 2);
    }

    #[test]
    fn phrases_and_calls() {
        assert_eq!(
            kind("database unchanged"),
            AssertionKind::Phrase {
                phrase: Phrase::DatabaseUnchanged
            }
        );
        assert_eq!(
            kind("No Side Effects"),
            AssertionKind::Phrase {
                phrase: Phrase::NoSideEffects
            }
        );
        assert!(
            matches!(kind("table inventory unchanged"), AssertionKind::Phrase { phrase: Phrase::TableUnchanged(t) } if t.value == "inventory")
        );
        let AssertionKind::Call { name, args } =
            kind("assert_reservation_created(reservation_request)")
        else {
            panic!()
        };
        assert_eq!(name.value, "assert_reservation_created");
        assert!(matches!(&args[0].kind, OperandKind::Name(n) if n == "reservation_request"));
    }

    #[test]
    fn code_spans_are_unwrapped() {
        assert!(matches!(
            kind("`duration < 500ms`"),
            AssertionKind::Check { .. }
        ));
    }

    #[test]
    fn prose_gets_a_hint_and_a_warning() {
        let (assertion, diagnostics) = parse("staus == 200");
        assert_eq!(
            assertion.kind,
            AssertionKind::Prose {
                hint: Some("status == 200".to_string())
            }
        );
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::ProseAssertion);
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `status == 200`?")
        );
    }

    #[test]
    fn predicates_must_fit_their_subject() {
        let (assertion, _) = parse("status has a = 1");
        assert!(matches!(assertion.kind, AssertionKind::Prose { .. }));
        let (assertion, _) = parse("row t where id = 1 == 2");
        assert!(matches!(assertion.kind, AssertionKind::Prose { .. }));
    }

    #[test]
    fn invalid_regex_and_jsonpath_are_errors() {
        let (_, diagnostics) = parse(r#"body.name matches "([a-z""#);
        assert_eq!(diagnostics[0].code, Code::InvalidRegex);
        let (_, diagnostics) = parse("$.a[?@.b ==] exists");
        assert_eq!(diagnostics[0].code, Code::InvalidJsonPath);
    }

    #[test]
    fn template_slots_are_not_prose() {
        let (assertion, diagnostics) = parse("{{specific_assertion}}");
        assert!(matches!(assertion.kind, AssertionKind::Prose { .. }));
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn invalid_json_in_a_line_is_a_json_error() {
        let (_, diagnostics) = parse(r#"body == {"a": 1,}"#);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::InvalidJson);
        assert_eq!(diagnostics[0].span.col, 16);
    }
}
