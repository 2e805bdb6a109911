//! Content of a case that no field reads, and labels written in a form
//! that is easy to mistake: each is reported — an error in a Ready or
//! Implemented spec, a warning in a Draft — so nothing in a case is
//! silently dropped (docs/format.md, "Field labels").

use super::context::Cx;
use super::fields::{Field, FieldKind};
use super::label::{Form, near_field};
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::Block;
use crate::source::Span;

/// A label that is not a field: a misspelling is an error in a Ready
/// spec; any other unknown label a warning, and the lists and code blocks
/// under it errors, since they are not read.
pub(super) fn unknown_field(cx: &mut Cx<'_>, field: &Field<'_>) {
    let label = field.label.value.as_str();
    if let Some(name) = near_field(label) {
        let diagnostic = cx
            .unless_draft(
                Code::MisspeltField,
                field.label.span,
                format!("`**{label}:**` is not a case field; its content is not read"),
            )
            .with_help(format!("did you mean `**{name}:**`?"));
        cx.push(diagnostic);
        return;
    }
    let help = match alias(label) {
        Some(help) => help.to_string(),
        None => "case fields are Description, Request, Setup, Fixtures, Input, Expected Output, Expected, Assertions, Actions, Capture, Repeat, Tags and Skip".to_string(),
    };
    cx.push(
        Diagnostic::warning(
            Code::UnknownField,
            field.label.span,
            format!("`**{label}:**` is not a case field; its content is not read"),
        )
        .with_help(help.clone()),
    );
    for block in &field.blocks {
        if matches!(block, Block::List { .. } | Block::Code(_)) {
            let diagnostic = cx
                .unless_draft(
                    Code::IgnoredContent,
                    block.span(),
                    format!(
                        "this is under `**{label}:**`, which is not a case field, so it is not read"
                    ),
                )
                .with_help(help.clone());
            cx.push(diagnostic);
        }
    }
}

/// Where the content of a label people write that is not a field belongs.
fn alias(label: &str) -> Option<&'static str> {
    let lower = label.trim().to_ascii_lowercase();
    Some(match lower.as_str() {
        "output" | "response" | "expected response" | "expected result" | "expected results"
        | "result" | "results" | "response body" => {
            "the response body is matched under `**Expected Output:**` (a ```json block)"
        }
        "body" | "payload" | "request body" => "the request body is written under `**Input:**`",
        "steps" | "step" | "requests" => {
            "several requests are listed under `**Actions:**`: `1. Request A: POST /path`"
        }
        "precondition" | "preconditions" | "given" | "fixture" | "data" => {
            "the case's rows and variables are written under `**Setup:**`"
        }
        "database state verification"
        | "database"
        | "database state"
        | "db state"
        | "side effects"
        | "side effect"
        | "checks"
        | "verification"
        | "then" => {
            "write these as assertion lines under `**Assertions:**` (`row TABLE where … has …`, `no side effects`, or a call of a check of `## Database State Verification`)"
        }
        "mocks" | "mock" => {
            "a case changes a mock with a setup line under `**Setup:**`: `mock NAME METHOD /path -> STATUS [JSON]`; mocks are defined in `## Mocks`"
        }
        _ => return None,
    })
}

/// A label that is read but written in a form that is easy to mistake:
/// `Label: text` in plain text, or a `###` heading.
pub(super) fn label_form(cx: &mut Cx<'_>, field: &Field<'_>, kind: FieldKind) {
    let name = kind.name();
    let message = match field.form {
        Form::PlainWithText => format!(
            "`{}:` reads like the field label `**{name}:**`, but is not bold",
            field.label.value
        ),
        Form::CaseLevelHeading => format!(
            "`### {}` is a heading of the level that starts a case, not a field label",
            field.label.value
        ),
        Form::Bold | Form::Tolerated => return,
    };
    let diagnostic = cx
        .unless_draft(Code::FieldLabelForm, field.label.span, message)
        .with_help(format!(
            "write the field as `**{name}:**`; it is read as {name} for now"
        ));
    cx.push(diagnostic);
}

pub(super) fn ignored(cx: &mut Cx<'_>, span: Span, field: &Field<'_>) {
    let diagnostic = cx
        .unless_draft(
            Code::IgnoredContent,
            span,
            format!("this is not read as part of `**{}:**`", field.label.value),
        )
        .with_help("write each line of this field as a list item: `- …`");
    cx.push(diagnostic);
}

/// Lists and code blocks of a field that the field does not read: `keep`
/// says which it reads.
pub(super) fn unread_blocks(
    cx: &mut Cx<'_>,
    field: &Field<'_>,
    keep: impl Fn(usize, &Block) -> bool,
) {
    let name: &str = match field.kind {
        Some(kind) => kind.name(),
        None => &field.label.value,
    };
    for (index, block) in field.blocks.iter().enumerate() {
        if keep(index, block) || !matches!(block, Block::List { .. } | Block::Code(_)) {
            continue;
        }
        let what = if matches!(block, Block::Code(_)) {
            "this code block"
        } else {
            "this list"
        };
        let diagnostic = cx
            .unless_draft(
                Code::IgnoredContent,
                block.span(),
                format!("{what} is not read as part of `**{name}:**`"),
            )
            .with_help(format!(
                "`**{name}:**` takes {}; put this under the field it belongs to, like `**Assertions:**` for assertion lines",
                takes(field.kind)
            ));
        cx.push(diagnostic);
    }
}

/// What a field reads, for help lines.
fn takes(kind: Option<FieldKind>) -> &'static str {
    match kind {
        Some(FieldKind::Description) => "text",
        Some(FieldKind::Input) => "one code block (or JSON on the label's line)",
        Some(FieldKind::ExpectedOutput) => "one ```json or ```text block",
        Some(FieldKind::Fixtures) => "names on the label's line",
        Some(FieldKind::Repeat) => "a number on the label's line",
        Some(FieldKind::Tags) => "a comma list on the label's line",
        Some(FieldKind::Skip) => "a reason on the label's line",
        _ => "what docs/format.md lists for it",
    }
}
