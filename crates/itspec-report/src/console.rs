//! The console reporter: a line per case as it finishes, the evidence of
//! every failure at the spec's line, and a summary.
//!
//! Whatever a service, a spec or a log controls is printed with its
//! control characters escaped ([`crate::escape`]), so a response body
//! cannot move the cursor, retitle the terminal or forge a line; for a
//! GitHub Actions log ([`Console::github`]) no printed line can be read as
//! a workflow command either.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use itspec_results::{
    CaseResult, DiffLine, Exchange, Iterations, Outcome, RunOutcome, RunResult, StepKind,
    StepResult, Verdict,
};
use itspec_results::{Event, Reporter, SpecInfo, Stamped};

use crate::escape::{self, controls as safe};
use crate::evidence::{self, DiffRow, DiffView};
use crate::frame::{self, Frame};

/// Lines of a response body shown with a failure.
const BODY_LINES: usize = 20;
/// Lines of a diff shown with a failure.
const DIFF_LINES: usize = 40;
/// Unchanged lines of a diff shown on each side of a change.
const DIFF_CONTEXT: usize = 2;

/// Writes a run to a terminal or a log.
pub struct Console<W: Write> {
    out: W,
    color: bool,
    github: bool,
    verbose: bool,
    failed: Vec<String>,
}

impl<W: Write> Console<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W, color: bool) -> Self {
        Self {
            out,
            color,
            github: false,
            verbose: false,
            failed: Vec::new(),
        }
    }

    /// For a GitHub Actions log: lines that the runner would read as
    /// workflow commands are neutralised.
    pub fn github(mut self, github: bool) -> Self {
        self.github = github;
        self
    }

    /// `-v`: list every check of each case, the passed ones too.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn write(&mut self, text: &str) {
        let text = if self.github {
            escape::workflow_commands(text)
        } else {
            text.into()
        };
        // A closed pipe or full disk cannot be reported anywhere better.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    fn case(&mut self, spec: &SpecInfo, case: &CaseResult) {
        if matches!(
            case.outcome,
            Outcome::Failed | Outcome::Error | Outcome::Flaky
        ) {
            let label = match case.outcome {
                Outcome::Error => "(error) ",
                Outcome::Flaky => "(flaky) ",
                _ => "",
            };
            self.failed.push(format!(
                "{}:{} {} {label}{}",
                safe(&spec.path),
                case.heading.line,
                safe(&case.id),
                safe(&case.name)
            ));
        }
        let text = self.case_text(spec, case);
        self.write(&text);
    }

    /// What the console prints of a case: its line, the checks it did not
    /// make (every check with `-v`) and, for a failure or an error, every
    /// failed check with its evidence.
    pub fn case_text(&self, spec: &SpecInfo, case: &CaseResult) -> String {
        let green = Style::new().fg_color(Some(AnsiColor::Green.into())).bold();
        let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
        let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
        let dim = Style::new().dimmed();
        let timing = match &case.iterations {
            Some(iterations) => format!(
                "{} ms, {}",
                case.duration_ms,
                iterations_summary(iterations)
            ),
            None => format!("{} ms", case.duration_ms),
        };
        let (status, tail) = match &case.outcome {
            Outcome::Passed => (self.paint(green, "PASS"), timing),
            Outcome::Failed => (self.paint(red, "FAIL"), timing),
            Outcome::Error => (self.paint(red, "ERROR"), timing),
            Outcome::Flaky => (self.paint(yellow, "FLAKY"), timing),
            Outcome::Skipped { reason } => (self.paint(yellow, "SKIP"), safe(reason).into_owned()),
        };
        let warnings = case.checks.iter().filter(|c| c.is_warning()).count();
        let unverified = case
            .checks
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Unverified { .. }))
            .count()
            - warnings;
        let mut line = format!(
            "  {status}  {}  {}  {}",
            safe(&case.id),
            safe(&case.name),
            self.paint(dim, &format!("({tail})"))
        );
        if unverified > 0 {
            line.push_str(&self.paint(yellow, &format!("  {unverified} unverified")));
        }
        match warnings {
            0 => {}
            1 => line.push_str(&self.paint(yellow, "  1 warning")),
            n => line.push_str(&self.paint(yellow, &format!("  {n} warnings"))),
        }
        if let Some(runs) = &case.runs {
            line.push_str(&self.paint(dim, &format!("  {}", runs.describe())));
        } else if !case.attempts.is_empty() {
            let attempts = case.attempts.len() + 1;
            let said = match case.outcome {
                Outcome::Flaky => format!("  passed on attempt {attempts}"),
                _ => format!("  failed {attempts} attempts"),
            };
            line.push_str(&self.paint(dim, &said));
        }
        line.push('\n');
        line.push_str(&self.listed_checks(spec, case));
        if matches!(case.outcome, Outcome::Failed | Outcome::Error) {
            line.push_str(&self.failure(spec, case));
        }
        // A flaky case shows its first run that did not pass: what it
        // would have failed with. Under --runs the case shows that run;
        // under --retries it is among the earlier attempts.
        let first_failed = match case.runs.and_then(|r| r.first_failed) {
            Some(run) => Some((format!("run {run}"), case)),
            None => case
                .attempts
                .iter()
                .enumerate()
                .find(|(_, a)| matches!(a.outcome, Outcome::Failed | Outcome::Error))
                .map(|(n, attempt)| (format!("attempt {}", n + 1), attempt)),
        };
        if case.outcome == Outcome::Flaky
            && let Some((which, failed)) = first_failed
        {
            line.push_str(&indent(&format!(
                "{}\n\n",
                self.paint(Style::new().bold(), &format!("{which} did not pass:"))
            )));
            line.push_str(&self.failure(spec, failed));
        }
        line
    }

    /// Every check of a case that was not made — prose, and setup lines
    /// that did not run — at its line, with the nearest form when there
    /// is one: what the case's verdict does not cover. With `-v`, the
    /// checks that passed too.
    fn listed_checks(&self, spec: &SpecInfo, case: &CaseResult) -> String {
        let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
        let mut out = String::new();
        for check in &case.checks {
            let text = spec
                .text
                .get(check.span.range())
                .and_then(|t| t.lines().next())
                .map_or(check.text.as_str(), str::trim);
            let reason = match &check.verdict {
                Verdict::Unverified { reason } => reason,
                Verdict::Passed if self.verbose => {
                    out.push_str(&format!(
                        "        {} {}:{}  {}\n",
                        self.paint(green, "ok"),
                        safe(&spec.path),
                        check.span.line,
                        safe(text),
                    ));
                    continue;
                }
                _ => continue,
            };
            // A contract finding `[contract] undocumented_status = "warn"`
            // lets pass is a warning; anything else was not checked.
            let label = if check.is_warning() {
                "warning"
            } else {
                "unverified"
            };
            out.push_str(&format!(
                "        {} {}:{}  {}  {}\n",
                self.paint(yellow, label),
                safe(&spec.path),
                check.span.line,
                safe(text),
                self.paint(Style::new().dimmed(), &format!("({})", safe(reason)))
            ));
        }
        out
    }

    /// The evidence of a failed case: each failed check at its line, then
    /// the last exchange.
    fn failure(&self, spec: &SpecInfo, case: &CaseResult) -> String {
        let mut out = String::new();
        if let Some(iterations) = &case.iterations {
            out.push_str(&format!(
                "{}\n\n",
                self.paint(Style::new().bold(), &iterations_failure(iterations))
            ));
        }
        for check in case.failures() {
            out.push_str(&self.check(spec, check));
            out.push('\n');
        }
        if case.exchanges.iter().any(|e| e.timing.is_some()) {
            out.push_str(&self.timeline(case));
        } else if case.iterations.is_some()
            && case.exchanges.is_empty()
            && case.messages.values().any(|m| !m.is_empty())
        {
            // A race among consumers: what the service published, when.
            out.push_str(&self.message_timeline(case));
        } else if let Some(exchange) = case.exchanges.last() {
            out.push_str(&self.exchange(exchange));
        }
        if let Some(log) = &case.service_log {
            out.push_str(&safe(&crate::results::text::service_log(log)));
        }
        out.push('\n');
        indent(&out)
    }

    fn check(&self, spec: &SpecInfo, check: &StepResult) -> String {
        let Some((message, evidence)) = check.problem() else {
            return String::new();
        };
        // The frame says `error` either way; an error (nothing could be
        // checked) says so in words, apart from a failed check.
        let message = if check.is_error() {
            match check.kind {
                StepKind::Setup | StepKind::Request | StepKind::Capture => {
                    format!("could not run: {message}")
                }
                StepKind::Assertion | StepKind::ExpectedOutput | StepKind::Contract => {
                    format!("could not be checked: {message}")
                }
            }
        } else {
            message.to_string()
        };
        let path = safe(&spec.path);
        let frame = Frame {
            severity: frame::Severity::Error,
            code: None,
            message: &safe(&message),
            path: &path,
            text: &spec.text,
            span: first_lines(&spec.text, check.span.range(), 6),
            label: None,
            context: Vec::new(),
            notes: evidence::notes(evidence)
                .iter()
                .map(|note| safe(note).into_owned())
                .collect(),
            help: None,
        };
        let mut out = frame::render(&frame, self.color);
        out.push('\n');
        if let Some(title) = evidence::diff_title(evidence) {
            out.push_str(&self.diff(title, &evidence.diff));
        }
        out
    }

    /// The diff near its changes ([`evidence::diff_rows`]), painted.
    fn diff(&self, title: &str, diff: &[DiffLine]) -> String {
        let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
        let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
        let mut out = format!("{}\n", self.paint(Style::new().bold(), &safe(title)));
        let view = DiffView::Near {
            context: DIFF_CONTEXT,
            lines: DIFF_LINES,
        };
        for row in evidence::diff_rows(diff, view) {
            let line = match row {
                DiffRow::Line(line) => line,
                DiffRow::Gap => {
                    out.push_str("  ...\n");
                    continue;
                }
                DiffRow::Cut => {
                    out.push_str("  ... (diff cut)\n");
                    continue;
                }
            };
            let text = format!("{} {}", line.tag, safe(&line.text));
            out.push_str(&match line.tag {
                '-' => self.paint(red, &text),
                '+' => self.paint(green, &text),
                _ => text,
            });
            out.push('\n');
        }
        out
    }

    /// The requests of an iteration on one time line: when each was sent
    /// and answered, its status and the start of its body.
    fn timeline(&self, case: &CaseResult) -> String {
        let bold = Style::new().bold();
        let shown = case.iterations.as_ref().map_or(1, |i| i.shown);
        let mut out = format!(
            "{}\n",
            self.paint(
                bold,
                &format!("timeline of iteration {shown} (ms after the first request was sent):")
            )
        );
        let width = case
            .exchanges
            .iter()
            .map(|e| e.label.as_deref().unwrap_or("-").chars().count())
            .max()
            .unwrap_or(1);
        for exchange in &case.exchanges {
            let label = safe(exchange.label.as_deref().unwrap_or("-"));
            let (start, end) = exchange.timing.map_or_else(
                || ("-".to_string(), "-".to_string()),
                |(s, e)| (format!("{s:.2}"), format!("{e:.2}")),
            );
            let answer = match (&exchange.response, &exchange.error) {
                (Some(response), _) => {
                    let body: String = response.body.replace('\n', " ").chars().take(80).collect();
                    format!("{}  {}", response.status, safe(&body))
                }
                (None, Some(error)) => format!("no response: {}", safe(error)),
                (None, None) => String::new(),
            };
            out.push_str(&format!(
                "  {label:<width$}  {} {}  sent {start:>8}  answered {end:>8}  {answer}\n",
                safe(&exchange.request.method),
                safe(&exchange.request.url)
            ));
        }
        out
    }

    /// The messages the brokers carried during an iteration, on one time
    /// line: when each came, on which broker and topic, and the start of
    /// its body.
    fn message_timeline(&self, case: &CaseResult) -> String {
        let shown = case.iterations.as_ref().map_or(1, |i| i.shown);
        let mut out = format!(
            "{}\n",
            self.paint(
                Style::new().bold(),
                &format!("timeline of iteration {shown}: messages (ms after Setup ended):")
            )
        );
        let mut all: Vec<(&str, &itspec_results::Message)> = case
            .messages
            .iter()
            .flat_map(|(broker, messages)| messages.iter().map(move |m| (broker.as_str(), m)))
            .collect();
        all.sort_by(|a, b| a.1.at_ms.total_cmp(&b.1.at_ms));
        // The reports keep them all; the console shows the start.
        const SHOWN: usize = 50;
        let more = all.len().saturating_sub(SHOWN);
        for (broker, message) in all.into_iter().take(SHOWN) {
            let body: String = message.body.replace('\n', " ").chars().take(80).collect();
            out.push_str(&format!(
                "  {:>9.2}  {} {}  {}\n",
                message.at_ms,
                safe(broker),
                safe(&message.topic),
                safe(&body)
            ));
        }
        if more > 0 {
            out.push_str(&format!(
                "  … {more} more (the JSON and HTML reports have every message)\n"
            ));
        }
        out
    }

    fn exchange(&self, exchange: &Exchange) -> String {
        let bold = Style::new().bold();
        let mut out = format!(
            "{} {} {}\n",
            self.paint(bold, "request:"),
            safe(&exchange.request.method),
            safe(&exchange.request.url)
        );
        if let Some(body) = &exchange.request.body {
            out.push_str(&excerpt(&safe(body), 5));
            omitted(&mut out, exchange.request.body_omitted);
        }
        match (&exchange.response, &exchange.error) {
            (Some(response), _) => {
                out.push_str(&format!(
                    "{} {} ({:.0} ms)\n",
                    self.paint(bold, "response:"),
                    response.status,
                    response.duration_ms
                ));
                let body = match &response.json {
                    Some(json) => {
                        serde_json::to_string_pretty(json).unwrap_or_else(|_| response.body.clone())
                    }
                    None => response.body.clone(),
                };
                out.push_str(&excerpt(&safe(&body), BODY_LINES));
                omitted(&mut out, response.body_omitted);
            }
            (None, Some(error)) => out.push_str(&format!(
                "{} {}\n",
                self.paint(bold, "no response:"),
                safe(error)
            )),
            (None, None) => {}
        }
        out
    }

    fn finished(&mut self, result: &RunResult) {
        let mut out = String::new();
        match &result.outcome {
            RunOutcome::EnvironmentFailed { message } => {
                let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
                out.push_str(&format!(
                    "\n{} {}\n",
                    self.paint(red, "error:"),
                    safe(message)
                ));
            }
            RunOutcome::Interrupted => {
                out.push_str("\ninterrupted: the service was stopped and the run ended early\n")
            }
            RunOutcome::Completed => {}
        }
        // Under --watch the next run starts its own list.
        let failed = std::mem::take(&mut self.failed);
        if !failed.is_empty() {
            out.push_str(&format!(
                "\n{}\n",
                self.paint(Style::new().bold(), "failed:")
            ));
            for failed in &failed {
                out.push_str(&format!("  {failed}\n"));
            }
        }
        let summary = result.summary;
        let errors = match summary.errors {
            0 => String::new(),
            1 => "1 error, ".to_string(),
            n => format!("{n} errors, "),
        };
        let flaky = match summary.flaky {
            0 => String::new(),
            n => format!("{n} flaky, "),
        };
        let warnings = match summary.warnings {
            0 => String::new(),
            1 => ", 1 warning".to_string(),
            n => format!(", {n} warnings"),
        };
        out.push_str(&format!(
            "\n{} passed, {} failed, {errors}{flaky}{} skipped, {} unverified{warnings} ({:.1} s)\n",
            summary.passed,
            summary.failed,
            summary.skipped,
            summary.unverified,
            result.duration_ms as f64 / 1000.0
        ));
        self.write(&out);
    }
}

impl<W: Write> Reporter for Console<W> {
    fn report(&mut self, stamped: Stamped<'_>) {
        match stamped.event {
            Event::RunStarted {
                specs,
                cases,
                workers,
                target,
                service,
            } => {
                let started = match service {
                    Some((command, ms)) => format!(
                        " (started `{}`, ready in {:.1} s)",
                        safe(command),
                        ms as f64 / 1000.0
                    ),
                    None => String::new(),
                };
                let target = safe(target);
                let text = if workers > 1 {
                    format!(
                        "itspec: running {cases} cases from {specs} specs on {workers} workers, the first against {target}{started}\n",
                    )
                } else {
                    format!(
                        "itspec: running {cases} case{} from {specs} spec{} against {target}{started}\n",
                        if cases == 1 { "" } else { "s" },
                        if specs == 1 { "" } else { "s" }
                    )
                };
                self.write(&text);
            }
            Event::ServiceStarting {
                command,
                log,
                workers,
            } => {
                let each = if workers > 1 {
                    format!(" ({workers} of them, one per worker)")
                } else {
                    String::new()
                };
                self.write(&format!(
                    "itspec: starting the service `{}`{each} (log: {})…\n",
                    safe(command),
                    safe(log)
                ));
            }
            Event::Notice { message } => self.write(&format!("note: {}\n", safe(message))),
            Event::SpecStarted { spec } => {
                let title = self.paint(Style::new().bold(), &safe(&spec.path));
                self.write(&format!("\n{title}  {}\n", safe(&spec.component)));
            }
            Event::CaseFinished { spec, result } => self.case(spec, result),
            Event::SpecFinished { .. } | Event::IterationFinished { .. } => {}
            Event::RunFinished { result } => self.finished(result),
        }
    }
}

/// `20 iterations, start skew ≤ 0.31 ms`.
fn iterations_summary(iterations: &Iterations) -> String {
    let skew = iterations
        .skews_ms()
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let runs = if iterations.run == iterations.planned {
        format!("{} iterations", iterations.run)
    } else {
        format!("{} of {} iterations", iterations.run, iterations.planned)
    };
    match skew {
        Some(skew) => format!("{runs}, start skew ≤ {skew:.2} ms"),
        None => runs,
    }
}

/// What the iterations of a failed concurrency case say about the race.
fn iterations_failure(iterations: &Iterations) -> String {
    let first = iterations.first_failed.unwrap_or(iterations.shown);
    if iterations.run == iterations.planned && iterations.failed > 1 {
        let rate = f64::from(iterations.failed) * 100.0 / f64::from(iterations.run.max(1));
        format!(
            "{} of {} iterations failed ({rate:.0}%); iteration {first} is shown",
            iterations.failed, iterations.run
        )
    } else {
        let passed_before = first.saturating_sub(1);
        format!(
            "iteration {first} of {} failed ({passed_before} passed before it)",
            iterations.planned
        )
    }
}

/// At most `lines` lines of a span, so a long block does not flood the frame.
fn first_lines(text: &str, range: std::ops::Range<usize>, lines: usize) -> std::ops::Range<usize> {
    let covered = text.get(range.clone()).unwrap_or("");
    match covered.match_indices('\n').nth(lines.saturating_sub(1)) {
        Some((at, _)) => range.start..range.start + at,
        None => range,
    }
}

/// The line saying how much of a body the result left out, if it did.
fn omitted(out: &mut String, bytes: Option<u64>) {
    if let Some(bytes) = bytes {
        out.push_str("  ");
        out.push_str(&itspec_results::display::omitted_note(bytes));
        out.push('\n');
    }
}

fn excerpt(text: &str, lines: usize) -> String {
    let mut out = String::new();
    let total = text.lines().count();
    for line in text.lines().take(lines) {
        let line: String = line.chars().take(200).collect();
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    if total > lines {
        out.push_str(&format!("  ... ({} more lines)\n", total - lines));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_string()
            } else {
                format!("    {line}\n")
            }
        })
        .collect()
}
