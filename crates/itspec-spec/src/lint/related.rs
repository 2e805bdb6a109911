//! IT009, IT013, IT014: the header against the sections.

use crate::diagnostic::{Code, Diagnostic};
use crate::lint::LintOptions;
use crate::model::{AssertionKind, DependencyKind, Spec, SubjectKind};
use crate::source::Spanned;
use crate::template::is_slot;

pub(crate) fn check(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    related(spec, out);
    dependencies(spec, out);
    brokers(spec, options, out);
    if spec.title.is_some() && spec.cases.is_empty() {
        let span = spec.title.as_ref().map(|t| t.span).unwrap_or_default();
        out.push(
            Diagnostic::warning(Code::NoTestCases, span, "this spec has no test cases")
                .with_help("add `## Test Cases` with `### TC-INT-001: Name` cases"),
        );
    }
}

fn has_slot(text: &str) -> bool {
    crate::interpolation::find(text)
        .iter()
        .any(|f| is_slot(f.name(text)))
}

fn related(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let Some(section) = &spec.related_section else {
        return;
    };
    if let Some(stories) = &section.stories {
        let listed: Vec<&str> = stories
            .value
            .iter()
            .map(|s| s.value.as_str())
            .filter(|s| !has_slot(s))
            .collect();
        let header: Vec<&str> = spec
            .related
            .stories
            .iter()
            .map(|s| s.value.as_str())
            .collect();
        let only_section: Vec<&str> = listed
            .iter()
            .copied()
            .filter(|s| !header.contains(s))
            .collect();
        let only_header: Vec<&str> = header
            .iter()
            .copied()
            .filter(|s| !listed.contains(s))
            .collect();
        if !only_section.is_empty() || !only_header.is_empty() {
            let mut parts = Vec::new();
            if !only_section.is_empty() {
                parts.push(format!(
                    "{} only in the Related section",
                    only_section.join(", ")
                ));
            }
            if !only_header.is_empty() {
                parts.push(format!("{} only in the header", only_header.join(", ")));
            }
            let mut diagnostic = Diagnostic::warning(
                Code::RelatedMismatch,
                stories.span,
                format!("the stories disagree: {}", parts.join("; ")),
            )
            .with_help(
                "list the same stories in the header's **Related:** line and in `## Related`",
            );
            if let Some(span) = spec.related.span {
                diagnostic = diagnostic.with_note(span, "the header's Related line");
            }
            out.push(diagnostic);
        }
    }
    if let Some(contract) = &section.contract {
        if has_slot(&contract.value) {
            return;
        }
        let header = spec.related.contract.as_ref().map(|c| c.value.to_string());
        if header.as_deref() != Some(contract.value.trim()) {
            let message = match &header {
                Some(header) => format!(
                    "the API contract `{}` differs from the header's `{header}`",
                    contract.value.trim()
                ),
                None => format!(
                    "the API contract `{}` is not in the header's Related line",
                    contract.value.trim()
                ),
            };
            out.push(
                Diagnostic::warning(Code::RelatedMismatch, contract.span, message).with_help(
                    "name the same contract in the header's **Related:** line and in `## Related`",
                ),
            );
        }
    }
}

/// A broker listed in Dependencies is configured, and a broker the
/// assertions read is listed (when the spec lists its dependencies).
fn brokers(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let listed: Vec<&Spanned<String>> = spec
        .dependencies
        .iter()
        .filter_map(|d| match &d.kind {
            DependencyKind::Broker { name } => Some(name),
            _ => None,
        })
        .collect();
    for name in &listed {
        if !options.brokers.iter().any(|b| b.name == name.value) && !has_slot(&name.value) {
            out.push(
                Diagnostic::warning(
                    Code::DependencyMismatch,
                    name.span,
                    format!(
                        "broker `{}` is listed in Dependencies but not configured",
                        name.value
                    ),
                )
                .with_help(format!(
                    "add [brokers.{}] to itspec.toml, or fix the name in Dependencies",
                    name.value
                )),
            );
        }
    }
    if spec.dependencies.is_empty() {
        return;
    }
    let mut warned: Vec<&str> = Vec::new();
    for assertion in spec.cases.iter().flat_map(|c| c.all_assertions()) {
        let broker = match &assertion.kind {
            AssertionKind::Check { subject, .. } => match &subject.kind {
                SubjectKind::Message { broker, .. } | SubjectKind::Messages { broker, .. } => {
                    broker
                }
                _ => continue,
            },
            AssertionKind::NoMessages {
                broker: Some(broker),
                ..
            } => broker,
            _ => continue,
        };
        if listed.iter().any(|name| name.value == broker.value)
            || warned.contains(&broker.value.as_str())
        {
            continue;
        }
        warned.push(&broker.value);
        out.push(
            Diagnostic::warning(
                Code::DependencyMismatch,
                broker.span,
                format!("broker `{}` is not listed in Dependencies", broker.value),
            )
            .with_help(format!(
                "add `- Broker: `{}`, <what the service publishes there>` to `## Dependencies`",
                broker.value
            )),
        );
    }
}

fn dependencies(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let listed: Vec<_> = spec
        .dependencies
        .iter()
        .filter_map(|d| match &d.kind {
            DependencyKind::Mock { name } => Some(name),
            _ => None,
        })
        .collect();
    for name in &listed {
        if !spec.mocks.iter().any(|m| m.name.value == name.value) && !has_slot(&name.value) {
            out.push(
                Diagnostic::warning(
                    Code::DependencyMismatch,
                    name.span,
                    format!(
                        "mock `{}` is listed in Dependencies but not defined in `## Mocks`",
                        name.value
                    ),
                )
                .with_help("define it in `## Mocks`, or fix the name in Dependencies"),
            );
        }
    }
    if spec.dependencies.is_empty() {
        return;
    }
    for mock in &spec.mocks {
        if !listed.iter().any(|name| name.value == mock.name.value)
            && !mock.name.value.starts_with("{{")
        {
            out.push(
                Diagnostic::warning(
                    Code::DependencyMismatch,
                    mock.name.span,
                    format!("mock `{}` is not listed in Dependencies", mock.name.value),
                )
                .with_help(format!(
                    "add `- Mock: `{}`, <what it stands for>` to `## Dependencies`",
                    mock.name.value
                )),
            );
        }
    }
}

#[cfg(test)]
mod broker_tests {
    use crate::{Code, KnownBroker, LintOptions};

    fn mismatches(dependencies: &str, assertions: &str) -> Vec<String> {
        let text = format!(
            "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Ready\n\n\
             ## Dependencies\n\n{dependencies}\n\n## Test Cases\n\n\
             ### TC-INT-001: Publishes\n\n**Request:** POST /orders\n\n**Assertions:**\n{assertions}\n"
        );
        let options = LintOptions {
            brokers: vec![KnownBroker {
                name: "events".into(),
                rules: Some(crate::topics::TopicRules::Redis),
                watch: vec!["orders:*".into()],
            }],
            ..LintOptions::default()
        };
        crate::check(&text, &options)
            .diagnostics
            .into_iter()
            .filter(|d| d.code == Code::DependencyMismatch)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn brokers_in_dependencies_are_configured_and_the_ones_read_are_listed() {
        assert_eq!(
            mismatches(
                "- Broker: `events`, order events",
                "- message events received {}"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            mismatches("- Broker: billing (exchange invoices)", "- status == 201"),
            ["broker `billing` is listed in Dependencies but not configured"]
        );
        assert_eq!(
            mismatches(
                "- Database: tables `orders`",
                "- message events received {}\n- no messages on events"
            ),
            ["broker `events` is not listed in Dependencies"]
        );
    }
}
