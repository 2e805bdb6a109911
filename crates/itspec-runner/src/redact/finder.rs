//! Hiding a set of secrets in one pass over a text: every form of each
//! ([`super::forms`]), the longest match winning where they overlap (a
//! secret containing another is hidden whole), and first the credentials
//! of every URL in it ([`super::url`]).

use aho_corasick::{AhoCorasick, MatchKind};

use super::{REDACTED, forms, url};

/// The secrets to hide, ready to search for.
#[derive(Clone, Debug, Default)]
pub struct Finder {
    /// `None`: no secret to look for (or none that could be searched).
    matcher: Option<AhoCorasick>,
}

impl Finder {
    /// Looks for every form of each of `secrets`, as given (filter them
    /// with [`super::merged`] first).
    pub fn new(secrets: &[String]) -> Finder {
        let forms = forms::expand(secrets);
        let matcher = (!forms.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&forms)
                    .ok()
            })
            .flatten();
        Finder { matcher }
    }

    /// Hides the credentials of URLs and every secret in `text`.
    pub fn scrub(&self, text: &mut String) {
        if text.contains("://") {
            *text = url::hide_credentials(text, REDACTED);
        }
        if let Some(matcher) = &self.matcher
            && matcher.is_match(text.as_str())
        {
            let mut hidden = String::with_capacity(text.len());
            matcher.replace_all_with(text, &mut hidden, |_, _, out| {
                out.push_str(REDACTED);
                true
            });
            *text = hidden;
        }
    }

    /// `text` with [`Finder::scrub`] applied.
    pub fn hidden(&self, text: &str) -> String {
        let mut text = text.to_string();
        self.scrub(&mut text);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_longer_secret_is_hidden_whole() {
        let finder = Finder::new(&["abcd".into(), "abcdefgh".into()]);
        assert_eq!(
            finder.hidden("key=abcdefgh abcd"),
            "key=[redacted] [redacted]"
        );
    }

    #[test]
    fn every_form_is_hidden_and_urls_lose_their_credentials() {
        let finder = Finder::new(&["a\"b/c-secret".into()]);
        assert_eq!(
            finder.hidden("{\"k\": \"a\\\"b\\/c-secret\"} ?next=a%22b%2Fc-secret http://u:pw@h/"),
            "{\"k\": \"[redacted]\"} ?next=[redacted] http://u:[redacted]@h/"
        );
    }

    #[test]
    fn no_secret_changes_nothing() {
        assert_eq!(Finder::new(&[]).hidden("plain text"), "plain text");
    }
}
