//! Credentials written into URLs, found in any text — a URL alone, an
//! error message, a service's log: the password of
//! `scheme://user:password@host` (also one written raw, with `/`, `?`, `#`
//! or `@` in it, as in `postgres://u:pa/ss?w@host/db`), and the values of
//! query parameters named like secrets (`?password=…`, `&access_token=…`).
//!
//! Pure text work: it knows nothing of reports or of what else is secret.

use std::ops::Range;

/// Where a URL ends in running text.
const URL_END: [char; 6] = ['"', '\'', '<', '>', '`', '\\'];

/// Credentials already hidden (by [`crate::db::redact`] or by
/// redaction), left as they are.
const HIDDEN: [&str; 2] = ["***", super::REDACTED];

/// `text` with every credential of a URL in it replaced by `mark`.
pub fn hide_credentials(text: &str, mark: &str) -> String {
    let ranges = credentials(text);
    if ranges.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for range in ranges {
        if range.start < last {
            continue;
        }
        out.push_str(text.get(last..range.start).unwrap_or(""));
        out.push_str(mark);
        last = range.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// The credentials of every URL in `text`, as byte ranges in order;
/// those already hidden are left out.
pub fn credentials(text: &str) -> Vec<Range<usize>> {
    let mut found = every_credential(text);
    found.retain(|range| {
        text.get(range.clone())
            .is_some_and(|secret| !HIDDEN.contains(&secret))
    });
    found
}

fn every_credential(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text.get(from..).and_then(|rest| rest.find("://")) {
        let start = from + at + 3;
        let rest = text.get(start..).unwrap_or("");
        let len = rest
            .find(|c: char| c.is_whitespace() || URL_END.contains(&c))
            .unwrap_or(rest.len());
        let url = rest.get(..len).unwrap_or("");
        let mut query_from = 0;
        if let Some(password) = password(url) {
            query_from = password.end;
            if !password.is_empty() {
                found.push(start + password.start..start + password.end);
            }
        }
        let after = url.get(query_from..).unwrap_or("");
        if let Some(question) = after.find('?') {
            let query_start = query_from + question + 1;
            let query = url.get(query_start..).unwrap_or("");
            let query = query
                .get(..query.find('#').unwrap_or(query.len()))
                .unwrap_or("");
            for value in query_secrets(query) {
                found.push(start + query_start + value.start..start + query_start + value.end);
            }
        }
        from = start + len.max(1);
        if from >= text.len() {
            break;
        }
    }
    found
}

/// The values of the parameters of a query string (`a=1&token=x`) whose
/// names look like secrets, as byte ranges of `query`.
pub fn query_secrets(query: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut offset = 0;
    for pair in query.split('&') {
        if let Some((name, value)) = pair.split_once('=')
            && secret_parameter(name)
            && !value.is_empty()
        {
            let value_start = offset + name.len() + 1;
            found.push(value_start..value_start + value.len());
        }
        offset += pair.len() + 1;
    }
    found
}

/// Whether a query parameter's name looks like it holds a secret:
/// `password`, `pwd`, `sslpassword`, `secret`, `access_token`, `api_key`,
/// `X-Amz-Signature`, `sig`.
pub fn secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "key", "signature"]
        .iter()
        .any(|word| name.contains(word))
        || name == "sig"
}

/// The password of the URL after its `scheme://`, as a byte range of
/// `url`; `None` when it has none.
fn password(url: &str) -> Option<Range<usize>> {
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let authority = url.get(..authority_end)?;
    match authority.rfind('@') {
        Some(at) => {
            let colon = authority.get(..at)?.find(':')?;
            Some(colon + 1..at)
        }
        None => {
            // `user:pa/ss@host`: a password written raw runs past the
            // first `/`, `?` or `#` to the last `@`. `host:8080/a@b` is a
            // port and a path.
            let colon = authority.find(':')?;
            let after = authority.get(colon + 1..)?;
            if after.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let at = url.rfind('@').filter(|&at| at > colon)?;
            Some(colon + 1..at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(text: &str) -> String {
        hide_credentials(text, "***")
    }

    #[test]
    fn a_password_in_the_authority_is_hidden() {
        assert_eq!(
            hidden("postgres://app:s3cret@db:5432/shop?x=1"),
            "postgres://app:***@db:5432/shop?x=1"
        );
        assert_eq!(
            hidden("http://a:b@h/p and more"),
            "http://a:***@h/p and more"
        );
        assert_eq!(hidden("mysql://u:p@ss@host/db"), "mysql://u:***@host/db");
    }

    #[test]
    fn a_raw_password_with_slashes_and_question_marks_is_hidden_whole() {
        assert_eq!(
            hidden("postgres://u:pa/ss?w@host/db"),
            "postgres://u:***@host/db"
        );
        assert_eq!(
            hidden("cannot connect to mysql://root:a#b/c@127.0.0.1:3306/x: refused"),
            "cannot connect to mysql://root:***@127.0.0.1:3306/x: refused"
        );
    }

    #[test]
    fn secret_query_parameters_are_hidden() {
        assert_eq!(
            hidden("postgres://u@h/db?password=s3cret"),
            "postgres://u@h/db?password=***"
        );
        assert_eq!(
            hidden("postgres://u@h/db?sslmode=require&PASSWORD=s3cret&x=1#frag"),
            "postgres://u@h/db?sslmode=require&PASSWORD=***&x=1#frag"
        );
        assert_eq!(
            hidden("http://h/cb?access_token=abc&api_key=k1&page=2"),
            "http://h/cb?access_token=***&api_key=***&page=2"
        );
        assert_eq!(
            hidden("postgres://u:pw@h/db?password=again"),
            "postgres://u:***@h/db?password=***"
        );
    }

    #[test]
    fn every_url_of_a_text_is_searched() {
        assert_eq!(
            hidden(
                "from postgres://a:one@h/x to \"mysql://b:two@h/y\"\nthen http://h/?token=three"
            ),
            "from postgres://a:***@h/x to \"mysql://b:***@h/y\"\nthen http://h/?token=***"
        );
    }

    #[test]
    fn credentials_already_hidden_are_kept_as_they_are() {
        for text in [
            "postgres://app:***@db/x?password=***",
            "postgres://app:[redacted]@db/x?token=[redacted]",
        ] {
            assert_eq!(hidden(text), text, "{text}");
            assert!(credentials(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn urls_without_credentials_are_kept() {
        for text in [
            "http://user@host/a:b@c",
            "http://127.0.0.1:8080/users/@me",
            "http://[::1]:5432/db",
            "sqlite://target/x.db",
            "no url here",
            "http://h/search?q=password",
            "://",
            "x://",
            "postgres://u:@h/db",
        ] {
            assert_eq!(hidden(text), text, "{text}");
        }
    }

    #[test]
    fn odd_text_does_not_panic() {
        for text in ["://@", "a://b:@", "é://ü:ö@ä?pass=ß", "://:://:@?key="] {
            let _ = hidden(text);
        }
    }
}
