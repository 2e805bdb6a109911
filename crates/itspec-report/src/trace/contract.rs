//! `itspec trace --contract`, rendered: for each OpenAPI contract, its
//! operations × documented statuses, the cases that expect each, and the
//! operations no case touches.

use std::fmt::Write as _;

use crate::results::html::escape;
use itspec_contract::{CaseRef, Coverage, OperationCoverage};
use itspec_results::SpecResult;
use itspec_spec::Spec;
use serde_json::{Value, json};

use super::{Format, Last, result_of};

/// Each case's last result, when a report was given.
struct LastResults<'a> {
    specs: &'a [(String, Spec)],
    results: &'a [SpecResult],
}

impl LastResults<'_> {
    fn of(&self, case: &CaseRef) -> Option<Last> {
        if self.results.is_empty() {
            return None;
        }
        let spec = self.specs.iter().find(|(path, _)| *path == case.spec);
        let result = spec.and_then(|(path, spec)| result_of(self.results, path, spec));
        Some(Last::of(result, &case.case))
    }
}

/// The coverage of contracts, as Markdown, JSON or HTML, with each case's
/// last result when `results` (a JSON report's specs) are given.
pub fn render(
    coverages: &[Coverage],
    specs: &[(String, Spec)],
    results: &[SpecResult],
    format: Format,
) -> Result<String, serde_json::Error> {
    let last = LastResults { specs, results };
    Ok(match format {
        Format::Markdown => markdown(coverages, &last),
        Format::Json => serde_json::to_string_pretty(&to_json(coverages, &last))? + "\n",
        Format::Html => html(coverages, &last),
    })
}

fn operation_title(operation: &OperationCoverage) -> String {
    let op = &operation.operation;
    match &op.id {
        Some(id) => format!("{id} `{} {}`", op.method, op.path),
        None => format!("`{} {}`", op.method, op.path),
    }
}

fn cases_text(cases: &[CaseRef], last: &LastResults<'_>) -> String {
    cases
        .iter()
        .map(|case| match last.of(case) {
            Some(Last::Failed) => format!("{} {} (**FAILED**)", case.spec, case.case),
            Some(result) => format!("{} {} ({})", case.spec, case.case, result.as_str()),
            None => format!("{} {}", case.spec, case.case),
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn summary(coverage: &Coverage) -> String {
    let (responses, covered) = coverage.responses();
    let untouched = coverage.untouched().count();
    format!(
        "{covered} of {responses} documented responses have a case; {untouched} of {} operations no case touches.",
        coverage.operations.len()
    )
}

fn markdown(coverages: &[Coverage], last: &LastResults<'_>) -> String {
    let mut out = String::from("# Contract coverage\n");
    for coverage in coverages {
        let _ = writeln!(out, "\n## {}\n\n{}\n", coverage.contract, summary(coverage));
        out.push_str("| operation | status | cases |\n|---|---|---|\n");
        for operation in &coverage.operations {
            let mut title = operation_title(operation);
            let mut row = |status: &str, cases: String| {
                let _ = writeln!(
                    out,
                    "| {} | {status} | {cases} |",
                    std::mem::take(&mut title)
                );
            };
            for status in &operation.statuses {
                let cases = if status.cases.is_empty() {
                    "**none**".to_string()
                } else {
                    cases_text(&status.cases, last)
                };
                row(&status.status, cases);
            }
            if !operation.unstated.is_empty() {
                row("(not stated)", cases_text(&operation.unstated, last));
            }
            for status in &operation.undocumented {
                row(
                    &format!("{} — **not documented**", status.status),
                    cases_text(&status.cases, last),
                );
            }
        }
        let untouched: Vec<&OperationCoverage> = coverage.untouched().collect();
        if !untouched.is_empty() {
            out.push_str("\n### Operations no case touches\n\n");
            for operation in untouched {
                let _ = writeln!(out, "- {}", operation_title(operation));
            }
        }
    }
    out
}

fn cases_json(cases: &[CaseRef], last: &LastResults<'_>) -> Value {
    cases
        .iter()
        .map(|case| {
            let mut value = json!({ "spec": case.spec, "case": case.case });
            if let (Some(result), Some(members)) = (last.of(case), value.as_object_mut()) {
                members.insert("last".to_string(), json!(result));
            }
            value
        })
        .collect()
}

fn to_json(coverages: &[Coverage], last: &LastResults<'_>) -> Value {
    let contracts: Vec<Value> = coverages
        .iter()
        .map(|coverage| {
            let (responses, covered) = coverage.responses();
            let operations: Vec<Value> = coverage
                .operations
                .iter()
                .map(|operation| {
                    let op = &operation.operation;
                    let statuses = |list: &[itspec_contract::StatusCoverage]| -> Vec<Value> {
                        list.iter()
                            .map(|s| json!({ "status": s.status, "cases": cases_json(&s.cases, last) }))
                            .collect()
                    };
                    json!({
                        "operation": op.name(),
                        "operation_id": op.id,
                        "method": op.method,
                        "path": op.path,
                        "touched": operation.touched(),
                        "statuses": statuses(&operation.statuses),
                        "unstated": cases_json(&operation.unstated, last),
                        "undocumented": statuses(&operation.undocumented),
                    })
                })
                .collect();
            json!({
                "contract": coverage.contract,
                "responses": responses,
                "covered_responses": covered,
                "operations": operations,
                "untouched": coverage.untouched().map(|o| o.operation.name()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "contracts": contracts })
}

fn html(coverages: &[Coverage], last: &LastResults<'_>) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>itspec contract coverage</title>\n<style>\n\
         body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:24px}table{border-collapse:collapse;width:100%}\
         th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}\
         .none{background:#fff8c5}.untouched{color:#cf222e;font-weight:700}.undocumented{color:#cf222e}\n</style>\n</head>\n<body>\n<h1>Contract coverage</h1>\n",
    );
    for coverage in coverages {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<p>{}</p>\n<table>\n<thead><tr><th>operation</th><th>status</th><th>cases</th></tr></thead>\n<tbody>",
            escape(&coverage.contract),
            escape(&summary(coverage))
        );
        for operation in &coverage.operations {
            let op = &operation.operation;
            let class = if operation.touched() {
                ""
            } else {
                " class=\"untouched\""
            };
            let title = format!(
                "<td{class}>{} <code>{} {}</code></td>",
                escape(op.id.as_deref().unwrap_or("")),
                escape(&op.method),
                escape(&op.path)
            );
            let mut first = true;
            let mut row = |status: String, cases: &[CaseRef], row_class: &str| {
                let shown: Vec<String> = cases
                    .iter()
                    .map(|case| {
                        let result = last
                            .of(case)
                            .map(|r| format!(" <small>{}</small>", r.as_str()))
                            .unwrap_or_default();
                        format!("{} {}{result}", escape(&case.spec), escape(&case.case))
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "<tr{row_class}>{}<td>{status}</td><td>{}</td></tr>",
                    if std::mem::take(&mut first) {
                        title.as_str()
                    } else {
                        "<td></td>"
                    },
                    if shown.is_empty() {
                        "none".to_string()
                    } else {
                        shown.join("<br>")
                    }
                );
            };
            for status in &operation.statuses {
                let row_class = if status.cases.is_empty() {
                    " class=\"none\""
                } else {
                    ""
                };
                row(escape(&status.status), &status.cases, row_class);
            }
            if !operation.unstated.is_empty() {
                row("(not stated)".to_string(), &operation.unstated, "");
            }
            for status in &operation.undocumented {
                row(
                    format!("{} not documented", escape(&status.status)),
                    &status.cases,
                    " class=\"undocumented\"",
                );
            }
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}
