//! Why a request has no response. Every reason but one is an error of the
//! case — nothing answered, so nothing could be checked —; a body past
//! `[limits] max_body` was an answer, and fails the case instead.

/// Why a request has no (whole) response, or no client could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// `target.base_url` is not a URL.
    #[error("the base URL `{url}` is not a URL: {reason}")]
    BaseUrl {
        /// The configured address.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client cannot be made.
    #[error("cannot create the HTTP client: {0}")]
    Client(String),
    /// The method is not an HTTP method.
    #[error("`{0}` is not an HTTP method")]
    Method(String),
    /// The target is not a URL.
    #[error("`{url}` is not a URL: {reason}")]
    Url {
        /// The target.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The target is not `http://` (a concurrent group's requests).
    #[error("{0}: only http:// targets are supported")]
    Scheme(String),
    /// Nothing listens there.
    #[error("cannot connect to {0}: nothing answers there")]
    Refused(String),
    /// The connection was not made within the request timeout.
    #[error("cannot connect to {url} within {ms} ms")]
    ConnectTimeout {
        /// The target.
        url: String,
        /// The request timeout.
        ms: u128,
    },
    /// No response within the request timeout.
    #[error("no response from {url} within {ms} ms (the request timeout)")]
    Timeout {
        /// The target.
        url: String,
        /// The request timeout.
        ms: u128,
    },
    /// The response's body went past `[limits] max_body`: the service
    /// answered, so this fails the case rather than erring.
    #[error("{0}: itspec stopped reading it there (raise `[limits] max_body` to read it whole)")]
    TooLarge(String),
    /// The exchange failed otherwise (the connection broke, the task
    /// failed).
    #[error("{0}")]
    Failed(String),
}

impl HttpError {
    /// Whether the service answered: its response failed the case, where
    /// every other reason is an error of the case.
    pub fn answered(&self) -> bool {
        matches!(self, HttpError::TooLarge(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_body_past_the_cap_was_an_answer() {
        let url = "http://127.0.0.1:9/x".to_string();
        let all = [
            HttpError::Method("GE T".to_string()),
            HttpError::Url {
                url: url.clone(),
                reason: "no".to_string(),
            },
            HttpError::Scheme(url.clone()),
            HttpError::Refused(url.clone()),
            HttpError::ConnectTimeout {
                url: url.clone(),
                ms: 5,
            },
            HttpError::Timeout {
                url: url.clone(),
                ms: 5,
            },
            HttpError::Failed("broken".to_string()),
        ];
        assert!(all.iter().all(|error| !error.answered()));
        let too_large = HttpError::TooLarge("the response body went past 1 MB".to_string());
        assert!(too_large.answered());
        assert_eq!(
            too_large.to_string(),
            "the response body went past 1 MB: itspec stopped reading it there (raise `[limits] max_body` to read it whole)"
        );
        assert_eq!(
            HttpError::Timeout { url, ms: 5 }.to_string(),
            "no response from http://127.0.0.1:9/x within 5 ms (the request timeout)"
        );
    }
}
