//! Database values against expected values, by type (FORMAT §4): numbers
//! by value, booleans from 0/1, JSON columns as JSON, timestamps as
//! instants, UUIDs without regard to case.

use std::cmp::Ordering;

use itspec_spec::model::CmpOp;
use itspec_spec::value_type::is_uuid;
use serde_json::Value;

use super::values::{equal, order};

/// A date-time in any of the forms databases write: RFC 3339, or
/// `YYYY-MM-DD HH:MM:SS[.f]` (read as UTC).
fn instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&chrono::Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%#z"] {
        if let Ok(at) = chrono::DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&chrono::Utc));
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    None
}

/// Whether a value read from the database equals an expected value.
pub fn db_equal(actual: &Value, expected: &Value) -> bool {
    if equal(actual, expected) {
        return true;
    }
    match (actual, expected) {
        (Value::Number(n), Value::Bool(b)) => n.as_i64() == Some(i64::from(*b)),
        (Value::Bool(b), Value::Number(n)) => n.as_i64() == Some(i64::from(*b)),
        (Value::String(text), Value::Bool(b)) => matches!(
            (text.as_str(), b),
            ("t" | "true" | "1", true) | ("f" | "false" | "0", false)
        ),
        (Value::String(text), Value::Number(_)) => text
            .trim()
            .parse::<serde_json::Number>()
            .is_ok_and(|n| equal(&Value::Number(n), expected)),
        (Value::Number(_), Value::String(text)) => text
            .trim()
            .parse::<serde_json::Number>()
            .is_ok_and(|n| equal(actual, &Value::Number(n))),
        (Value::String(text), Value::Object(_) | Value::Array(_)) => {
            serde_json::from_str::<Value>(text).is_ok_and(|parsed| equal(&parsed, expected))
        }
        (Value::String(a), Value::String(e)) => {
            if a.eq_ignore_ascii_case(e) && is_uuid(a) {
                return true;
            }
            match (instant(a), instant(e)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        _ => false,
    }
}

/// A number written as text (`"12.50"` from a NUMERIC column) as a number.
fn numeric(value: &Value) -> Option<Value> {
    match value {
        Value::Number(_) => Some(value.clone()),
        Value::String(text) => text
            .trim()
            .parse::<serde_json::Number>()
            .ok()
            .map(Value::Number),
        _ => None,
    }
}

/// The order of a database value and an expected value: numbers by value
/// (numeric text included), date-times as instants, text as text.
pub fn db_order(actual: &Value, expected: &Value) -> Option<Ordering> {
    if let (Some(a), Some(e)) = (numeric(actual), numeric(expected)) {
        return order(&a, &e);
    }
    if let (Value::String(a), Value::String(e)) = (actual, expected)
        && let (Some(x), Some(y)) = (instant(a), instant(e))
    {
        return Some(x.cmp(&y));
    }
    order(actual, expected)
}

/// Whether `actual OP expected` holds for a database value; `None` when
/// the two cannot be ordered.
pub fn db_holds(op: CmpOp, actual: &Value, expected: &Value) -> Option<bool> {
    match op {
        CmpOp::Eq => Some(db_equal(actual, expected)),
        CmpOp::Ne => Some(!db_equal(actual, expected)),
        _ => {
            let ordering = db_order(actual, expected)?;
            Some(match op {
                CmpOp::Lt => ordering == Ordering::Less,
                CmpOp::Le => ordering != Ordering::Greater,
                CmpOp::Gt => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercions() {
        assert!(db_equal(&json!(1), &json!(true)));
        assert!(db_equal(&json!(0), &json!(false)));
        assert!(!db_equal(&json!(2), &json!(true)));
        assert!(db_equal(&json!(12.5), &json!(12.50)));
        assert!(db_equal(&json!("12.50"), &json!(12.5)));
        assert!(db_equal(&json!("{\"a\": 1}"), &json!({"a": 1})));
        assert!(db_equal(
            &json!("2026-11-24 10:00:00.000000"),
            &json!("2026-11-24T10:00:00Z")
        ));
        assert!(db_equal(
            &json!("2026-11-24T11:00:00+01:00"),
            &json!("2026-11-24T10:00:00Z")
        ));
        assert!(db_equal(
            &json!("0B8A4A0E-6D0C-4F57-9A3F-2F1E5C0C9D11"),
            &json!("0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11")
        ));
        assert!(!db_equal(&json!("SKU-1"), &json!("sku-1")));
        assert!(!db_equal(&json!(null), &json!(0)));
        assert!(db_equal(&json!(null), &json!(null)));
    }

    #[test]
    fn ordering() {
        assert_eq!(db_holds(CmpOp::Gt, &json!("12.50"), &json!(12)), Some(true));
        assert_eq!(db_holds(CmpOp::Lt, &json!(3), &json!(2)), Some(false));
        assert_eq!(
            db_holds(
                CmpOp::Ge,
                &json!("2026-11-24 10:00:00"),
                &json!("2026-11-24T09:00:00Z")
            ),
            Some(true)
        );
        assert_eq!(db_holds(CmpOp::Lt, &json!({"a": 1}), &json!(2)), None);
        assert_eq!(db_holds(CmpOp::Ne, &json!(1), &json!(true)), Some(false));
    }
}
