//! Regular expressions of `matches "…"` and `#regex`: checked here, without
//! compiling them (the runner compiles them once, when it runs).

/// Whether `pattern` is a valid regular expression (Rust `regex` syntax);
/// the error says what is wrong.
pub fn check_regex(pattern: &str) -> Result<(), String> {
    match regex_syntax::Parser::new().parse(pattern) {
        Ok(_) => Ok(()),
        Err(error) => {
            let text = error.to_string();
            let message = text
                .lines()
                .filter_map(|line| line.trim().strip_prefix("error:"))
                .next()
                .unwrap_or(&text)
                .trim()
                .to_string();
            Err(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid() {
        assert!(check_regex(r"^SKU-\d+$").is_ok());
        assert_eq!(check_regex("(a").unwrap_err(), "unclosed group");
        assert_eq!(check_regex("[A-Z").unwrap_err(), "unclosed character class");
    }
}
