//! Whether a file is a report itspec wrote. Each format carries a mark at
//! its start — the JSON report's `"format": "itspec-report"` as its first
//! member, the JUnit report's `<testsuites name="itspec"`, the HTML
//! report's `<meta name="generator" content="itspec">` — so `--report`
//! can replace itspec's own earlier reports and refuse any other file.

use super::{html, junit};
use itspec_results::report;

/// How much of a file's start holds the mark.
pub const HEAD: usize = 4096;

/// Whether `head`, the start of a file, is that of an itspec report.
pub fn written_by_itspec(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    json_mark(head) || junit_mark(head) || head_of_html(head).contains(html::GENERATOR)
}

/// `{ "format": "itspec-report"` at the start.
fn json_mark(head: &str) -> bool {
    let Some(rest) = head.strip_prefix('{') else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix("\"format\"") else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix(':') else {
        return false;
    };
    rest.trim_start()
        .starts_with(&format!("\"{}\"", report::FORMAT))
}

/// `<testsuites name="itspec"` as the document's first element.
fn junit_mark(head: &str) -> bool {
    let body = match head.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, body)| body),
        None => head,
    };
    body.trim_start()
        .starts_with(&format!("<testsuites name=\"{}\"", junit::NAME))
}

/// The `<head>` of an HTML page (its start, when it is cut).
fn head_of_html(head: &str) -> &str {
    if !head
        .get(..15)
        .is_some_and(|s| s.eq_ignore_ascii_case("<!doctype html>"))
    {
        return "";
    }
    head.split_once("</head>")
        .map_or(head, |(inside, _)| inside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use itspec_results::RunResult;

    #[test]
    fn every_report_itspec_writes_carries_its_mark() {
        let result = RunResult::default();
        for report in [
            report::write(&result),
            junit::write(&result).unwrap_or_default(),
            html::write(&result),
        ] {
            assert!(written_by_itspec(report.as_bytes()), "{report}");
        }
    }

    #[test]
    fn other_files_are_not_reports() {
        for text in [
            "",
            "# Integration Test Spec: Orders\n",
            "{\"name\": \"package\", \"format\": \"itspec-report\"}",
            "{\"format\": \"other\"}",
            "<?xml version=\"1.0\"?>\n<testsuites name=\"pytest\">",
            "<!doctype html><html><head><title>itspec report</title></head><body>\
             <meta name=\"generator\" content=\"itspec\"></body>",
            "<p>written by itspec-report</p>",
        ] {
            assert!(!written_by_itspec(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn a_head_cut_inside_a_character_is_read() {
        let report = report::write(&RunResult::default());
        let mut bytes = report.into_bytes();
        bytes.truncate(40);
        bytes.extend([0xe2, 0x82]);
        assert!(written_by_itspec(&bytes));
    }
}
