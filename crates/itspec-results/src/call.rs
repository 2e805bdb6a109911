//! What a mock received during a case: every request, in arrival order,
//! with the route it took and what it was answered.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One request a mock received.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Call {
    /// The method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, when there is one.
    pub query: Option<String>,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
    /// The body as JSON, when it is JSON.
    #[serde(skip)]
    pub json: Option<Value>,
    /// When it arrived, in milliseconds since the case began.
    pub at_ms: f64,
    /// The route it took (`POST /charges`); `None`: no route matched.
    pub route: Option<String>,
    /// What it was answered: `201`, `reset`, `timeout`, `404 (no route)`.
    pub answer: String,
    /// Why the mock refused it without routing it: its body went past
    /// `[limits] max_body`. Such a call fails the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Bytes of the body that reports leave out (see
    /// [`crate::display::DISPLAY_BODY`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<u64>,
}

impl Call {
    /// Whether no route matched it (a refused call was not routed at all).
    pub fn is_unexpected(&self) -> bool {
        self.route.is_none() && self.refused.is_none()
    }

    /// One line for reports: `POST /charges {"amount":500} → 201`.
    pub fn summary(&self) -> String {
        let query = self
            .query
            .as_ref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let body = if self.body.is_empty() {
            String::new()
        } else {
            format!(
                " {}",
                crate::display::one_line(&self.body, self.json.as_ref())
            )
        };
        format!(
            "{} {}{query}{body} → {}",
            self.method, self.path, self.answer
        )
    }

    /// The body as a JSON value: parsed JSON, else the text.
    pub fn body_value(&self) -> Value {
        self.json
            .clone()
            .unwrap_or_else(|| Value::String(self.body.clone()))
    }
}
