//! Comparing JSON values the way assertions do: numbers by value
//! (`1 == 1.0`), everything else structurally.

use std::cmp::Ordering;

use serde_json::Value;

/// Whether two values are equal, numbers compared by value.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn number_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
        (Some(a), Some(b), _, _) => a == b,
        (_, _, Some(a), Some(b)) => a == b,
        _ => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

/// The order of two numbers, or of two strings; `None` for anything else.
pub fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
                return Some(a.cmp(&b));
            }
            x.as_f64()?.partial_cmp(&y.as_f64()?)
        }
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Whether `actual` contains `expected`: a substring of a string, an element
/// of an array, a subset of an object (FORMAT §4.2 rules for each member).
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(text), Value::String(fragment)) => text.contains(fragment.as_str()),
        (Value::String(text), other) => text.contains(&other.to_string()),
        (Value::Array(items), _) => items
            .iter()
            .any(|item| equal(item, expected) || subset(item, expected)),
        (Value::Object(_), Value::Object(_)) => subset(actual, expected),
        _ => false,
    }
}

/// Whether every member of `expected` is in `actual`, recursively; arrays
/// must be equal.
pub fn subset(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|w| subset(w, v))),
        _ => equal(actual, expected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value() {
        assert!(equal(&json!(1), &json!(1.0)));
        assert!(equal(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
        assert!(!equal(&json!(1), &json!("1")));
        assert!(!equal(&json!(null), &json!({})));
        assert_eq!(order(&json!(2), &json!(10)), Some(Ordering::Less));
        assert_eq!(order(&json!(1.5), &json!(1)), Some(Ordering::Greater));
        assert_eq!(order(&json!("b"), &json!("a")), Some(Ordering::Greater));
        assert_eq!(order(&json!(true), &json!(1)), None);
    }

    #[test]
    fn containment() {
        assert!(contains(
            &json!("quantity must be positive"),
            &json!("positive")
        ));
        assert!(contains(&json!(["a", "b"]), &json!("b")));
        assert!(contains(
            &json!([{"sku": "A", "n": 1}]),
            &json!({"sku": "A"})
        ));
        assert!(contains(
            &json!({"a": 1, "b": {"c": 2, "d": 3}}),
            &json!({"b": {"c": 2}})
        ));
        assert!(!contains(&json!({"a": 1}), &json!({"a": 2})));
        assert!(!contains(&json!(5), &json!(5)));
    }
}
