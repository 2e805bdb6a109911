//! What a case's result keeps for reports of a large body: its first
//! [`DISPLAY_BODY`] bytes, and how many were left out.
//!
//! A body of up to `[limits] max_body` (16 MB) is read and checked whole;
//! but every report — console, JUnit, JSON, HTML, GitHub — stores or
//! prints what the case's result holds, for every failed case of a run.
//! So once a case is over (and redacted), request, response and mock-call
//! bodies over the display limit are cut there, with `body_omitted`
//! saying how many bytes are missing, and so are the texts and diffs of
//! its evidence.

use crate::{Call, CaseResult, DiffLine, Evidence, Verdict};

/// The most of a body (and of a piece of evidence) that reports keep:
/// 64 KB.
pub const DISPLAY_BODY: usize = 64_000;

/// The note that ends a report's excerpt of a cut body.
pub fn omitted_note(bytes: u64) -> String {
    format!(
        "… {bytes} more bytes not shown (reports keep the first {} KB of a body)",
        DISPLAY_BODY / 1000
    )
}

/// A body on one line for a summary: its JSON compacted (else its text),
/// at most 200 characters, `...` when there was more.
pub fn one_line(body: &str, json: Option<&serde_json::Value>) -> String {
    let compact = json.map_or_else(|| body.to_string(), serde_json::Value::to_string);
    let cut: String = compact.chars().take(200).collect();
    let more = if compact.chars().count() > 200 {
        "..."
    } else {
        ""
    };
    format!("{cut}{more}")
}

/// Cuts every body and piece of evidence of `case` over [`DISPLAY_BODY`].
pub fn shorten(case: &mut CaseResult) {
    for exchange in &mut case.exchanges {
        if let Some(body) = &mut exchange.request.body {
            exchange.request.body_omitted = cut(body);
        }
        if let Some(response) = &mut exchange.response {
            response.body_omitted = cut(&mut response.body);
            if response.body_omitted.is_some() {
                // The parsed body is the whole of it: not for reports.
                response.json = None;
            }
        }
    }
    for calls in case.mock_calls.values_mut() {
        calls.iter_mut().for_each(shorten_call);
    }
    for email in case.emails.iter_mut().flatten() {
        let omitted = cut(&mut email.text).unwrap_or(0) + cut(&mut email.html).unwrap_or(0);
        email.body_omitted = (omitted > 0).then_some(omitted);
    }
    for message in case.messages.values_mut().flatten() {
        message.body_omitted = cut(&mut message.body);
        if message.body_omitted.is_some() {
            message.json = None;
        }
    }
    for check in &mut case.checks {
        if let Verdict::Failed { evidence, .. } | Verdict::Error { evidence, .. } =
            &mut check.verdict
        {
            shorten_evidence(evidence);
        }
    }
}

fn shorten_call(call: &mut Call) {
    call.body_omitted = cut(&mut call.body);
    if call.body_omitted.is_some() {
        call.json = None;
    }
}

fn shorten_evidence(evidence: &mut Evidence) {
    for text in [&mut evidence.expected, &mut evidence.actual]
        .into_iter()
        .flatten()
    {
        if let Some(omitted) = cut(text) {
            text.push('\n');
            text.push_str(&omitted_note(omitted));
        }
    }
    let mut kept = 0usize;
    let mut omitted = 0usize;
    let mut lines = 0usize;
    evidence.diff.retain(|line| {
        if kept + line.text.len() <= DISPLAY_BODY && omitted == 0 {
            kept += line.text.len() + 1;
            true
        } else {
            omitted += line.text.len() + 1;
            lines += 1;
            false
        }
    });
    if lines > 0 {
        evidence.diff.push(DiffLine {
            tag: ' ',
            text: format!(
                "… {lines} more lines ({omitted} bytes) of the diff not shown (reports keep its first {} KB)",
                DISPLAY_BODY / 1000
            ),
        });
    }
}

/// Cuts `text` to at most [`DISPLAY_BODY`] bytes, on a character
/// boundary; the bytes cut off, when any were.
fn cut(text: &mut String) -> Option<u64> {
    if text.len() <= DISPLAY_BODY {
        return None;
    }
    let mut end = DISPLAY_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let omitted = text.len() - end;
    text.truncate(end);
    Some(u64::try_from(omitted).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_message_body_is_cut_like_a_call_s() {
        let mut case: CaseResult = serde_json::from_value(serde_json::json!({
            "id": "TC-INT-001", "name": "x", "heading": {"start": 0, "end": 1, "line": 1, "col": 1},
            "outcome": "passed", "duration_ms": 1, "exchanges": [], "checks": []
        }))
        .unwrap_or_else(|e| unreachable!("{e}"));
        let body = format!("\"{}\"", "a".repeat(DISPLAY_BODY + 10));
        case.messages.insert(
            "events".into(),
            vec![crate::Message::new(
                "t".into(),
                Vec::new(),
                body.as_bytes(),
                0.0,
            )],
        );
        shorten(&mut case);
        let message = &case.messages["events"][0];
        assert_eq!(message.body.len(), DISPLAY_BODY);
        assert_eq!(message.body_omitted, Some(12));
        assert_eq!(message.json, None);
    }

    #[test]
    fn a_large_body_keeps_its_start_and_counts_the_rest() {
        let mut text = "é".repeat(DISPLAY_BODY); // two bytes each
        let omitted = cut(&mut text).unwrap();
        assert_eq!(text.len(), DISPLAY_BODY);
        assert_eq!(omitted, DISPLAY_BODY as u64);
        let mut odd = format!("a{}", "é".repeat(DISPLAY_BODY));
        let omitted = cut(&mut odd).unwrap();
        assert_eq!(odd.len(), DISPLAY_BODY - 1, "cut on a character boundary");
        assert_eq!(omitted, DISPLAY_BODY as u64 + 2);
        let mut small = "x".repeat(DISPLAY_BODY);
        assert_eq!(cut(&mut small), None);
        assert_eq!(
            omitted_note(1_234),
            "… 1234 more bytes not shown (reports keep the first 64 KB of a body)"
        );
    }

    #[test]
    fn long_diffs_keep_their_first_lines() {
        let mut evidence = Evidence {
            diff: (0..10_000)
                .map(|i| DiffLine {
                    tag: '+',
                    text: format!("line {i:>20}"),
                })
                .collect(),
            actual: Some("y".repeat(DISPLAY_BODY + 10)),
            ..Evidence::default()
        };
        shorten_evidence(&mut evidence);
        let kept: usize = evidence.diff.iter().map(|l| l.text.len() + 1).sum();
        assert!(kept < DISPLAY_BODY + 200, "{kept}");
        let last = evidence.diff.last().unwrap();
        assert!(last.text.contains("more lines"), "{}", last.text);
        assert!(
            evidence
                .actual
                .unwrap()
                .ends_with("… 10 more bytes not shown (reports keep the first 64 KB of a body)")
        );
    }
}
