//! SQL written in specs (`sql "…"` setup lines and subjects, SQL fixture
//! blocks): `{{variables}}` become bound parameters, never text in the SQL.

use serde_json::Value;
use sqlx::{Executor as _, Statement as _};

use super::{Database, DbError, Kind, Param, Pool};
use crate::vars::{Scope, VarError, interpolate_text, to_text};

/// A statement whose variables became parameters.
struct Bound {
    /// The SQL with placeholders.
    sql: String,
    /// The values, in order.
    values: Vec<Value>,
}

/// Replaces every `{{x}}` outside quotes, and every quoted string that
/// holds a `{{…}}`, by a placeholder bound to the value.
fn bind(db: &Database, sql: &str, scope: &Scope) -> Result<Bound, VarError> {
    let mut out = String::with_capacity(sql.len());
    let mut values = Vec::new();
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            // A string literal: '' is an escaped quote.
            let mut end = 1;
            let bytes = rest.as_bytes();
            loop {
                match bytes.get(end) {
                    Some(b'\'') if bytes.get(end + 1) == Some(&b'\'') => end += 2,
                    Some(b'\'') => {
                        end += 1;
                        break;
                    }
                    Some(_) => end += 1,
                    None => break,
                }
            }
            let literal = rest.get(..end).unwrap_or(rest);
            if literal.contains("{{") {
                let inner = literal
                    .get(1..literal.len().saturating_sub(1))
                    .unwrap_or("")
                    .replace("''", "'");
                values.push(Value::String(interpolate_text(&inner, scope)?));
                out.push_str(&db.placeholder(values.len()));
            } else {
                out.push_str(literal);
            }
            rest = rest.get(end..).unwrap_or("");
        } else if rest.starts_with("{{") {
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
        } else {
            out.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
    }
    Ok(Bound { sql: out, values })
}

/// Parameters for MySQL and SQLite, which convert text as needed.
fn params(values: &[Value]) -> Vec<Param> {
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

/// For PostgreSQL, which types parameters strictly: every value goes as
/// text, cast in the SQL to the type the server infers for its place.
async fn postgres_statement(db: &Database, bound: &Bound) -> Result<(String, Vec<Param>), DbError> {
    let Pool::Postgres(pool) = &db.pool else {
        return Err(DbError("not a PostgreSQL database".to_string()));
    };
    let params: Vec<Param> = bound
        .values
        .iter()
        .map(|v| {
            if v.is_null() {
                Param::Null
            } else {
                Param::Text(to_text(v))
            }
        })
        .collect();
    if bound.values.is_empty() {
        return Ok((bound.sql.clone(), params));
    }
    let describe = pool
        .prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(
            bound.sql.clone(),
        )))
        .await?;
    let types: Vec<String> = match describe.parameters() {
        Some(sqlx::Either::Left(types)) => types
            .iter()
            .map(|t| sqlx::TypeInfo::name(t).to_string())
            .collect(),
        _ => Vec::new(),
    };
    let mut sql = bound.sql.clone();
    // Highest first, so `$1` does not match the start of `$10`.
    for (i, type_name) in types.iter().enumerate().rev() {
        let n = i + 1;
        let safe = type_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']' | ' '));
        if safe && !type_name.eq_ignore_ascii_case("text") {
            sql = sql.replace(
                &format!("${n}"),
                &format!("CAST(${n}::text AS {type_name})"),
            );
        }
    }
    Ok((sql, params))
}

async fn statement(
    db: &Database,
    sql: &str,
    scope: &Scope,
) -> Result<(String, Vec<Param>), DbError> {
    let bound = bind(db, sql, scope)
        .map_err(|e| DbError(format!("variable `{{{{{}}}}}`: {}", e.name, e.message)))?;
    match db.kind {
        Kind::Postgres => postgres_statement(db, &bound).await,
        _ => Ok((bound.sql, params(&bound.values))),
    }
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
    if db.kind == Kind::Postgres {
        let wrapped = format!("SELECT row_to_json(q)::text FROM ({sql}) AS q LIMIT 1");
        let Some(raw) = db.fetch_first(&wrapped, &params).await? else {
            return Ok(None);
        };
        let object: serde_json::Map<String, Value> = serde_json::from_str(&raw)
            .map_err(|e| DbError(format!("the result is not JSON: {e}")))?;
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
            DbError(format!(
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
