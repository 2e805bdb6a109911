//! The machine interface of `run --format jsonl`: one JSON object per
//! event and line, flushed as it happens, for tools that drive itspec —
//! the pytest plugin, editors, CI wrappers (docs/machine-interface.md).
//! Each case carries the console's text of it, so a tool shows the same
//! evidence a person would read.

use std::io::Write;

use itspec_results::{Event, Reporter, Stamped};
use itspec_results::{Outcome, RunOutcome, Verdict};
use serde_json::{Value, json};

use crate::console::Console;

/// The version of the stream: raised when a change would break a reader.
pub const VERSION: u32 = 1;

/// Writes events as JSON lines.
pub struct JsonLines<W: Write> {
    out: W,
    /// Renders each case's text, without colour.
    console: Console<std::io::Sink>,
    /// Resolves a spec's shown path to an absolute one.
    cwd: std::path::PathBuf,
}

impl<W: Write> JsonLines<W> {
    /// A reporter writing to `out`; `verbose` lists passed checks in each
    /// case's text too.
    pub fn new(out: W, verbose: bool) -> Self {
        Self {
            out,
            console: Console::new(std::io::sink(), false).verbose(verbose),
            cwd: std::env::current_dir().unwrap_or_default(),
        }
    }

    fn line(&mut self, value: &Value) {
        // A reader that went away cannot be told anything better.
        let _ = writeln!(self.out, "{value}");
        let _ = self.out.flush();
    }
}

/// When an event happened, as RFC 3339 in UTC with milliseconds.
fn time(at: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A spec's absolute path, without `.` or `..` when it exists.
fn absolute(cwd: &std::path::Path, path: &str) -> std::path::PathBuf {
    let joined = cwd.join(path);
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

impl<W: Write> Reporter for JsonLines<W> {
    fn report(&mut self, stamped: Stamped<'_>) {
        let mut value = match stamped.event {
            Event::RunStarted {
                specs,
                cases,
                workers,
                target,
                ..
            } => json!({
                "event": "run-started",
                "version": VERSION,
                "specs": specs,
                "cases": cases,
                "workers": workers,
                "target": target,
            }),
            Event::ServiceStarting { command, log, .. } => json!({
                "event": "notice",
                "message": format!("starting the service `{command}` (log: {log})"),
            }),
            Event::Notice { message } => json!({"event": "notice", "message": message}),
            Event::CaseFinished { spec, result } => {
                let (outcome, skip_reason) = match &result.outcome {
                    Outcome::Passed => ("passed", None),
                    Outcome::Failed => ("failed", None),
                    Outcome::Error => ("error", None),
                    Outcome::Flaky => ("flaky", None),
                    Outcome::Skipped { reason } => ("skipped", Some(reason.as_str())),
                };
                // Checks not made, and contract findings let pass, apart.
                let listed = |warnings: bool| -> Vec<Value> {
                    result
                        .checks
                        .iter()
                        .filter(|check| matches!(check.verdict, Verdict::Unverified { .. }))
                        .filter(|check| check.is_warning() == warnings)
                        .map(|check| json!({"line": check.span.line, "text": check.text}))
                        .collect()
                };
                let (unverified, warnings) = (listed(false), listed(true));
                json!({
                    "event": "case-finished",
                    "path": spec.path,
                    "file": absolute(&self.cwd, &spec.path),
                    "line": result.heading.line,
                    "id": result.id,
                    "name": result.name,
                    "outcome": outcome,
                    "duration_ms": result.duration_ms,
                    "skip_reason": skip_reason,
                    "unverified": unverified,
                    "warnings": warnings,
                    "text": self.console.case_text(spec, result),
                })
            }
            Event::RunFinished { result } => {
                let (outcome, message) = match &result.outcome {
                    RunOutcome::Completed => ("completed", None),
                    RunOutcome::Interrupted => ("interrupted", None),
                    RunOutcome::EnvironmentFailed { message } => {
                        ("environment_failed", Some(message.as_str()))
                    }
                };
                json!({
                    "event": "run-finished",
                    "outcome": outcome,
                    "message": message,
                    "summary": result.summary,
                    "duration_ms": result.duration_ms,
                })
            }
            Event::SpecStarted { .. }
            | Event::SpecFinished { .. }
            | Event::IterationFinished { .. } => return,
        };
        if let Value::Object(members) = &mut value {
            members.insert("time".to_string(), json!(time(stamped.at)));
        }
        self.line(&value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn every_line_says_when_its_event_happened() {
        let mut out = Vec::new();
        let mut reporter = JsonLines::new(&mut out, false);
        reporter.report(Stamped {
            at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_500),
            event: Event::Notice { message: "hello" },
        });
        reporter.event(Event::Notice { message: "now" });
        let text = String::from_utf8(out).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_default())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let time = |line: usize| lines.get(line).and_then(|l| l["time"].as_str());
        assert_eq!(time(0), Some("1970-01-01T00:00:01.500Z"), "{text}");
        let now = time(1).unwrap_or_default();
        let parsed = chrono::DateTime::parse_from_rfc3339(now)
            .map(|time| time.timestamp())
            .unwrap_or_default();
        let age = chrono::Utc::now().timestamp() - parsed;
        assert!((0..60).contains(&age), "{now}");
    }
}
