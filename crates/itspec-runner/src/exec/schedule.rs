//! The order in which workers are handed specs: the plan's order, or,
//! with the timings of an earlier run, the longest first so that no worker
//! is left with a long spec at the end. Specs the timings do not know come
//! first, in the plan's order: they might be long.

use std::collections::{BTreeMap, VecDeque};

use crate::plan::Plan;

/// Spec indexes into the plan, in the order they are handed out.
pub(super) fn order(plan: &Plan, timings: &BTreeMap<String, u64>) -> VecDeque<usize> {
    let mut indexes: Vec<usize> = (0..plan.specs.len()).collect();
    if !timings.is_empty() {
        // Stable: equal durations keep the plan's order.
        indexes.sort_by_key(|&i| {
            let known = plan.specs.get(i).and_then(|p| timings.get(&p.path));
            (
                known.is_some(),
                std::cmp::Reverse(known.copied().unwrap_or(0)),
            )
        });
    }
    indexes.into()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plan::Planned;

    fn plan(paths: &[&str]) -> Plan {
        Plan {
            specs: paths
                .iter()
                .map(|path| Planned {
                    path: (*path).to_string(),
                    text: Arc::from(""),
                    about: Default::default(),
                    cases: Vec::new(),
                })
                .collect(),
            drafts: 0,
        }
    }

    #[test]
    fn without_timings_the_plan_order_is_kept() {
        let plan = plan(&["a", "b", "c"]);
        assert_eq!(order(&plan, &BTreeMap::new()), [0, 1, 2]);
    }

    #[test]
    fn unknown_specs_first_then_the_longest() {
        let plan = plan(&["short", "new", "long", "middle"]);
        let timings = BTreeMap::from([
            ("short".to_string(), 10),
            ("long".to_string(), 900),
            ("middle".to_string(), 300),
        ]);
        assert_eq!(order(&plan, &timings), [1, 2, 3, 0]);
    }
}
