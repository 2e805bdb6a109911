//! IT402–IT405, IT407, IT111, IT118, IT119: names used in a case must
//! name something, and concurrency assertions need a concurrent group.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::lint::LintOptions;
use crate::model::{
    AssertionKind, FixtureSelection, Phrase, SetupLineKind, Spec, SubjectKind, TestCase,
};
use crate::source::Spanned;
use crate::suggest::nearest;

pub(crate) fn check(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let fixtures: Vec<&str> = spec
        .fixtures
        .iter()
        .filter_map(|f| f.name.as_ref())
        .map(|n| n.value.as_str())
        .collect();
    let mocks: Vec<&str> = spec
        .mocks
        .iter()
        .map(|m| m.name.value.as_str())
        .chain(options.mocks.iter().map(String::as_str))
        .collect();
    for case in &spec.cases {
        if let FixtureSelection::Named(names) = &case.fixtures {
            for name in names {
                fixture(name, &fixtures, out);
            }
        }
        for line in case.setup.iter().flat_map(|s| &s.lines) {
            match &line.kind {
                SetupLineKind::Fixture { name } => fixture(name, &fixtures, out),
                SetupLineKind::Mock { mock: name, .. } => mock(name, &mocks, out),
                _ => {}
            }
        }
        labels(case, out);
        // When an Actions item could not be read (and was reported), labels
        // and groups are not known well enough to judge their uses.
        let actions_known = case.actions_complete;
        for assertion in case.all_assertions() {
            match &assertion.kind {
                AssertionKind::Check { subject, .. } => match &subject.kind {
                    SubjectKind::Mock { mock: name, .. }
                    | SubjectKind::MockCalls { mock: name, .. } => mock(name, &mocks, out),
                    SubjectKind::Response {
                        label: Some(label), ..
                    } if actions_known => label_use(case, label, out),
                    SubjectKind::Statuses | SubjectKind::CountStatus { .. } if actions_known => {
                        concurrency(case, subject.span, out)
                    }
                    _ => {}
                },
                AssertionKind::Call { name, args } => {
                    check_call(spec, name, args.len(), assertion.span, out)
                }
                AssertionKind::Phrase {
                    phrase: Phrase::NoRaceConditions,
                } if actions_known && case.kind() != crate::model::CaseKind::Concurrent => {
                    out.push(
                        Diagnostic::warning(Code::NotConcurrent, assertion.span, "`no race conditions` in a case without concurrent requests checks nothing")
                            .with_help("mark a request `(concurrent)` or `(x10)` in **Actions:**, or remove the line"),
                    );
                }
                _ => {}
            }
        }
        for capture in &case.captures {
            if let SubjectKind::Response {
                label: Some(label), ..
            } = &capture.subject.kind
                && actions_known
            {
                label_use(case, label, out);
            }
        }
    }
}

fn fixture(name: &Spanned<String>, fixtures: &[&str], out: &mut Vec<Diagnostic>) {
    if fixtures.contains(&name.value.as_str()) {
        return;
    }
    let help = match nearest(&name.value, fixtures.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None if fixtures.is_empty() => {
            "the spec has no named Data Fixtures: define one in `## Data Fixtures`".to_string()
        }
        None => format!("the Data Fixtures are {}", list(fixtures)),
    };
    out.push(
        Diagnostic::error(
            Code::UnknownFixture,
            name.span,
            format!("no Data Fixture is named `{}`", name.value),
        )
        .with_help(help),
    );
}

fn mock(name: &Spanned<String>, mocks: &[&str], out: &mut Vec<Diagnostic>) {
    if mocks.contains(&name.value.as_str()) {
        return;
    }
    let help = match nearest(&name.value, mocks.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None if mocks.is_empty() => {
            "the spec has no mocks: define one in `## Mocks` (or under [mocks.NAME] in itspec.toml)"
                .to_string()
        }
        None => format!("the mocks are {}", list(mocks)),
    };
    out.push(
        Diagnostic::error(
            Code::UnknownMock,
            name.span,
            format!("no mock is named `{}`", name.value),
        )
        .with_help(help),
    );
}

fn check_call(
    spec: &Spec,
    name: &Spanned<String>,
    args: usize,
    span: crate::Span,
    out: &mut Vec<Diagnostic>,
) {
    let Some(check) = spec.checks.iter().find(|c| c.name.value == name.value) else {
        let names: Vec<&str> = spec.checks.iter().map(|c| c.name.value.as_str()).collect();
        let help = match nearest(&name.value, names.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None if names.is_empty() => {
                "define it in `## Database State Verification` as `def name(db_session, expected):`"
                    .to_string()
            }
            None => format!("the checks are {}", list(&names)),
        };
        out.push(
            Diagnostic::error(
                Code::UnknownCheck,
                name.span,
                format!("no check is named `{}`", name.value),
            )
            .with_help(help),
        );
        return;
    };
    if args != 1 {
        out.push(
            Diagnostic::error(Code::CheckArguments, span, format!("check `{}` takes one argument, not {args}", name.value))
                .with_note(check.name.span, "defined here")
                .with_help(format!("pass the expected values as one variable or JSON object, like `{}(reservation_request)`", name.value)),
        );
    }
}

/// The labels of a case's requests, expanded: `B` with `(x3)` is `B1`…`B3`.
fn expanded_labels(case: &TestCase) -> Vec<(String, &Spanned<String>)> {
    case.actions
        .iter()
        .flat_map(|a| a.labels().into_iter().map(move |l| (l, &a.label)))
        .collect()
}

fn labels(case: &TestCase, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<String, crate::Span> = HashMap::new();
    for (label, written) in expanded_labels(case) {
        if let Some(first) = seen.insert(label.clone(), written.span)
            && first != written.span
        {
            out.push(
                Diagnostic::error(
                    Code::DuplicateLabel,
                    written.span,
                    format!("label {label} is used by two requests"),
                )
                .with_note(first, "first used here")
                .with_help("give every request its own label"),
            );
        }
    }
}

fn label_use(case: &TestCase, label: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let expanded = expanded_labels(case);
    if let Some(action) = case.actions.iter().find(|a| {
        a.is_publish() && (a.label.value == label.value || a.labels().contains(&label.value))
    }) {
        out.push(
            Diagnostic::error(
                Code::NoResponse,
                label.span,
                format!(
                    "{} is a message published, which has no response",
                    label.value
                ),
            )
            .with_note(action.label.span, "published here")
            .with_help(
                "assert on what the consumer did: `within 5s: row …`, `message …`, `mock …`",
            ),
        );
        return;
    }
    if expanded.iter().any(|(l, _)| *l == label.value) {
        return;
    }
    if let Some(action) = case
        .actions
        .iter()
        .find(|a| a.label.value == label.value && a.copies.is_some())
    {
        let count = action.count();
        out.push(
            Diagnostic::error(
                Code::UnknownLabel,
                label.span,
                format!("request {} makes {count} copies", label.value),
            )
            .with_help(format!(
                "address one copy, {}1 to {}{count}, or use `statuses`",
                label.value, label.value
            )),
        );
        return;
    }
    let names: Vec<&str> = expanded.iter().map(|(l, _)| l.as_str()).collect();
    let help = match nearest(&label.value, names.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None if names.is_empty() => {
            "labels name the requests of **Actions:**, like `1. Request A: POST /path`".to_string()
        }
        None => format!("the requests are {}", list(&names)),
    };
    out.push(
        Diagnostic::error(
            Code::UnknownLabel,
            label.span,
            format!("no request is labelled {}", label.value),
        )
        .with_help(help),
    );
}

fn concurrency(case: &TestCase, span: crate::Span, out: &mut Vec<Diagnostic>) {
    let concurrent = case.groups().iter().filter(|g| g.size() > 1).count();
    if concurrent == 0 {
        out.push(
            Diagnostic::error(Code::NotConcurrent, span, "`statuses` needs a group of concurrent requests")
                .with_help("mark a request `(concurrent)` to release it with the one before, or `(x10)` for ten copies"),
        );
    } else if concurrent > 1 {
        out.push(
            Diagnostic::warning(
                Code::AmbiguousStatuses,
                span,
                format!("this case has {concurrent} concurrent groups; `statuses` reads the first"),
            )
            .with_help("address requests by label instead, like `B2.status == 409`"),
        );
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
