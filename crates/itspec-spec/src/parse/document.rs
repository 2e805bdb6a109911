//! The whole document: title, header, sections (FORMAT §2).

use super::case::{CaseEnv, parse_case};
use super::context::Cx;
use super::fields::{is_field_heading, label_line};
use super::fixtures::fixture_block;
use super::located::Located;
use super::mocks::mock_block;
use super::related::{dependencies, related, related_section};
use super::vars::variables;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::markdown::{Block, TextRange, parse_blocks_bounded};
use crate::model::{Priority, Section, SectionKind, Spec, Status, Title, VarRef};
use crate::parse::python::{Section as PythonSection, read_block};
use crate::source::{Span, Spanned};
use crate::suggest::nearest;

const TITLE_PREFIX: &str = "Integration Test Spec:";

/// Reads a whole spec.
pub(crate) fn parse_document(cx: &mut Cx<'_>) -> Spec {
    let document = parse_blocks_bounded(cx.source);
    let (blocks, too_deep) = (document.blocks, document.too_deep);
    for unclosed in &document.unclosed {
        cx.push(super::unclosed::diagnostic(cx.source, unclosed));
    }
    if let Some(span) = too_deep {
        let line_end = cx
            .source
            .text()
            .get(span.start..)
            .and_then(|r| r.find('\n'));
        let end = line_end.map_or(span.end, |n| span.start + n);
        cx.push(crate::limits::too_deep(
            cx.span(span.start, end),
            "this list",
            "nest lists less deeply; what is nested past the limit is not read",
        ));
    }
    let mut spec = Spec::default();
    let first_heading = blocks
        .iter()
        .position(|b| matches!(b, Block::Heading { .. }));
    let body_start = match first_heading.and_then(|i| blocks.get(i).map(|b| (i, b))) {
        Some((
            i,
            Block::Heading {
                level: 1,
                text,
                span,
            },
        )) => {
            spec.title = title(cx, *text, *span);
            i + 1
        }
        _ => {
            let first_line = cx
                .source
                .text()
                .lines()
                .next()
                .unwrap_or("")
                .trim_end()
                .len();
            let span = cx.span(0, first_line);
            cx.push(
                Diagnostic::error(
                    Code::MissingTitle,
                    span,
                    "this file has no `# Integration Test Spec: <component>` title",
                )
                .with_help("start the spec with `# Integration Test Spec: Inventory Reservation`"),
            );
            first_heading.unwrap_or(0)
        }
    };
    let rest = blocks.get(body_start..).unwrap_or(&[]);
    let header_len = rest
        .iter()
        .position(|b| matches!(b, Block::Heading { level, .. } if *level <= 2))
        .unwrap_or(rest.len());
    let (header, sections) = rest.split_at(header_len);
    if spec.title.is_some() || !header.is_empty() {
        read_header(cx, &mut spec, header);
    }
    cx.draft = spec.is_draft();
    read_sections(cx, &mut spec, sections);
    spec.interpolations = crate::interpolation::find(cx.source.text())
        .into_iter()
        .filter(|found| found.terminated)
        .map(|found| VarRef {
            name: found.name(cx.source.text()).to_string(),
            span: cx.span(found.start, found.end),
        })
        .collect();
    spec
}

fn title(cx: &mut Cx<'_>, text: TextRange, span: Span) -> Option<Title> {
    let heading = text.text(cx.source);
    let matches_prefix = heading
        .get(..TITLE_PREFIX.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(TITLE_PREFIX));
    if matches_prefix {
        let component = heading.get(TITLE_PREFIX.len()..).unwrap_or("");
        let leading = component.len() - component.trim_start().len();
        let component = component.trim();
        if !component.is_empty() {
            let start = text.start + TITLE_PREFIX.len() + leading;
            return Some(Title {
                component: Spanned::new(
                    component.to_string(),
                    cx.span(start, start + component.len()),
                ),
                span,
            });
        }
    }
    let fixed = heading
        .to_ascii_lowercase()
        .find("integration test spec")
        .map(|at| {
            heading
                .get(at + "integration test spec".len()..)
                .unwrap_or("")
        })
        .map(|rest| {
            rest.trim_start_matches(|c: char| !c.is_alphanumeric())
                .trim()
        })
        .filter(|component| !component.is_empty())
        .map_or_else(
            || "# Integration Test Spec: <component>".to_string(),
            |c| format!("# {TITLE_PREFIX} {c}"),
        );
    cx.push(
        Diagnostic::error(
            Code::MalformedTitle,
            span,
            "the title must be `# Integration Test Spec: <component>`",
        )
        .with_help(format!("write `{fixed}`")),
    );
    None
}

fn read_header(cx: &mut Cx<'_>, spec: &mut Spec, blocks: &[Block]) {
    let mut lines: Vec<TextRange> = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph {
                lines: paragraph, ..
            } => lines.extend(paragraph.iter().copied()),
            Block::List { items, .. } => lines.extend(items.iter().filter_map(|item| item.text)),
            _ => {}
        }
    }
    let mut priority_line: Option<(Spanned<String>, Span)> = None;
    let mut status_line: Option<Span> = None;
    for line in lines {
        let Some((label, rest)) = label_line(cx.source, line) else {
            continue;
        };
        let label_text = label.text(cx.source).trim().to_ascii_lowercase();
        let line_span = line.span(cx.source);
        let value = rest.map_or_else(
            || Spanned::new(String::new(), cx.span(line.end, line.end)),
            |r| Spanned::new(r.text(cx.source).to_string(), r.span(cx.source)),
        );
        match label_text.as_str() {
            "related" => {
                if let Some(rest) = rest {
                    spec.related = related(cx, rest, line_span);
                }
            }
            "priority" => priority_line = Some((value, line_span)),
            "status" => {
                status_line = Some(line_span);
                match Status::parse(value.value.trim()) {
                    Some(status) => spec.status = Some(Spanned::new(status, value.span)),
                    None => invalid_status(cx, &value),
                }
            }
            _ => {}
        }
    }
    let draft = spec.is_draft();
    if let Some((value, _)) = priority_line {
        match Priority::parse(value.value.trim()) {
            Some(priority) => spec.priority = Some(Spanned::new(priority, value.span)),
            None => invalid_priority(cx, &value, draft),
        }
    } else {
        let span = spec
            .title
            .as_ref()
            .map_or_else(|| cx.span(0, 0), |t| t.span);
        cx.push(
            Diagnostic::warning(
                Code::MissingPriority,
                span,
                "the spec has no `**Priority:**`; it runs as Medium",
            )
            .with_help("add `**Priority:** Critical`, `High`, `Medium` or `Low` under the title"),
        );
    }
    if status_line.is_none() {
        let span = spec
            .title
            .as_ref()
            .map_or_else(|| cx.span(0, 0), |t| t.span);
        cx.push(
            Diagnostic::error(Code::MissingStatus, span, "the spec has no `**Status:**`")
                .with_help("add `**Status:** Draft`, `Ready` or `Implemented` under the title; only Ready and Implemented specs run"),
        );
    }
}

fn invalid_status(cx: &mut Cx<'_>, value: &Spanned<String>) {
    let text = value.value.trim();
    let diagnostic = if text.contains('|') {
        Diagnostic::error(
            Code::InvalidStatus,
            value.span,
            "Status is still the template's choice `Draft | Ready | Implemented`",
        )
        .with_help(
            "choose one: `**Status:** Draft` while writing, `Ready` when the spec should run",
        )
    } else {
        let nearest = nearest(text, Status::ALL.iter().map(|s| s.as_str()));
        Diagnostic::error(
            Code::InvalidStatus,
            value.span,
            format!("`{text}` is not a status"),
        )
        .with_help(match nearest {
            Some(name) => format!("did you mean `{name}`? A status is Draft, Ready or Implemented"),
            None => "a status is Draft, Ready or Implemented".to_string(),
        })
    };
    cx.push(diagnostic);
}

fn invalid_priority(cx: &mut Cx<'_>, value: &Spanned<String>, draft: bool) {
    let text = value.value.trim();
    let severity = if draft {
        Severity::Warning
    } else {
        Severity::Error
    };
    let diagnostic = if text.contains('|') {
        Diagnostic::new(
            Code::InvalidPriority,
            severity,
            value.span,
            "Priority is still the template's choice `Critical | High | Medium | Low`",
        )
        .with_help("choose one, like `**Priority:** High`")
    } else {
        let nearest = nearest(text, Priority::ALL.iter().map(|p| p.as_str()));
        Diagnostic::new(
            Code::InvalidPriority,
            severity,
            value.span,
            format!("`{text}` is not a priority"),
        )
        .with_help(match nearest {
            Some(name) => {
                format!("did you mean `{name}`? A priority is Critical, High, Medium or Low")
            }
            None => "a priority is Critical, High, Medium or Low".to_string(),
        })
    };
    cx.push(diagnostic);
}

fn read_sections(cx: &mut Cx<'_>, spec: &mut Spec, blocks: &[Block]) {
    let mut starts: Vec<usize> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, Block::Heading { level, .. } if *level <= 2))
        .map(|(i, _)| i)
        .collect();
    starts.push(blocks.len());
    let env = CaseEnv {
        has_contract: spec.related.contract.is_some() || related_has_slot(cx, spec),
        draft: spec.is_draft(),
        ordinal: 0,
    };
    for window in starts.windows(2) {
        let [start, end] = window else { continue };
        let Some(Block::Heading { text, .. }) = blocks.get(*start) else {
            continue;
        };
        let content = blocks.get(start + 1..*end).unwrap_or(&[]);
        let name = Spanned::new(
            text.text(cx.source).trim().to_string(),
            text.span(cx.source),
        );
        let kind = SectionKind::from_heading(&name.value);
        if kind == SectionKind::Unknown {
            let known = SectionKind::KNOWN.iter().map(|(_, n)| *n);
            if let Some(close) = nearest(&name.value, known) {
                cx.push(
                    Diagnostic::warning(
                        Code::UnknownSection,
                        name.span,
                        format!("`## {}` is not a section itspec reads", name.value),
                    )
                    .with_help(format!("did you mean `## {close}`?")),
                );
            }
        } else if let Some(first) = spec.sections.iter().find(|s| s.kind == kind) {
            cx.push(
                Diagnostic::warning(
                    Code::DuplicateSection,
                    name.span,
                    format!("`## {}` appears twice; both are read", name.value),
                )
                .with_note(first.name.span, "first here")
                .with_help("merge the two sections"),
            );
        }
        spec.sections.push(Section {
            kind,
            name: name.clone(),
        });
        match kind {
            SectionKind::Overview => {
                if let (Some(first), Some(last)) = (content.first(), content.last()) {
                    let (start, end) = (first.span().start, last.span().end);
                    spec.overview = Some(Spanned::new(
                        cx.source.slice(start, end).to_string(),
                        cx.span(start, end),
                    ));
                }
            }
            SectionKind::Dependencies => spec.dependencies.extend(dependencies(cx, content)),
            SectionKind::TestCases => read_cases(cx, spec, content, env),
            SectionKind::DataFixtures => {
                for block in content {
                    if let Block::Code(code) = block {
                        spec.fixtures.extend(fixture_block(cx, code));
                        spec_vars(cx, spec, code);
                    }
                }
            }
            SectionKind::Mocks => {
                for block in content {
                    if let Block::Code(code) = block {
                        spec.mocks.extend(mock_block(cx, code));
                        spec_vars(cx, spec, code);
                    }
                }
            }
            SectionKind::DatabaseStateVerification => {
                for block in content {
                    let Block::Code(code) = block else { continue };
                    if matches!(code.lang.as_deref(), Some("python" | "py")) {
                        spec.checks
                            .extend(read_block(cx, code, PythonSection::Checks).checks);
                    } else {
                        cx.push(
                            Diagnostic::error(Code::InvalidCheck, code.info_span, "checks are written in ```python")
                                .with_help("write `def assert_x(db_session, expected):` checks, or use assertion lines like `row TABLE where … has …` in the case"),
                        );
                    }
                }
            }
            SectionKind::Related => spec.related_section = Some(related_section(cx, content)),
            SectionKind::Unknown => {}
        }
    }
}

/// Whether the header's Related line still holds a template slot.
fn related_has_slot(cx: &Cx<'_>, spec: &Spec) -> bool {
    spec.related.span.is_some_and(|span| {
        super::assertion::has_template_slot(cx.source.slice(span.start, span.end))
    })
}

fn spec_vars(cx: &mut Cx<'_>, spec: &mut Spec, code: &crate::markdown::CodeBlock) {
    spec.vars
        .extend(variables(cx, Located::block(&code.content)));
}

fn read_cases(cx: &mut Cx<'_>, spec: &mut Spec, blocks: &[Block], env: CaseEnv) {
    let mut starts: Vec<usize> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| match b {
            // `### Expected Output` in a case is a field written as a
            // heading (reported by the case), not the start of a case.
            Block::Heading { level: 3, text, .. } => !is_field_heading(cx.source, *text),
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    starts.push(blocks.len());
    for window in starts.windows(2) {
        let [start, end] = window else { continue };
        let Some(Block::Heading { text, span, .. }) = blocks.get(*start) else {
            continue;
        };
        let content = blocks.get(start + 1..*end).unwrap_or(&[]);
        let env = CaseEnv {
            ordinal: spec.cases.len() + 1,
            ..env
        };
        spec.cases.push(parse_case(cx, *text, *span, content, env));
    }
}
