//! The HTML report of a run: one self-contained file (its style inline,
//! no script, nothing loaded from anywhere) — a summary by priority and by
//! status, then every spec and case with its checks and their evidence
//! (diffs, database rows, the calls each mock received), its requests and
//! responses, and for a concurrency case the time line of each iteration.
//! Everything that comes from a spec or a response is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use itspec_results::{
    CaseResult, Evidence, Exchange, IterationRun, Outcome, RunOutcome, RunResult, SpecResult,
    StepResult, Verdict,
};

use super::text::pretty;

/// Iterations whose time line is drawn, at most.
const TIMELINES: usize = 50;

const STYLE: &str = include_str!("report.css");

/// The mark of every itspec HTML report, in its `<head>`.
pub const GENERATOR: &str = "<meta name=\"generator\" content=\"itspec\">";

/// Text made safe for HTML, in elements and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The report of a run as one HTML page.
pub fn write(result: &RunResult) -> String {
    let mut page = String::with_capacity(64 * 1024);
    page.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str(GENERATOR);
    page.push('\n');
    page.push_str("<title>itspec report</title>\n<style>\n");
    page.push_str(STYLE);
    page.push_str("</style>\n</head>\n<body>\n");
    header(&mut page, result);
    summary(&mut page, result);
    for (i, spec) in result.specs.iter().enumerate() {
        spec_section(&mut page, i, spec);
    }
    page.push_str("</body>\n</html>\n");
    page
}

fn header(page: &mut String, result: &RunResult) {
    let s = &result.summary;
    let outcome = match &result.outcome {
        RunOutcome::Completed => String::new(),
        RunOutcome::Interrupted => {
            "<p class=\"banner fail\">The run was interrupted.</p>".to_string()
        }
        RunOutcome::EnvironmentFailed { message } => {
            format!(
                "<p class=\"banner fail\">The environment failed: <span class=\"pre\">{}</span></p>",
                escape(message)
            )
        }
    };
    let class = if s.failed + s.errors > 0 || !matches!(result.outcome, RunOutcome::Completed) {
        "fail"
    } else {
        "pass"
    };
    let _ = write!(
        page,
        "<header>\n<h1>itspec report</h1>\n<p class=\"meta\">started {} · {} · {:.1} s</p>\n\
         <p class=\"totals {class}\" id=\"totals\"><b>{}</b> passed · <b>{}</b> failed · <b>{}</b> errors · <b>{}</b> flaky · <b>{}</b> skipped · <b>{}</b> unverified</p>\n{outcome}\n</header>\n",
        escape(&result.started_at),
        escape(&result.target),
        result.duration_ms as f64 / 1000.0,
        s.passed,
        s.failed,
        s.errors,
        s.flaky,
        s.skipped,
        s.unverified
    );
}

#[derive(Default)]
struct Counts {
    specs: usize,
    passed: usize,
    failed: usize,
    errors: usize,
    flaky: usize,
    skipped: usize,
}

fn summary(page: &mut String, result: &RunResult) {
    let mut by_priority: BTreeMap<usize, (String, Counts)> = BTreeMap::new();
    let mut by_status: BTreeMap<String, Counts> = BTreeMap::new();
    let rank = |p: &str| {
        ["Critical", "High", "Medium", "Low"]
            .iter()
            .position(|x| *x == p)
            .unwrap_or(4)
    };
    for spec in &result.specs {
        let priority = by_priority
            .entry(rank(&spec.priority))
            .or_insert_with(|| (spec.priority.clone(), Counts::default()));
        let status_name = if spec.status.is_empty() {
            "(none)".to_string()
        } else {
            spec.status.clone()
        };
        let status = by_status.entry(status_name).or_default();
        for counts in [&mut priority.1, status] {
            counts.specs += 1;
            for case in &spec.cases {
                match case.outcome {
                    Outcome::Passed => counts.passed += 1,
                    Outcome::Failed => counts.failed += 1,
                    Outcome::Error => counts.errors += 1,
                    Outcome::Flaky => counts.flaky += 1,
                    Outcome::Skipped { .. } => counts.skipped += 1,
                }
            }
        }
    }
    page.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"tables\">\n");
    let rows = |title: &str, rows: Vec<(String, &Counts)>| {
        let mut table = format!(
            "<table>\n<thead><tr><th>{title}</th><th>specs</th><th>passed</th><th>failed</th><th>errors</th><th>flaky</th><th>skipped</th></tr></thead>\n<tbody>\n"
        );
        for (name, c) in rows {
            let failed = if c.failed > 0 { " class=\"fail\"" } else { "" };
            let errors = if c.errors > 0 { " class=\"fail\"" } else { "" };
            let _ = writeln!(
                table,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td{failed}>{}</td><td{errors}>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&name),
                c.specs,
                c.passed,
                c.failed,
                c.errors,
                c.flaky,
                c.skipped
            );
        }
        table.push_str("</tbody>\n</table>\n");
        table
    };
    page.push_str(&rows(
        "priority",
        by_priority
            .values()
            .map(|(name, c)| (name.clone(), c))
            .collect(),
    ));
    page.push_str(&rows(
        "status",
        by_status
            .iter()
            .map(|(name, c)| (name.clone(), c))
            .collect(),
    ));
    page.push_str("</div>\n<ul class=\"index\">\n");
    for (i, spec) in result.specs.iter().enumerate() {
        for (j, case) in spec.cases.iter().enumerate() {
            if matches!(case.outcome, Outcome::Failed | Outcome::Error) {
                let _ = writeln!(
                    page,
                    "<li><a href=\"#case-{i}-{j}\">{} {} — {}</a></li>",
                    escape(&case.id),
                    escape(&case.name),
                    escape(&spec.path)
                );
            }
        }
    }
    page.push_str("</ul>\n</section>\n");
}

fn spec_section(page: &mut String, i: usize, spec: &SpecResult) {
    let mut facts = vec![format!("priority {}", escape(&spec.priority))];
    if !spec.status.is_empty() {
        facts.push(format!("status {}", escape(&spec.status)));
    }
    if !spec.stories.is_empty() {
        facts.push(format!("stories {}", escape(&spec.stories.join(", "))));
    }
    if let Some(contract) = &spec.contract {
        facts.push(format!("contract <code>{}</code>", escape(contract)));
    }
    let _ = write!(
        page,
        "<section class=\"spec\" id=\"spec-{i}\">\n<h2>{} <small>{}</small></h2>\n<p class=\"meta\">{}</p>\n",
        escape(&spec.component),
        escape(&spec.path),
        facts.join(" · ")
    );
    for (j, case) in spec.cases.iter().enumerate() {
        case_section(page, i, j, spec, case);
    }
    page.push_str("</section>\n");
}

fn case_section(page: &mut String, i: usize, j: usize, spec: &SpecResult, case: &CaseResult) {
    let (class, badge, open) = match &case.outcome {
        Outcome::Passed => ("pass", "PASS", ""),
        Outcome::Failed => ("fail", "FAIL", " open"),
        Outcome::Error => ("fail", "ERROR", " open"),
        Outcome::Flaky => ("flaky", "FLAKY", " open"),
        Outcome::Skipped { .. } => ("skip", "SKIP", ""),
    };
    let _ = write!(
        page,
        "<details class=\"case {class}\" id=\"case-{i}-{j}\"{open}>\n<summary><span class=\"badge {class}\">{badge}</span> \
         <b>{}</b> {} <span class=\"time\">{} ms · {}:{}</span></summary>\n<div class=\"body\">\n",
        escape(&case.id),
        escape(&case.name),
        case.duration_ms,
        escape(&spec.path),
        case.heading.line
    );
    if let Outcome::Skipped { reason } = &case.outcome {
        let _ = writeln!(page, "<p class=\"meta\">skipped: {}</p>", escape(reason));
    }
    if let Some(runs) = &case.runs {
        let _ = writeln!(page, "<p class=\"meta\">{}</p>", escape(&runs.describe()));
    } else if !case.attempts.is_empty() {
        let attempts = case.attempts.len() + 1;
        let _ = writeln!(
            page,
            "<p class=\"meta\">{attempts} attempts; the checks and requests below are the last.</p>"
        );
    }
    if let Some(iterations) = &case.iterations {
        let _ = writeln!(
            page,
            "<p class=\"meta\">{} of {} iterations ran, {} failed{}; the checks and requests below are iteration {}.</p>",
            iterations.run,
            iterations.planned,
            iterations.failed,
            iterations
                .first_failed
                .map(|f| format!(" (the first: iteration {f})"))
                .unwrap_or_default(),
            iterations.shown
        );
    }
    if !case.checks.is_empty() {
        page.push_str("<h3>Checks</h3>\n<ul class=\"checks\">\n");
        for check in &case.checks {
            check_item(page, check);
        }
        page.push_str("</ul>\n");
    }
    if let Some(iterations) = &case.iterations {
        timelines(page, &iterations.runs);
    }
    if !case.exchanges.is_empty() {
        page.push_str("<h3>Requests</h3>\n");
        for exchange in &case.exchanges {
            exchange_block(page, exchange);
        }
    }
    if let Some(log) = &case.service_log {
        let _ = writeln!(
            page,
            "<h3>Service log</h3>\n<pre>{}</pre>",
            escape(&super::text::service_log(log))
        );
    }
    if case.mock_calls.values().any(|calls| !calls.is_empty()) {
        page.push_str("<h3>Mock calls</h3>\n");
        for (name, calls) in &case.mock_calls {
            let _ = writeln!(
                page,
                "<table class=\"calls\">\n<caption>mock {}</caption>",
                escape(name)
            );
            page.push_str("<thead><tr><th>ms</th><th>request</th><th>body</th><th>route</th><th>answer</th></tr></thead>\n<tbody>\n");
            for call in calls {
                let query = call
                    .query
                    .as_ref()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                let route = call.route.clone().unwrap_or_else(|| "(none)".to_string());
                let _ = writeln!(
                    page,
                    "<tr{}><td>{:.1}</td><td><code>{} {}{}</code></td><td><pre>{}</pre></td><td>{}</td><td>{}</td></tr>",
                    if call.is_unexpected() {
                        " class=\"fail\""
                    } else {
                        ""
                    },
                    call.at_ms,
                    escape(&call.method),
                    escape(&call.path),
                    escape(&query),
                    escape(&super::with_omitted(pretty(&call.body), call.body_omitted)),
                    escape(&route),
                    escape(&call.answer)
                );
            }
            page.push_str("</tbody>\n</table>\n");
        }
    }
    if case.messages.values().any(|messages| !messages.is_empty()) {
        page.push_str("<h3>Messages</h3>\n");
        for (name, messages) in &case.messages {
            let _ = writeln!(
                page,
                "<table class=\"calls\">\n<caption>broker {}</caption>",
                escape(name)
            );
            page.push_str("<thead><tr><th>ms</th><th>topic</th><th>headers</th><th>body</th></tr></thead>\n<tbody>\n");
            for message in messages {
                let headers: Vec<String> = message
                    .headers
                    .iter()
                    .map(|(name, value)| format!("{name}: {value}"))
                    .collect();
                let _ = writeln!(
                    page,
                    "<tr><td>{:.1}</td><td><code>{}</code></td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
                    message.at_ms,
                    escape(&message.topic),
                    escape(&headers.join("\n")),
                    escape(&pretty(&message.body)),
                );
            }
            page.push_str("</tbody>\n</table>\n");
        }
    }
    if let Some(emails) = case.emails.as_ref().filter(|emails| !emails.is_empty()) {
        page.push_str("<h3>E-mails</h3>\n<table class=\"calls\">\n");
        page.push_str("<thead><tr><th>ms</th><th>from</th><th>to</th><th>subject</th><th>parts</th><th>answered</th></tr></thead>\n<tbody>\n");
        for email in emails {
            let mut parts = Vec::new();
            if !email.text.is_empty() {
                parts.push(format!("text:\n{}", email.text));
            }
            if !email.html.is_empty() {
                parts.push(format!("html:\n{}", email.html));
            }
            if !email.attachments.is_empty() {
                parts.push(format!("attachments: {}", email.attachments.join(", ")));
            }
            let _ = writeln!(
                page,
                "<tr><td>{:.1}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td><pre>{}</pre></td><td>{}</td></tr>",
                email.at_ms,
                escape(&email.from),
                escape(&email.to.join(", ")),
                escape(&email.subject),
                escape(&super::with_omitted(parts.join("\n\n"), email.body_omitted)),
                email.answered,
            );
        }
        page.push_str("</tbody>\n</table>\n");
    }
    attempts(page, case);
    page.push_str("</div>\n</details>\n");
}

/// The earlier runs of a retried or repeated case that did not pass, each
/// with its checks and requests.
fn attempts(page: &mut String, case: &CaseResult) {
    let failed: Vec<(usize, &CaseResult)> = case
        .attempts
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a.outcome, Outcome::Failed | Outcome::Error))
        .collect();
    if failed.is_empty() {
        return;
    }
    let word = if case.runs.is_some() {
        "run"
    } else {
        "attempt"
    };
    let _ = writeln!(page, "<h3>Earlier {word}s that did not pass</h3>");
    for (n, attempt) in failed {
        let badge = if attempt.outcome == Outcome::Error {
            "ERROR"
        } else {
            "FAIL"
        };
        let _ = writeln!(
            page,
            "<details class=\"case fail attempt\">\n<summary><span class=\"badge fail\">{badge}</span> {word} {} <span class=\"time\">{} ms</span></summary>\n<div class=\"body\">\n<ul class=\"checks\">",
            case.attempt_number(n),
            attempt.duration_ms
        );
        for check in attempt.checks.iter().filter(|c| c.is_failed()) {
            check_item(page, check);
        }
        page.push_str("</ul>\n");
        for exchange in &attempt.exchanges {
            exchange_block(page, exchange);
        }
        page.push_str("</div>\n</details>\n");
    }
}

fn check_item(page: &mut String, check: &StepResult) {
    let (class, mark) = match &check.verdict {
        Verdict::Passed => ("pass", "✓"),
        Verdict::Failed { .. } => ("fail", "✗"),
        Verdict::Error { .. } => ("fail", "!"),
        Verdict::Unverified { .. } => ("skip", "?"),
    };
    let _ = write!(
        page,
        "<li class=\"{class}\"><span class=\"mark\">{mark}</span> <code>{}</code> <span class=\"where\">line {}</span>",
        escape(&check.text),
        check.span.line
    );
    match &check.verdict {
        Verdict::Failed { message, evidence } => {
            let _ = write!(page, "<div class=\"message\">{}</div>", escape(message));
            evidence_block(page, evidence);
        }
        Verdict::Error { message, evidence } => {
            let _ = write!(
                page,
                "<div class=\"message\">error: {}</div>",
                escape(message)
            );
            evidence_block(page, evidence);
        }
        Verdict::Unverified { reason } => {
            let _ = write!(page, "<div class=\"message\">{}</div>", escape(reason));
        }
        Verdict::Passed => {}
    }
    page.push_str("</li>\n");
}

fn evidence_block(page: &mut String, evidence: &Evidence) {
    if !evidence.mismatches.is_empty() {
        page.push_str("<table class=\"mismatches\"><thead><tr><th>path</th><th>expected</th><th>actual</th></tr></thead><tbody>");
        for m in &evidence.mismatches {
            let _ = write!(
                page,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                escape(&m.path),
                escape(&m.expected),
                escape(&m.actual)
            );
        }
        page.push_str("</tbody></table>");
    } else if evidence.expected.is_some() || evidence.actual.is_some() {
        page.push_str("<dl class=\"expected\">");
        if let Some(expected) = &evidence.expected {
            let _ = write!(
                page,
                "<dt>expected</dt><dd><code>{}</code></dd>",
                escape(expected)
            );
        }
        if let Some(actual) = &evidence.actual {
            let _ = write!(
                page,
                "<dt>actual</dt><dd><code>{}</code></dd>",
                escape(actual)
            );
        }
        page.push_str("</dl>");
    }
    if !evidence.notes.is_empty() {
        page.push_str("<ul class=\"notes\">");
        for note in &evidence.notes {
            let _ = write!(page, "<li><code>{}</code></li>", escape(note));
        }
        page.push_str("</ul>");
    }
    if let Some(title) = crate::evidence::diff_title(evidence) {
        let _ = write!(
            page,
            "<div class=\"diff\"><div class=\"title\">{}</div><pre>",
            escape(title)
        );
        for line in &evidence.diff {
            let class = match line.tag {
                '-' => "del",
                '+' => "ins",
                _ => "ctx",
            };
            // Block spans: a line break between them would double the lines.
            let _ = write!(
                page,
                "<span class=\"{class}\">{} {}</span>",
                line.tag,
                escape(&line.text)
            );
        }
        page.push_str("</pre></div>");
    }
}

fn exchange_block(page: &mut String, exchange: &Exchange) {
    let label = exchange
        .label
        .as_ref()
        .map(|l| format!("<b>{}</b> ", escape(l)))
        .unwrap_or_default();
    let _ = write!(
        page,
        "<div class=\"exchange\"><div class=\"line\">{label}<code>{} {}</code>",
        escape(&exchange.request.method),
        escape(&exchange.request.url)
    );
    if let Some((start, end)) = exchange.timing {
        let _ = write!(
            page,
            " <span class=\"time\">sent {start:.2} ms, answered {end:.2} ms</span>"
        );
    }
    page.push_str("</div>");
    if let Some(body) = &exchange.request.body {
        let _ = write!(
            page,
            "<pre class=\"request\">{}</pre>",
            escape(&super::with_omitted(
                pretty(body),
                exchange.request.body_omitted
            ))
        );
    }
    match (&exchange.response, &exchange.error) {
        (Some(response), _) => {
            let headers: Vec<String> = response
                .headers
                .iter()
                .map(|(n, v)| format!("{}: {}", escape(n), escape(v)))
                .collect();
            let _ = write!(
                page,
                "<div class=\"line\">→ <b>{}</b> <span class=\"time\">{:.1} ms</span></div><details class=\"headers\"><summary>headers</summary><pre>{}</pre></details><pre class=\"response\">{}</pre>",
                response.status,
                response.duration_ms,
                headers.join("\n"),
                escape(&super::with_omitted(
                    pretty(&response.body),
                    response.body_omitted
                ))
            );
        }
        (None, Some(error)) => {
            let _ = write!(
                page,
                "<div class=\"line fail\">no response: {}</div>",
                escape(error)
            );
        }
        (None, None) => {}
    }
    page.push_str("</div>\n");
}

/// The time line of each iteration: a bar per request from when it was
/// sent to when it was answered, on the iteration's own scale.
fn timelines(page: &mut String, runs: &[IterationRun]) {
    if runs.iter().all(|r| r.requests.is_empty()) {
        return;
    }
    page.push_str("<h3>Time lines</h3>\n<div class=\"timelines\">\n");
    for run in runs.iter().take(TIMELINES) {
        let scale = run
            .requests
            .iter()
            .map(|r| r.end_ms)
            .fold(0.0_f64, f64::max)
            .max(0.001);
        let _ = writeln!(
            page,
            "<div class=\"timeline {}\"><div class=\"title\">iteration {} — {}{}</div>",
            if run.passed { "pass" } else { "fail" },
            run.iteration,
            if run.passed { "passed" } else { "failed" },
            run.skew_ms
                .map(|s| format!(", start skew {s:.3} ms"))
                .unwrap_or_default()
        );
        for request in &run.requests {
            let left = request.start_ms / scale * 100.0;
            let width = ((request.end_ms - request.start_ms) / scale * 100.0).max(0.5);
            let status = request
                .status
                .map_or_else(|| "—".to_string(), |s| s.to_string());
            let _ = writeln!(
                page,
                "<div class=\"row\"><span class=\"label\">{}</span><span class=\"track\"><span class=\"bar\" style=\"margin-left:{left:.2}%;width:{width:.2}%\"></span></span><span class=\"status\">{status}</span><span class=\"time\">{:.2}–{:.2} ms</span></div>",
                escape(request.label.as_deref().unwrap_or("-")),
                request.start_ms,
                request.end_ms
            );
        }
        page.push_str("</div>\n");
    }
    if runs.len() > TIMELINES {
        let _ = writeln!(
            page,
            "<p class=\"meta\">… and {} more iterations.</p>",
            runs.len() - TIMELINES
        );
    }
    page.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
