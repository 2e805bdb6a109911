//! One `### TC-INT-NNN: Name` section → a [`TestCase`].

use super::action::action;
use super::assertion::parse_assertion;
use super::body::code_body;
use super::context::Cx;
use super::expected::{
    capture, expected_item, spanned_text, validate_assertion_markers, validate_markers,
};
use super::fields::{Field, FieldKind, split_fields};
use super::json::parse_json;
use super::located::Located;
use super::request::request_line;
use super::setup_line::setup_line;
use super::unread::{ignored, label_form, unknown_field, unread_blocks};
use super::vars::variables;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::markdown::{Block, TextRange};
use crate::model::{
    Body, BodyKind, ExpectedOutput, FixtureSelection, PublishLine, Setup, TestCase, VarContext,
    VarUse,
};
use crate::parse::python::{Section, read_block};
use crate::source::{Span, Spanned};

/// What a case needs to know about its spec.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CaseEnv {
    /// Related names an API contract (or a slot for one).
    pub has_contract: bool,
    /// The spec is a Draft: incomplete cases are warnings.
    pub draft: bool,
    /// The case's position among the spec's cases, from 1.
    pub ordinal: usize,
}

/// Reads a case from its heading and the blocks under it.
pub(crate) fn parse_case(
    cx: &mut Cx<'_>,
    heading: TextRange,
    heading_span: Span,
    blocks: &[Block],
    env: CaseEnv,
) -> TestCase {
    let (id, number, name) = heading_parts(cx, heading, heading_span, env.ordinal);
    let end = blocks.last().map_or(heading_span.end, |b| b.span().end);
    let mut case = TestCase {
        id,
        number,
        name,
        description: None,
        request: None,
        publish: None,
        setup: None,
        fixtures: FixtureSelection::All,
        input: None,
        expected_output: None,
        expected: Vec::new(),
        assertions: Vec::new(),
        actions: Vec::new(),
        actions_complete: true,
        captures: Vec::new(),
        repeat: None,
        tags: Vec::new(),
        skip: None,
        vars: Vec::new(),
        heading_span,
        span: cx.span(heading_span.start, end),
    };
    let (fields, stray) = split_fields(cx.source, blocks);
    for block in stray {
        if matches!(block, Block::List { .. } | Block::Code(_)) {
            let diagnostic = cx
                .unless_draft(
                    Code::IgnoredContent,
                    block.span(),
                    "this block is under no field, so it is not read",
                )
                .with_help("put it under a field label, like `**Assertions:**`");
            cx.push(diagnostic);
        }
    }
    let mut seen: Vec<(FieldKind, Span)> = Vec::new();
    let mut has_actions_field = false;
    let mut has_publish_field = false;
    for field in &fields {
        let Some(kind) = field.kind else {
            unknown_field(cx, field);
            continue;
        };
        label_form(cx, field, kind);
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == kind) {
            cx.push(
                Diagnostic::error(
                    Code::DuplicateField,
                    field.label.span,
                    format!("`**{}:**` appears twice in this case", kind.name()),
                )
                .with_note(*first, "first here")
                .with_help("merge the two into one field"),
            );
            continue;
        }
        seen.push((kind, field.label.span));
        has_actions_field |= kind == FieldKind::Actions;
        has_publish_field |= kind == FieldKind::Publish;
        read_field(cx, &mut case, field, kind);
    }
    if case.request.is_some() && has_actions_field {
        cx.push(
            Diagnostic::error(
                Code::RequestWithActions,
                case.heading_span,
                "this case has both a Request line and Actions",
            )
            .with_help("use Actions for several requests, or one Request line for one"),
        );
    }
    if let Some(publish) = &case.publish
        && publish.body.is_none()
        && case.input.is_none()
    {
        cx.push(
            Diagnostic::warning(
                Code::EmptyField,
                publish.span,
                "this Publish has no body: an empty message is published",
            )
            .with_help("put the message under the line in a ```json or ```text block"),
        );
    }
    if has_publish_field && (case.request.is_some() || has_actions_field) {
        cx.push(
            Diagnostic::error(
                Code::RequestWithActions,
                case.heading_span,
                "this case has both a Publish line and a Request line or Actions",
            )
            .with_help(
                "a case's input is one request, a list of Actions, or one published message",
            ),
        );
    }
    if case.request.is_none() && !has_publish_field && !has_actions_field && !env.has_contract {
        let severity = if env.draft {
            Severity::Warning
        } else {
            Severity::Error
        };
        cx.push(
            Diagnostic::new(Code::MissingRequest, severity, case.heading_span, format!("case {} sends no request", case.id.value))
                .with_help("add `**Request:** METHOD /path`, name an API contract in **Related:**, or list **Actions:**"),
        );
    }
    case
}

/// `TC-INT-001: Name` → id, number, name.
fn heading_parts(
    cx: &mut Cx<'_>,
    heading: TextRange,
    heading_span: Span,
    ordinal: usize,
) -> (Spanned<String>, Option<u32>, Spanned<String>) {
    let text = heading.text(cx.source);
    let (id_text, name_text, name_start) = match text.split_once(':') {
        Some((id, name)) => (
            id.trim(),
            name.trim(),
            heading.start + text.len() - name.trim_start().len(),
        ),
        None => (
            text.split_whitespace().next().unwrap_or(""),
            "",
            heading.end,
        ),
    };
    let id_start = heading.start + text.len() - text.trim_start().len();
    let id = Spanned::new(
        id_text.to_string(),
        cx.span(id_start, id_start + id_text.len()),
    );
    let name = Spanned::new(
        name_text.to_string(),
        cx.span(name_start, name_start + name_text.len()),
    );
    let number = well_formed_id(id_text);
    let after_id = text.trim().get(id_text.len()..).unwrap_or("").trim();
    let problem = if number.is_none() {
        Some(format!("`{id_text}` is not a case id"))
    } else if !text.contains(':') && !after_id.is_empty() {
        Some(format!("`:` is missing after case id {id_text}"))
    } else if name_text.is_empty() {
        Some(format!("case {id_text} has no name"))
    } else {
        None
    };
    if let Some(problem) = problem {
        let suggested_id = if number.is_some() {
            id_text.to_string()
        } else {
            format!("TC-INT-{ordinal:03}")
        };
        let suggested_name = if !name_text.is_empty() {
            name_text
        } else if !after_id.is_empty() {
            after_id
        } else {
            "<what the case checks>"
        };
        cx.push(
            Diagnostic::error(Code::MalformedCaseHeading, heading_span, problem)
                .with_label("expected `### TC-INT-NNN: Name`")
                .with_help(format!(
                    "write the heading as `### {suggested_id}: {suggested_name}`"
                )),
        );
    }
    (id, number, name)
}

/// `TC-INT-001` → 1. Ids are uppercase words joined by `-`, ending in a number.
fn well_formed_id(id: &str) -> Option<u32> {
    let (prefix, number) = id.rsplit_once('-')?;
    let prefix_ok = !prefix.is_empty()
        && prefix.split('-').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && part
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
    if !prefix_ok || number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

fn vars_in(cx: &mut Cx<'_>, located: Located<'_>, context: VarContext, out: &mut Vec<VarUse>) {
    out.extend(
        variables(cx, located)
            .into_iter()
            .map(|var| VarUse { var, context }),
    );
}

fn range_located<'s>(cx: &Cx<'s>, range: TextRange) -> Located<'s> {
    Located::at(range.text(cx.source), range.start)
}

/// The list items of a field's blocks; other content is reported.
fn list_items(cx: &mut Cx<'_>, field: &Field<'_>) -> Vec<TextRange> {
    let mut items: Vec<TextRange> = field.inline.into_iter().collect();
    for line in &field.lines {
        ignored(cx, line.span(cx.source), field);
    }
    for block in &field.blocks {
        match block {
            Block::List { items: list, .. } => {
                items.extend(list.iter().filter_map(|item| item.text))
            }
            other => ignored(cx, other.span(), field),
        }
    }
    items
}

fn read_field(cx: &mut Cx<'_>, case: &mut TestCase, field: &Field<'_>, kind: FieldKind) {
    match kind {
        FieldKind::Description => {
            let ranges: Vec<TextRange> = field.inline.iter().chain(&field.lines).copied().collect();
            if let (Some(first), Some(last)) = (ranges.first(), ranges.last()) {
                let text = ranges
                    .iter()
                    .map(|r| r.text(cx.source))
                    .collect::<Vec<_>>()
                    .join(" ");
                case.description = Some(Spanned::new(text, cx.span(first.start, last.end)));
            }
            unread_blocks(cx, field, |_, _| false);
        }
        FieldKind::Request => {
            let Some(line) = field.inline else {
                empty(cx, field, "`**Request:** METHOD /path`");
                return;
            };
            for line in &field.lines {
                ignored(cx, line.span(cx.source), field);
            }
            let header_blocks: Vec<&Block> = field.blocks.to_vec();
            case.request = request_line(cx, line, &header_blocks);
            vars_in(
                cx,
                range_located(cx, line),
                VarContext::BeforeRequest,
                &mut case.vars,
            );
            if let Some(request) = &case.request {
                let values: Vec<Spanned<String>> =
                    request.headers.iter().map(|h| h.value.clone()).collect();
                for value in values {
                    vars_in(
                        cx,
                        Located::at(
                            cx.source.slice(value.span.start, value.span.end),
                            value.span.start,
                        ),
                        VarContext::BeforeRequest,
                        &mut case.vars,
                    );
                }
            }
        }
        FieldKind::Publish => {
            let Some(line) = field.inline else {
                empty(
                    cx,
                    field,
                    "`**Publish:** BROKER TOPIC` (RabbitMQ: `BROKER EXCHANGE KEY`)",
                );
                return;
            };
            for line in &field.lines {
                ignored(cx, line.span(cx.source), field);
            }
            case.publish = publish_line(cx, line, field);
            vars_in(
                cx,
                range_located(cx, line),
                VarContext::BeforeRequest,
                &mut case.vars,
            );
            if let Some(code) = first_code(field) {
                vars_in(
                    cx,
                    Located::block(&code.content),
                    VarContext::BeforeRequest,
                    &mut case.vars,
                );
            }
            let values: Vec<Spanned<String>> = case
                .publish
                .iter()
                .flat_map(|p| p.headers.iter().map(|h| h.value.clone()))
                .collect();
            for value in values {
                vars_in(
                    cx,
                    Located::at(
                        cx.source.slice(value.span.start, value.span.end),
                        value.span.start,
                    ),
                    VarContext::BeforeRequest,
                    &mut case.vars,
                );
            }
            // The body block, and the headers as a list.
            unread_blocks(cx, field, |index, block| {
                (first_code_index(field) == Some(index) && matches!(block, Block::Code(_)))
                    || matches!(block, Block::List { .. })
            });
        }
        FieldKind::Setup => {
            let mut setup = Setup::default();
            for line in field.inline.iter().chain(&field.lines) {
                setup.lines.push(setup_line(cx, *line));
                vars_in(
                    cx,
                    range_located(cx, *line),
                    VarContext::BeforeRequest,
                    &mut case.vars,
                );
            }
            for block in &field.blocks {
                match block {
                    Block::Code(code) if matches!(code.lang.as_deref(), Some("python" | "py")) => {
                        setup
                            .fixtures
                            .extend(read_block(cx, code, Section::Setup).fixtures);
                        vars_in(
                            cx,
                            Located::block(&code.content),
                            VarContext::BeforeRequest,
                            &mut case.vars,
                        );
                    }
                    Block::List { items, .. } => {
                        for line in items.iter().filter_map(|item| item.text) {
                            setup.lines.push(setup_line(cx, line));
                            vars_in(
                                cx,
                                range_located(cx, line),
                                VarContext::BeforeRequest,
                                &mut case.vars,
                            );
                        }
                    }
                    other => {
                        let diagnostic = cx
                            .unless_draft(
                                Code::IgnoredContent,
                                other.span(),
                                "this is not read as part of `**Setup:**`",
                            )
                            .with_help(
                                "Setup holds a ```python fixture block or a list of setup lines",
                            );
                        cx.push(diagnostic);
                    }
                }
            }
            case.setup = Some(setup);
        }
        FieldKind::Fixtures => {
            let Some(line) = field.inline else {
                empty(
                    cx,
                    field,
                    "`**Fixtures:** name, name` or `**Fixtures:** none`",
                );
                return;
            };
            let names = super::related::items(cx, line);
            case.fixtures = if names.len() == 1
                && names
                    .first()
                    .is_some_and(|n| n.value.eq_ignore_ascii_case("none"))
            {
                FixtureSelection::None
            } else {
                FixtureSelection::Named(names)
            };
            unread_blocks(cx, field, |_, _| false);
        }
        FieldKind::Input => {
            if let Some(body) = input(cx, field) {
                case.input = Some(body);
            }
            for located in field_texts(cx, field) {
                vars_in(cx, located, VarContext::BeforeRequest, &mut case.vars);
            }
            unread_blocks(cx, field, |index, block| {
                first_code_index(field) == Some(index) && matches!(block, Block::Code(_))
            });
        }
        FieldKind::ExpectedOutput => {
            case.expected_output = expected_output(cx, field);
            for located in field_texts(cx, field) {
                vars_in(cx, located, VarContext::AfterRequest, &mut case.vars);
            }
            unread_blocks(cx, field, |index, block| {
                first_code_index(field) == Some(index) && matches!(block, Block::Code(_))
            });
        }
        FieldKind::Expected | FieldKind::Assertions => {
            let items = list_items(cx, field);
            if items.is_empty() {
                empty(cx, field, "a list of assertions, like `- status == 201`");
            }
            for line in items {
                let assertion = if kind == FieldKind::Expected {
                    expected_item(cx, line)
                } else {
                    parse_assertion(cx, range_located(cx, line))
                };
                validate_assertion_markers(cx, &assertion);
                vars_in(
                    cx,
                    range_located(cx, line),
                    VarContext::AfterRequest,
                    &mut case.vars,
                );
                if kind == FieldKind::Expected {
                    case.expected.push(assertion);
                } else {
                    case.assertions.push(assertion);
                }
            }
        }
        FieldKind::Actions => {
            for line in &field.lines {
                ignored(cx, line.span(cx.source), field);
            }
            for block in &field.blocks {
                let Block::List { items, .. } = block else {
                    ignored(cx, block.span(), field);
                    continue;
                };
                for item in items {
                    let index = case.actions.len();
                    match action(cx, item) {
                        Some(action) => case.actions.push(action),
                        None => case.actions_complete = false,
                    }
                    let context = VarContext::Action(index);
                    if let Some(text) = item.text {
                        vars_in(cx, range_located(cx, text), context, &mut case.vars);
                    }
                    for child in &item.children {
                        match child {
                            Block::Code(code) => {
                                vars_in(cx, Located::block(&code.content), context, &mut case.vars)
                            }
                            Block::List { items: headers, .. } => {
                                for header in headers.iter().filter_map(|h| h.text) {
                                    vars_in(cx, range_located(cx, header), context, &mut case.vars);
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            if field.blocks.is_empty() {
                empty(cx, field, "a numbered list like `1. Request A: POST /path`");
            }
        }
        FieldKind::Capture => {
            for line in list_items(cx, field) {
                if let Some(capture) = capture(cx, line) {
                    case.captures.push(capture);
                }
                vars_in(
                    cx,
                    range_located(cx, line),
                    VarContext::AfterRequest,
                    &mut case.vars,
                );
            }
        }
        FieldKind::Repeat => {
            unread_blocks(cx, field, |_, _| false);
            let Some(line) = field.inline else {
                empty(cx, field, "a number of iterations, like `**Repeat:** 50`");
                return;
            };
            let text = spanned_text(cx, line);
            match text.value.parse::<u32>() {
                Ok(n) if n >= 1 => case.repeat = Some(Spanned::new(n, text.span)),
                _ => cx.push(
                    Diagnostic::error(
                        Code::InvalidRepeat,
                        text.span,
                        format!("`{}` is not a number of iterations", text.value),
                    )
                    .with_help("write a whole number from 1 up, like `**Repeat:** 50`"),
                ),
            }
        }
        FieldKind::Tags => {
            unread_blocks(cx, field, |_, _| false);
            if let Some(line) = field.inline {
                case.tags = super::related::items(cx, line)
                    .into_iter()
                    .map(|tag| {
                        Spanned::new(tag.value.trim_start_matches('#').to_string(), tag.span)
                    })
                    .collect();
            }
        }
        FieldKind::Skip => {
            unread_blocks(cx, field, |_, _| false);
            let reason = field.inline.map(|line| spanned_text(cx, line));
            if reason.is_none() {
                cx.push(
                    Diagnostic::warning(
                        Code::SkipWithoutReason,
                        field.label.span,
                        "this case is skipped without a reason",
                    )
                    .with_help(
                        "say why, like `**Skip:** waiting for US-311`, so the report can show it",
                    ),
                );
            }
            case.skip =
                Some(reason.unwrap_or_else(|| Spanned::new(String::new(), field.label.span)));
        }
    }
}

fn empty(cx: &mut Cx<'_>, field: &Field<'_>, expected: &str) {
    cx.push(
        Diagnostic::warning(
            Code::EmptyField,
            field.label.span,
            format!("`**{}:**` is empty", field.label.value),
        )
        .with_help(format!("write {expected}, or remove the label")),
    );
}

/// The texts of a field that hold its value: inline text and code blocks.
fn field_texts<'a>(cx: &Cx<'a>, field: &'a Field<'_>) -> Vec<Located<'a>> {
    let mut texts: Vec<Located<'a>> = field
        .inline
        .iter()
        .map(|line| range_located(cx, *line))
        .collect();
    for block in &field.blocks {
        if let Block::Code(code) = block {
            texts.push(Located::block(&code.content));
        }
    }
    texts
}

fn first_code_index(field: &Field<'_>) -> Option<usize> {
    field
        .blocks
        .iter()
        .position(|block| matches!(block, Block::Code(_)))
}

fn first_code<'a>(field: &Field<'a>) -> Option<&'a crate::markdown::CodeBlock> {
    field.blocks.iter().find_map(|block| match block {
        Block::Code(code) => Some(code),
        _ => None,
    })
}

/// `BROKER DESTINATION…` and the first code block under the label.
fn publish_line(cx: &mut Cx<'_>, line: TextRange, field: &Field<'_>) -> Option<PublishLine> {
    let text = line.text(cx.source);
    let mut words = Vec::new();
    let mut offset = 0;
    for word in text.split_whitespace() {
        let at = offset + text[offset..].find(word).unwrap_or(0);
        offset = at + word.len();
        let start = line.start + at;
        words.push(Spanned::new(
            word.to_string(),
            cx.span(start, start + word.len()),
        ));
    }
    let mut words = words.into_iter();
    let span = line.span(cx.source);
    let (Some(broker), Some(first)) = (words.next(), words.next()) else {
        cx.push(
            Diagnostic::error(Code::EmptyField, span, "a Publish line names a broker and where to publish")
                .with_help("write `**Publish:** events orders:created` (Redis) or `**Publish:** events orders order.created` (RabbitMQ: exchange, routing key)"),
        );
        return None;
    };
    let body = first_code(field).and_then(|code| code_body(cx, code, "a Publish block"));
    let headers = field
        .blocks
        .iter()
        .filter(|block| matches!(block, Block::List { .. }))
        .flat_map(|block| super::request::headers(cx, block))
        .collect();
    Some(PublishLine {
        broker,
        destination: std::iter::once(first).chain(words).collect(),
        body,
        headers,
        span,
    })
}

fn input(cx: &mut Cx<'_>, field: &Field<'_>) -> Option<Body> {
    let Some(code) = first_code(field) else {
        let line = field.inline?;
        let located = range_located(cx, line);
        return Some(Body {
            kind: BodyKind::Json,
            text: located.text.to_string(),
            json: parse_json(cx, located),
            span: line.span(cx.source),
        });
    };
    code_body(cx, code, "an Input block")
}

fn expected_output(cx: &mut Cx<'_>, field: &Field<'_>) -> Option<ExpectedOutput> {
    let Some(code) = first_code(field) else {
        // A short JSON body on the label's line, as Input allows.
        if let Some(line) = field.inline {
            let value = parse_json(cx, range_located(cx, line))?;
            validate_markers(cx, &value);
            return Some(ExpectedOutput::Json(value));
        }
        empty(cx, field, "a ```json or ```text block");
        return None;
    };
    let located = Located::block(&code.content);
    match code.lang.as_deref() {
        None | Some("json") => {
            let value = parse_json(cx, located)?;
            validate_markers(cx, &value);
            Some(ExpectedOutput::Json(value))
        }
        Some("text" | "txt" | "plain") => Some(ExpectedOutput::Text(Spanned::new(
            code.content.text.clone(),
            located.whole_span(cx.source),
        ))),
        Some(other) => {
            cx.push(
                Diagnostic::error(Code::InvalidBodyLanguage, code.info_span, format!("`{other}` is not an expected body type"))
                    .with_help("Expected Output is a ```json block (matched with markers) or a ```text block (matched exactly)"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ids() {
        assert_eq!(well_formed_id("TC-INT-001"), Some(1));
        assert_eq!(well_formed_id("TC-API-12"), Some(12));
        assert_eq!(well_formed_id("TC-INT-"), None);
        assert_eq!(well_formed_id("tc-int-1"), None);
        assert_eq!(well_formed_id("Test"), None);
    }
}
