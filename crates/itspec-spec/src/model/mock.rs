//! Mock servers of external dependencies (FORMAT §6).

use serde::Serialize;

use super::value::Value;
use crate::source::{Span, Spanned};

/// One mock: an HTTP server itspec starts on loopback.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mock {
    /// Its name, used in config (`[mocks.NAME]`) and assertions.
    pub name: Spanned<String>,
    /// The docstring, saying why it is mocked.
    pub doc: Option<String>,
    /// What it answers.
    pub kind: MockKind,
    /// The definition.
    pub span: Span,
}

/// How a mock answers.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum MockKind {
    /// `mocker.patch("module.path", return_value=VALUE)`: every request
    /// gets 200 and VALUE as JSON.
    Patch {
        /// The patched module path, kept as documentation.
        target: Spanned<String>,
        /// The JSON body of every answer.
        return_value: Value,
    },
    /// The native YAML form: routes tried in order.
    Routes {
        /// The routes.
        routes: Vec<MockRoute>,
    },
}

/// `when: METHOD /path` with an optional body match, and its answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MockRoute {
    /// The method, uppercase, or `*` for any.
    pub method: Spanned<String>,
    /// The path: `/items/{id}` matches one segment, `*` the rest.
    pub path: Spanned<String>,
    /// The request body must match this (FORMAT §4.2 markers).
    pub body: Option<Value>,
    /// The answer.
    pub response: MockResponse,
    /// The route's definition.
    pub span: Span,
}

/// What a mock route answers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MockResponse {
    /// The status (default 200).
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body: JSON, or text when a string.
    pub body: Option<Value>,
    /// Wait this long (milliseconds) before answering.
    pub delay_ms: Option<u64>,
    /// Answer with a fault instead.
    pub fault: Option<Fault>,
}

impl Default for MockResponse {
    fn default() -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: None,
            delay_ms: None,
            fault: None,
        }
    }
}

/// A network fault a mock can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Close the connection with a TCP reset.
    Reset,
    /// Never answer.
    Timeout,
}

/// What a setup line `mock NAME METHOD PATH -> …` changes for one case.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MockOverride {
    /// The status to answer with instead.
    pub status: Option<u16>,
    /// The body to answer with instead.
    pub body: Option<Value>,
    /// Wait this long (milliseconds) before answering.
    pub delay_ms: Option<u64>,
    /// Answer with a fault instead.
    pub fault: Option<Fault>,
}
