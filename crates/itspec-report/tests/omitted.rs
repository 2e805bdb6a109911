//! A body the result kept only the start of: every report says how much
//! it left out — JSON (`body_omitted`), HTML, JUnit (and so GitHub's
//! annotations, from the same text).

use itspec_report::results::{html, junit, text};
use itspec_results::report;

const REPORT: &str = r#"{
  "format": "itspec-report",
  "version": 1,
  "tool": "itspec test",
  "started_at": "2026-12-03T12:00:00.000Z",
  "target": "http://127.0.0.1:1",
  "outcome": { "outcome": "completed" },
  "specs": [{
    "path": "specs/big.md",
    "component": "Big",
    "cases": [{
      "id": "TC-INT-001",
      "name": "A big answer",
      "heading": { "start": 0, "end": 1, "line": 9, "col": 1 },
      "outcome": "failed",
      "duration_ms": 3,
      "exchanges": [{
        "label": null,
        "request": { "method": "POST", "url": "http://127.0.0.1:1/big", "headers": [], "body": "{\"a\":", "body_omitted": 70000 },
        "response": { "status": 200, "headers": [], "body": "xxxx", "duration_ms": 1.0, "body_omitted": 1234567 },
        "error": null,
        "span": { "start": 0, "end": 1, "line": 11, "col": 1 }
      }],
      "checks": [{
        "kind": "assertion",
        "span": { "start": 0, "end": 1, "line": 13, "col": 3 },
        "text": "status == 201",
        "verdict": "failed",
        "message": "expected == 201, got 200",
        "evidence": { "expected": null, "actual": null, "mismatches": [], "diff": [], "diff_title": null, "notes": [] }
      }],
      "mock_calls": { "payments": [{
        "method": "POST", "path": "/charges", "query": null, "headers": [], "body": "yyyy",
        "at_ms": 1.0, "route": "POST /charges", "answer": "201", "body_omitted": 99
      }] }
    }]
  }],
  "summary": { "passed": 0, "failed": 1, "skipped": 0, "unverified": 0 },
  "duration_ms": 3
}"#;

const RESPONSE_NOTE: &str =
    "… 1234567 more bytes not shown (reports keep the first 64 KB of a body)";
const REQUEST_NOTE: &str = "… 70000 more bytes not shown (reports keep the first 64 KB of a body)";
const CALL_NOTE: &str = "… 99 more bytes not shown (reports keep the first 64 KB of a body)";

#[test]
fn every_report_says_how_much_of_a_body_it_left_out() {
    let result = report::read(REPORT).unwrap();
    let written: serde_json::Value = serde_json::from_str(&report::write(&result)).unwrap();
    let case = &written["specs"][0]["cases"][0];
    assert_eq!(case["exchanges"][0]["response"]["body_omitted"], 1_234_567);
    assert_eq!(case["exchanges"][0]["request"]["body_omitted"], 70_000);
    assert_eq!(case["mock_calls"]["payments"][0]["body_omitted"], 99);

    let page = html::write(&result);
    for note in [RESPONSE_NOTE, REQUEST_NOTE, CALL_NOTE] {
        assert!(page.contains(note), "the HTML report lacks {note:?}");
    }

    let failure = text::failure("specs/big.md", &result.specs[0].cases[0]);
    assert!(
        failure.contains(&format!("  xxxx\n  {RESPONSE_NOTE}\n")),
        "{failure}"
    );
    assert!(failure.contains(REQUEST_NOTE), "{failure}");
    let xml = junit::write(&result).unwrap();
    assert!(xml.contains(RESPONSE_NOTE), "{xml}");
}
