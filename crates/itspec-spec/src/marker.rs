//! Markers of expected bodies (FORMAT §4.2): `#uuid`, `#[2] #string`, …
//!
//! A string in an expected body that starts with `#` is a marker; `##text`
//! is the literal string `#text`. This module reads markers; matching is the
//! runner's.

use serde::Serialize;

use crate::ValueType;

/// A parsed marker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "marker", content = "arg", rename_all = "snake_case")]
pub enum Marker {
    /// `#ignore`: anything, or absent.
    Ignore,
    /// `#present`: the key is present, with any value.
    Present,
    /// `#notpresent`: the key is absent.
    NotPresent,
    /// `#notnull`.
    NotNull,
    /// `#string`, `#uuid`, `#date`, …: a value of that type.
    Type(ValueType),
    /// `#regex <re>`: a string fully matching `re`.
    Regex(String),
    /// `#[N] <marker>` / `#[] <marker>`: an array of N (any number of)
    /// elements, each matching the inner marker when there is one.
    Each {
        /// The required length.
        count: Option<usize>,
        /// What every element must match.
        inner: Option<Box<Marker>>,
    },
    /// `##text`: the literal string `#text`.
    Literal(String),
}

/// The markers that are not types, by name.
const NAMES: &[(&str, Marker)] = &[
    ("ignore", Marker::Ignore),
    ("present", Marker::Present),
    ("notpresent", Marker::NotPresent),
    ("notnull", Marker::NotNull),
];

/// Every marker without an argument, by name: [`NAMES`] and the types.
fn named() -> impl Iterator<Item = (&'static str, Marker)> {
    NAMES.iter().cloned().chain(
        ValueType::ALL
            .iter()
            .map(|(name, value_type)| (*name, Marker::Type(*value_type))),
    )
}

/// Why a marker is invalid, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The marker nests `#[…]` deeper than [`MAX_DEPTH`](crate::limits::MAX_DEPTH).
    pub too_deep: bool,
}

impl MarkerError {
    fn new(message: String, help: impl Into<String>) -> Self {
        Self {
            message,
            help: help.into(),
            too_deep: false,
        }
    }
}

/// Reads a string of an expected body: `Ok(None)` for a plain string,
/// `Ok(Some(marker))` for a marker.
pub fn parse_marker(text: &str) -> Result<Option<Marker>, MarkerError> {
    let Some(rest) = text.strip_prefix('#') else {
        return Ok(None);
    };
    if rest.starts_with('#') {
        return Ok(Some(Marker::Literal(rest.to_string())));
    }
    parse_body(rest, text, 1).map(Some)
}

fn parse_body(rest: &str, whole: &str, depth: usize) -> Result<Marker, MarkerError> {
    if depth > crate::limits::MAX_DEPTH {
        return Err(MarkerError {
            too_deep: true,
            ..MarkerError::new(
                format!(
                    "this marker nests `#[…]` deeper than {} levels, the most itspec reads",
                    crate::limits::MAX_DEPTH
                ),
                "match fewer levels with markers, and the rest with `#array`",
            )
        });
    }
    if let Some(pattern) = rest.strip_prefix("regex") {
        let pattern = pattern.strip_prefix(' ').ok_or_else(|| {
            MarkerError::new(
                "`#regex` needs a pattern".to_string(),
                "write `#regex <pattern>`, like `#regex [A-Z]{3}-\\d+`".to_string(),
            )
        })?;
        return match crate::pattern::check_regex(pattern) {
            Ok(()) => Ok(Marker::Regex(pattern.to_string())),
            Err(error) => Err(MarkerError::new(
                format!("invalid regex in marker: {error}"),
                "fix the pattern; it must match the whole string".to_string(),
            )),
        };
    }
    if let Some(array) = rest.strip_prefix('[') {
        let close = array.find(']').ok_or_else(|| {
            MarkerError::new(
                format!("unclosed `[` in marker `{whole}`"),
                "write `#[N] <marker>` or `#[] <marker>`".to_string(),
            )
        })?;
        let count_text = array.get(..close).unwrap_or("").trim();
        let count = if count_text.is_empty() {
            None
        } else {
            Some(count_text.parse::<usize>().map_err(|_| {
                MarkerError::new(
                    format!("`{count_text}` is not an array length"),
                    "write a whole number, like `#[2] #string`, or `#[]` for any length"
                        .to_string(),
                )
            })?)
        };
        let inner_text = array.get(close + 1..).unwrap_or("").trim();
        let inner = if inner_text.is_empty() {
            None
        } else if let Some(inner_rest) = inner_text.strip_prefix('#') {
            Some(Box::new(parse_body(inner_rest, inner_text, depth + 1)?))
        } else {
            return Err(MarkerError::new(
                format!("`{inner_text}` after `#[…]` is not a marker"),
                "each element is matched by a marker, like `#[] #uuid`".to_string(),
            ));
        };
        return Ok(Marker::Each { count, inner });
    }
    if let Some((_, marker)) = named().find(|(name, _)| *name == rest) {
        return Ok(marker);
    }
    let help = match crate::suggest::nearest(rest, named().map(|(name, _)| name)) {
        Some(name) => {
            format!("did you mean `#{name}`? To match the text `{whole}` itself, write `#{whole}`")
        }
        None => format!(
            "markers are #ignore, #present, #notpresent, #null, #notnull, #string, #number, #integer, #boolean, #array, #object, #uuid, #datetime, #date, #email, #regex, #[N]; to match the text `{whole}` itself, write `#{whole}`"
        ),
    };
    Err(MarkerError::new(format!("unknown marker `{whole}`"), help))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_are_not_markers() {
        assert_eq!(parse_marker("confirmed"), Ok(None));
    }

    #[test]
    fn markers() {
        assert_eq!(
            parse_marker("#uuid"),
            Ok(Some(Marker::Type(ValueType::Uuid)))
        );
        assert_eq!(
            parse_marker("##text"),
            Ok(Some(Marker::Literal("#text".to_string())))
        );
        assert_eq!(
            parse_marker("#regex [A-Z]+"),
            Ok(Some(Marker::Regex("[A-Z]+".to_string())))
        );
        assert_eq!(
            parse_marker("#[2] #string"),
            Ok(Some(Marker::Each {
                count: Some(2),
                inner: Some(Box::new(Marker::Type(ValueType::String)))
            }))
        );
        assert_eq!(
            parse_marker("#[]"),
            Ok(Some(Marker::Each {
                count: None,
                inner: None
            }))
        );
    }

    #[test]
    fn unknown_markers_suggest_the_nearest() {
        let error = parse_marker("#uuidd").unwrap_err();
        assert_eq!(error.message, "unknown marker `#uuidd`");
        assert!(
            error.help.starts_with("did you mean `#uuid`?"),
            "{}",
            error.help
        );
    }

    #[test]
    fn bad_regex_and_lengths() {
        assert!(
            parse_marker("#regex [")
                .unwrap_err()
                .message
                .starts_with("invalid regex")
        );
        assert!(parse_marker("#[two] #string").is_err());
        assert!(parse_marker("#[2] string").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let depth = crate::limits::MAX_DEPTH;
        let at_limit = format!("{}#string", "#[] ".repeat(depth - 1));
        assert!(parse_marker(&at_limit).is_ok());
        // 5,000 levels: an error, not a stack overflow.
        let error = parse_marker(&format!("{}#string", "#[] ".repeat(5_000))).unwrap_err();
        assert!(error.too_deep, "{error:?}");
        assert!(
            error
                .message
                .contains(&format!("deeper than {depth} levels")),
            "{error:?}"
        );
    }
}
