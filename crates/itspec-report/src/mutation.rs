//! What `itspec mutate` prints: each case's mutants killed of those tried,
//! every survivor at its case's line with what it changed, a score per
//! spec and in all — as text, or as one JSON document.

use std::fmt::Write as _;

use itspec_results::{CaseResult, Mutation, Outcome, RunResult, SpecResult};
use serde_json::{Value, json};

use crate::escape::controls as safe;

/// Killed of tried (those that found their place), over some cases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    /// Mutants a check caught.
    pub killed: u32,
    /// Mutants a case ran with and that changed its response.
    pub applied: u32,
    /// Mutants no check caught.
    pub survived: u32,
    /// Mutants not run (out of time, stopped).
    pub untried: u32,
}

impl Score {
    fn add(&mut self, mutation: &Mutation) {
        self.killed += mutation.killed();
        self.applied += mutation.tried - mutation.not_applied;
        self.survived += mutation.survived.len() as u32;
        self.untried += mutation.untried;
    }

    /// Of cases.
    pub fn of<'c>(cases: impl IntoIterator<Item = &'c CaseResult>) -> Self {
        let mut score = Score::default();
        for mutation in cases.into_iter().filter_map(|c| c.mutation.as_ref()) {
            score.add(mutation);
        }
        score
    }

    /// Killed of applied, from 0 to 1 (`None` without any).
    pub fn ratio(&self) -> Option<f64> {
        (self.applied > 0).then(|| f64::from(self.killed) / f64::from(self.applied))
    }

    fn percent(&self) -> String {
        self.ratio()
            .map_or("–".to_string(), |r| format!("{:.1}%", r * 100.0))
    }
}

/// The text report.
pub fn human(result: &RunResult) -> String {
    let mut out = String::new();
    for spec in &result.specs {
        let _ = writeln!(
            out,
            "{}  {}  {}",
            safe(&spec.path),
            safe(&spec.component),
            safe(&spec.priority)
        );
        for case in &spec.cases {
            out.push_str(&case_lines(spec, case));
        }
        let score = Score::of(&spec.cases);
        let _ = writeln!(
            out,
            "  score {} ({} of {} killed)\n",
            score.percent(),
            score.killed,
            score.applied
        );
    }
    let all = Score::of(result.specs.iter().flat_map(|s| &s.cases));
    let mutated = result
        .specs
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.mutation.is_some())
        .count();
    let not_mutated = result
        .specs
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.mutation.is_none())
        .count();
    let _ = write!(
        out,
        "mutation score: {} ({} of {} mutants killed) in {mutated} case{}; {} survived",
        all.percent(),
        all.killed,
        all.applied,
        if mutated == 1 { "" } else { "s" },
        all.survived
    );
    if all.untried > 0 {
        let _ = write!(out, "; {} not tried (out of time)", all.untried);
    }
    if not_mutated > 0 {
        let _ = write!(
            out,
            "; {not_mutated} case{} not mutated",
            if not_mutated == 1 { "" } else { "s" }
        );
    }
    out.push('\n');
    out
}

fn case_lines(spec: &SpecResult, case: &CaseResult) -> String {
    let mut out = String::new();
    let Some(mutation) = &case.mutation else {
        let why = match &case.outcome {
            Outcome::Skipped { .. } => "skipped",
            Outcome::Failed => "it failed",
            Outcome::Error => "it could not run",
            Outcome::Flaky => "it is flaky",
            Outcome::Passed => "its run could not be restored",
        };
        let _ = writeln!(
            out,
            "  {}  {}  not mutated: {why}",
            safe(&case.id),
            safe(&case.name)
        );
        return out;
    };
    let _ = write!(
        out,
        "  {}  {}  {}/{} killed",
        safe(&case.id),
        safe(&case.name),
        mutation.killed(),
        mutation.tried - mutation.not_applied
    );
    if mutation.not_applied > 0 {
        let _ = write!(out, ", {} found no place", mutation.not_applied);
    }
    if mutation.untried > 0 {
        let _ = write!(out, ", {} not tried", mutation.untried);
    }
    if mutation.tried == 0 && mutation.untried == 0 {
        out.push_str(" (nothing to change)");
    }
    out.push('\n');
    for survivor in &mutation.survived {
        let _ = writeln!(
            out,
            "    survived  {}:{}  {}: no check failed",
            safe(&spec.path),
            case.heading.line,
            safe(survivor)
        );
    }
    for why in &mutation.unplaced {
        let _ = writeln!(out, "    no place  {}", safe(why));
    }
    out
}

/// The JSON report.
pub fn json(result: &RunResult) -> Value {
    let specs: Vec<Value> = result
        .specs
        .iter()
        .map(|spec| {
            let cases: Vec<Value> = spec.cases.iter().map(case_json).collect();
            let mut value = score_json(Score::of(&spec.cases));
            value.insert("path".to_string(), json!(spec.path));
            value.insert("component".to_string(), json!(spec.component));
            value.insert("priority".to_string(), json!(spec.priority));
            value.insert("cases".to_string(), json!(cases));
            Value::Object(value)
        })
        .collect();
    let mut value = score_json(Score::of(result.specs.iter().flat_map(|s| &s.cases)));
    value.insert("specs".to_string(), json!(specs));
    Value::Object(value)
}

fn score_json(score: Score) -> serde_json::Map<String, Value> {
    let mut value = serde_json::Map::new();
    value.insert("score".to_string(), json!(score.ratio()));
    value.insert("killed".to_string(), json!(score.killed));
    value.insert("tried".to_string(), json!(score.applied));
    value.insert("survived".to_string(), json!(score.survived));
    value.insert("untried".to_string(), json!(score.untried));
    value
}

fn case_json(case: &CaseResult) -> Value {
    let outcome = match &case.outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Error => "error",
        Outcome::Flaky => "flaky",
        Outcome::Skipped { .. } => "skipped",
    };
    let mutation = case.mutation.as_ref().map(|m| {
        json!({
            "tried": m.tried - m.not_applied,
            "killed": m.killed(),
            "survived": m.survived,
            "untried": m.untried,
            "not_applied": m.not_applied,
            "unplaced": m.unplaced,
        })
    });
    json!({
        "id": case.id,
        "name": case.name,
        "line": case.heading.line,
        "outcome": outcome,
        "mutation": mutation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_counts_what_changed_a_response() {
        let mutation = Mutation {
            tried: 10,
            survived: vec!["`$.id` removed".to_string()],
            untried: 2,
            not_applied: 1,
            unplaced: vec!["the response has no place for: `$.id` removed".to_string()],
        };
        let mut score = Score::default();
        score.add(&mutation);
        assert_eq!(
            score,
            Score {
                killed: 8,
                applied: 9,
                survived: 1,
                untried: 2
            }
        );
        assert_eq!(score.percent(), "88.9%");
        assert_eq!(Score::default().ratio(), None);
    }
}
