//! A run as GitHub Actions annotations: an error at the line of every
//! failed check, a notice at every prose assertion that was not checked —
//! and the `stop-commands` fence that keeps the console report before
//! them, which quotes what services sent, from being read as commands.

use itspec_results::{RunResult, Verdict};

use crate::diagnostics::{workflow_data, workflow_property};

/// The annotations of a run, a line each.
pub fn write(result: &RunResult) -> String {
    let mut out = String::new();
    for spec in &result.specs {
        for case in &spec.cases {
            for check in &case.checks {
                let (command, message) = match &check.verdict {
                    Verdict::Failed { message, evidence }
                    | Verdict::Error { message, evidence } => {
                        let mut lines = vec![message.clone()];
                        lines.extend(crate::evidence::lines(evidence));
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

/// GitHub Actions' `stop-commands`: between [`StopCommands::stop`] and
/// [`StopCommands::resume`] the runner obeys no workflow command, so a
/// response body printed in the console report cannot switch off or
/// forge itspec's annotations. The token is random, so no body can end
/// the fence early.
#[derive(Debug)]
pub struct StopCommands {
    token: String,
}

impl Default for StopCommands {
    fn default() -> Self {
        Self::new()
    }
}

impl StopCommands {
    /// A fence with a fresh random token.
    pub fn new() -> Self {
        Self {
            token: format!("itspec-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// The line that stops command processing.
    pub fn stop(&self) -> String {
        format!("::stop-commands::{}\n", self.token)
    }

    /// The line that resumes it.
    pub fn resume(&self) -> String {
        format!("::{}::\n", self.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fence_resumes_with_its_own_random_token() {
        let fence = StopCommands::new();
        let token = fence
            .stop()
            .strip_prefix("::stop-commands::")
            .map(|t| t.trim_end().to_string())
            .unwrap_or_default();
        assert!(token.len() >= 32, "{token}");
        assert_eq!(fence.resume(), format!("::{token}::\n"));
        assert_ne!(StopCommands::new().stop(), fence.stop());
    }
}
