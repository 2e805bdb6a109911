//! The seed template, verbatim: every slot is an unfilled placeholder at its
//! exact position, the unchosen Priority and Status are errors, and nothing
//! else is reported — its Python, JSON and lists all parse.

use itspec_spec::template::TEMPLATE;
use itspec_spec::{Code, LintOptions, Severity, Source, check};

fn listing(text: &str) -> String {
    let checked = check(text, &LintOptions::default());
    let source = Source::new(text);
    checked
        .diagnostics
        .iter()
        .map(|d| {
            let (end_line, end_col) = source.position(d.span.end);
            format!(
                "{} {:7} {}:{}-{}:{} {}",
                d.code,
                d.severity.as_str(),
                d.span.line,
                d.span.col,
                end_line,
                end_col,
                d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn seed_template_diagnostics() {
    insta::assert_snapshot!(listing(TEMPLATE));
}

#[test]
fn every_slot_is_reported_where_it_is() {
    let checked = check(TEMPLATE, &LintOptions::default());
    let placeholders: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnfilledPlaceholder)
        .collect();
    // Every `{{…}}` of the template, and nothing else, is a placeholder.
    assert_eq!(placeholders.len(), TEMPLATE.matches("{{").count());
    for d in &placeholders {
        let text = &TEMPLATE[d.span.range()];
        assert!(text.starts_with("{{") && text.ends_with("}}"), "{text}");
        assert_eq!(
            d.severity,
            Severity::Error,
            "Status is not Draft, so placeholders are errors"
        );
    }
    let first = placeholders[0];
    assert_eq!(
        (first.span.line, first.span.col, first.span.start),
        (1, 26, 25)
    );
    let others: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code != Code::UnfilledPlaceholder)
        .map(|d| (d.code, d.span.line, d.span.col))
        .collect();
    assert_eq!(
        others,
        [(Code::InvalidPriority, 4, 15), (Code::InvalidStatus, 5, 13)]
    );
}

#[test]
fn the_template_as_a_draft_has_warnings_only() {
    let draft = TEMPLATE.replace(
        "**Status:** Draft | Ready | Implemented",
        "**Status:** Draft",
    );
    let checked = check(&draft, &LintOptions::default());
    assert!(!checked.diagnostics.is_empty());
    assert!(
        checked
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning),
        "{:#?}",
        checked.diagnostics
    );
}

#[test]
fn new_specs_check_with_warnings_only() {
    let text = itspec_spec::template::render_new(&itspec_spec::template::NewSpec {
        component: "Orders".into(),
        stories: vec!["US-1".into()],
        contract: Some("POST /orders".into()),
        priority: itspec_spec::model::Priority::High,
    });
    let checked = check(&text, &LintOptions::default());
    assert!(
        checked
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    assert!(
        !checked
            .diagnostics
            .iter()
            .any(|d| d.code == Code::InvalidPriority || d.code == Code::InvalidStatus)
    );
    assert_eq!(checked.spec.component(), Some("Orders"));
}

#[test]
fn a_slot_defined_as_a_variable_is_not_a_placeholder() {
    let text = "# Integration Test Spec: X\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Uses value\n\n**Request:** GET /items/{{value}}\n\n**Assertions:**\n- status == 200\n";
    let defined = check(
        text,
        &LintOptions {
            vars: vec!["value".into()],
            ..LintOptions::default()
        },
    );
    assert!(defined.diagnostics.is_empty(), "{:#?}", defined.diagnostics);
    let undefined = check(text, &LintOptions::default());
    assert_eq!(undefined.diagnostics.len(), 1);
    assert_eq!(undefined.diagnostics[0].code, Code::UnfilledPlaceholder);
}
