//! One request as sent and the response as received.

use serde::{Deserialize, Serialize};

use crate::Span;

/// One request and its response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exchange {
    /// The Actions label, when there is one.
    pub label: Option<String>,
    /// What was sent.
    pub request: RequestRecord,
    /// What came back, unless the request failed.
    pub response: Option<ResponseRecord>,
    /// Why the request failed (connection refused, timeout).
    pub error: Option<String>,
    /// Where the request is written in the spec.
    pub span: Span,
    /// In a concurrent group: when it was sent and when its response had
    /// arrived, in milliseconds after the group's first request was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<(f64, f64)>,
}

/// A request as sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// The headers sent.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: Option<String>,
    /// Bytes of the body that reports leave out: a body over
    /// [`crate::display::DISPLAY_BODY`] keeps its start only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<u64>,
}

/// A response as received.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponseRecord {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body as JSON, when it is JSON.
    #[serde(skip)]
    pub json: Option<serde_json::Value>,
    /// From sending the request to the end of the body.
    pub duration_ms: f64,
    /// Bytes of the body that reports leave out: a body over
    /// [`crate::display::DISPLAY_BODY`] keeps its start only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<u64>,
}

impl ResponseRecord {
    /// The first value of a header (names compare without regard to case);
    /// several values are joined with `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The body as a JSON value: parsed JSON, else the text.
    pub fn body_value(&self) -> serde_json::Value {
        self.json
            .clone()
            .unwrap_or_else(|| serde_json::Value::String(self.body.clone()))
    }
}
