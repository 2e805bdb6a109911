//! Actions: the requests of a sequence or concurrency case (FORMAT §8).

use serde::Serialize;

use super::case::{Body, Header};
use super::value::Value;
use super::var::VarRef;
use crate::source::{Span, Spanned};

/// `Request <Label> [(concurrent)] [(xN)]: METHOD /path [JSON | with VAR]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Action {
    /// `A`.
    pub label: Spanned<String>,
    /// `(concurrent)`: joins the group of the request before it.
    pub concurrent: bool,
    /// `(xN)`: N copies, labelled `A1` … `AN`.
    pub copies: Option<Spanned<u32>>,
    /// The method, uppercase.
    pub method: Spanned<String>,
    /// The path and query.
    pub target: Spanned<String>,
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
