//! JSONPath queries (RFC 9535), bounded before they are parsed.
//!
//! `serde_json_path` parses a query by recursive descent that backtracks:
//! its time grows exponentially with nested filters (25 nested filters in
//! 150 bytes took over a minute) and its stack with nested brackets. So a
//! query is measured first — its length, how many filters it nests, how
//! deep its brackets and parentheses go — and only one within the limits
//! is handed to the crate. Every place that reads a JSONPath (assertions,
//! captures, `[errors]` of `itspec.toml`) goes through [`parse`].

use serde_json_path::JsonPath;

/// The longest query read, in bytes.
pub const MAX_LENGTH: usize = 1024;
/// The most filters (`[?…]`) a query may nest inside one another.
pub const MAX_FILTERS: usize = 8;
/// The deepest brackets and parentheses may nest in a query.
pub const MAX_NESTING: usize = 16;

/// Why a query was not parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonPathError {
    /// Over a limit: the query was not parsed.
    TooComplex {
        /// Byte offset in the query of what goes over the limit.
        at: usize,
        /// What is over which limit.
        message: String,
    },
    /// Not RFC 9535.
    Invalid {
        /// The parser's message.
        message: String,
    },
}

impl std::fmt::Display for JsonPathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonPathError::TooComplex { message, .. } | JsonPathError::Invalid { message } => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for JsonPathError {}

/// Parses a query that is within the limits.
pub fn parse(query: &str) -> Result<JsonPath, JsonPathError> {
    check_limits(query)?;
    JsonPath::parse(query).map_err(|error| JsonPathError::Invalid {
        message: error.to_string(),
    })
}

/// Whether `query` is within the limits; the first it goes past, if not.
pub fn check_limits(query: &str) -> Result<(), JsonPathError> {
    if query.len() > MAX_LENGTH {
        return Err(JsonPathError::TooComplex {
            at: MAX_LENGTH,
            message: format!(
                "this JSONPath is {} bytes long; itspec reads queries of at most {MAX_LENGTH}",
                query.len()
            ),
        });
    }
    // Each open bracket or parenthesis, and whether it holds a filter.
    let mut open: Vec<(u8, bool)> = Vec::new();
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in query.bytes().enumerate() {
        if let Some(q) = quote {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                _ if b == q => quote = None,
                _ => {}
            }
            continue;
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'[' | b'(' => {
                open.push((b, false));
                if open.len() > MAX_NESTING {
                    return Err(JsonPathError::TooComplex {
                        at: i,
                        message: format!(
                            "this JSONPath nests brackets and parentheses deeper than {MAX_NESTING} levels, the most itspec reads"
                        ),
                    });
                }
            }
            b']' | b')' => {
                open.pop();
            }
            b'?' => {
                if let Some(bracket) = open.iter_mut().rev().find(|(kind, _)| *kind == b'[') {
                    bracket.1 = true;
                }
                let filters = open.iter().filter(|(_, filter)| *filter).count();
                if filters > MAX_FILTERS {
                    return Err(JsonPathError::TooComplex {
                        at: i,
                        message: format!(
                            "this JSONPath nests more than {MAX_FILTERS} filters inside one another, the most itspec reads"
                        ),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_filters(n: usize) -> String {
        format!("${}{}", "[?@".repeat(n), "]".repeat(n))
    }

    #[test]
    fn queries_within_the_limits_parse() {
        assert!(parse("$.items[?@.stock > 0].sku").is_ok());
        assert!(parse(&nested_filters(MAX_FILTERS)).is_ok());
        // Filters side by side are not nested.
        assert!(parse(&format!("${}", "[?@.a]".repeat(20))).is_ok());
        assert!(parse("$['a[b', \"c(d\"]").is_ok());
        assert!(matches!(parse("$["), Err(JsonPathError::Invalid { .. })));
    }

    #[test]
    fn nested_filters_past_the_limit_are_refused_where_they_go_past_it() {
        let Err(JsonPathError::TooComplex { at, message }) = parse(&nested_filters(25)) else {
            panic!("25 nested filters were parsed");
        };
        assert_eq!(at, 1 + 3 * MAX_FILTERS + 1);
        assert!(message.contains("more than 8 filters"), "{message}");
    }

    #[test]
    fn deep_brackets_and_long_queries_are_refused() {
        let parens = format!("$[?{}@.a{}]", "(".repeat(40), ")".repeat(40));
        let Err(JsonPathError::TooComplex { at, message }) = parse(&parens) else {
            panic!("40 parentheses were parsed");
        };
        assert_eq!(at, 3 + MAX_NESTING - 1);
        assert!(message.contains("deeper than 16 levels"), "{message}");
        let long = format!("$.{}", "a".repeat(MAX_LENGTH));
        assert!(matches!(
            parse(&long),
            Err(JsonPathError::TooComplex { at: MAX_LENGTH, .. })
        ));
    }
}
