//! A run as GitHub Actions annotations: an error at the line of every
//! failed check, a notice at every prose assertion that was not checked.

use itspec_runner::results::{RunResult, Verdict};

use super::text;
use crate::diagnostics::{workflow_data, workflow_property};

/// The annotations of a run, a line each.
pub fn write(result: &RunResult) -> String {
    let mut out = String::new();
    for spec in &result.specs {
        for case in &spec.cases {
            for check in &case.checks {
                let (command, message) = match &check.verdict {
                    Verdict::Failed { message, evidence } => {
                        let mut lines = vec![message.clone()];
                        lines.extend(text::evidence(evidence));
                        ("error", lines.join("\n"))
                    }
                    Verdict::Unverified { reason } => ("notice", reason.clone()),
                    Verdict::Passed => continue,
                };
                out.push_str(&format!(
                    "::{command} file={},line={},col={},title={}::{}\n",
                    workflow_property(&spec.path),
                    check.span.line,
                    check.span.col,
                    workflow_property(&format!("{} {}", case.id, case.name)),
                    workflow_data(&message)
                ));
            }
        }
    }
    out
}
