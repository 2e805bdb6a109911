//! A `[redact] vars` pattern, matched against the name of every variable,
//! header and body field of every case — so the common form, `*word*`, is
//! matched by a substring search that allocates nothing, and only other
//! globs (and names that are not ASCII, where case folding goes beyond
//! ASCII) go through `globset`.

use globset::{GlobBuilder, GlobMatcher};

/// A compiled name pattern; names compare without regard to case.
#[derive(Clone, Debug)]
pub struct NamePattern {
    glob: GlobMatcher,
    /// For `*word*` with an ASCII word: the word, lowercased.
    contains: Option<Vec<u8>>,
}

impl NamePattern {
    /// Compiles `pattern`; the glob's error when it is not one.
    pub fn new(pattern: &str) -> Result<Self, globset::Error> {
        let glob = GlobBuilder::new(pattern)
            .case_insensitive(true)
            .build()?
            .compile_matcher();
        let contains = pattern
            .strip_prefix('*')
            .and_then(|p| p.strip_suffix('*'))
            .filter(|word| {
                !word.is_empty()
                    && word.is_ascii()
                    && !word.contains(['*', '?', '[', ']', '{', '}', '\\', ','])
            })
            .map(|word| word.to_ascii_lowercase().into_bytes());
        Ok(Self { glob, contains })
    }

    /// Whether `name` matches.
    pub fn is_match(&self, name: &str) -> bool {
        match &self.contains {
            Some(word) if name.is_ascii() => name
                .as_bytes()
                .windows(word.len())
                .any(|window| window.eq_ignore_ascii_case(word)),
            _ => self.glob.is_match(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_word_between_stars_is_found_anywhere_in_any_case() {
        let token = NamePattern::new("*token*").unwrap();
        assert!(token.contains.is_some());
        for name in [
            "token",
            "access_token",
            "X-Auth-TOKEN",
            "tokenType",
            "myTokens",
        ] {
            assert!(token.is_match(name), "{name}");
        }
        for name in ["toke", "t-o-k-e-n", "", "secret"] {
            assert!(!token.is_match(name), "{name}");
        }
    }

    #[test]
    fn other_globs_go_through_globset() {
        let prefix = NamePattern::new("api_*").unwrap();
        assert!(prefix.contains.is_none());
        assert!(prefix.is_match("API_user") && !prefix.is_match("my_api_user"));
        let class = NamePattern::new("*pin[0-9]*").unwrap();
        assert!(class.contains.is_none());
        assert!(class.is_match("card_pin4") && !class.is_match("pinned"));
    }

    #[test]
    fn a_name_beyond_ascii_is_folded_as_the_glob_folds_it() {
        // The Kelvin sign folds to k.
        let key = NamePattern::new("*key*").unwrap();
        assert_eq!(key.is_match("\u{212A}ey"), key.glob.is_match("\u{212A}ey"));
        assert!(key.is_match("schlüssel_key"));
    }

    proptest! {
        #[test]
        fn the_search_agrees_with_the_glob(
            word in "[a-zA-Z_]{1,6}",
            name in "[a-zA-Z_\\-.0-9]{0,16}",
        ) {
            let pattern = NamePattern::new(&format!("*{word}*")).unwrap();
            prop_assert_eq!(pattern.is_match(&name), pattern.glob.is_match(&name));
            let inside = format!("x{}y", word.to_uppercase());
            prop_assert_eq!(pattern.is_match(&inside), pattern.glob.is_match(&inside));
        }
    }
}
