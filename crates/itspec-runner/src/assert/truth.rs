//! Python's identity and truth tests on a database value, for the
//! Database State Verification checks: `assert result.active is True`,
//! `is None`, `assert result.active`, `assert not result.active`.
//!
//! `is True` holds only for a boolean true, as in Python. A boolean column
//! of SQLite or MySQL stores `1` and `0` (SQLAlchemy's `Boolean` declares
//! it `BOOLEAN`, which MySQL makes `tinyint(1)`): in a column declared
//! boolean, `1` and `0` (and PostgreSQL's texts `t`/`f`) are `True` and
//! `False`, as SQLAlchemy reads them. In any other column `1 is True` does
//! not hold — write `== 1` or `== True` there. Truthiness follows Python:
//! `None`, `False`, `0`, `0.0`, `""`, `[]` and `{}` are false; a number
//! read as text from a numeric column counts as the number.

use itspec_spec::model::Truth;
use serde_json::Value;

use crate::db::Column;

/// The value as a Python `bool`, when it is one.
fn as_bool(value: &Value, column: Option<&Column>) -> Option<bool> {
    if let Value::Bool(b) = value {
        return Some(*b);
    }
    if !column.is_some_and(Column::is_bool) {
        return None;
    }
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "1" => Some(true),
            "f" | "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a column holds numbers (which some databases hand over as text).
fn numeric(column: Option<&Column>) -> bool {
    column.is_some_and(|c| {
        [
            "int", "numeric", "decimal", "real", "double", "float", "money",
        ]
        .iter()
        .any(|word| c.data_type.contains(word))
    })
}

/// Python's `bool(value)`.
fn truthy(value: &Value, column: Option<&Column>) -> bool {
    if let Some(b) = as_bool(value, column) {
        return b;
    }
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(text) if numeric(column) => match text.trim().parse::<f64>() {
            Ok(f) => f != 0.0,
            Err(_) => !text.is_empty(),
        },
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
    }
}

/// Whether `value TEST` holds, with Python's meaning.
pub(super) fn holds(test: Truth, value: &Value, column: Option<&Column>) -> bool {
    match test {
        Truth::IsTrue => as_bool(value, column) == Some(true),
        Truth::IsNotTrue => as_bool(value, column) != Some(true),
        Truth::IsFalse => as_bool(value, column) == Some(false),
        Truth::IsNotFalse => as_bool(value, column) != Some(false),
        Truth::IsNone => value.is_null(),
        Truth::IsNotNone => !value.is_null(),
        Truth::Truthy => truthy(value, column),
        Truth::Falsy => !truthy(value, column),
    }
}

/// Why `1 is True` fails in a column that is not boolean, when it does.
pub(super) fn hint(test: Truth, value: &Value, column: Option<&Column>) -> Option<String> {
    let literal = match test {
        Truth::IsTrue | Truth::IsNotTrue => "True",
        Truth::IsFalse | Truth::IsNotFalse => "False",
        _ => return None,
    };
    let n = value.as_i64().filter(|n| *n == 0 || *n == 1)?;
    let column = column?;
    (!column.is_bool()).then(|| {
        format!(
            "`{}` is declared `{}`, not boolean, so {n} is a number and `is {literal}` does not hold, as in Python; compare with `== {n}` or `== {literal}`",
            column.name, column.data_type
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn column(data_type: &str) -> Column {
        Column {
            name: "active".to_string(),
            data_type: data_type.to_string(),
            generated: false,
            auto: false,
            json: false,
            binary: false,
        }
    }

    #[test]
    fn is_true_is_a_boolean_true() {
        let boolean = column("boolean");
        let integer = column("integer");
        assert!(holds(Truth::IsTrue, &json!(true), None));
        assert!(holds(Truth::IsTrue, &json!(1), Some(&boolean)));
        assert!(holds(Truth::IsTrue, &json!(1), Some(&column("tinyint(1)"))));
        assert!(!holds(Truth::IsTrue, &json!(1), Some(&integer)));
        assert!(hint(Truth::IsTrue, &json!(1), Some(&integer)).is_some());
        assert!(!holds(Truth::IsTrue, &json!(false), None));
        assert!(!holds(Truth::IsTrue, &json!(0), Some(&boolean)));
        assert!(!holds(Truth::IsTrue, &json!(null), Some(&boolean)));
        assert!(!holds(Truth::IsTrue, &json!(2), Some(&boolean)));
        assert!(holds(Truth::IsFalse, &json!(0), Some(&boolean)));
        assert!(holds(Truth::IsFalse, &json!("f"), Some(&boolean)));
        assert!(!holds(Truth::IsFalse, &json!(null), Some(&boolean)));
        assert!(holds(Truth::IsNotTrue, &json!(null), Some(&boolean)));
        assert!(holds(Truth::IsNotFalse, &json!(1), Some(&boolean)));
    }

    #[test]
    fn none_and_truthiness_follow_python() {
        assert!(holds(Truth::IsNone, &json!(null), None));
        assert!(!holds(Truth::IsNone, &json!(0), None));
        assert!(holds(Truth::IsNotNone, &json!(""), None));
        for falsy in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(holds(Truth::Falsy, &falsy, None), "{falsy}");
        }
        for truthy in [
            json!(true),
            json!(2),
            json!(-1),
            json!("0"),
            json!([0]),
            json!({"a": 0}),
        ] {
            assert!(holds(Truth::Truthy, &truthy, None), "{truthy}");
        }
        assert!(holds(
            Truth::Falsy,
            &json!("0.00"),
            Some(&column("numeric(10,2)"))
        ));
        assert!(holds(Truth::Falsy, &json!("f"), Some(&column("boolean"))));
    }
}
