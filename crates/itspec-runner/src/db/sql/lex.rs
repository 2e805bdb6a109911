//! The lexical regions of a SQL statement: the code itself, and the places
//! where a `{{variable}}` or a `$1` is text, not syntax — string literals,
//! quoted identifiers, dollar-quoted strings and comments.
//!
//! This is not a SQL parser: it only finds where each region starts and
//! ends, as the database's own lexer would, so that placeholders are
//! written and rewritten in code only. An unterminated region runs to the
//! end of the statement (the database reports the error).

use std::ops::Range;

/// The databases whose quoting differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `E'…'` escapes, `$tag$…$tag$`, nested `/* */`.
    Postgres,
    /// `"…"` and `'…'` are strings with backslash escapes; `#` comments.
    MySql,
    /// `"…"`, `` `…` `` and `[…]` identifiers.
    Sqlite,
}

/// What a region of a statement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Region {
    /// SQL: keywords, names, operators, placeholders.
    Code,
    /// A string literal, quotes (and an `E` prefix) included.
    Literal,
    /// A quoted identifier.
    Identifier,
    /// A dollar-quoted string (PostgreSQL), its tags included.
    DollarQuoted,
    /// A comment.
    Comment,
}

/// The regions of `sql`, in order, covering it whole.
pub(crate) fn regions(sql: &str, dialect: Dialect) -> Vec<(Region, Range<usize>)> {
    let bytes = sql.as_bytes();
    let mut out: Vec<(Region, Range<usize>)> = Vec::new();
    let mut code_start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let found = match b {
            b'\'' => {
                let escapes = dialect == Dialect::MySql || escape_prefix(bytes, i);
                let start = if escapes && dialect == Dialect::Postgres {
                    i - 1
                } else {
                    i
                };
                Some((Region::Literal, start, quoted_end(bytes, i, b'\'', escapes)))
            }
            b'"' if dialect == Dialect::MySql => {
                Some((Region::Literal, i, quoted_end(bytes, i, b'"', true)))
            }
            b'"' => Some((Region::Identifier, i, quoted_end(bytes, i, b'"', false))),
            b'`' if dialect != Dialect::Postgres => {
                Some((Region::Identifier, i, quoted_end(bytes, i, b'`', false)))
            }
            b'[' if dialect == Dialect::Sqlite => Some((
                Region::Identifier,
                i,
                find_from(bytes, i + 1, b"]").map_or(bytes.len(), |at| at + 1),
            )),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                Some((Region::Comment, i, line_end(bytes, i)))
            }
            b'#' if dialect == Dialect::MySql => Some((Region::Comment, i, line_end(bytes, i))),
            b'/' if bytes.get(i + 1) == Some(&b'*') => Some((
                Region::Comment,
                i,
                block_comment_end(bytes, i, dialect == Dialect::Postgres),
            )),
            b'$' if dialect == Dialect::Postgres && !follows_identifier(bytes, i) => {
                dollar_tag(bytes, i).map(|tag| {
                    let end = find_from(bytes, i + tag.len(), tag)
                        .map_or(bytes.len(), |at| at + tag.len());
                    (Region::DollarQuoted, i, end)
                })
            }
            _ => None,
        };
        match found {
            Some((region, start, end)) => {
                if start > code_start {
                    out.push((Region::Code, code_start..start));
                }
                out.push((region, start..end));
                code_start = end;
                i = end;
            }
            None => i += 1,
        }
    }
    if code_start < bytes.len() {
        out.push((Region::Code, code_start..bytes.len()));
    }
    out
}

/// Whether the quote at `i` opens a PostgreSQL `E'…'` string: an `E` that
/// is not the end of a longer name.
fn escape_prefix(bytes: &[u8], i: usize) -> bool {
    let Some(before) = i.checked_sub(1) else {
        return false;
    };
    matches!(bytes.get(before), Some(b'E' | b'e')) && !follows_identifier(bytes, before)
}

/// Whether the byte before `i` continues a name (`a$1` is one name in
/// PostgreSQL, and `name'` is no `E` prefix).
fn follows_identifier(bytes: &[u8], i: usize) -> bool {
    i.checked_sub(1)
        .and_then(|before| bytes.get(before))
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80)
}

/// The end of a region quoted by `quote` that opens at `open`: a doubled
/// quote is an escaped one, and so is a backslashed one when `escapes`.
fn quoted_end(bytes: &[u8], open: usize, quote: u8, escapes: bool) -> usize {
    let mut i = open + 1;
    while let Some(&b) = bytes.get(i) {
        if escapes && b == b'\\' {
            i += 2;
        } else if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    find_from(bytes, from, b"\n").unwrap_or(bytes.len())
}

/// The end of a `/* … */` comment; PostgreSQL's nest.
fn block_comment_end(bytes: &[u8], open: usize, nested: bool) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        if bytes.get(i..i + 2) == Some(b"/*") && (nested || depth == 0) {
            depth += 1;
            i += 2;
        } else if bytes.get(i..i + 2) == Some(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// `$$` or `$tag$` at `i` (a tag is a name, not a number: `$1` is a
/// placeholder).
fn dollar_tag(bytes: &[u8], i: usize) -> Option<&[u8]> {
    let rest = bytes.get(i + 1..)?;
    let len = rest.iter().position(|&b| b == b'$')?;
    let tag = rest.get(..len)?;
    let valid = tag
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
        && !tag.first().is_some_and(u8::is_ascii_digit);
    valid.then(|| bytes.get(i..i + len + 2)).flatten()
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let haystack = bytes.get(from..)?;
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str, dialect: Dialect) -> Vec<(Region, &str)> {
        regions(sql, dialect)
            .into_iter()
            .map(|(region, range)| (region, &sql[range]))
            .collect()
    }

    #[test]
    fn postgres_literals_identifiers_dollar_quotes_and_comments() {
        use Region::*;
        assert_eq!(
            kinds(
                "SELECT 'it''s $1', E'a\\'b $2', \"col $3\", $$ $4 $$, $f$ $5 $f$ -- $6\n/* a /* $7 */ b */ $8",
                Dialect::Postgres
            ),
            [
                (Code, "SELECT "),
                (Literal, "'it''s $1'"),
                (Code, ", "),
                (Literal, "E'a\\'b $2'"),
                (Code, ", "),
                (Identifier, "\"col $3\""),
                (Code, ", "),
                (DollarQuoted, "$$ $4 $$"),
                (Code, ", "),
                (DollarQuoted, "$f$ $5 $f$"),
                (Code, " "),
                (Comment, "-- $6"),
                (Code, "\n"),
                (Comment, "/* a /* $7 */ b */"),
                (Code, " $8"),
            ]
        );
    }

    #[test]
    fn a_placeholder_is_not_a_dollar_tag() {
        assert_eq!(
            kinds("SELECT $1, $2", Dialect::Postgres),
            [(Region::Code, "SELECT $1, $2")]
        );
        // `name'` has no E prefix, and `a$b$` is one name.
        assert_eq!(
            kinds("SELECT a$b$ FROM t WHERE name='x\\'", Dialect::Postgres),
            [
                (Region::Code, "SELECT a$b$ FROM t WHERE name="),
                (Region::Literal, "'x\\'"),
            ]
        );
    }

    #[test]
    fn mysql_strings_escape_with_backslashes() {
        use Region::*;
        assert_eq!(
            kinds(
                "SELECT 'a\\'b', \"c\\\"d\", `e` # note\nFROM t",
                Dialect::MySql
            ),
            [
                (Code, "SELECT "),
                (Literal, "'a\\'b'"),
                (Code, ", "),
                (Literal, "\"c\\\"d\""),
                (Code, ", "),
                (Identifier, "`e`"),
                (Code, " "),
                (Comment, "# note"),
                (Code, "\nFROM t"),
            ]
        );
    }

    #[test]
    fn unterminated_regions_run_to_the_end() {
        assert_eq!(
            kinds("SELECT 'open", Dialect::Sqlite),
            [(Region::Code, "SELECT "), (Region::Literal, "'open")]
        );
        assert_eq!(
            kinds("x /* open", Dialect::Postgres),
            [(Region::Code, "x "), (Region::Comment, "/* open")]
        );
    }
}
