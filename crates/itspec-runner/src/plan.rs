//! Which cases run, and in which order: Ready and Implemented specs (Drafts
//! with `--include-drafts`), filtered by `--filter`, `--tags` and
//! `--priority`, Critical specs first.
//!
//! A plan keeps what choosing, ordering and reporting need to know about
//! each spec ([`About`]) and its text, not its parsed model: a worker parses
//! a spec again when it takes it ([`Planned::spec`]), so a run holds the
//! models only of the specs running (a 100-case spec's model is about
//! 400 KB; its text a tenth of that).

use std::sync::Arc;

use globset::{Glob, GlobMatcher};
use itspec_spec::Spec;
use itspec_spec::model::{Priority, TestCase};

/// A spec to choose from, with its text for code frames.
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

/// What a run needs to know of a spec before it runs: for the result
/// tree, the mocks to start and the shards.
#[derive(Clone, Debug, Default)]
pub struct About {
    /// The component named in the title.
    pub component: String,
    /// `**Priority:**`, Medium when there is none.
    pub priority: Priority,
    /// `**Status:**` as written, empty when there is none.
    pub status: String,
    /// The story ids the spec names.
    pub stories: Vec<String>,
    /// The API contract in Related.
    pub contract: Option<String>,
    /// The names of the mocks it defines.
    pub mocks: Vec<String>,
    /// A chosen case captures a value for the next ones.
    pub captures: bool,
}

/// A spec chosen to run and the indexes of its chosen cases.
#[derive(Clone, Debug)]
pub struct Planned {
    /// The path, as shown.
    pub path: String,
    /// The text, parsed again when the spec runs.
    pub text: Arc<str>,
    /// What the run needs to know up front.
    pub about: About,
    /// Indexes into the spec's cases, in document order.
    pub cases: Vec<usize>,
}

impl Planned {
    /// The spec's model, parsed from its text (which was checked when the
    /// plan was made).
    pub fn spec(&self) -> Spec {
        itspec_spec::parse(&self.text).spec
    }
}

/// The plan, and what was left out on purpose.
#[derive(Clone, Debug, Default)]
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

    /// Puts chosen specs in running order: by priority, then path.
    pub fn from_chosen(chosen: impl IntoIterator<Item = Choice>) -> Plan {
        let mut plan = Plan::default();
        for choice in chosen {
            match choice {
                Choice::Run(planned) => plan.specs.push(planned),
                Choice::Draft => plan.drafts += 1,
                Choice::Nothing => {}
            }
        }
        plan.specs.sort_by(|a, b| {
            a.about
                .priority
                .cmp(&b.about.priority)
                .then_with(|| a.path.cmp(&b.path))
        });
        plan
    }
}

/// A `--filter` that is not a valid glob.
#[derive(Clone, Debug, thiserror::Error)]
#[error("--filter `{0}` is not a valid pattern: {1}")]
pub struct FilterError(pub String, pub String);

/// What became of one spec.
#[derive(Clone, Debug)]
pub enum Choice {
    /// Some of its cases run.
    Run(Planned),
    /// A Draft, left out without `--include-drafts`.
    Draft,
    /// None of its cases is chosen.
    Nothing,
}

/// A [`Selection`] ready to choose, one spec at a time (so that specs can
/// be chosen as they are read, without holding every model).
#[derive(Clone, Debug)]
pub struct Chooser {
    filters: Vec<GlobMatcher>,
    selection: Selection,
}

impl Chooser {
    /// Compiles the filters.
    pub fn new(selection: &Selection) -> Result<Chooser, FilterError> {
        let filters = selection
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
        Ok(Chooser {
            filters,
            selection: selection.clone(),
        })
    }

    /// The cases of `input` that run; its model is dropped.
    pub fn choose(&self, input: SpecInput) -> Choice {
        self.choose_among(input, None)
    }

    /// [`Chooser::choose`], among the cases at `only` (indexes into the
    /// spec's cases: those named on the command line, or that failed last
    /// time) when given.
    pub fn choose_among(&self, input: SpecInput, only: Option<&[usize]>) -> Choice {
        let spec = &input.spec;
        if spec.is_draft() && !self.selection.include_drafts {
            return Choice::Draft;
        }
        let priority = priority_of(spec);
        if !self.selection.priorities.is_empty() && !self.selection.priorities.contains(&priority) {
            return Choice::Nothing;
        }
        let cases: Vec<usize> = spec
            .cases
            .iter()
            .enumerate()
            .filter(|(i, _)| only.is_none_or(|only| only.contains(i)))
            .filter(|(_, case)| {
                selected(
                    case,
                    &self.filters,
                    &self.selection.filters,
                    &self.selection.tags,
                )
            })
            .map(|(i, _)| i)
            .collect();
        if cases.is_empty() {
            return Choice::Nothing;
        }
        let about = About {
            component: spec.component().unwrap_or_default().to_string(),
            priority,
            status: spec
                .status
                .as_ref()
                .map(|s| s.value.as_str().to_string())
                .unwrap_or_default(),
            stories: spec.story_ids(),
            contract: spec.related.contract.as_ref().map(|c| c.value.to_string()),
            mocks: spec.mocks.iter().map(|m| m.name.value.clone()).collect(),
            captures: cases
                .iter()
                .filter_map(|&i| spec.cases.get(i))
                .any(|c| !c.captures.is_empty()),
        };
        Choice::Run(Planned {
            path: input.path,
            text: input.text,
            about,
            cases,
        })
    }
}

/// Chooses and orders.
pub fn plan(specs: Vec<SpecInput>, selection: &Selection) -> Result<Plan, FilterError> {
    let chooser = Chooser::new(selection)?;
    Ok(Plan::from_chosen(
        specs.into_iter().map(|input| chooser.choose(input)),
    ))
}

/// A spec's priority; Medium when it has none.
pub fn priority_of(spec: &Spec) -> Priority {
    spec.priority.as_ref().map_or(Priority::Medium, |p| p.value)
}

/// Whether a case is chosen: a filter matches it as a glob (its id, its
/// name or `ID: Name`) or is a part of `ID: Name` (without regard to case,
/// as pytest's `-k`), and it has one of the tags.
fn selected(case: &TestCase, filters: &[GlobMatcher], texts: &[String], tags: &[String]) -> bool {
    let title = format!("{}: {}", case.id.value, case.name.value);
    let lower = title.to_lowercase();
    let by_filter = filters.is_empty()
        || filters.iter().any(|f| {
            f.is_match(&case.id.value) || f.is_match(&case.name.value) || f.is_match(&title)
        })
        || texts
            .iter()
            .any(|text| lower.contains(&text.to_lowercase()));
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
            .map(|p| (p.path, p.cases))
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

    #[test]
    fn a_chosen_spec_keeps_what_the_run_needs_and_its_text() {
        let text = "# Integration Test Spec: Orders API\n\n**Related:** US-7, openapi.yaml#createOrder\n**Priority:** High\n**Status:** Ready\n\n\
                    ## Mocks\n\n```python\ndef payments(mocker):\n    return mocker.patch(\"shop.payments.charge\", return_value={\"id\": \"ch_1\"})\n```\n\n## Test Cases\n\n\
                    ### TC-INT-001: Create\n\n**Request:** POST /orders\n\n**Capture:**\n- order_id = body.id\n\n\
                    ### TC-INT-002: Read\n\n**Request:** GET /orders/{{order_id}}\n";
        let spec = itspec_spec::parse(text).spec;
        let input = SpecInput {
            path: "orders.md".into(),
            text: text.into(),
            spec: spec.clone(),
        };
        let chooser = Chooser::new(&Selection::default()).unwrap();
        let Choice::Run(planned) = chooser.choose(input.clone()) else {
            panic!("the spec should run");
        };
        assert_eq!(planned.about.component, "Orders API");
        assert_eq!(planned.about.priority, Priority::High);
        assert_eq!(planned.about.status, "Ready");
        assert_eq!(planned.about.stories, spec.story_ids());
        assert_eq!(
            planned.about.contract,
            spec.related.contract.as_ref().map(|c| c.value.to_string())
        );
        assert_eq!(planned.about.mocks, ["payments"]);
        assert!(planned.about.captures, "the first case captures a value");
        assert_eq!(planned.cases, [0, 1]);
        // The model comes back from the text, whole.
        assert_eq!(format!("{:?}", planned.spec()), format!("{spec:?}"));

        // Only the second case chosen: nothing captured for a later case.
        let second = Chooser::new(&Selection {
            filters: vec!["TC-INT-002".into()],
            ..Selection::default()
        })
        .unwrap();
        let Choice::Run(planned) = second.choose(input) else {
            panic!("the second case should run");
        };
        assert!(!planned.about.captures);
    }
}
