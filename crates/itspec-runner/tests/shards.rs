//! `--shard i/n` partitions the cases exactly: every case of the plan runs
//! in one shard and one only, whatever the specs and the number of shards.

use std::collections::BTreeSet;

use itspec_runner::shard::Shard;
use itspec_runner::{Selection, SpecInput};
use proptest::prelude::*;

fn spec(n: usize, cases: usize, captures: bool) -> SpecInput {
    let mut text = format!(
        "# Integration Test Spec: S{n}\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n"
    );
    for c in 1..=cases {
        text.push_str(&format!(
            "### TC-INT-{c:03}: Case {c}\n\n**Request:** GET /\n\n"
        ));
        if captures && c == 1 {
            text.push_str("**Capture:**\n- token = body.token\n\n");
        }
    }
    let checked = itspec_spec::check(&text, &itspec_spec::LintOptions::default());
    SpecInput {
        path: format!("specs/s{n:02}.md"),
        text: text.into(),
        spec: checked.spec,
    }
}

fn cases_of(plan: &itspec_runner::Plan) -> BTreeSet<(String, usize)> {
    plan.specs
        .iter()
        .flat_map(|p| p.cases.iter().map(|c| (p.path.clone(), *c)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn shards_partition_the_cases(
        specs in prop::collection::vec((1usize..12, any::<bool>()), 1..8),
        total in 1u32..6,
    ) {
        let inputs = || specs.iter().enumerate().map(|(n, (cases, captures))| spec(n, *cases, *captures)).collect::<Vec<_>>();
        let all = cases_of(&itspec_runner::plan(inputs(), &Selection::default()).unwrap());
        let mut seen = BTreeSet::new();
        let mut sizes = Vec::new();
        for index in 1..=total {
            let plan = itspec_runner::plan(inputs(), &Selection::default()).unwrap().shard(Shard { index, total });
            let part = cases_of(&plan);
            prop_assert!(part.is_disjoint(&seen), "shard {} repeats a case", index);
            sizes.push(part.len());
            seen.extend(part);
            // A spec whose cases capture values stays in one shard.
            for (n, (_, captures)) in specs.iter().enumerate() {
                let path = format!("specs/s{n:02}.md");
                let here = plan.specs.iter().find(|p| p.path == path).map_or(0, |p| p.cases.len());
                if *captures && here > 0 {
                    prop_assert_eq!(here, specs[n].0);
                }
            }
        }
        prop_assert_eq!(seen, all);
        // The same inputs give the same shards.
        let again = cases_of(&itspec_runner::plan(inputs(), &Selection::default()).unwrap().shard(Shard { index: 1, total }));
        prop_assert_eq!(again.len(), sizes[0]);
    }
}
