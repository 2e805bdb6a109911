//! `itspec trace --contract`: for each OpenAPI contract — the configured
//! one and those specs name — its operations × documented statuses, the
//! cases that expect each, and the operations no case touches.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::{Result, bail};
use itspec_contract::{CaseRef, Contract, Contracts, Coverage, OperationCoverage};
use itspec_report::results::html::escape;
use itspec_results::SpecResult;
use itspec_spec::Spec;
use serde_json::{Value, json};

use super::{Last, result_of};
use crate::cli::TraceFormat;
use crate::output::eprint;

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

/// The coverage of every contract, as Markdown, JSON or HTML.
pub(super) fn render(
    contracts: &Contracts,
    specs: &[(String, Spec)],
    results: &[SpecResult],
    format: TraceFormat,
) -> Result<String> {
    let coverages = cover(contracts, specs);
    if coverages.is_empty() {
        bail!(
            "no OpenAPI contract to trace: set [contract] openapi in itspec.toml, or name one in a spec's Related (`openapi.yaml#operationId`)"
        );
    }
    let last = LastResults { specs, results };
    Ok(match format {
        TraceFormat::Md => markdown(&coverages, &last),
        TraceFormat::Json => serde_json::to_string_pretty(&to_json(&coverages, &last))? + "\n",
        TraceFormat::Html => html(&coverages, &last),
    })
}

/// The configured contract first, then each one a spec names, each with
/// the cases of the specs that answer to it.
fn cover(contracts: &Contracts, specs: &[(String, Spec)]) -> Vec<Coverage> {
    let mut covered: Vec<(Arc<Contract>, Coverage)> = contracts
        .configured()
        .map(|contract| {
            let coverage = Coverage::new(&contract);
            (contract, coverage)
        })
        .into_iter()
        .collect();
    for (path, spec) in specs {
        match contracts.of(spec) {
            Ok((Some(contract), related)) => {
                let at = match covered.iter().position(|(c, _)| Arc::ptr_eq(c, &contract)) {
                    Some(at) => at,
                    None => {
                        let coverage = Coverage::new(&contract);
                        covered.push((Arc::clone(&contract), coverage));
                        covered.len() - 1
                    }
                };
                if let Some((_, coverage)) = covered.get_mut(at) {
                    coverage.add(path, spec, related.as_ref(), &contract);
                }
            }
            Ok((None, _)) => {}
            Err(error) => eprint(&format!("warning: {path}: the API contract: {error}")),
        }
    }
    covered.into_iter().map(|(_, coverage)| coverage).collect()
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
