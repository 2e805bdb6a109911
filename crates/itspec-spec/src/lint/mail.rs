//! IT410: an e-mail assertion or a `mail -> CODE` line needs the SMTP
//! server of `[mail]`; and `- Mail: SMTP` in Dependencies agrees with
//! the config and with the e-mails the spec asserts (IT014).

use crate::diagnostic::{Code, Diagnostic};
use crate::lint::LintOptions;
use crate::model::{AssertionKind, DependencyKind, SetupLineKind, Spec, SubjectKind};
use crate::source::Span;

pub(crate) fn check(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let used = uses(spec);
    if !options.mail {
        for span in &used {
            out.push(
                Diagnostic::error(
                    Code::NoMailServer,
                    *span,
                    "this asks about e-mail, and itspec.toml has no [mail]: no SMTP server runs, so nothing would be seen",
                )
                .with_help(
                    "add `[mail]` to itspec.toml and point the service at {{mail.host}}:{{mail.port}} in [service] env",
                ),
            );
        }
    }
    let listed = spec
        .dependencies
        .iter()
        .find(|d| matches!(d.kind, DependencyKind::Mail));
    match (listed, used.first()) {
        (Some(item), _) if !options.mail => out.push(
            Diagnostic::warning(
                Code::DependencyMismatch,
                item.span,
                "mail is listed in Dependencies, and itspec.toml has no [mail]",
            )
            .with_help("add `[mail]` to itspec.toml, or take the item out of Dependencies"),
        ),
        (None, Some(span)) if !spec.dependencies.is_empty() => out.push(
            Diagnostic::warning(
                Code::DependencyMismatch,
                *span,
                "e-mail is asserted, and not listed in Dependencies",
            )
            .with_help("add `- Mail: SMTP, <what the service sends>` to `## Dependencies`"),
        ),
        _ => {}
    }
}

/// Where the spec asks about e-mail: assertions and `mail ->` lines.
fn uses(spec: &Spec) -> Vec<Span> {
    let mut spans = Vec::new();
    for case in &spec.cases {
        for line in case.setup.iter().flat_map(|s| &s.lines) {
            if let SetupLineKind::Mail { .. } = line.kind {
                spans.push(line.span);
            }
        }
        for assertion in case.all_assertions() {
            let mail = match &assertion.kind {
                AssertionKind::Check { subject, .. } => matches!(
                    subject.kind,
                    SubjectKind::Email { .. } | SubjectKind::Emails { .. }
                ),
                AssertionKind::NoEmails { .. } => true,
                _ => false,
            };
            if mail {
                spans.push(assertion.span);
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use crate::{Code, LintOptions};

    fn codes(body: &str, mail: bool) -> Vec<(Code, String)> {
        let text = format!(
            "# Integration Test Spec: Mail\n\n**Priority:** High\n**Status:** Ready\n\n\
             ## Dependencies\n\n- Database: `reservations`\n\n## Test Cases\n\n\
             ### TC-INT-001: Confirms\n\n{body}\n**Request:** POST /reservations\n\n\
             **Assertions:**\n- email to \"ana@example.com\" received\n"
        );
        crate::check(
            &text,
            &LintOptions {
                mail,
                ..LintOptions::default()
            },
        )
        .diagnostics
        .into_iter()
        .filter(|d| matches!(d.code, Code::NoMailServer | Code::DependencyMismatch))
        .map(|d| (d.code, d.message))
        .collect()
    }

    #[test]
    fn email_needs_a_mail_server_and_a_dependency_item() {
        let without = codes("**Setup:**\n- `mail -> 550`\n", false);
        assert_eq!(
            without
                .iter()
                .filter(|(code, _)| *code == Code::NoMailServer)
                .count(),
            2,
            "{without:?}"
        );
        let with = codes("", true);
        assert_eq!(
            with,
            [(
                Code::DependencyMismatch,
                "e-mail is asserted, and not listed in Dependencies".to_string()
            )]
        );
    }
}
