//! Which cases run, and in which order: Ready and Implemented specs (Drafts
//! with `--include-drafts`), filtered by `--filter`, `--tags` and
//! `--priority`, Critical specs first.

use std::sync::Arc;

use globset::{Glob, GlobMatcher};
use itspec_spec::Spec;
use itspec_spec::model::{Priority, TestCase};

/// A spec to run, with its text for code frames.
#[derive(Clone, Debug)]
pub struct SpecInput {
    /// The path, as shown.
    pub path: String,
    /// The text.
    pub text: Arc<str>,
    /// The model.
    pub spec: Spec,
}

/// How to choose cases.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Globs matched against case ids and names (any may match).
    pub filters: Vec<String>,
    /// Tags; a case runs when it has any of them.
    pub tags: Vec<String>,
    /// Priorities to run; empty means all.
    pub priorities: Vec<Priority>,
    /// Run Draft specs too.
    pub include_drafts: bool,
}

/// A spec and the indexes of its selected cases.
#[derive(Clone, Debug)]
pub struct Planned {
    /// The spec.
    pub input: SpecInput,
    /// Indexes into `input.spec.cases`, in document order.
    pub cases: Vec<usize>,
}

/// The plan, and what was left out on purpose.
#[derive(Debug, Default)]
pub struct Plan {
    /// Specs to run, in order.
    pub specs: Vec<Planned>,
    /// Draft specs not run.
    pub drafts: usize,
}

impl Plan {
    /// How many cases will run (skipped cases included).
    pub fn case_count(&self) -> usize {
        self.specs.iter().map(|s| s.cases.len()).sum()
    }
}

/// A `--filter` that is not a valid glob.
#[derive(Clone, Debug, thiserror::Error)]
#[error("--filter `{0}` is not a valid pattern: {1}")]
pub struct FilterError(pub String, pub String);

/// Chooses and orders.
pub fn plan(specs: Vec<SpecInput>, selection: &Selection) -> Result<Plan, FilterError> {
    let filters: Vec<GlobMatcher> = selection
        .filters
        .iter()
        .map(|f| {
            globset::GlobBuilder::new(f)
                .case_insensitive(true)
                .build()
                .map(|g: Glob| g.compile_matcher())
                .map_err(|e| FilterError(f.clone(), e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let mut plan = Plan::default();
    for input in specs {
        if input.spec.is_draft() && !selection.include_drafts {
            plan.drafts += 1;
            continue;
        }
        let priority = priority_of(&input.spec);
        if !selection.priorities.is_empty() && !selection.priorities.contains(&priority) {
            continue;
        }
        let cases: Vec<usize> = input
            .spec
            .cases
            .iter()
            .enumerate()
            .filter(|(_, case)| selected(case, &filters, &selection.tags))
            .map(|(i, _)| i)
            .collect();
        if !cases.is_empty() {
            plan.specs.push(Planned { input, cases });
        }
    }
    plan.specs.sort_by(|a, b| {
        priority_of(&a.input.spec)
            .cmp(&priority_of(&b.input.spec))
            .then_with(|| a.input.path.cmp(&b.input.path))
    });
    Ok(plan)
}

/// A spec's priority; Medium when it has none.
pub fn priority_of(spec: &Spec) -> Priority {
    spec.priority.as_ref().map_or(Priority::Medium, |p| p.value)
}

fn selected(case: &TestCase, filters: &[GlobMatcher], tags: &[String]) -> bool {
    let by_filter = filters.is_empty()
        || filters.iter().any(|f| {
            f.is_match(&case.id.value)
                || f.is_match(&case.name.value)
                || f.is_match(format!("{}: {}", case.id.value, case.name.value))
        });
    let by_tag = tags.is_empty()
        || case.tags.iter().any(|tag| {
            tags.iter()
                .any(|wanted| wanted.eq_ignore_ascii_case(&tag.value))
        });
    by_filter && by_tag
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(path: &str, priority: &str, status: &str, cases: &[(&str, &str)]) -> SpecInput {
        let mut text = format!(
            "# Integration Test Spec: {path}\n\n**Priority:** {priority}\n**Status:** {status}\n\n## Test Cases\n\n"
        );
        for (id, tags) in cases {
            text.push_str(&format!(
                "### {id}: Case {id}\n\n**Request:** GET /\n\n**Tags:** {tags}\n\n"
            ));
        }
        let spec = itspec_spec::parse(&text).spec;
        SpecInput {
            path: path.to_string(),
            text: text.into(),
            spec,
        }
    }

    fn run(selection: &Selection) -> Vec<(String, Vec<usize>)> {
        let specs = vec![
            input(
                "b.md",
                "Low",
                "Ready",
                &[("TC-INT-001", "smoke"), ("TC-INT-002", "slow")],
            ),
            input("a.md", "Critical", "Implemented", &[("TC-INT-001", "slow")]),
            input("c.md", "High", "Draft", &[("TC-INT-001", "smoke")]),
        ];
        plan(specs, selection)
            .unwrap()
            .specs
            .into_iter()
            .map(|p| (p.input.path, p.cases))
            .collect()
    }

    #[test]
    fn critical_first_drafts_out() {
        assert_eq!(
            run(&Selection::default()),
            [
                ("a.md".to_string(), vec![0]),
                ("b.md".to_string(), vec![0, 1])
            ]
        );
        let with_drafts = Selection {
            include_drafts: true,
            ..Selection::default()
        };
        assert_eq!(run(&with_drafts).len(), 3);
    }

    #[test]
    fn filters_tags_and_priorities() {
        let by_id = Selection {
            filters: vec!["*-002".into()],
            ..Selection::default()
        };
        assert_eq!(run(&by_id), [("b.md".to_string(), vec![1])]);
        let by_name = Selection {
            filters: vec!["case tc-int-001".into()],
            ..Selection::default()
        };
        assert_eq!(run(&by_name).len(), 2);
        let by_tag = Selection {
            tags: vec!["SMOKE".into()],
            ..Selection::default()
        };
        assert_eq!(run(&by_tag), [("b.md".to_string(), vec![0])]);
        let by_priority = Selection {
            priorities: vec![Priority::Low],
            ..Selection::default()
        };
        assert_eq!(run(&by_priority), [("b.md".to_string(), vec![0, 1])]);
    }
}
