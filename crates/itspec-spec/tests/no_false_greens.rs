//! No false greens (issue 18): what a spec says is either read, or `check`
//! fails — for the label forms people type, content no field reads, setup
//! lines in prose, an unclosed fence, and the Python of the template's
//! users.

use itspec_spec::model::{AssertionKind, DbCheckStep, ExpectedOutput, SetupLineKind, Truth};
use itspec_spec::{Code, Diagnostic, LintOptions, Parsed, Severity, check};

const HEAD: &str =
    "# Integration Test Spec: Orders\n\n**Related:** US-1, POST /orders\n**Priority:** High\n";

fn spec(status: &str, body: &str) -> String {
    format!("{HEAD}**Status:** {status}\n\n## Test Cases\n\n### TC-INT-001: A case\n\n{body}")
}

fn checked(status: &str, body: &str) -> Parsed {
    check(&spec(status, body), &LintOptions::default())
}

fn errors(parsed: &Parsed) -> Vec<&Diagnostic> {
    parsed.diagnostics.iter().filter(|d| d.is_error()).collect()
}

fn codes(parsed: &Parsed) -> Vec<(Code, Severity)> {
    parsed
        .diagnostics
        .iter()
        .map(|d| (d.code, d.severity))
        .collect()
}

const EXPECTED: &str = "\n```json\n{\"sku\": \"SKU-1\"}\n```\n";

#[test]
fn tolerated_label_forms_are_read_as_the_field() {
    for label in [
        "**Expected Output:**",
        "**Expected Output**:",
        "**Expected Output** :",
        "**Expected Output**",
        "__Expected Output:__",
        "*Expected Output:*",
        "*Expected Output*:",
        "_Expected Output:_",
        "Expected Output:",
        "#### Expected Output",
        "**expected output:**",
    ] {
        let parsed = checked("Ready", &format!("{label}{EXPECTED}"));
        assert!(
            errors(&parsed).is_empty(),
            "{label}: {:#?}",
            parsed.diagnostics
        );
        let case = &parsed.spec.cases[0];
        assert!(
            matches!(case.expected_output, Some(ExpectedOutput::Json(_))),
            "{label} is read as Expected Output"
        );
    }
}

#[test]
fn every_field_takes_the_tolerated_forms() {
    let parsed = checked(
        "Ready",
        "Setup:\n- row inventory: sku = \"SKU-1\", stock = 1\n\n*Assertions:*\n- status == 201\n\n**Tags** : slow\n",
    );
    assert!(errors(&parsed).is_empty(), "{:#?}", parsed.diagnostics);
    let case = &parsed.spec.cases[0];
    assert_eq!(case.setup.as_ref().map(|s| s.lines.len()), Some(1));
    assert_eq!(case.assertions.len(), 1);
    assert_eq!(case.tags.len(), 1);
}

#[test]
fn easily_mistaken_forms_are_errors_in_a_ready_spec_and_warnings_in_a_draft() {
    for (body, code) in [
        (
            format!("**Expected Ouput:**{EXPECTED}"),
            Code::MisspeltField,
        ),
        (format!("Expected Ouput:{EXPECTED}"), Code::MisspeltField),
        (
            "Expected: status == 201\n".to_string(),
            Code::FieldLabelForm,
        ),
        (
            "**Assertions:**\n- status == 201\n\n### Expected Output\n```json\n{}\n```\n"
                .to_string(),
            Code::FieldLabelForm,
        ),
        (
            "**Side effects:**\n- no mock calls\n".to_string(),
            Code::IgnoredContent,
        ),
        (
            "**Description:** a case\n\n```json\n{\"a\": 1}\n```\n".to_string(),
            Code::IgnoredContent,
        ),
        (
            format!("**Input:**{EXPECTED}```json\n{{}}\n```\n"),
            Code::IgnoredContent,
        ),
        ("- status == 201\n".to_string(), Code::IgnoredContent),
    ] {
        let ready = checked("Ready", &body);
        assert!(
            codes(&ready).contains(&(code, Severity::Error)),
            "{body}: {:#?}",
            ready.diagnostics
        );
        let draft = checked("Draft", &body);
        assert!(
            codes(&draft).contains(&(code, Severity::Warning)),
            "{body}: {:#?}",
            draft.diagnostics
        );
    }
}

#[test]
fn a_misspelt_label_says_what_was_meant() {
    let parsed = checked("Ready", &format!("**Expected Ouput:**{EXPECTED}"));
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == Code::MisspeltField)
        .unwrap();
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `**Expected Output:**`?")
    );
    assert_eq!((d.span.line, d.span.col), (11, 3));
}

#[test]
fn a_heading_label_does_not_start_a_case() {
    let parsed = checked(
        "Ready",
        "**Assertions:**\n- status == 201\n\n### Expected Output\n```json\n{\"a\": 1}\n```\n",
    );
    assert_eq!(parsed.spec.cases.len(), 1);
    assert!(parsed.spec.cases[0].expected_output.is_some());
}

#[test]
fn prose_setup_lines_are_errors_in_a_ready_spec_and_kept_on_the_model() {
    let body = "**Setup:**\n- an item with one unit in stock\n- row inventory sku = \"SKU-1\"\n";
    let ready = checked("Ready", body);
    let setup_errors: Vec<_> = errors(&ready)
        .into_iter()
        .filter(|d| d.code == Code::UnparsedSetupLine)
        .collect();
    assert_eq!(setup_errors.len(), 2, "{:#?}", ready.diagnostics);
    let lines = &ready.spec.cases[0].setup.as_ref().unwrap().lines;
    let SetupLineKind::Prose { text, hint } = &lines[1].kind else {
        panic!("{lines:?}")
    };
    assert_eq!(text, "row inventory sku = \"SKU-1\"");
    assert_eq!(
        hint.as_deref(),
        Some("expected `:` after the table name here: `row inventory`")
    );
    assert_eq!((lines[1].span.line, lines[1].span.col), (13, 3));

    let draft = checked("Draft", body);
    assert!(errors(&draft).is_empty(), "{:#?}", draft.diagnostics);
    let strict = check(
        &spec("Draft", body),
        &LintOptions {
            strict: true,
            ..LintOptions::default()
        },
    );
    assert_eq!(
        errors(&strict)
            .iter()
            .filter(|d| d.code == Code::UnparsedSetupLine)
            .count(),
        2,
        "--strict covers setup prose"
    );
}

#[test]
fn an_unclosed_fence_is_one_diagnostic() {
    // At the end of the document, and closed by the next block's fence.
    for body in [
        "**Setup:**\n- fixture stock\n\n**Input:**\n```json\n{\"sku\": \"SKU-1\"\n\n**Assertions:**\n- status == 201\n- assert_created({\"sku\": \"SKU-1\"})\n\n## Data Fixtures\n\n- not: [valid\n",
        "**Setup:**\n- fixture stock\n\n**Input:**\n```json\n{\"sku\": \"SKU-1\"}\n\n**Assertions:**\n- status == 201\n\n## Data Fixtures\n\n```yaml stock\ninventory:\n  - { sku: SKU-1, stock: 1 }\n```\n\n## Mocks\n\n```yaml\npay:\n  - when: POST /charges\n    then: { status: 201 }\n```\n",
    ] {
        let parsed = checked("Ready", body);
        let found: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(
            found,
            [Code::UnclosedCodeBlock],
            "{body}: {:#?}",
            parsed.diagnostics
        );
        let d = &parsed.diagnostics[0];
        assert_eq!((d.span.line, d.span.col), (15, 1));
        assert_eq!(d.message, "this code block is never closed");
    }
}

const CHECK: &str = "**Assertions:**\n- status == 201\n- check_user({\"name\": \"ada\"})\n\n## Database State Verification\n\n```python\ndef check_user(db_session, expected):\n    result = db_session.query(User).filter_by(name=expected[\"name\"]).first()\n";

#[test]
fn identity_and_truth_tests_are_read() {
    let lines = "    assert result.active is True\n    assert result.active is not False\n    assert result.deleted_at is None\n    assert result.email is not None\n    assert result.verified\n    assert not result.locked\n    assert result.active == True\n    assert result.coupon == None\n    assert result.coupon != None\n";
    let parsed = checked("Ready", &format!("{CHECK}{lines}```\n"));
    assert!(errors(&parsed).is_empty(), "{:#?}", parsed.diagnostics);
    let steps = &parsed.spec.checks[0].steps;
    let tests: Vec<Truth> = steps
        .iter()
        .filter_map(|s| match s {
            DbCheckStep::AssertTruth { test, .. } => Some(*test),
            _ => None,
        })
        .collect();
    assert_eq!(
        tests,
        [
            Truth::IsTrue,
            Truth::IsNotFalse,
            Truth::IsNone,
            Truth::IsNotNone,
            Truth::Truthy,
            Truth::Falsy
        ]
    );
    assert_eq!(
        steps
            .iter()
            .filter(|s| matches!(s, DbCheckStep::AssertColumn { .. }))
            .count(),
        3
    );
}

#[test]
fn every_unsupported_line_of_a_check_is_reported_and_its_calls_still_resolve() {
    let lines = "    assert result.score is 10\n    assert len(result.roles) == 2\n    total = sum(result.items)\n    assert total == 3\n    assert result.active == true\n";
    let parsed = checked("Ready", &format!("{CHECK}{lines}```\n"));
    let found: Vec<(Code, u32)> = parsed
        .diagnostics
        .iter()
        .map(|d| (d.code, d.span.line))
        .collect();
    assert_eq!(
        found,
        [
            (Code::InvalidCheck, 20),
            (Code::InvalidCheck, 21),
            (Code::InvalidCheck, 22),
            (Code::InvalidCheck, 24),
        ],
        "{:#?}",
        parsed.diagnostics
    );
    let last = parsed.diagnostics.last().unwrap();
    assert!(
        last.message
            .contains("JSON writes `true`; Python writes `True`"),
        "{}",
        last.message
    );
    assert!(
        parsed.spec.checks[0]
            .steps
            .iter()
            .any(|s| matches!(s, DbCheckStep::Unreadable { .. })),
        "a run would fail the check where it cannot execute it"
    );
}

#[test]
fn a_python_literal_in_json_names_the_fix() {
    let parsed = checked(
        "Ready",
        "**Input:**\n```json\n{\"active\": True}\n```\n\n**Assertions:**\n- status == 201\n",
    );
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == Code::InvalidJson)
        .unwrap();
    assert_eq!(
        d.help.as_deref(),
        Some("JSON writes `true`; `True` is Python")
    );
    // And the assertion list was not disturbed.
    assert!(matches!(
        parsed.spec.cases[0].assertions[0].kind,
        AssertionKind::Check { .. }
    ));
}
