//! Sending requests and recording responses.

mod body;
mod burst;
mod error;
mod last_byte;
mod limit;

use std::time::{Duration, Instant};

pub use body::encode_body;
pub use burst::{Timed, burst, start_skew};
pub use error::HttpError;
pub use limit::{BodyError, BodyLimit, DEFAULT_MAX_BODY};

use itspec_results::{RequestRecord, ResponseRecord};

/// A request ready to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The method, uppercase.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers, in order; names are sent as written.
    pub headers: Vec<(String, String)>,
    /// The body and its content type.
    pub body: Option<(Vec<u8>, &'static str)>,
}

/// How the requests of a concurrent group are let go together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Release {
    /// Every request written up to its head's final byte on its own
    /// connection, then those bytes and the bodies back to back: the
    /// server has parsed every head but a byte, and can start on none
    /// before the release (the default; `[concurrency] release =
    /// "last-byte"`).
    #[default]
    LastByte,
    /// Every request handed to its connection at the release and written
    /// whole (`[concurrency] release = "whole"`).
    Whole,
}

/// The HTTP client of a run: one connection pool, one timeout, the
/// configured default headers, the cap on response bodies, how a burst is
/// released.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    base: String,
    default_headers: Vec<(String, String)>,
    timeout: Duration,
    max_body: BodyLimit,
    release: Release,
}

impl Http {
    /// A client for `base_url`.
    pub fn new(
        base_url: &str,
        timeout: Duration,
        default_headers: Vec<(String, String)>,
    ) -> Result<Self, HttpError> {
        reqwest::Url::parse(base_url).map_err(|error| HttpError::BaseUrl {
            url: base_url.to_string(),
            reason: error.to_string(),
        })?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| HttpError::Client(error.to_string()))?;
        Ok(Self {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            default_headers,
            timeout,
            max_body: BodyLimit::default(),
            release: Release::default(),
        })
    }

    /// The same client with another cap on response bodies (16 MB by
    /// default).
    #[must_use]
    pub fn with_max_body(mut self, max_body: BodyLimit) -> Self {
        self.max_body = max_body;
        self
    }

    /// The same client releasing bursts another way.
    #[must_use]
    pub fn with_release(mut self, release: Release) -> Self {
        self.release = release;
        self
    }

    /// The cap on response bodies.
    pub fn max_body(&self) -> &BodyLimit {
        &self.max_body
    }

    /// A response whose body went past the cap.
    pub(crate) fn too_large(&self) -> HttpError {
        HttpError::TooLarge(self.max_body.exceeded("the response body"))
    }

    /// The URL of a request target: a path is appended to the base URL, an
    /// absolute URL is used as it is.
    pub fn url(&self, target: &str) -> String {
        if target.starts_with("http://") || target.starts_with("https://") {
            target.to_string()
        } else if target.starts_with('/') {
            format!("{}{target}", self.base)
        } else {
            format!("{}/{target}", self.base)
        }
    }

    /// The configured headers, replaced by the request's own of the same
    /// name (names compare without regard to case).
    pub fn headers(&self, own: Vec<(String, String)>) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = self
            .default_headers
            .iter()
            .filter(|(name, _)| !own.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
            .cloned()
            .collect();
        headers.extend(own);
        headers
    }

    /// Sends a request; the record of what was sent, and the response or why
    /// there is none.
    pub async fn send(
        &self,
        outgoing: Outgoing,
    ) -> (RequestRecord, Result<ResponseRecord, HttpError>) {
        let (record, headers) = self.record(&outgoing);
        let result = self
            .exchange(outgoing.method, outgoing.url, headers, outgoing.body)
            .await;
        (record, result)
    }

    /// The record of a request as it will be sent, and its headers (the
    /// body's content type added when none is given).
    pub fn record(&self, outgoing: &Outgoing) -> (RequestRecord, Vec<(String, String)>) {
        let mut headers = outgoing.headers.clone();
        if let Some((_, content_type)) = &outgoing.body
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".to_string(), (*content_type).to_string()));
        }
        let record = RequestRecord {
            method: outgoing.method.clone(),
            url: outgoing.url.clone(),
            headers: headers.clone(),
            body: outgoing
                .body
                .as_ref()
                .map(|(bytes, _)| String::from_utf8_lossy(bytes).into_owned()),
            body_omitted: None,
        };
        (record, headers)
    }

    async fn exchange(
        &self,
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<(Vec<u8>, &'static str)>,
    ) -> Result<ResponseRecord, HttpError> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| HttpError::Method(method.clone()))?;
        let mut request = self.client.request(method, &url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if let Some((bytes, _)) = body {
            request = request.body(bytes);
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|error| self.describe(&url, &error))?;
        let status = response.status().as_u16();
        let headers = header_list(response.headers());
        let bytes = match self.max_body.read_response(response).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge) => return Err(self.too_large()),
            Err(BodyError::Failed(error)) => {
                return Err(HttpError::Failed(format!("{url}: {error}")));
            }
        };
        Ok(response_record(status, headers, &bytes, started))
    }

    fn describe(&self, url: &str, error: &reqwest::Error) -> HttpError {
        if error.is_timeout() {
            return HttpError::Timeout {
                url: url.to_string(),
                ms: self.timeout.as_millis(),
            };
        }
        if error.is_connect() {
            return HttpError::Refused(url.to_string());
        }
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        HttpError::Failed(message)
    }
}

/// A response's headers as recorded: names lowercased, in order, values
/// as text.
pub(crate) fn header_list(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A response as recorded: the body as text and, when it is JSON, parsed;
/// its duration since `started`.
pub(crate) fn response_record(
    status: u16,
    headers: Vec<(String, String)>,
    bytes: &[u8],
    started: Instant,
) -> ResponseRecord {
    ResponseRecord {
        status,
        headers,
        body: String::from_utf8_lossy(bytes).into_owned(),
        json: serde_json::from_slice(bytes).ok(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        body_omitted: None,
    }
}
