//! The cookie jar of a case: a cookie a response sets is sent with the
//! later requests of the same case, as a browser or a `requests.Session`
//! would, so a session login (Flask, Django) carries over. A request whose
//! own headers have a `Cookie` sends that one instead. Every case starts
//! with an empty jar.
//!
//! All of a case's requests go to the one service under test, so a
//! cookie's `Domain`, `Path` and `Secure` are not compared; an expiry
//! (`Max-Age=0`, an `Expires` in the past) or an empty value removes it.

use itspec_results::ResponseRecord;

/// Cookies by name, in the order they were first set.
#[derive(Debug, Default)]
pub(crate) struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    /// Keeps (or drops) what each `Set-Cookie` of `response` says.
    pub(crate) fn store(&mut self, response: &ResponseRecord) {
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                self.set(value);
            }
        }
    }

    fn set(&mut self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim().trim_matches('"'));
        if name.is_empty() {
            return;
        }
        let expired = value.is_empty() || parts.any(|attribute| expires(attribute.trim()));
        self.cookies.retain(|(n, _)| n != name);
        if !expired {
            self.cookies.push((name.to_string(), value.to_string()));
        }
    }

    /// Adds the `Cookie` header to `headers` unless they have one.
    pub(crate) fn apply(&self, headers: &mut Vec<(String, String)>) {
        if self.cookies.is_empty()
            || headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        {
            return;
        }
        let value = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        headers.push(("Cookie".to_string(), value));
    }
}

/// Whether a cookie attribute says the cookie is gone.
fn expires(attribute: &str) -> bool {
    let Some((key, value)) = attribute.split_once('=') else {
        return false;
    };
    let value = value.trim();
    match key.trim().to_ascii_lowercase().as_str() {
        "max-age" => value.parse::<i64>().is_ok_and(|seconds| seconds <= 0),
        "expires" => chrono::DateTime::parse_from_rfc2822(&value.replace('-', " "))
            .is_ok_and(|at| at < chrono::Utc::now()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(set_cookies: &[&str]) -> ResponseRecord {
        ResponseRecord {
            status: 200,
            headers: set_cookies
                .iter()
                .map(|v| ("set-cookie".to_string(), (*v).to_string()))
                .collect(),
            body: String::new(),
            json: None,
            duration_ms: 0.0,
            body_omitted: None,
        }
    }

    fn cookie(jar: &CookieJar) -> Option<String> {
        let mut headers = Vec::new();
        jar.apply(&mut headers);
        headers.pop().map(|(_, v)| v)
    }

    #[test]
    fn set_cookies_are_sent_back_and_replaced_by_name() {
        let mut jar = CookieJar::default();
        assert_eq!(cookie(&jar), None);
        jar.store(&response(&["session=abc; Path=/; HttpOnly", "theme=dark"]));
        assert_eq!(cookie(&jar).as_deref(), Some("session=abc; theme=dark"));
        jar.store(&response(&["session=def; Secure"]));
        assert_eq!(cookie(&jar).as_deref(), Some("theme=dark; session=def"));
    }

    #[test]
    fn expired_or_emptied_cookies_are_dropped() {
        let mut jar = CookieJar::default();
        jar.store(&response(&["a=1", "b=2", "c=3"]));
        jar.store(&response(&[
            "a=; Path=/",
            "b=2; Max-Age=0",
            "c=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]));
        assert_eq!(cookie(&jar), None);
        jar.store(&response(&[
            "d=4; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Max-Age=60",
        ]));
        assert_eq!(cookie(&jar).as_deref(), Some("d=4"));
    }

    #[test]
    fn a_requests_own_cookie_header_wins() {
        let mut jar = CookieJar::default();
        jar.store(&response(&["session=abc"]));
        let mut headers = vec![("cookie".to_string(), "session=mine".to_string())];
        jar.apply(&mut headers);
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0].1, "session=mine");
    }
}
