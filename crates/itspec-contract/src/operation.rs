//! The operations of a document and how a spec or a request finds one.

use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation: a method on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Its `operationId`, when it has one.
    pub id: Option<String>,
    /// The method, uppercase.
    pub method: String,
    /// The path as documented, with its `{parameters}`.
    pub path: String,
    /// Its JSON pointer in the document: `/paths/~1orders/post`.
    pub pointer: String,
    /// The documented response statuses, as written (`201`, `4XX`,
    /// `default`).
    pub statuses: Vec<String>,
    /// Whether it documents a JSON request body.
    pub has_body: bool,
}

impl Operation {
    /// How messages name it: its id, else `METHOD /path`.
    pub fn name(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// The documented status that covers `status`: itself, its range
    /// (`4XX`), or `default`.
    pub fn documented(&self, status: u16) -> Option<&str> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        [exact.as_str(), range.as_str(), "default"]
            .into_iter()
            .find_map(|want| {
                self.statuses
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(want))
                    .map(String::as_str)
            })
    }

    /// Whether `path` (without its query) is this operation's path, each
    /// `{parameter}` standing for one non-empty segment.
    pub(crate) fn matches(&self, path: &str) -> bool {
        let want: Vec<&str> = self.path.trim_end_matches('/').split('/').collect();
        let have: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        want.len() == have.len()
            && want
                .iter()
                .zip(&have)
                .all(|(w, h)| (w.starts_with('{') && w.ends_with('}') && !h.is_empty()) || w == h)
    }

    /// How many segments are literal: a literal `/orders/mine` wins over
    /// `/orders/{id}`.
    pub(crate) fn literal_segments(&self) -> usize {
        self.path.split('/').filter(|s| !s.starts_with('{')).count()
    }
}

/// Every operation of a document, in document order.
pub(crate) fn operations(doc: &Value) -> Vec<Operation> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let statuses = operation
                .get("responses")
                .and_then(Value::as_object)
                .map(|responses| responses.keys().cloned().collect())
                .unwrap_or_default();
            found.push(Operation {
                id: operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                method: method.to_uppercase(),
                path: path.clone(),
                pointer: format!("/paths/{}/{method}", escape(path)),
                statuses,
                has_body: operation.get("requestBody").is_some(),
            });
        }
    }
    found
}

/// A JSON pointer segment: `~` → `~0`, `/` → `~1`.
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// `%7B` → `{`: a pointer written in a URI fragment.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
