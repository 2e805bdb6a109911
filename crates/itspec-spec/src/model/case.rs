//! Test cases and their fields (FORMAT §3).

use serde::Serialize;

use super::action::{Action, Group};
use super::assertion::{Assertion, Subject};
use super::setup::Setup;
use super::value::Value;
use super::var::VarUse;
use crate::source::{Span, Spanned};

/// One `### TC-INT-NNN: Name` case.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestCase {
    /// `TC-INT-001`.
    pub id: Spanned<String>,
    /// The number at the end of the id.
    pub number: Option<u32>,
    /// The name after the colon.
    pub name: Spanned<String>,
    /// `**Description:**`.
    pub description: Option<Spanned<String>>,
    /// `**Request:**` and its headers.
    pub request: Option<RequestLine>,
    /// `**Publish:**`: a message published as the case's input, instead
    /// of a request.
    pub publish: Option<PublishLine>,
    /// `**Setup:**`.
    pub setup: Option<Setup>,
    /// `**Fixtures:**`; absent means every Data Fixture.
    pub fixtures: FixtureSelection,
    /// `**Input:**`.
    pub input: Option<Body>,
    /// `**Expected Output:**`.
    pub expected_output: Option<ExpectedOutput>,
    /// `**Expected:**`: `Status:`, `Error code:`, `Message contains:` and
    /// assertion lines, as assertions.
    pub expected: Vec<Assertion>,
    /// `**Assertions:**`.
    pub assertions: Vec<Assertion>,
    /// `**Actions:**`.
    pub actions: Vec<Action>,
    /// Whether every Actions item could be read. When one could not, its
    /// error is reported and checks that need the whole list (labels,
    /// concurrent groups) are skipped rather than piled on.
    pub actions_complete: bool,
    /// `**Capture:**`.
    pub captures: Vec<Capture>,
    /// `**Repeat:**`.
    pub repeat: Option<Spanned<u32>>,
    /// `**Tags:**`.
    pub tags: Vec<Spanned<String>>,
    /// `**Skip:**` and its reason.
    pub skip: Option<Spanned<String>>,
    /// Every `{{variable}}` in the case's executable parts.
    pub vars: Vec<VarUse>,
    /// The heading.
    pub heading_span: Span,
    /// The whole case, heading to last block.
    pub span: Span,
}

/// How a case sends its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// One request.
    Single,
    /// Actions run one after another.
    Sequence,
    /// Actions with a group of more than one request released together.
    Concurrent,
}

impl CaseKind {
    /// `single`, `sequence` or `concurrent`.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Single => "single",
            CaseKind::Sequence => "sequence",
            CaseKind::Concurrent => "concurrent",
        }
    }
}

impl TestCase {
    /// How the case sends its requests.
    pub fn kind(&self) -> CaseKind {
        if self.actions.is_empty() {
            CaseKind::Single
        } else if self.groups().iter().any(|group| group.size() > 1) {
            CaseKind::Concurrent
        } else {
            CaseKind::Sequence
        }
    }

    /// The Actions in groups (FORMAT §8): a request marked `(concurrent)`
    /// joins the group before it; any other starts a new one.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group<'_>> = Vec::new();
        for action in &self.actions {
            match groups.last_mut() {
                Some(group) if action.concurrent => group.actions.push(action),
                _ => groups.push(Group {
                    actions: vec![action],
                }),
            }
        }
        groups
    }

    /// Whether its input is only published messages (`**Publish:**`, or
    /// Actions that all publish): it has no response.
    pub fn publishes_only(&self) -> bool {
        self.publish.is_some()
            || (!self.actions.is_empty() && self.actions.iter().all(Action::is_publish))
    }

    /// Every assertion of the case: Expected lines first, then Assertions.
    pub fn all_assertions(&self) -> impl Iterator<Item = &Assertion> {
        self.expected.iter().chain(&self.assertions)
    }
}

/// `**Publish:** BROKER DESTINATION` and the body block under it
/// (CHANNELS.md §4): DESTINATION is a Redis channel, or a RabbitMQ
/// exchange and routing key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublishLine {
    /// The broker, as named under `[brokers.NAME]`.
    pub broker: Spanned<String>,
    /// The words after it, as written (variables not yet replaced).
    pub destination: Vec<Spanned<String>>,
    /// The message's body.
    pub body: Option<Body>,
    /// Headers (properties) listed under the line.
    pub headers: Vec<Header>,
    /// The label's line.
    pub span: Span,
}

/// `METHOD /path?query` and the headers listed under it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestLine {
    /// The method, uppercase.
    pub method: Spanned<String>,
    /// The path and query, `{{variables}}` included.
    pub target: Spanned<String>,
    /// Headers for this request.
    pub headers: Vec<Header>,
    /// The whole line.
    pub span: Span,
}

/// `Name: value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Header {
    /// The name as written; names compare case-insensitively.
    pub name: Spanned<String>,
    /// The value, `{{variables}}` included.
    pub value: Spanned<String>,
}

/// Which Data Fixtures a case uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "use", content = "names", rename_all = "snake_case")]
pub enum FixtureSelection {
    /// No `**Fixtures:**` line: every Data Fixture.
    #[default]
    All,
    /// `**Fixtures:** none`.
    None,
    /// `**Fixtures:** a, b`.
    Named(Vec<Spanned<String>>),
}

/// The request body of `**Input:**`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Body {
    /// The type, from the block's language.
    pub kind: BodyKind,
    /// The text of the block, before interpolation.
    pub text: String,
    /// The parsed JSON, for JSON bodies that parse.
    pub json: Option<Value>,
    /// The block.
    pub span: Span,
}

/// Body types of `**Input:**`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// `json` (also no language): `application/json`.
    Json,
    /// `text`: `text/plain`.
    Text,
    /// `xml`: `application/xml`.
    Xml,
    /// `form`: `application/x-www-form-urlencoded`, one `name=value` per line.
    Form,
}

/// `**Expected Output:**`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "body", rename_all = "snake_case")]
pub enum ExpectedOutput {
    /// A `json` block, matched with markers (FORMAT §4.2).
    Json(Value),
    /// A `text` block, matched exactly.
    Text(Spanned<String>),
}

/// `- name = subject` of `**Capture:**`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Capture {
    /// The variable it defines for later cases.
    pub name: Spanned<String>,
    /// Where its value is read.
    pub subject: Subject,
    /// The whole line.
    pub span: Span,
}
