//! JSON-like values with spans, read from JSON, YAML and Python literals.

use serde::Serialize;

use super::var::VarRef;
use crate::source::{Span, Spanned};

/// A value written in the spec: a JSON body, a YAML fixture row, a Python
/// literal. Unquoted `{{variables}}` stay variables until run time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Value {
    /// What the value is.
    pub kind: ValueKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of [`Value`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ValueKind {
    /// `null`, `None`, `~`.
    Null,
    /// `true`, `True`.
    Bool(bool),
    /// A number, kept exactly as JSON would.
    Number(serde_json::Number),
    /// A string. `{{variables}}` inside it are interpolated as text.
    String(String),
    /// An array, list or tuple.
    Array(Vec<Value>),
    /// An object, mapping or dict, in written order.
    Object(Vec<Member>),
    /// An unquoted `{{variable}}`: replaced by the variable's JSON value.
    Var(VarRef),
}

/// One key and value of an object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// The key.
    pub key: Spanned<String>,
    /// The value.
    pub value: Value,
}

impl Value {
    /// A value of the given kind.
    pub fn new(kind: ValueKind, span: Span) -> Self {
        Self { kind, span }
    }

    /// The value as JSON, or `None` when it holds an unquoted variable.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match &self.kind {
            ValueKind::Null => serde_json::Value::Null,
            ValueKind::Bool(b) => serde_json::Value::Bool(*b),
            ValueKind::Number(n) => serde_json::Value::Number(n.clone()),
            ValueKind::String(s) => serde_json::Value::String(s.clone()),
            ValueKind::Array(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect::<Option<_>>()?)
            }
            ValueKind::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|m| Some((m.key.value.clone(), m.value.to_json()?)))
                    .collect::<Option<_>>()?,
            ),
            ValueKind::Var(_) => return None,
        })
    }

    /// The member of an object with this key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match &self.kind {
            ValueKind::Object(members) => members
                .iter()
                .find(|m| m.key.value == key)
                .map(|m| &m.value),
            _ => None,
        }
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// Visits this value and every value inside it, depth first.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Value)) {
        visit(self);
        match &self.kind {
            ValueKind::Array(items) => items.iter().for_each(|item| item.walk(visit)),
            ValueKind::Object(members) => members.iter().for_each(|m| m.value.walk(visit)),
            _ => {}
        }
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ValueKind::Null => "null",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Number(_) => "a number",
            ValueKind::String(_) => "a string",
            ValueKind::Array(_) => "an array",
            ValueKind::Object(_) => "an object",
            ValueKind::Var(_) => "a variable",
        }
    }
}
