//! The assertion grammar's syntax tree (FORMAT §4).

use serde::Serialize;

use super::value::Value;
use crate::ValueType;
use crate::source::{Span, Spanned};

/// One assertion line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assertion {
    /// What it checks.
    pub kind: AssertionKind,
    /// The line's text, as written (without the list marker).
    pub text: String,
    /// Where it is.
    pub span: Span,
    /// `within 5s: …`: retried until it holds or this many milliseconds
    /// have passed since the case's last request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<u64>,
}

/// What an assertion checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AssertionKind {
    /// `subject predicate`: `status == 201`, `row t where id = 1 has a = 2`.
    Check {
        /// What is looked at.
        subject: Subject,
        /// What must hold of it.
        predicate: Predicate,
    },
    /// A fixed phrase: `database unchanged`, `no side effects`, …
    Phrase {
        /// Which one.
        phrase: Phrase,
    },
    /// A call of a Database State Verification check: `assert_x(var)`.
    Call {
        /// The check's name.
        name: Spanned<String>,
        /// Its arguments.
        args: Vec<Operand>,
    },
    /// `Error code: X` of an Expected list: the error code read from the
    /// response through the configured paths equals X.
    ErrorCode {
        /// The expected code.
        code: Operand,
    },
    /// `Message contains: "…"` of an Expected list.
    MessageContains {
        /// The expected fragment.
        text: Operand,
    },
    /// `no messages [on NAME [TOPIC]]`: nothing was published on the
    /// watched topics of every broker, one broker, or one topic of it.
    NoMessages {
        /// Only this broker.
        broker: Option<Spanned<String>>,
        /// Only this topic of it (the broker's wildcards).
        topic: Option<Spanned<String>>,
    },
    /// `no emails [to "ADDR"]`: the service sent no e-mail (to ADDR).
    NoEmails {
        /// Only e-mails to this address.
        to: Option<Spanned<String>>,
    },
    /// A line that is not in the grammar: kept, reported as unverified.
    Prose {
        /// The nearest grammatical form, when one is close.
        hint: Option<String>,
    },
}

/// What an assertion looks at.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Subject {
    /// Which subject.
    pub kind: SubjectKind,
    /// Where it is written.
    pub span: Span,
}

/// The subjects of the grammar.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum SubjectKind {
    /// A part of a response: the case's (last) response, or a labelled one.
    Response {
        /// `A` in `A.status`; `None` for the case's last response.
        label: Option<Spanned<String>>,
        /// Which part.
        part: ResponsePart,
    },
    /// `statuses`: the statuses of the concurrent group, in label order.
    Statuses,
    /// `count(status OP V)`: how many of the group's statuses satisfy it.
    CountStatus {
        /// The comparison.
        op: CmpOp,
        /// The status compared with.
        value: Operand,
    },
    /// `row TABLE where COND {and COND}`: exactly one row.
    Row {
        /// The table.
        table: Spanned<String>,
        /// The conditions.
        conditions: Vec<Condition>,
    },
    /// `rows TABLE [where COND {and COND}]`: a set of rows.
    Rows {
        /// The table.
        table: Spanned<String>,
        /// The conditions (none: every row).
        conditions: Vec<Condition>,
    },
    /// `sql "SELECT …"`: the first column of the first row.
    Sql {
        /// The query, `{{variables}}` included.
        query: Spanned<String>,
    },
    /// `mock NAME [METHOD PATH] calls`: how many calls were recorded.
    MockCalls {
        /// The mock.
        mock: Spanned<String>,
        /// Only calls to this route.
        route: Option<RouteRef>,
    },
    /// `mock NAME [METHOD PATH]` before `received`: the recorded calls.
    Mock {
        /// The mock.
        mock: Spanned<String>,
        /// Only calls to this route.
        route: Option<RouteRef>,
    },
    /// `message NAME [TOPIC]` before `received`, or `message NAME [TOPIC]
    /// header H` before `== V`: some message published on a watched topic
    /// of broker NAME.
    Message {
        /// The broker, as named under `[brokers.NAME]`.
        broker: Spanned<String>,
        /// Only messages on this topic (routing key, subject, channel),
        /// with the broker's wildcards.
        topic: Option<Spanned<String>>,
        /// `header H`: the message's header or property H is compared.
        header: Option<Spanned<String>>,
    },
    /// `messages NAME [TOPIC]` before `count`: the messages published.
    Messages {
        /// The broker.
        broker: Spanned<String>,
        /// Only messages on this topic.
        topic: Option<Spanned<String>>,
    },
    /// `key NAME "KEY" [ttl]`: a Redis key's value (a string as JSON or
    /// text, a hash as an object, a list, a set, a sorted set as an
    /// object of scores), or with `ttl` the seconds it has left.
    Key {
        /// The broker, a Redis one.
        broker: Spanned<String>,
        /// The key, variables not yet replaced.
        key: Spanned<String>,
        /// `ttl`: the seconds left (`-1`: it never expires).
        ttl: bool,
    },
    /// `email [to "ADDR"] PART`: the e-mails the service sent (to ADDR,
    /// in To, Cc or the envelope).
    Email {
        /// Only e-mails to this address, variables not yet replaced.
        to: Option<Spanned<String>>,
        /// What of them is looked at.
        part: EmailPart,
    },
    /// `emails [to "ADDR"]` before `count`: how many were sent.
    Emails {
        /// Only e-mails to this address.
        to: Option<Spanned<String>>,
    },
}

/// What an `email` assertion looks at.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "part", content = "of", rename_all = "snake_case")]
pub enum EmailPart {
    /// `received` / `not received`: whether one was sent.
    Received,
    /// `subject`.
    Subject,
    /// `body`: the text and the HTML parts.
    Body,
    /// `from`.
    From,
    /// `header NAME`.
    Header(Spanned<String>),
    /// `attachment "NAME"`, before `exists` or `not exists`.
    Attachment(Spanned<String>),
}

/// A part of an HTTP response.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "part", content = "of", rename_all = "snake_case")]
pub enum ResponsePart {
    /// `status`.
    Status,
    /// `header NAME`.
    Header(Spanned<String>),
    /// `body` or `body.a[0].b`: a dotted path into the body.
    Body(Vec<PathSegment>),
    /// `$.a[0].b`: an RFC 9535 JSONPath query.
    JsonPath(Spanned<String>),
    /// `duration`: time from sending the request to the end of the response.
    Duration,
}

/// One step of a dotted body path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathSegment {
    /// `.key` or `["key"]`.
    Key(String),
    /// `[0]`; negative counts from the end.
    Index(i64),
}

/// A method and path naming a mock route: `POST /charges`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteRef {
    /// The method, uppercase.
    pub method: Spanned<String>,
    /// The path.
    pub path: Spanned<String>,
}

/// A condition on a column: `sku = "SKU-1"`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Condition {
    /// The column.
    pub column: Spanned<String>,
    /// The comparison.
    pub op: CmpOp,
    /// The value compared with (`null` means SQL NULL).
    pub value: Operand,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    /// `==` (or `=` in conditions).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// The operator as written in the grammar.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// What must hold of a subject.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "predicate", rename_all = "snake_case")]
pub enum Predicate {
    /// `== V`, `!= V`, `< V`, …
    Compare {
        /// The operator.
        op: CmpOp,
        /// The value.
        value: Operand,
    },
    /// `in [V, …]`.
    In {
        /// The allowed values.
        values: Vec<Operand>,
    },
    /// `contains V` (`not contains V` when negated).
    Contains {
        /// The fragment, element or member.
        value: Operand,
        /// `not contains`.
        negated: bool,
    },
    /// `matches "regex"`: the whole value matches.
    Matches {
        /// The regular expression.
        regex: Spanned<String>,
    },
    /// `exists`.
    Exists,
    /// `not exists`.
    NotExists,
    /// `is TYPE`.
    Is {
        /// The type or format.
        type_name: Spanned<ValueType>,
    },
    /// `has COL = V {, COL = V}` (row subjects).
    Has {
        /// The column values.
        columns: Vec<Condition>,
    },
    /// `count OP N` (rows and messages subjects).
    Count {
        /// The operator.
        op: CmpOp,
        /// The number.
        value: Operand,
    },
    /// `received JSON` (mock and message subjects): some call's or
    /// message's body contains the JSON.
    Received {
        /// The expected body subset.
        body: Value,
    },
    /// `== [V, …] in any order` (statuses): equal as multisets.
    InAnyOrder {
        /// The expected values.
        values: Vec<Operand>,
    },
}

/// A value on the right of a predicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Operand {
    /// What it is.
    pub kind: OperandKind,
    /// Where it is written.
    pub span: Span,
}

/// The kinds of [`Operand`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum OperandKind {
    /// A JSON literal or a `{{variable}}` (a [`ValueKind::Var`](super::ValueKind::Var)).
    Value(Value),
    /// `500ms`, `2s`: a duration in milliseconds.
    Duration(u64),
    /// `4xx`: any status of that class (the hundreds digit).
    StatusClass(u16),
    /// A bare name, as in `assert_x(reservation_request)`: a variable.
    Name(String),
}

/// A fixed phrase (FORMAT §4).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "phrase", content = "table", rename_all = "snake_case")]
pub enum Phrase {
    /// Every tracked table is as it was before the first request.
    DatabaseUnchanged,
    /// One table is as it was before the first request.
    TableUnchanged(Spanned<String>),
    /// Database unchanged and no mock calls.
    NoSideEffects,
    /// No mock received a call.
    NoMockCalls,
    /// Every iteration of a concurrency case passed every other assertion.
    NoRaceConditions,
}
