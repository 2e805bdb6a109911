//! Stories → specs → cases → last result, with each spec's API contract.
//! Stories come from the specs' Related lines. Stories without a case, and
//! cases whose last run failed, stand out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::results::html::escape;
use itspec_results::SpecResult;
use serde::Serialize;

use super::{Format, Last, result_of};

#[derive(Clone, Debug, Serialize)]
struct CaseTrace {
    id: String,
    name: String,
    line: u32,
    last: Last,
}

#[derive(Clone, Debug, Serialize)]
struct SpecTrace {
    path: String,
    component: String,
    status: String,
    contract: Option<String>,
    cases: Vec<CaseTrace>,
}

#[derive(Debug, Serialize)]
struct StoryTrace {
    story: String,
    specs: Vec<SpecTrace>,
    /// No spec of the story has a case.
    without_cases: bool,
    /// Cases of the story whose last run failed.
    failed: usize,
}

#[derive(Debug, Serialize)]
struct Trace {
    stories: Vec<StoryTrace>,
    /// Specs that name no story.
    without_stories: Vec<SpecTrace>,
}

/// The stories, their specs and cases, as Markdown, JSON or HTML.
pub fn render(
    specs: &[(String, itspec_spec::Spec)],
    results: &[SpecResult],
    format: Format,
) -> Result<String, serde_json::Error> {
    let trace = build(specs, results);
    Ok(match format {
        Format::Markdown => markdown(&trace),
        Format::Json => serde_json::to_string_pretty(&trace)? + "\n",
        Format::Html => html(&trace),
    })
}

fn build(specs: &[(String, itspec_spec::Spec)], results: &[SpecResult]) -> Trace {
    let mut stories: BTreeMap<String, Vec<SpecTrace>> = BTreeMap::new();
    let mut without_stories = Vec::new();
    for (path, spec) in specs {
        let result = result_of(results, path, spec);
        let cases = spec
            .cases
            .iter()
            .map(|case| CaseTrace {
                id: case.id.value.clone(),
                name: case.name.value.clone(),
                line: case.heading_span.line,
                last: Last::of(result, &case.id.value),
            })
            .collect();
        let traced = SpecTrace {
            path: path.clone(),
            component: spec.component().unwrap_or("(no title)").to_string(),
            status: spec
                .status
                .as_ref()
                .map(|s| s.value.as_str().to_string())
                .unwrap_or_default(),
            contract: spec.related.contract.as_ref().map(|c| c.value.to_string()),
            cases,
        };
        let ids = spec.story_ids();
        for id in &ids {
            stories.entry(id.clone()).or_default().push(traced.clone());
        }
        if ids.is_empty() {
            without_stories.push(traced);
        }
    }
    Trace {
        stories: stories
            .into_iter()
            .map(|(story, specs)| StoryTrace {
                without_cases: specs.iter().all(|s| s.cases.is_empty()),
                failed: specs
                    .iter()
                    .flat_map(|s| &s.cases)
                    .filter(|c| c.last == Last::Failed)
                    .count(),
                story,
                specs,
            })
            .collect(),
        without_stories,
    }
}

fn spec_line(spec: &SpecTrace) -> String {
    let contract = spec
        .contract
        .as_ref()
        .map(|c| format!(" — `{c}`"))
        .unwrap_or_default();
    let status = if spec.status.is_empty() {
        String::new()
    } else {
        format!(" ({})", spec.status)
    };
    format!("- {} — {}{contract}{status}\n", spec.path, spec.component)
}

fn case_line(case: &CaseTrace) -> String {
    let last = match case.last {
        Last::Failed => "**FAILED**".to_string(),
        other => other.as_str().to_string(),
    };
    format!("  - {} {} — {last}\n", case.id, case.name)
}

fn markdown(trace: &Trace) -> String {
    let mut out = String::from("# Traceability\n\n");
    let lonely: Vec<&StoryTrace> = trace.stories.iter().filter(|s| s.without_cases).collect();
    let failing: Vec<&StoryTrace> = trace.stories.iter().filter(|s| s.failed > 0).collect();
    if !lonely.is_empty() || !failing.is_empty() {
        out.push_str("## Attention\n\n");
        for story in lonely {
            let _ = writeln!(out, "- **{}** has no case", story.story);
        }
        for story in failing {
            let _ = writeln!(
                out,
                "- **{}**: {} case{} failed in the last run",
                story.story,
                story.failed,
                if story.failed == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
    }
    for story in &trace.stories {
        let _ = writeln!(out, "## {}\n", story.story);
        for spec in &story.specs {
            out.push_str(&spec_line(spec));
            if spec.cases.is_empty() {
                out.push_str("  - (no case)\n");
            }
            for case in &spec.cases {
                out.push_str(&case_line(case));
            }
        }
        out.push('\n');
    }
    if !trace.without_stories.is_empty() {
        out.push_str("## Specs without a story\n\n");
        for spec in &trace.without_stories {
            out.push_str(&spec_line(spec));
        }
    }
    out
}

fn html(trace: &Trace) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>itspec traceability</title>\n<style>\n\
         body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:24px}table{border-collapse:collapse;width:100%}\
         th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}\
         .failed{color:#cf222e;font-weight:700}.lonely{background:#fff8c5}.passed{color:#1a7f37}\n</style>\n</head>\n<body>\n<h1>Traceability</h1>\n\
         <table>\n<thead><tr><th>story</th><th>spec</th><th>contract</th><th>case</th><th>last result</th></tr></thead>\n<tbody>\n",
    );
    for story in &trace.stories {
        if story.without_cases {
            let _ = writeln!(
                out,
                "<tr class=\"lonely\"><td>{}</td><td colspan=\"4\">no case</td></tr>",
                escape(&story.story)
            );
        }
        for spec in &story.specs {
            for case in &spec.cases {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{} <small>{}</small></td><td><code>{}</code></td><td>{} {}</td><td class=\"{}\">{}</td></tr>",
                    escape(&story.story),
                    escape(&spec.component),
                    escape(&spec.path),
                    escape(spec.contract.as_deref().unwrap_or("")),
                    escape(&case.id),
                    escape(&case.name),
                    match case.last {
                        Last::Failed => "failed",
                        Last::Passed => "passed",
                        _ => "",
                    },
                    case.last.as_str()
                );
            }
        }
    }
    out.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    out
}
