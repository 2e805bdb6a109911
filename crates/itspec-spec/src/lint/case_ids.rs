//! IT102–IT104: case ids unique, without gaps, in order.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::Spec;

pub(crate) fn check(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut first_by_id = HashMap::new();
    let mut last_by_prefix: HashMap<&str, u32> = HashMap::new();
    for case in &spec.cases {
        if case.id.value.is_empty() {
            continue;
        }
        if let Some(first) = first_by_id.insert(case.id.value.as_str(), case.id.span) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateCaseId,
                    case.id.span,
                    format!("case id {} is used twice", case.id.value),
                )
                .with_note(first, "first used here")
                .with_help("give every case its own id; reports, traces and --filter use it"),
            );
            continue;
        }
        let Some(number) = case.number else { continue };
        let prefix = case.id.value.rsplit_once('-').map_or("", |(p, _)| p);
        let width = case.id.value.len() - prefix.len() - 1;
        if let Some(&last) = last_by_prefix.get(prefix) {
            if number < last {
                out.push(
                    Diagnostic::warning(
                        Code::CaseIdOrder,
                        case.id.span,
                        format!("{} comes after {prefix}-{last:0width$}", case.id.value),
                    )
                    .with_help("keep cases in increasing order of their ids"),
                );
            } else if number > last + 1 {
                let missing = if number == last + 2 {
                    format!("{prefix}-{:0width$} is missing", last + 1)
                } else {
                    format!(
                        "{prefix}-{:0width$} to {prefix}-{:0width$} are missing",
                        last + 1,
                        number - 1
                    )
                };
                out.push(
                    Diagnostic::warning(
                        Code::CaseIdGap,
                        case.id.span,
                        format!("{missing} before {}", case.id.value),
                    )
                    .with_help(
                        "number cases without gaps, or keep the gap on purpose for a removed case",
                    ),
                );
            }
        }
        last_by_prefix
            .entry(prefix)
            .and_modify(|last| *last = (*last).max(number))
            .or_insert(number);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Code, LintOptions, check};

    fn codes(ids: &[&str]) -> Vec<(Code, String)> {
        let mut text = String::from(
            "# Integration Test Spec: X\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n",
        );
        for id in ids {
            text.push_str(&format!(
                "### {id}: Case\n\n**Request:** GET /\n\n**Assertions:**\n- status == 200\n\n"
            ));
        }
        check(&text, &LintOptions::default())
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect()
    }

    #[test]
    fn in_order_without_gaps_is_clean() {
        assert!(codes(&["TC-INT-001", "TC-INT-002", "TC-INT-003"]).is_empty());
    }

    #[test]
    fn duplicates_gaps_and_disorder() {
        assert_eq!(
            codes(&["TC-INT-001", "TC-INT-001"])[0].0,
            Code::DuplicateCaseId
        );
        assert_eq!(
            codes(&["TC-INT-001", "TC-INT-003"]),
            [(
                Code::CaseIdGap,
                "TC-INT-002 is missing before TC-INT-003".to_string()
            )]
        );
        assert_eq!(codes(&["TC-INT-002", "TC-INT-001"])[0].0, Code::CaseIdOrder);
    }

    #[test]
    fn prefixes_number_separately() {
        assert!(codes(&["TC-INT-001", "TC-API-001", "TC-INT-002", "TC-API-002"]).is_empty());
    }
}
