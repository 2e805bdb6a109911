//! "Did you mean": the nearest grammatical form of a prose assertion.
//!
//! Tries small rewrites of the line — a misspelt keyword, `=` for `==`, an
//! unquoted string, a familiar English phrasing — and offers the first one
//! that parses.

use super::assertion::try_parse;
use crate::source::Source;

const KEYWORDS: &[&str] = &[
    "status",
    "statuses",
    "header",
    "body",
    "duration",
    "row",
    "rows",
    "where",
    "and",
    "has",
    "count",
    "sql",
    "mock",
    "calls",
    "received",
    "contains",
    "matches",
    "exists",
    "not",
    "is",
    "in",
    "any",
    "order",
    "database",
    "unchanged",
    "table",
    "no",
    "side",
    "effects",
    "race",
    "conditions",
    "email",
    "emails",
    "subject",
    "attachment",
];

/// The nearest line that parses, if one is close.
pub(crate) fn nearest_form(source: &Source<'_>, line: &str) -> Option<String> {
    let parses = |candidate: &str| try_parse(source, candidate).is_some();
    let respelt = respell(line);
    let operators = fix_operators(&respelt);
    for candidate in [
        respelt.clone(),
        operators.clone(),
        quote_value(&respelt),
        quote_value(&operators),
    ] {
        if candidate != line && parses(&candidate) {
            return Some(candidate);
        }
    }
    phrasing(line).filter(|candidate| parses(candidate))
}

/// Replaces words that are close to a keyword ([`crate::suggest`]). Quoted
/// text, `{{variables}}` and path keys (`body.stock`) are left alone.
fn respell(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut word = String::new();
    let mut quoted = false;
    let mut braces = false;
    let mut word_may_be_keyword = true;
    let mut previous = ' ';
    for c in line.chars() {
        if quoted || braces {
            out.push(c);
            if quoted && c == '"' {
                quoted = false;
            }
            if braces && c == '}' && previous == '}' {
                braces = false;
            }
            previous = c;
            continue;
        }
        if c.is_ascii_alphabetic() {
            if word.is_empty() {
                word_may_be_keyword = matches!(previous, ' ' | '(' | '\t');
            }
            word.push(c);
            previous = c;
            continue;
        }
        let keep_word = c == '_' || c.is_ascii_digit() || !word_may_be_keyword;
        out.push_str(if keep_word {
            &word
        } else {
            nearest_keyword(&word).unwrap_or(&word)
        });
        word.clear();
        quoted = c == '"';
        braces = c == '{' && previous == '{';
        out.push(c);
        previous = c;
    }
    out.push_str(if word_may_be_keyword {
        nearest_keyword(&word).unwrap_or(&word)
    } else {
        &word
    });
    out
}

fn nearest_keyword(word: &str) -> Option<&'static str> {
    if word.len() < 3 || KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
        return None;
    }
    crate::suggest::nearest(word, KEYWORDS.iter().copied())
}

/// `=`, `is`, `equals`, `should be` → `==` between a subject and a value.
fn fix_operators(line: &str) -> String {
    let mut out = line.to_string();
    for (from, to) in [
        (" should equal ", " == "),
        (" should be ", " == "),
        (" equals ", " == "),
        (" is equal to ", " == "),
        (" = ", " == "),
    ] {
        if let Some(at) = out.find(from) {
            out.replace_range(at..at + from.len(), to);
            return out;
        }
    }
    if let Some(at) = out.find(" is ") {
        let after = out.get(at + 4..).unwrap_or("");
        if after.starts_with(|c: char| c.is_ascii_digit() || c == '"' || c == '-') {
            out.replace_range(at..at + 4, " == ");
        }
    }
    out
}

/// `header X == application/json` → `header X == "application/json"`.
fn quote_value(line: &str) -> String {
    for op in [" == ", " != ", " contains ", " matches "] {
        if let Some(at) = line.find(op) {
            let value = line.get(at + op.len()..).unwrap_or("").trim();
            if !value.is_empty() && !value.starts_with(['"', '{', '[']) {
                let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
                return format!("{}{op}\"{escaped}\"", line.get(..at).unwrap_or(""));
            }
        }
    }
    line.to_string()
}

/// Familiar English phrasings of common assertions.
fn phrasing(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let has = |word: &str| lower.contains(word);
    if has("race") {
        return Some("no race conditions".to_string());
    }
    if has("side effect") {
        return Some("no side effects".to_string());
    }
    if (has("database") || has(" db") || lower.starts_with("db"))
        && (has("unchanged") || has("not change") || has("no change"))
    {
        return Some("database unchanged".to_string());
    }
    if has("mock") && (has("not called") || has("no call")) {
        return Some("no mock calls".to_string());
    }
    // English about e-mail; a line that starts like the grammar's own
    // `email …` is left to the respelling above.
    if has("mail") && !lower.trim_start().starts_with("email") {
        if lower.starts_with("no ") || has("not sent") || has("no e") {
            return Some("no emails".to_string());
        }
        let address = line
            .split(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '`' | '<' | '>' | ',' | '(' | ')')
            })
            .find(|word| word.contains('@'))
            .map(|word| word.trim_end_matches('.'));
        return Some(match address {
            Some(address) => format!("email to \"{address}\" received"),
            None => "email received".to_string(),
        });
    }
    if has("status") || has("return") || has("respond") || has("code") {
        let code = lower
            .split(|c: char| !c.is_ascii_digit())
            .find(|digits| digits.len() == 3 && digits.starts_with(['1', '2', '3', '4', '5']))?;
        return Some(format!("status == {code}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(line: &str) -> Option<String> {
        nearest_form(&Source::new(line), line)
    }

    #[test]
    fn email_phrasings() {
        assert_eq!(
            hint("A confirmation email is sent to ana@example.com.").as_deref(),
            Some("email to \"ana@example.com\" received")
        );
        assert_eq!(hint("No e-mail is sent").as_deref(), Some("no emails"));
        assert_eq!(
            hint("emial to \"a@b.c\" received").as_deref(),
            Some("email to \"a@b.c\" received")
        );
    }

    #[test]
    fn misspelt_keywords() {
        assert_eq!(hint("staus == 200").as_deref(), Some("status == 200"));
        assert_eq!(
            hint("databse unchanged").as_deref(),
            Some("database unchanged")
        );
        assert_eq!(
            hint("row inventory wher sku = \"A\" has stock = 3").as_deref(),
            Some("row inventory where sku = \"A\" has stock = 3")
        );
    }

    #[test]
    fn operators_and_quotes() {
        assert_eq!(hint("status = 201").as_deref(), Some("status == 201"));
        assert_eq!(hint("staus is 404").as_deref(), Some("status == 404"));
        assert_eq!(
            hint("header Content-Type == application/json").as_deref(),
            Some("header Content-Type == \"application/json\"")
        );
    }

    #[test]
    fn english() {
        assert_eq!(
            hint("Returns 201 Created").as_deref(),
            Some("status == 201")
        );
        assert_eq!(
            hint("The database is not changed").as_deref(),
            Some("database unchanged")
        );
        assert_eq!(
            hint("Exactly one request wins, no race condition").as_deref(),
            Some("no race conditions")
        );
        assert_eq!(hint("the moon is made of cheese"), None);
    }
}
