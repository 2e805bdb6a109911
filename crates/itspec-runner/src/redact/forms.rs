//! The forms a secret takes in text that other programs wrote: as it is;
//! JSON-escaped, the way serializers write it (`a"b/c` as `a\"b/c`, or
//! `a\"b\/c`, non-ASCII as `\u00e9` or kept); and percent-encoded, the
//! way URLs and forms carry it (`a%22b%2Fc`, `a%22b%2fc`, `+` for a
//! space). Hiding a secret hides every one of its forms.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters: how a URL component
/// is usually encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What JavaScript's `encodeURIComponent` encodes.
const JAVASCRIPT: &AsciiSet = &COMPONENT
    .remove(b'!')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*');

/// Every form of each secret, longest first (so that a secret containing
/// another is hidden whole), each once.
pub fn expand(secrets: &[String]) -> Vec<String> {
    let mut all: Vec<String> = secrets.iter().flat_map(|s| forms(s)).collect();
    all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    all.dedup();
    all
}

/// The forms of one secret, itself first.
pub fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or(secret)
        .to_string();
    let ascii = ascii_json(&json);
    for form in [json, ascii] {
        forms.push(form.replace('/', "\\/"));
        forms.push(form);
    }
    let component = utf8_percent_encode(secret, COMPONENT).to_string();
    forms.push(lowercase_escapes(&component));
    forms.push(component);
    forms.push(utf8_percent_encode(secret, JAVASCRIPT).to_string());
    forms.push(form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    forms.sort();
    forms.dedup();
    forms
}

/// JSON text with every non-ASCII character written `\uXXXX` (as Python's
/// `json.dumps` does).
fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// `%2F` as `%2f`.
fn lowercase_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut after_percent = 0;
    for c in encoded.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_found_json_escaped_and_percent_encoded() {
        let forms = forms("a\"b/c");
        for wanted in ["a\"b/c", "a\\\"b/c", "a\\\"b\\/c", "a%22b%2Fc", "a%22b%2fc"] {
            assert!(forms.contains(&wanted.to_string()), "{wanted}: {forms:?}");
        }
    }

    #[test]
    fn non_ascii_and_spaces_have_their_forms_too() {
        let forms = forms("pâss wörd");
        for wanted in [
            "pâss wörd",
            "p\\u00e2ss w\\u00f6rd",
            "p%C3%A2ss%20w%C3%B6rd",
            "p%c3%a2ss%20w%c3%b6rd",
            "p%C3%A2ss+w%C3%B6rd",
        ] {
            assert!(forms.contains(&wanted.to_string()), "{wanted}: {forms:?}");
        }
        assert!(super::forms("🔑-key").contains(&"\\ud83d\\udd11-key".to_string()));
    }

    #[test]
    fn a_plain_secret_has_one_form() {
        assert_eq!(
            forms("s3cret-Token_1.x"),
            vec!["s3cret-Token_1.x".to_string()]
        );
    }

    #[test]
    fn the_longest_forms_come_first() {
        let all = expand(&["ab/cd".to_string(), "ab/cdef".to_string()]);
        let lengths: Vec<usize> = all.iter().map(String::len).collect();
        let mut sorted = lengths.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(lengths, sorted);
        assert!(all.contains(&"ab%2Fcdef".to_string()));
    }
}
