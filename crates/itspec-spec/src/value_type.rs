//! The types and formats a value can be required to have — `#uuid` in an
//! expected body, `is uuid` in an assertion — and what each one means.
//!
//! Both are read into one [`ValueType`]; the runner's matcher, the
//! database comparisons and the contract's `format: uuid` all ask it
//! whether a value has the type, so `uuid` means one thing everywhere.

use serde::Serialize;
use serde_json::Value;

/// A type or a format of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A JSON string.
    String,
    /// A JSON number.
    Number,
    /// A number without a fraction.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// `null`.
    Null,
    /// A JSON array.
    Array,
    /// A JSON object.
    Object,
    /// A string that is an RFC 4122 UUID.
    Uuid,
    /// A string that is an RFC 3339 date-time.
    Datetime,
    /// A string that is an RFC 3339 full date.
    Date,
    /// A string that is an email address.
    Email,
}

impl ValueType {
    /// Every type, by the name `#NAME` and `is NAME` use.
    pub const ALL: &'static [(&'static str, ValueType)] = &[
        ("string", ValueType::String),
        ("number", ValueType::Number),
        ("integer", ValueType::Integer),
        ("boolean", ValueType::Boolean),
        ("null", ValueType::Null),
        ("array", ValueType::Array),
        ("object", ValueType::Object),
        ("uuid", ValueType::Uuid),
        ("datetime", ValueType::Datetime),
        ("date", ValueType::Date),
        ("email", ValueType::Email),
    ];

    /// Reads a type's name, in any case.
    pub fn parse(word: &str) -> Option<ValueType> {
        ValueType::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))
            .map(|(_, t)| *t)
    }

    /// Whether `value` has this type.
    pub fn holds(self, value: &Value) -> bool {
        match self {
            ValueType::String => value.is_string(),
            ValueType::Number => value.is_number(),
            ValueType::Integer => is_integer(value),
            ValueType::Boolean => value.is_boolean(),
            ValueType::Null => value.is_null(),
            ValueType::Array => value.is_array(),
            ValueType::Object => value.is_object(),
            ValueType::Uuid => value.as_str().is_some_and(is_uuid),
            ValueType::Datetime => value.as_str().is_some_and(is_datetime),
            ValueType::Date => value.as_str().is_some_and(is_date),
            ValueType::Email => value.as_str().is_some_and(is_email),
        }
    }

    /// The type in words, for "expected …" messages: `a UUID`.
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::String => "a string",
            ValueType::Number => "a number",
            ValueType::Integer => "an integer",
            ValueType::Boolean => "a boolean",
            ValueType::Null => "null",
            ValueType::Array => "an array",
            ValueType::Object => "an object",
            ValueType::Uuid => "a UUID",
            ValueType::Datetime => "an RFC 3339 date-time",
            ValueType::Date => "an RFC 3339 date",
            ValueType::Email => "an email address",
        }
    }
}

/// A number without a fractional part.
pub fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// RFC 4122 text form: 8-4-4-4-12 hexadecimal digits.
pub fn is_uuid(text: &str) -> bool {
    let mut groups = text.split('-');
    [8, 4, 4, 4, 12].iter().all(|len| {
        groups.next().is_some_and(|group| {
            group.len() == *len && group.bytes().all(|b| b.is_ascii_hexdigit())
        })
    }) && groups.next().is_none()
}

/// RFC 3339 date-time.
pub fn is_datetime(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// RFC 3339 full date.
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// `local@domain.tld`, without spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !text.chars().any(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_holds_for_its_values_only() {
        let cases = [
            (ValueType::String, json!("x"), json!(1)),
            (ValueType::Number, json!(1.5), json!("1")),
            (ValueType::Integer, json!(2.0), json!(2.5)),
            (ValueType::Boolean, json!(false), json!(0)),
            (ValueType::Null, json!(null), json!("null")),
            (ValueType::Array, json!([]), json!({})),
            (ValueType::Object, json!({}), json!([])),
            (
                ValueType::Uuid,
                json!("0B8A4A0E-6d0c-4f57-9a3f-2f1e5c0c9d11"),
                json!("0b8a4a0e6d0c4f579a3f2f1e5c0c9d11"),
            ),
            (
                ValueType::Datetime,
                json!("2026-11-24T10:00:00.123+01:00"),
                json!("2026-11-24 10:00"),
            ),
            (ValueType::Date, json!("2026-02-28"), json!("2026-02-30")),
            (ValueType::Email, json!("a.b@c.io"), json!("a b@c.io")),
        ];
        assert_eq!(cases.len(), ValueType::ALL.len());
        for (value_type, yes, no) in cases {
            assert!(value_type.holds(&yes), "{value_type:?} holds for {yes}");
            assert!(
                !value_type.holds(&no),
                "{value_type:?} does not hold for {no}"
            );
        }
    }

    #[test]
    fn uuids_are_exactly_five_groups_of_hex_digits() {
        assert!(is_uuid("0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11"));
        for text in [
            "0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d1",
            "0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11-0",
            "{0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11}",
            "urn:uuid:0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11",
            "0b8a4a0g-6d0c-4f57-9a3f-2f1e5c0c9d11",
            "",
        ] {
            assert!(!is_uuid(text), "{text}");
        }
        assert!(!is_email("a@b") && is_email("a@b.c"));
        assert_eq!(ValueType::parse("UUID"), Some(ValueType::Uuid));
        assert_eq!(ValueType::parse("uuids"), None);
    }
}
