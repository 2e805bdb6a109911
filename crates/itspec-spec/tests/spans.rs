//! Spans point at exactly what they name, whatever the line endings,
//! fences or nesting.

use itspec_spec::model::*;
use itspec_spec::{LintOptions, Spec, check, parse, strip_bom};

const EXAMPLE: &str = include_str!("fixtures/format-example.md");

fn clean(text: &str) -> Spec {
    let checked = check(text, &LintOptions::default());
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    checked.spec
}

/// Every (line, col, text) of the nodes this test looks at.
fn landmarks(spec: &Spec, text: &str) -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    let mut push = |span: itspec_spec::Span| {
        out.push((span.line, span.col, text[span.range()].replace('\r', "")))
    };
    for case in &spec.cases {
        push(case.id.span);
        push(case.name.span);
        for assertion in case.all_assertions() {
            push(assertion.span);
        }
        for usage in &case.vars {
            push(usage.var.span);
        }
        if let Some(Body {
            json: Some(json), ..
        }) = &case.input
        {
            json.walk(&mut |v| push(v.span));
        }
        for action in &case.actions {
            push(action.label.span);
            match &action.kind {
                ActionKind::Request { method, target } => {
                    push(method.span);
                    push(target.span);
                }
                ActionKind::Publish {
                    broker,
                    destination,
                } => {
                    push(broker.span);
                    destination.iter().for_each(|w| push(w.span));
                }
            }
        }
    }
    for fixture in &spec.fixtures {
        if let FixtureKind::Rows(rows) = &fixture.kind {
            for column in rows.iter().flat_map(|r| &r.columns) {
                push(column.name.span);
                push(column.value.span);
            }
        }
    }
    for check in &spec.checks {
        push(check.name.span);
    }
    out
}

#[test]
fn crlf_gives_the_same_positions_as_lf() {
    let lf = clean(EXAMPLE);
    let crlf_text = EXAMPLE.replace('\n', "\r\n");
    let crlf = clean(&crlf_text);
    assert_eq!(landmarks(&lf, EXAMPLE), landmarks(&crlf, &crlf_text));
}

#[test]
fn tilde_fences_give_the_same_model() {
    let tilde_text = EXAMPLE.replace("```", "~~~");
    let tilde = clean(&tilde_text);
    let lf = clean(EXAMPLE);
    assert_eq!(landmarks(&lf, EXAMPLE), landmarks(&tilde, &tilde_text));
}

#[test]
fn a_bom_is_not_part_of_the_text() {
    let with_bom = format!("\u{feff}{EXAMPLE}");
    let spec = clean(strip_bom(&with_bom));
    assert_eq!(
        spec.title
            .as_ref()
            .map(|t| (t.component.span.line, t.component.span.col)),
        Some((1, 26))
    );
}

#[test]
fn pinned_spans_of_the_example() {
    let spec = clean(EXAMPLE);
    let case = &spec.cases[0];
    assert_eq!(
        (
            case.id.span.start,
            case.id.span.end,
            case.id.span.line,
            case.id.span.col
        ),
        (450, 460, 19, 5)
    );
    let status = &case.assertions[0];
    assert_eq!(
        (
            status.span.line,
            status.span.col,
            &EXAMPLE[status.span.range()]
        ),
        (44, 3, "status == 201")
    );
    let AssertionKind::Check { subject, predicate } = &status.kind else {
        panic!()
    };
    assert_eq!(&EXAMPLE[subject.span.range()], "status");
    let Predicate::Compare { value, .. } = predicate else {
        panic!()
    };
    assert_eq!((&EXAMPLE[value.span.range()], value.span.col), ("201", 13));
    let input = case.input.as_ref().unwrap().json.as_ref().unwrap();
    let quantity = input.get("quantity").unwrap();
    assert_eq!((quantity.span.line, quantity.span.col), (35, 53));
    let FixtureKind::Rows(rows) = &spec.fixtures[0].kind else {
        panic!()
    };
    let stock = &rows[0].columns[1];
    assert_eq!(
        (
            stock.name.span.line,
            stock.name.span.col,
            &EXAMPLE[stock.value.span.range()]
        ),
        (97, 9, "5")
    );
}

#[test]
fn blocks_nested_in_lists_map_to_their_lines() {
    let text = "# Integration Test Spec: X\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Nested\n\n**Actions:**\n1. Request A: POST /items\n   ```json\n   {\"a\": {{missing}}}\n   ```\n";
    let checked = check(text, &LintOptions::default());
    let unknown = checked
        .diagnostics
        .iter()
        .find(|d| d.code == itspec_spec::Code::UnknownVariable)
        .unwrap();
    assert_eq!(
        (
            unknown.span.line,
            unknown.span.col,
            &text[unknown.span.range()]
        ),
        (13, 10, "{{missing}}")
    );
}

#[test]
fn errors_inside_yaml_and_python_map_to_the_file() {
    let text = "# Integration Test Spec: X\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Request:** GET /x\n\n## Data Fixtures\n\n```yaml\nitems:\n  - { a: 1 }\n   - { a: 2 }\n```\n\n```python\ndef f():\n    return lambda: 1\n```\n";
    let parsed = parse(text);
    let yaml = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == itspec_spec::Code::InvalidYaml)
        .unwrap();
    assert_eq!(yaml.span.line, 17);
    let python = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == itspec_spec::Code::UnsupportedPython)
        .unwrap();
    assert_eq!(
        (
            python.span.line,
            python.span.col,
            &text[python.span.range()]
        ),
        (22, 12, "lambda: 1")
    );
    assert_eq!(python.message, "unsupported Python: a lambda");
}
