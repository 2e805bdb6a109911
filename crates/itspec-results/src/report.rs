//! The JSON report of a run: the whole result tree in a versioned envelope
//! (see docs/report-format.md), written by `run --report json=PATH` and
//! read back by `report merge` and `trace --from`.

use crate::{RunOutcome, RunResult, SpecResult, Summary};
use serde::{Deserialize, Serialize};

/// The `format` of every itspec report.
pub const FORMAT: &str = "itspec-report";
/// The version of the report's shape, raised when it changes (2: the
/// messages brokers carried, per case; 3: the e-mails the service sent;
/// 4: flaky cases, with their earlier attempts and pass rates).
pub const VERSION: u32 = 4;
/// The versions this reader takes: each later one only adds to the one
/// before, so an older report reads with what it lacks left empty.
pub const READS: [u32; 4] = [1, 2, 3, 4];

/// A report as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Document {
    format: String,
    version: u32,
    tool: String,
    #[serde(flatten)]
    run: RunResult,
}

/// The report of a run as JSON text.
pub fn write(result: &RunResult) -> String {
    let document = Document {
        format: FORMAT.to_string(),
        version: VERSION,
        tool: format!("itspec {}", env!("CARGO_PKG_VERSION")),
        run: result.clone(),
    };
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// Reads a report back; says what is wrong with text that is not one.
pub fn read(text: &str) -> Result<RunResult, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let format = value.get("format").and_then(|f| f.as_str());
    if format != Some(FORMAT) {
        return Err(format!(
            "not an itspec report (its `format` is {})",
            format.map_or("missing".to_string(), |f| format!("`{f}`"))
        ));
    }
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if !version.is_some_and(|v| READS.iter().any(|r| u64::from(*r) == v)) {
        return Err(format!(
            "an itspec report of version {}, and this itspec reads versions 1 to {VERSION}",
            version.map_or("?".to_string(), |v| v.to_string())
        ));
    }
    let document: Document =
        serde_json::from_value(value).map_err(|e| format!("not a valid itspec report: {e}"))?;
    Ok(document.run)
}

/// One report from several (the shards of a run): the specs of all, a case
/// that appears in several kept once (the last), counts recomputed, the
/// earliest start, the longest duration, and the worst outcome. Specs are
/// in the order of a whole run: by `priority` (which ranks a spec's
/// `priority` text, as the spec parser does), then path.
pub fn merge<K: Ord>(reports: Vec<RunResult>, priority: impl Fn(&str) -> K) -> RunResult {
    let mut merged = RunResult::default();
    for report in reports {
        if merged.started_at.is_empty()
            || (!report.started_at.is_empty() && report.started_at < merged.started_at)
        {
            merged.started_at = report.started_at.clone();
        }
        if merged.target.is_empty() {
            merged.target = report.target.clone();
        }
        merged.duration_ms = merged.duration_ms.max(report.duration_ms);
        merged.outcome = worst(merged.outcome, report.outcome);
        for spec in report.specs {
            match merged.specs.iter_mut().find(|s| s.path == spec.path) {
                Some(existing) => add_cases(existing, spec),
                None => merged.specs.push(spec),
            }
        }
    }
    // The order a whole run has: by priority, then path.
    let rank = |spec: &SpecResult| priority(&spec.priority);
    merged
        .specs
        .sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.path.cmp(&b.path)));
    let mut summary = Summary::default();
    for case in merged.specs.iter().flat_map(|s| &s.cases) {
        summary.add(case);
    }
    merged.summary = summary;
    merged
}

fn add_cases(existing: &mut SpecResult, spec: SpecResult) {
    for case in spec.cases {
        match existing.cases.iter_mut().find(|c| c.id == case.id) {
            Some(old) => *old = case,
            None => existing.cases.push(case),
        }
    }
    existing.cases.sort_by_key(|c| c.heading.start);
}

fn worst(a: RunOutcome, b: RunOutcome) -> RunOutcome {
    let rank = |o: &RunOutcome| match o {
        RunOutcome::Completed => 0,
        RunOutcome::Interrupted => 1,
        RunOutcome::EnvironmentFailed { .. } => 2,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str, priority: &str) -> SpecResult {
        SpecResult {
            path: path.to_string(),
            component: String::new(),
            priority: priority.to_string(),
            status: String::new(),
            stories: Vec::new(),
            contract: None,
            cases: Vec::new(),
        }
    }

    #[test]
    fn a_report_reads_back_with_its_messages_and_emails_and_older_ones_still_read() {
        let mut case: crate::CaseResult = serde_json::from_value(serde_json::json!({
            "id": "TC-INT-001", "name": "x", "heading": {"start": 0, "end": 1, "line": 1, "col": 1},
            "outcome": "passed", "duration_ms": 1, "exchanges": [], "checks": []
        }))
        .unwrap_or_else(|e| unreachable!("{e}"));
        case.messages.insert(
            "events".into(),
            vec![crate::Message::new(
                "orders.created".into(),
                Vec::new(),
                br#"{"id":1}"#,
                2.5,
            )],
        );
        case.emails = Some(vec![crate::Email {
            from: "shop@example.com".into(),
            to: vec!["ana@example.com".into()],
            subject: "Reserved".into(),
            answered: 250,
            at_ms: 3.5,
            ..crate::Email::default()
        }]);
        let run = RunResult {
            specs: vec![SpecResult {
                cases: vec![case],
                ..spec("a.md", "High")
            }],
            ..RunResult::default()
        };
        let text = write(&run);
        assert!(text.contains("\"version\": 4"), "{text}");
        let back = read(&text).unwrap_or_else(|e| unreachable!("{e}"));
        let messages = back
            .specs
            .first()
            .and_then(|s| s.cases.first())
            .map(|c| c.messages["events"].clone())
            .unwrap_or_default();
        assert_eq!(messages.len(), 1);
        assert_eq!(
            (messages[0].topic.as_str(), messages[0].at_ms),
            ("orders.created", 2.5)
        );
        let emails = back
            .specs
            .first()
            .and_then(|s| s.cases.first())
            .and_then(|c| c.emails.clone())
            .unwrap_or_default();
        assert_eq!(
            emails.first().map(|e| (e.subject.as_str(), e.answered)),
            Some(("Reserved", 250))
        );
        for older in ["1", "2", "3"] {
            let older = text.replace("\"version\": 4", &format!("\"version\": {older}"));
            assert!(read(&older).is_ok());
        }
        let newer = text.replace("\"version\": 4", "\"version\": 5");
        assert_eq!(
            read(&newer).err().as_deref(),
            Some("an itspec report of version 5, and this itspec reads versions 1 to 4")
        );
    }

    #[test]
    fn merged_specs_come_in_the_order_a_whole_run_has_them() {
        let shard = |specs: Vec<SpecResult>| RunResult {
            specs,
            ..RunResult::default()
        };
        let merged = merge(
            vec![
                shard(vec![spec("a.md", "Low"), spec("z.md", "Critical")]),
                shard(vec![spec("b.md", "High"), spec("c.md", "Critical")]),
            ],
            |p| {
                ["Critical", "High", "Medium", "Low"]
                    .iter()
                    .position(|r| *r == p)
            },
        );
        let order: Vec<&str> = merged.specs.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(order, ["c.md", "z.md", "b.md", "a.md"]);
    }
}
