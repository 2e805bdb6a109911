//! A failed case as plain text — each failed check at `path:line:col` with
//! its message and evidence, then the last exchange — for JUnit failure
//! descriptions and annotations, where no colour or code frame fits.

use itspec_results::{CaseResult, Exchange, ServiceLog, StepResult};

/// Lines of a body shown, at most.
const BODY_LINES: usize = 20;

/// One failed check: `path:line:col: text: message` and its evidence.
pub fn check(path: &str, check: &StepResult) -> String {
    let Some((message, found)) = check.problem() else {
        return String::new();
    };
    let kind = if check.is_error() { "error: " } else { "" };
    let mut out = format!(
        "{path}:{}:{}: {}\n  {kind}{message}\n",
        check.span.line, check.span.col, check.text
    );
    for line in crate::evidence::lines(found) {
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A request and what came back.
pub fn exchange(exchange: &Exchange) -> String {
    let mut out = format!(
        "request: {} {}\n",
        exchange.request.method, exchange.request.url
    );
    if let Some(body) = &exchange.request.body {
        out.push_str(&excerpt(body));
        omitted(&mut out, exchange.request.body_omitted);
    }
    match (&exchange.response, &exchange.error) {
        (Some(response), _) => {
            out.push_str(&format!(
                "response: {} ({:.0} ms)\n",
                response.status, response.duration_ms
            ));
            out.push_str(&excerpt(&pretty(&response.body)));
            omitted(&mut out, response.body_omitted);
        }
        (None, Some(error)) => out.push_str(&format!("no response: {error}\n")),
        (None, None) => {}
    }
    out
}

/// A failed case: its failed checks, then its last exchange.
pub fn failure(path: &str, case: &CaseResult) -> String {
    let mut out = String::new();
    if let Some(iterations) = &case.iterations
        && let Some(first) = iterations.first_failed
    {
        out.push_str(&format!(
            "iteration {first} of {} failed\n",
            iterations.planned
        ));
    }
    for failed in case.failures() {
        out.push_str(&check(path, failed));
    }
    if let Some(last) = case.exchanges.last() {
        out.push_str(&exchange(last));
    }
    if let Some(log) = &case.service_log {
        out.push_str(&service_log(log));
    }
    out
}

/// The case's channel journals beside its requests: what each mock
/// received and what each broker carried, with the time since Setup ended;
/// empty when the case has neither.
pub fn journals(case: &CaseResult) -> String {
    let mut out = String::new();
    for (mock, calls) in &case.mock_calls {
        out.push_str(&format!(
            "mock {mock}: {} call{}\n",
            calls.len(),
            if calls.len() == 1 { "" } else { "s" }
        ));
        for call in calls {
            out.push_str(&format!("  +{:.0} ms {}\n", call.at_ms, call.summary()));
        }
    }
    for (broker, messages) in &case.messages {
        out.push_str(&format!(
            "broker {broker}: {} message{}\n",
            messages.len(),
            if messages.len() == 1 { "" } else { "s" }
        ));
        for message in messages {
            out.push_str(&format!(
                "  +{:.0} ms {}\n",
                message.at_ms,
                message.summary()
            ));
        }
    }
    if let Some(emails) = &case.emails {
        out.push_str(&format!(
            "mail: {} e-mail{}\n",
            emails.len(),
            if emails.len() == 1 { "" } else { "s" }
        ));
        for email in emails {
            out.push_str(&format!("  +{:.0} ms {}\n", email.at_ms, email.summary()));
        }
    }
    out
}

/// What the service wrote to its log during a case.
pub fn service_log(log: &ServiceLog) -> String {
    let mut out = if log.lines.is_empty() {
        format!(
            "the service wrote nothing to {} during this case\n",
            log.file
        )
    } else {
        format!("the service's log during this case ({}):\n", log.file)
    };
    if log.omitted > 0 {
        out.push_str(&format!("  ... ({} earlier lines)\n", log.omitted));
    }
    for line in &log.lines {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The line saying how much of a body the result left out, if it did.
fn omitted(out: &mut String, bytes: Option<u64>) {
    if let Some(bytes) = bytes {
        out.push_str("  ");
        out.push_str(&itspec_results::display::omitted_note(bytes));
        out.push('\n');
    }
}

/// A JSON body indented; anything else as it is.
pub fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|json| serde_json::to_string_pretty(&json).ok())
        .unwrap_or_else(|| body.to_string())
}

fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == BODY_LINES {
            out.push_str("  ...\n");
            break;
        }
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
