//! What a broker carried during a case: every message published on a
//! watched topic, in arrival order (CHANNELS.md §7).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message a broker carried.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Message {
    /// The topic it was published on: routing key, subject, channel.
    pub topic: String,
    /// Its headers or properties, when the broker has them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The body as text (bytes that are not UTF-8 as `\xNN`).
    pub body: String,
    /// The body as JSON, when it is JSON.
    #[serde(skip)]
    pub json: Option<Value>,
    /// When it arrived, in milliseconds since the case's Setup ended.
    pub at_ms: f64,
    /// Bytes of the body that reports leave out (see
    /// [`crate::display::DISPLAY_BODY`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<u64>,
}

impl Message {
    /// A message with `body` read as text, and as JSON when it is JSON.
    pub fn new(topic: String, headers: Vec<(String, String)>, body: &[u8], at_ms: f64) -> Self {
        let body = text(body);
        Self {
            json: serde_json::from_str(&body).ok(),
            topic,
            headers,
            body,
            at_ms,
            body_omitted: None,
        }
    }

    /// One line for reports: `orders.created {"id":1}`.
    pub fn summary(&self) -> String {
        format!(
            "{} {}",
            self.topic,
            crate::display::one_line(&self.body, self.json.as_ref())
        )
    }

    /// The body as a JSON value: parsed JSON, else the text.
    pub fn body_value(&self) -> Value {
        self.json
            .clone()
            .unwrap_or_else(|| Value::String(self.body.clone()))
    }
}

/// Bytes as text: UTF-8 as it is, any other byte as `\xNN`.
pub fn text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_read_as_json_when_it_is_and_kept_whole_when_it_is_not_utf8() {
        let json = Message::new("orders.created".into(), Vec::new(), br#"{"id": 7}"#, 1.5);
        assert_eq!(json.json, Some(serde_json::json!({"id": 7})));
        assert_eq!(json.summary(), r#"orders.created {"id":7}"#);
        let binary = Message::new("raw".into(), Vec::new(), b"ok\xff\x00", 0.0);
        assert_eq!(binary.body, "ok\\xFF\u{0}");
        assert_eq!(binary.json, None);
        assert_eq!(binary.body_value(), Value::String("ok\\xFF\u{0}".into()));
    }
}
