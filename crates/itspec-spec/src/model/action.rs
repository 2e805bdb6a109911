//! Actions: the requests of a sequence or concurrency case (FORMAT §8),
//! and the messages it publishes (CHANNELS.md §4).

use serde::Serialize;

use super::case::{Body, Header};
use super::value::Value;
use super::var::VarRef;
use crate::source::{Span, Spanned};

/// `Request <Label> [(concurrent)] [(xN)]: METHOD /path [JSON | with VAR]`,
/// or `Publish <Label> [(…)]: BROKER DESTINATION… [JSON | with VAR]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Action {
    /// `A`.
    pub label: Spanned<String>,
    /// `(concurrent)`: joins the group of the step before it.
    pub concurrent: bool,
    /// `(xN)`: N copies, labelled `A1` … `AN`.
    pub copies: Option<Spanned<u32>>,
    /// A request, or a message published.
    pub kind: ActionKind,
    /// The body.
    pub body: Option<ActionBody>,
    /// Headers listed under the item.
    pub headers: Vec<Header>,
    /// The whole item.
    pub span: Span,
}

impl Action {
    /// The labels of the requests this item makes: `A`, or `A1` … `AN`.
    pub fn labels(&self) -> Vec<String> {
        match &self.copies {
            Some(copies) => (1..=copies.value)
                .map(|i| format!("{}{i}", self.label.value))
                .collect(),
            None => vec![self.label.value.clone()],
        }
    }

    /// How many requests this item makes.
    pub fn count(&self) -> usize {
        self.copies.as_ref().map_or(1, |c| c.value as usize)
    }
}

/// What an action does.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionKind {
    /// `Request A: METHOD /path`.
    Request {
        /// The method, uppercase.
        method: Spanned<String>,
        /// The path and query.
        target: Spanned<String>,
    },
    /// `Publish A: BROKER DESTINATION…`: a message, as `**Publish:**`
    /// sends one.
    Publish {
        /// The broker, as named under `[brokers.NAME]`.
        broker: Spanned<String>,
        /// The words after it, as written (variables not yet replaced).
        destination: Vec<Spanned<String>>,
    },
}

impl Action {
    /// `METHOD /path` when it is a request.
    pub fn request(&self) -> Option<(&Spanned<String>, &Spanned<String>)> {
        match &self.kind {
            ActionKind::Request { method, target } => Some((method, target)),
            ActionKind::Publish { .. } => None,
        }
    }

    /// Whether it publishes a message (and so has no response).
    pub fn is_publish(&self) -> bool {
        matches!(self.kind, ActionKind::Publish { .. })
    }

    /// `Request` or `Publish`, for messages.
    pub fn keyword(&self) -> &'static str {
        if self.is_publish() {
            "Publish"
        } else {
            "Request"
        }
    }
}

/// The body of an action.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ActionBody {
    /// Inline JSON.
    Json(Value),
    /// `with VARIABLE`: the variable's JSON value.
    With(VarRef),
    /// A ```form, ```text or ```xml block under the item, sent with its
    /// content type (a ```json block is [`ActionBody::Json`]).
    Block(Body),
}

/// Requests released together by one barrier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group<'a> {
    /// The items of the group, in order.
    pub actions: Vec<&'a Action>,
}

impl Group<'_> {
    /// How many requests the group sends.
    pub fn size(&self) -> usize {
        self.actions.iter().map(|a| a.count()).sum()
    }
}
