//! Sharding for CI fleets: `--shard i/n` runs one of n parts of the cases.
//! The partition is deterministic — it depends only on the specs' paths
//! and their cases — and balanced: whole specs, largest first, go to the
//! least loaded shard, and a spec with more cases than a fair share is
//! split by case (unless a case captures a value for the next ones).

use crate::plan::Plan;

/// `i/n`: part i (from 1) of n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which part, from 1.
    pub index: u32,
    /// How many parts.
    pub total: u32,
}

/// Text that is not `i/n`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a shard: write i/n, like 2/4 (i from 1 to n)")]
pub struct NotAShard(pub String);

impl Shard {
    /// Reads `i/n`.
    pub fn parse(text: &str) -> Result<Shard, NotAShard> {
        let bad = || NotAShard(text.to_string());
        let (index, total) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = index.trim().parse().map_err(|_| bad())?;
        let total: u32 = total.trim().parse().map_err(|_| bad())?;
        if total == 0 || index == 0 || index > total {
            return Err(bad());
        }
        Ok(Shard { index, total })
    }

    /// The shard a CI system assigns through its environment: GitLab
    /// (`CI_NODE_INDEX`, from 1, and `CI_NODE_TOTAL`), CircleCI
    /// (`CIRCLE_NODE_INDEX`, from 0, and `CIRCLE_NODE_TOTAL`), Buildkite
    /// (`BUILDKITE_PARALLEL_JOB`, from 0, and `BUILDKITE_PARALLEL_JOB_COUNT`),
    /// and Kubernetes indexed Jobs (`JOB_COMPLETION_INDEX`, from 0, with
    /// `total` given, as the Job's completions).
    pub fn from_env(get: impl Fn(&str) -> Option<String>, total: Option<u32>) -> Option<Shard> {
        let number = |name: &str| get(name).and_then(|v| v.trim().parse::<u32>().ok());
        let found = [
            ("CI_NODE_INDEX", "CI_NODE_TOTAL", 0),
            ("CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 1),
            ("BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 1),
        ]
        .iter()
        .find_map(|(index, count, offset)| Some((number(index)? + offset, number(count)?)))
        .or_else(|| Some((number("JOB_COMPLETION_INDEX")? + 1, total?)))?;
        let (index, total) = found;
        (index >= 1 && index <= total).then_some(Shard { index, total })
    }
}

/// A spec to partition: its path, how many cases, and whether its cases
/// may go to different shards.
#[derive(Clone, Debug)]
pub struct Unit {
    /// The spec's path.
    pub path: String,
    /// How many cases.
    pub cases: usize,
    /// Its cases may run apart.
    pub splittable: bool,
}

/// The shard (from 1) of every case of every spec, in the order given.
pub fn assign(specs: &[Unit], total: u32) -> Vec<Vec<u32>> {
    let total = total.max(1) as usize;
    let all: usize = specs.iter().map(|s| s.cases).sum();
    let fair = all.div_ceil(total).max(1);
    // (weight, spec, first case, cases); sorted by weight, then by path.
    let mut pieces: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if spec.splittable && spec.cases > fair {
            pieces.extend((0..spec.cases).map(|c| (1, i, c, 1)));
        } else {
            pieces.push((spec.cases, i, 0, spec.cases));
        }
    }
    let path = |i: usize| specs.get(i).map(|s| s.path.as_str());
    pieces.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| path(a.1).cmp(&path(b.1)))
            .then_with(|| a.2.cmp(&b.2))
    });
    let mut load = vec![0usize; total];
    let mut shards: Vec<Vec<u32>> = specs.iter().map(|s| vec![0; s.cases]).collect();
    for (weight, spec, first, count) in pieces {
        // The least loaded shard, the first of equals.
        let Some((least, slot)) = load.iter_mut().enumerate().min_by_key(|(i, l)| (**l, *i)) else {
            break;
        };
        *slot += weight;
        let index = u32::try_from(least + 1).unwrap_or(1);
        shards
            .get_mut(spec)
            .into_iter()
            .flatten()
            .skip(first)
            .take(count)
            .for_each(|s| *s = index);
    }
    shards
}

impl Plan {
    /// Keeps the cases of one shard.
    pub fn shard(mut self, shard: Shard) -> Plan {
        let units: Vec<Unit> = self
            .specs
            .iter()
            .map(|p| Unit {
                path: p.path.clone(),
                cases: p.cases.len(),
                splittable: !p.about.captures,
            })
            .collect();
        let assigned = assign(&units, shard.total);
        for (planned, shards) in self.specs.iter_mut().zip(assigned) {
            planned.cases = planned
                .cases
                .iter()
                .zip(shards)
                .filter(|(_, s)| *s == shard.index)
                .map(|(case, _)| *case)
                .collect();
        }
        self.specs.retain(|p| !p.cases.is_empty());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_read_and_found() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, total: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x", "1-2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Shard::from_env(env(&[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")]), None),
            Some(Shard { index: 2, total: 3 })
        );
        assert_eq!(
            Shard::from_env(
                env(&[("CIRCLE_NODE_INDEX", "0"), ("CIRCLE_NODE_TOTAL", "3")]),
                None
            ),
            Some(Shard { index: 1, total: 3 })
        );
        assert_eq!(
            Shard::from_env(
                env(&[
                    ("BUILDKITE_PARALLEL_JOB", "2"),
                    ("BUILDKITE_PARALLEL_JOB_COUNT", "3")
                ]),
                None
            ),
            Some(Shard { index: 3, total: 3 })
        );
        assert_eq!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "4")]), Some(5)),
            Some(Shard { index: 5, total: 5 })
        );
        assert_eq!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "4")]), None),
            None
        );
        assert_eq!(Shard::from_env(env(&[]), Some(3)), None);
    }

    #[test]
    fn a_big_spec_is_split_and_the_load_balanced() {
        let units = vec![
            Unit {
                path: "a.md".into(),
                cases: 10,
                splittable: true,
            },
            Unit {
                path: "b.md".into(),
                cases: 2,
                splittable: true,
            },
            Unit {
                path: "c.md".into(),
                cases: 2,
                splittable: false,
            },
        ];
        let shards = assign(&units, 2);
        let load = |n: u32| shards.iter().flatten().filter(|s| **s == n).count();
        assert_eq!(load(1) + load(2), 14);
        assert!(load(1).abs_diff(load(2)) <= 1, "{shards:?}");
        assert!(
            shards[2].iter().all(|s| *s == shards[2][0]),
            "an unsplittable spec stays whole"
        );
    }
}
