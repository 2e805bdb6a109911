//! IT801–IT806: specs that pass while checking too little. A case that
//! checks nothing of its response, an error case that does not prove it
//! changed nothing, an Expected Output of markers alone, a race case that
//! never looks at the state the race leaves, an assertion that cannot
//! fail, a Capture nothing uses. Warnings, errors under `--strict`: each
//! one is a way for a wrong service to stay green. A case still holding
//! the template's slots, and a spec cut short by an unclosed fence, are
//! told of that instead.

use crate::diagnostic::{Code, Diagnostic};
use crate::lint::LintOptions;
use crate::marker::{Marker, parse_marker};
use crate::model::{
    AssertionKind, CaseKind, CmpOp, ExpectedOutput, OperandKind, Phrase, Predicate, ResponsePart,
    Spec, SubjectKind, TestCase, Value, ValueKind,
};
use crate::source::Span;

pub(crate) fn check(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let report = |code: Code, span: Span, message: String, help: &str| {
        let diagnostic = if options.strict {
            Diagnostic::error(code, span, message)
        } else {
            Diagnostic::warning(code, span, message)
        };
        diagnostic.with_help(help)
    };
    // A case of the template not filled in yet is told of its slots.
    let unfilled = |case: &TestCase| {
        spec.interpolations.iter().any(|var| {
            case.span.start <= var.span.start
                && var.span.end <= case.span.end
                && crate::template::is_slot(var.root())
        })
    };
    for case in spec
        .cases
        .iter()
        .filter(|c| c.skip.is_none() && !unfilled(c))
    {
        if let Some(status) = error_status(case)
            && options.database
            && !checks_database(case)
        {
            out.push(report(
                Code::UncheckedErrorCase,
                case.heading_span,
                format!(
                    "{} expects {status} and checks nothing of the database: a service that refuses the request and still writes would pass",
                    case.id.value
                ),
                "add `- database unchanged` (or `- no side effects`) to its Assertions",
            ));
        }
        if !case.publishes_only() && !checks_response(case) {
            out.push(report(
                Code::UncheckedResponse,
                case.heading_span,
                format!(
                    "{} checks nothing of the response: any status, a 500 too, would pass",
                    case.id.value
                ),
                "add the status it must answer (`- status == 201`, or `Status: 201` under **Expected:**)",
            ));
        }
        if let Some(ExpectedOutput::Json(value)) = &case.expected_output
            && shape_only(value)
            && !checks_a_body_value(case)
        {
            out.push(report(
                Code::ShapeOnlyOutput,
                value.span,
                "this Expected Output is made only of markers: it checks the shape of the body, never a value".to_string(),
                "write at least one value the response must hold (`\"status\": \"confirmed\"`), or assert one under **Assertions:**",
            ));
        }
        if case.kind() == CaseKind::Concurrent && !checks_final_state(case) {
            out.push(report(
                Code::RaceWithoutFinalState,
                case.heading_span,
                format!(
                    "{} sends requests at once and never checks the state they leave: a lost update or a double write would pass",
                    case.id.value
                ),
                "add a check of what must be left, like `- rows reservations where sku = \"SKU-1\" count == 1`",
            ));
        }
        for assertion in case.all_assertions() {
            if let Some(why) = always_true(&assertion.kind) {
                out.push(report(
                    Code::AlwaysTrue,
                    assertion.span,
                    format!("this assertion cannot fail: {why}"),
                    "compare with the value the service must give, like `status == 201`",
                ));
            }
        }
    }
    unused_captures(spec, &report, out);
}

/// The status an error case expects (`4xx`, or one from 400 to 499), as
/// written.
fn error_status(case: &TestCase) -> Option<String> {
    case.all_assertions().find_map(|assertion| {
        let AssertionKind::Check { subject, predicate } = &assertion.kind else {
            return None;
        };
        let SubjectKind::Response {
            label: None,
            part: ResponsePart::Status,
        } = &subject.kind
        else {
            return None;
        };
        let Predicate::Compare {
            op: CmpOp::Eq,
            value,
        } = predicate
        else {
            return None;
        };
        match &value.kind {
            OperandKind::StatusClass(4) => Some("a 4xx status".to_string()),
            OperandKind::Value(Value {
                kind: ValueKind::Number(n),
                ..
            }) if n.as_u64().is_some_and(|n| (400..500).contains(&n)) => {
                Some(format!("status {n}"))
            }
            _ => None,
        }
    })
}

/// Whether a case looks at the database: a row, rows or SQL, a table or
/// the whole database unchanged, or a check of the spec's.
fn checks_database(case: &TestCase) -> bool {
    case.all_assertions()
        .any(|assertion| match &assertion.kind {
            AssertionKind::Check { subject, .. } => matches!(
                subject.kind,
                SubjectKind::Row { .. } | SubjectKind::Rows { .. } | SubjectKind::Sql { .. }
            ),
            AssertionKind::Phrase { phrase } => matches!(
                phrase,
                Phrase::DatabaseUnchanged | Phrase::TableUnchanged(_) | Phrase::NoSideEffects
            ),
            AssertionKind::Call { .. } => true,
            _ => false,
        })
}

/// Whether a case looks at its response: an Expected Output, an error
/// code or message, or an assertion on a response or the statuses.
fn checks_response(case: &TestCase) -> bool {
    case.expected_output.is_some()
        || case
            .all_assertions()
            .any(|assertion| match &assertion.kind {
                AssertionKind::Check { subject, .. } => matches!(
                    subject.kind,
                    SubjectKind::Response { .. }
                        | SubjectKind::Statuses
                        | SubjectKind::CountStatus { .. }
                ),
                AssertionKind::ErrorCode { .. } | AssertionKind::MessageContains { .. } => true,
                _ => false,
            })
}

/// Whether an assertion holds the body to a value: compared, contained,
/// matched or one of a list — not only present or of a type.
fn checks_a_body_value(case: &TestCase) -> bool {
    case.all_assertions()
        .any(|assertion| match &assertion.kind {
            AssertionKind::Check { subject, predicate } => {
                matches!(
                    subject.kind,
                    SubjectKind::Response {
                        part: ResponsePart::Body(_) | ResponsePart::JsonPath(_),
                        ..
                    }
                ) && matches!(
                    predicate,
                    Predicate::Compare { .. } | Predicate::In { .. } | Predicate::Contains { .. }
                ) || matches!(predicate, Predicate::Matches { regex } if !matches_anything(&regex.value))
            }
            AssertionKind::ErrorCode { .. } | AssertionKind::MessageContains { .. } => true,
            _ => false,
        })
}

/// Whether a race case checks what its requests leave: rows, SQL, keys,
/// counts of messages, e-mails or mock calls, a table unchanged, or a
/// check of the spec's.
fn checks_final_state(case: &TestCase) -> bool {
    case.all_assertions()
        .any(|assertion| match &assertion.kind {
            AssertionKind::Check { subject, predicate } => {
                matches!(
                    subject.kind,
                    SubjectKind::Row { .. }
                        | SubjectKind::Rows { .. }
                        | SubjectKind::Sql { .. }
                        | SubjectKind::Key { .. }
                        | SubjectKind::MockCalls { .. }
                ) || matches!(predicate, Predicate::Count { .. })
            }
            AssertionKind::Phrase { phrase } => matches!(
                phrase,
                Phrase::DatabaseUnchanged | Phrase::TableUnchanged(_) | Phrase::NoSideEffects
            ),
            AssertionKind::Call { .. }
            | AssertionKind::NoMessages { .. }
            | AssertionKind::NoEmails { .. } => true,
            _ => false,
        })
}

/// Whether an expected body holds no value of its own: every leaf is a
/// marker, or there is no leaf at all.
fn shape_only(value: &Value) -> bool {
    match &value.kind {
        ValueKind::String(text) => {
            matches!(parse_marker(text), Ok(Some(marker)) if !matches!(marker, Marker::Literal(_)))
        }
        ValueKind::Array(items) => items.iter().all(shape_only),
        ValueKind::Object(members) => members.iter().all(|m| shape_only(&m.value)),
        ValueKind::Null | ValueKind::Bool(_) | ValueKind::Number(_) | ValueKind::Var(_) => false,
    }
}

/// Why an assertion holds whatever the service does, if it does.
fn always_true(kind: &AssertionKind) -> Option<String> {
    let AssertionKind::Check { subject, predicate } = kind else {
        return None;
    };
    let number = |operand: &crate::model::Operand| match &operand.kind {
        OperandKind::Value(Value {
            kind: ValueKind::Number(n),
            ..
        }) => n.as_f64(),
        OperandKind::Duration(ms) => Some(*ms as f64),
        _ => None,
    };
    match (&subject.kind, predicate) {
        // Every status is from 100 to 599.
        (
            SubjectKind::Response {
                part: ResponsePart::Status,
                ..
            },
            Predicate::Compare { op, value },
        ) => {
            let v = number(value)?;
            let holds = match op {
                CmpOp::Ge => v <= 100.0,
                CmpOp::Gt => v < 100.0,
                CmpOp::Le => v >= 599.0,
                CmpOp::Lt => v > 599.0,
                CmpOp::Ne => !(100.0..=599.0).contains(&v),
                CmpOp::Eq => false,
            };
            holds.then(|| {
                format!(
                    "every status is from 100 to 599, so `{} {v}` always holds",
                    op.as_str()
                )
            })
        }
        // A duration is never negative.
        (
            SubjectKind::Response {
                part: ResponsePart::Duration,
                ..
            },
            Predicate::Compare { op, value },
        ) => {
            let v = number(value)?;
            let holds = matches!((op, v), (CmpOp::Ge, v) if v <= 0.0)
                || matches!((op, v), (CmpOp::Gt, v) if v < 0.0);
            holds.then(|| "a duration is never negative".to_string())
        }
        // Every status is in one of the five classes.
        (
            SubjectKind::Response {
                part: ResponsePart::Status,
                ..
            },
            Predicate::In { values },
        ) => {
            let classes: std::collections::BTreeSet<u16> = values
                .iter()
                .filter_map(|v| match v.kind {
                    OperandKind::StatusClass(class) => Some(class),
                    _ => None,
                })
                .collect();
            (classes.len() == 5).then(|| "every status is in one of the five classes".to_string())
        }
        // A pattern that any text matches.
        (_, Predicate::Matches { regex }) if matches_anything(&regex.value) => {
            Some(format!("`{}` matches any text", regex.value))
        }
        // A count is never negative.
        (_, Predicate::Count { op, value }) => {
            let v = number(value)?;
            let holds = matches!((op, v), (CmpOp::Ge, v) if v <= 0.0)
                || matches!((op, v), (CmpOp::Gt, v) if v < 0.0)
                || matches!((op, v), (CmpOp::Ne, v) if v < 0.0);
            holds.then(|| {
                format!(
                    "a count is never negative, so `count {} {v}` always holds",
                    op.as_str()
                )
            })
        }
        // A part of the response compared with itself.
        (SubjectKind::Response { label, part }, Predicate::Compare { op, value }) => {
            let OperandKind::Value(Value {
                kind: ValueKind::Var(var),
                ..
            }) = &value.kind
            else {
                return None;
            };
            let own = response_variable(label.as_ref().map(|l| l.value.as_str()), part)?;
            (var.name == own && matches!(op, CmpOp::Eq | CmpOp::Le | CmpOp::Ge))
                .then(|| format!("`{{{{{own}}}}}` is the value it is compared with"))
        }
        _ => None,
    }
}

/// Whether a regular expression matches any text, as `.*` does.
fn matches_anything(regex: &str) -> bool {
    let core = regex
        .trim_start_matches("(?s)")
        .trim_start_matches('^')
        .trim_end_matches('$');
    matches!(core, ".*" | ".*?" | "(.*)" | "")
}

/// The variable that holds a part of a response: `status`, `body.id`,
/// `A.headers.location`.
fn response_variable(label: Option<&str>, part: &ResponsePart) -> Option<String> {
    let own = match part {
        ResponsePart::Status => "status".to_string(),
        ResponsePart::Header(name) => format!("headers.{}", name.value.to_ascii_lowercase()),
        ResponsePart::Body(path) => {
            let mut text = "body".to_string();
            for segment in path {
                match segment {
                    crate::model::PathSegment::Key(key) => {
                        text.push('.');
                        text.push_str(key);
                    }
                    crate::model::PathSegment::Index(i) => text.push_str(&format!("[{i}]")),
                }
            }
            text
        }
        ResponsePart::JsonPath(_) | ResponsePart::Duration => return None,
    };
    Some(match label {
        Some(label) => format!("{label}.{own}"),
        None => own,
    })
}

/// IT806: a Capture whose variable no later case, fixture or mock reads.
fn unused_captures(
    spec: &Spec,
    report: &dyn Fn(Code, Span, String, &str) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    for (index, case) in spec.cases.iter().enumerate() {
        for capture in &case.captures {
            let name = capture.name.value.as_str();
            let in_spec = spec.vars.iter().any(|v| v.root() == name);
            let in_cases = spec.cases.iter().skip(index + 1).any(|later| {
                later.vars.iter().any(|v| v.var.root() == name)
                    || later.all_assertions().any(|a| match &a.kind {
                        AssertionKind::Call { args, .. } => args.iter().any(
                            |arg| matches!(&arg.kind, OperandKind::Name(n) if n.split('.').next() == Some(name)),
                        ),
                        _ => false,
                    })
            });
            if !in_spec && !in_cases {
                out.push(report(
                    Code::UnusedCapture,
                    capture.span,
                    format!(
                        "`{name}` is captured and no later case uses it: whatever the response held, nothing checks it"
                    ),
                    &format!(
                        "use `{{{{{name}}}}}` in a later case, or assert the value here instead of capturing it"
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Code, LintOptions, Severity};

    fn codes(cases: &str, options: &LintOptions) -> Vec<(Code, Severity, u32)> {
        let text = format!(
            "# Integration Test Spec: A\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n{cases}"
        );
        let spec = crate::parse(&text).spec;
        crate::lint(&spec, options)
            .into_iter()
            .filter(|d| d.code.id().starts_with("IT8"))
            .map(|d| (d.code, d.severity, d.span.line))
            .collect()
    }

    fn database() -> LintOptions {
        LintOptions {
            database: true,
            ..LintOptions::default()
        }
    }

    #[test]
    fn an_error_case_must_look_at_the_database_when_there_is_one() {
        let case = "### TC-INT-001: Refused\n\n**Request:** POST /orders\n\n**Expected:**\n- Status: 409\n";
        assert_eq!(
            codes(case, &database()),
            [(Code::UncheckedErrorCase, Severity::Warning, 8)]
        );
        assert_eq!(codes(case, &LintOptions::default()), []);
        let proved = format!("{case}\n**Assertions:**\n- database unchanged\n");
        assert_eq!(codes(&proved, &database()), []);
        let class = "### TC-INT-001: Refused\n\n**Request:** POST /orders\n\n**Assertions:**\n- status == 4xx\n";
        assert_eq!(
            codes(class, &database()),
            [(Code::UncheckedErrorCase, Severity::Warning, 8)]
        );
    }

    #[test]
    fn a_case_must_look_at_its_response() {
        let case = "### TC-INT-001: Saved\n\n**Request:** POST /orders\n\n**Assertions:**\n- rows orders count == 1\n";
        assert_eq!(
            codes(case, &LintOptions::default()),
            [(Code::UncheckedResponse, Severity::Warning, 8)]
        );
        let strict = LintOptions {
            strict: true,
            ..LintOptions::default()
        };
        assert_eq!(
            codes(case, &strict),
            [(Code::UncheckedResponse, Severity::Error, 8)]
        );
    }

    #[test]
    fn an_expected_output_of_markers_alone_checks_the_shape_only() {
        let case = |body: &str| {
            format!(
                "### TC-INT-001: Read\n\n**Request:** GET /orders/1\n\n**Expected Output:**\n```json\n{body}\n```\n"
            )
        };
        let shape = codes(
            &case(r##"{"id": "#number", "items": ["#ignore"], "note": "#ignore"}"##),
            &LintOptions::default(),
        );
        assert_eq!(shape, [(Code::ShapeOnlyOutput, Severity::Warning, 14)]);
        assert_eq!(codes(&case(r#"{}"#), &LintOptions::default()).len(), 1);
        let valued = r##"{"id": "#number", "status": "confirmed"}"##;
        assert_eq!(codes(&case(valued), &LintOptions::default()), []);
        // A value asserted elsewhere is enough.
        let asserted = format!(
            "{}\n**Assertions:**\n- body.items[0] == \"mug\"\n",
            case(r##"{"items": "#[] #string"}"##)
        );
        assert_eq!(codes(&asserted, &LintOptions::default()), []);
        // `##text` is the literal `#text`: a value.
        assert_eq!(
            codes(&case(r###"{"tag": "##new"}"###), &LintOptions::default()),
            []
        );
    }

    #[test]
    fn a_race_must_look_at_what_it_leaves() {
        let race = "### TC-INT-001: Two at once\n\n**Actions:**\n1. Request A: POST /orders {\"sku\": \"X\"}\n2. Request B (concurrent): POST /orders {\"sku\": \"X\"}\n\n**Assertions:**\n- statuses == [201, 409] in any order\n";
        assert_eq!(
            codes(race, &LintOptions::default()),
            [(Code::RaceWithoutFinalState, Severity::Warning, 8)]
        );
        let checked = race.replace(
            "in any order\n",
            "in any order\n- rows orders where sku = \"X\" count == 1\n",
        );
        assert_eq!(codes(&checked, &LintOptions::default()), []);
    }

    #[test]
    fn assertions_that_cannot_fail_are_found() {
        let case = |assertion: &str| {
            format!(
                "### TC-INT-001: A\n\n**Request:** GET /orders\n\n**Assertions:**\n- status == 200\n- {assertion}\n"
            )
        };
        for always in [
            "status >= 100",
            "status < 600",
            "status != 0",
            "rows orders count >= 0",
            "duration >= 0ms",
            "body.id == {{body.id}}",
            "header Location == {{headers.location}}",
            "status in [1xx, 2xx, 3xx, 4xx, 5xx]",
            "body.name matches \".*\"",
            "body.name matches \"^.*$\"",
        ] {
            assert_eq!(
                codes(&case(always), &LintOptions::default()),
                [(Code::AlwaysTrue, Severity::Warning, 14)],
                "{always}"
            );
        }
        for fine in [
            "status >= 200",
            "status < 300",
            "rows orders count >= 1",
            "body.id == {{order_id}}",
            "duration < 500ms",
            "status in [2xx, 3xx]",
            "body.name matches \".+\"",
        ] {
            assert_eq!(codes(&case(fine), &LintOptions::default()), [], "{fine}");
        }
    }

    #[test]
    fn a_capture_must_be_used_later() {
        let cases = "### TC-INT-001: Create\n\n**Request:** POST /orders\n\n**Assertions:**\n- status == 201\n\n**Capture:**\n- order_id = body.id\n- etag = header ETag\n\n---\n\n### TC-INT-002: Read\n\n**Request:** GET /orders/{{order_id}}\n\n**Assertions:**\n- status == 200\n";
        assert_eq!(
            codes(cases, &LintOptions::default()),
            [(Code::UnusedCapture, Severity::Warning, 17)]
        );
    }
}
