//! SQL written in specs (`sql "…"` setup lines and subjects, SQL fixture
//! blocks): `{{variables}}` become bound parameters, never text in the SQL.
//!
//! Placeholders are written, and on PostgreSQL rewritten with their casts,
//! in the statement's code only: a `$1` or a `{{x}}` inside a comment, a
//! quoted identifier or a dollar-quoted string is left as written
//! ([`lex`] finds those regions).

pub(super) mod lex;

use self::lex::{Dialect as Lexer, Region, regions};
use super::{Database, DbError, Param};
use crate::vars::{Scope, VarError, interpolate_text, to_text};
use serde_json::Value;

/// A statement whose variables became parameters.
struct Bound {
    /// The SQL with placeholders.
    sql: String,
    /// The values, in order.
    values: Vec<Value>,
}

/// Replaces every `{{x}}` in the statement's code, and every string
/// literal that holds a `{{…}}`, by a placeholder bound to the value.
fn bind(db: &Database, sql: &str, scope: &Scope) -> Result<Bound, VarError> {
    let mut out = String::with_capacity(sql.len());
    let mut values = Vec::new();
    for (region, range) in regions(sql, db.dialect().lexer()) {
        let text = sql.get(range).unwrap_or("");
        match region {
            Region::Code => bind_code(db, text, scope, &mut out, &mut values)?,
            Region::Literal if text.contains("{{") => {
                values.push(Value::String(interpolate_text(&literal_text(text), scope)?));
                out.push_str(&db.placeholder(values.len()));
            }
            _ => out.push_str(text),
        }
    }
    Ok(Bound { sql: out, values })
}

/// The text of a string literal: its quotes (and prefix) off, a doubled
/// quote made one.
fn literal_text(literal: &str) -> String {
    let body = literal.trim_start_matches(['E', 'e']);
    let quote = body.chars().next().unwrap_or('\'');
    let inner = body
        .get(1..body.len().saturating_sub(1).max(1))
        .unwrap_or("");
    let doubled = format!("{quote}{quote}");
    inner.replace(&doubled, &quote.to_string())
}

/// Code: each `{{x}}` becomes a placeholder bound to x's value.
fn bind_code(
    db: &Database,
    code: &str,
    scope: &Scope,
    out: &mut String,
    values: &mut Vec<Value>,
) -> Result<(), VarError> {
    let mut rest = code;
    while let Some(at) = rest.find("{{") {
        out.push_str(rest.get(..at).unwrap_or(""));
        rest = rest.get(at..).unwrap_or("");
        let found = itspec_spec::interpolation::find(rest);
        match found.first().filter(|f| f.start == 0 && f.terminated) {
            Some(variable) => {
                values.push(scope.lookup(variable.name(rest))?);
                out.push_str(&db.placeholder(values.len()));
                rest = rest.get(variable.end..).unwrap_or("");
            }
            None => {
                out.push_str("{{");
                rest = rest.get(2..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    Ok(())
}

/// Rewrites each PostgreSQL placeholder `$N` in the code of `sql` (never
/// inside a literal, identifier, dollar-quoted string or comment) as
/// `rewrite(N)` gives it; `None` keeps it as it is.
pub(super) fn rewrite_placeholders(sql: &str, rewrite: impl Fn(usize) -> Option<String>) -> String {
    let mut out = String::with_capacity(sql.len());
    for (region, range) in regions(sql, Lexer::Postgres) {
        let text = sql.get(range).unwrap_or("");
        if region != Region::Code {
            out.push_str(text);
            continue;
        }
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(rest.get(..at).unwrap_or(""));
            let after = rest.get(at + 1..).unwrap_or("");
            let digits = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            // `a$1` is a name, not a placeholder.
            let in_name = out
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            let replaced = after
                .get(..digits)
                .filter(|d| !d.is_empty() && !in_name)
                .and_then(|d| d.parse::<usize>().ok())
                .and_then(&rewrite);
            match replaced {
                Some(replacement) => {
                    out.push_str(&replacement);
                    rest = after.get(digits..).unwrap_or("");
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
    }
    out
}

/// Parameters for MySQL and SQLite, which convert text as needed.
pub(super) fn params(values: &[Value]) -> Vec<Param> {
    values
        .iter()
        .map(|value| match value {
            Value::Null => Param::Null,
            Value::Bool(b) => Param::Int(i64::from(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Param::Int(i),
                None => Param::Float(n.as_f64().unwrap_or(0.0)),
            },
            other => Param::Text(to_text(other)),
        })
        .collect()
}

async fn statement(
    db: &Database,
    sql: &str,
    scope: &Scope,
) -> Result<(String, Vec<Param>), DbError> {
    let bound = bind(db, sql, scope)
        .map_err(|e| DbError::new(format!("variable `{{{{{}}}}}`: {}", e.name, e.message)))?;
    db.dialect().bind_values(db, bound.sql, bound.values).await
}

/// Runs one or more statements (separated by `;`); the rows changed.
pub async fn run_statement(db: &Database, sql: &str, scope: &Scope) -> Result<u64, DbError> {
    let mut changed = 0;
    for part in split_statements(sql) {
        let (sql, params) = statement(db, &part, scope).await?;
        changed += db.execute(&sql, &params).await?;
    }
    Ok(changed)
}

/// The first column of the first row of a query (`None` without rows).
pub async fn first_value(
    db: &Database,
    sql: &str,
    scope: &Scope,
) -> Result<Option<Value>, DbError> {
    let sql = sql.trim().trim_end_matches(';');
    let (sql, params) = statement(db, sql, scope).await?;
    if let Some(wrapped) = db.dialect().first_row_as_json(&sql) {
        let Some(raw) = db.fetch_first(&wrapped, &params).await? else {
            return Ok(None);
        };
        let object: serde_json::Map<String, Value> = serde_json::from_str(&raw)
            .map_err(|e| DbError::new(format!("the result is not JSON: {e}")))?;
        return Ok(object.into_iter().next().map(|(_, v)| v));
    }
    let rows = db.fetch_text(&sql, &params).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .map(|value| match value {
            None => Value::Null,
            Some(text) => serde_json::from_str::<Value>(&text)
                .ok()
                .filter(|v| v.is_number())
                .unwrap_or(Value::String(text)),
        }))
}

/// Runs a script of statements as written (a schema file): no variables.
/// On failure, says which statement (from 1) failed.
pub async fn apply_script(db: &Database, script: &str) -> Result<usize, DbError> {
    let statements = split_statements(script);
    for (i, statement) in statements.iter().enumerate() {
        db.execute(statement, &[]).await.map_err(|e| {
            DbError::new(format!(
                "statement {} (`{}`) failed: {e}",
                i + 1,
                first_line(statement)
            ))
        })?;
    }
    Ok(statements.len())
}

fn first_line(statement: &str) -> String {
    let line = statement.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}...", line.chars().take(57).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Splits SQL at `;` outside quotes (`'…'`, `"…"`, `` `…` ``, PostgreSQL
/// `$tag$…$tag$`) and comments (`-- …`, `/* … */`), which are dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut rest = sql;
    let mut flush = |current: &mut String| {
        if !current.trim().is_empty() {
            statements.push(current.trim().to_string());
        }
        current.clear();
    };
    while let Some(c) = rest.chars().next() {
        let (taken, keep) = if matches!(c, '\'' | '"' | '`') {
            let close = rest
                .get(1..)
                .and_then(|r| r.find(c))
                .map_or(rest.len(), |i| i + 2);
            (close, true)
        } else if rest.starts_with("--") {
            (rest.find('\n').unwrap_or(rest.len()), false)
        } else if rest.starts_with("/*") {
            (rest.find("*/").map_or(rest.len(), |i| i + 2), false)
        } else if let Some(tag) = dollar_tag(rest) {
            let close = rest
                .get(tag.len()..)
                .and_then(|r| r.find(tag))
                .map_or(rest.len(), |i| i + 2 * tag.len());
            (close, true)
        } else if c == ';' {
            flush(&mut current);
            (1, false)
        } else {
            (c.len_utf8(), true)
        };
        if keep {
            current.push_str(rest.get(..taken).unwrap_or(rest));
        } else if taken > 1 {
            current.push(' ');
        }
        rest = rest.get(taken..).unwrap_or("");
    }
    flush(&mut current);
    statements
}

/// `$$` or `$tag$` at the start of `text`.
fn dollar_tag(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('$')?;
    let end = inner.find('$')?;
    let tag = inner.get(..end)?;
    tag.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| text.get(..end + 2))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(n: usize) -> Option<String> {
        (n != 2).then(|| format!("CAST(${n}::text AS INT4)"))
    }

    #[test]
    fn placeholders_are_rewritten_in_code_only() {
        assert_eq!(
            rewrite_placeholders(
                "UPDATE t SET note = 'costs $1 each', \"$1\" = $1 -- $1\nWHERE a$1 = $1 /* $1 */ AND f = $$ $1 $$",
                cast
            ),
            "UPDATE t SET note = 'costs $1 each', \"$1\" = CAST($1::text AS INT4) -- $1\nWHERE a$1 = CAST($1::text AS INT4) /* $1 */ AND f = $$ $1 $$"
        );
    }

    #[test]
    fn a_placeholder_is_all_its_digits() {
        // `$1` is not the start of `$10` (the old rewrite made `$10` into
        // `CAST(CAST($1…)0…)`), and `$2` is kept when it needs no cast.
        let sql: String = (1..=11).map(|n| format!("${n},")).collect();
        assert_eq!(
            rewrite_placeholders(&sql, cast),
            (1..=11)
                .map(|n| match n {
                    2 => "$2,".to_string(),
                    n => format!("CAST(${n}::text AS INT4),"),
                })
                .collect::<String>()
        );
    }

    #[test]
    fn literal_text_unquotes() {
        assert_eq!(literal_text("'it''s {{x}}'"), "it's {{x}}");
        assert_eq!(literal_text("E'{{x}}'"), "{{x}}");
        assert_eq!(literal_text("\"a\"\"b\""), "a\"b");
    }

    #[test]
    fn statements_split_outside_quotes() {
        assert_eq!(
            split_statements("INSERT INTO t VALUES ('a;b'); -- a comment; here\nDELETE FROM t;\n"),
            ["INSERT INTO t VALUES ('a;b')", "DELETE FROM t"]
        );
        assert_eq!(
            split_statements(
                "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; /* x; y */ SELECT $1;"
            ),
            [
                "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
                "SELECT $1"
            ]
        );
        assert_eq!(
            split_statements("SELECT 'it''s; fine'"),
            ["SELECT 'it''s; fine'"]
        );
    }
}
