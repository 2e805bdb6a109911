//! `itspec list`: specs and their cases.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{ListArgs, ListFormat};
use crate::exit_codes;
use crate::load::SpecFile;
use crate::output::print;

#[derive(Serialize)]
struct SpecEntry<'a> {
    file: String,
    component: Option<&'a str>,
    priority: Option<&'static str>,
    status: Option<&'static str>,
    stories: Vec<&'a str>,
    contract: Option<String>,
    cases: Vec<CaseEntry<'a>>,
}

#[derive(Serialize)]
struct CaseEntry<'a> {
    id: &'a str,
    name: &'a str,
    line: u32,
    priority: Option<&'static str>,
    status: Option<&'static str>,
    tags: Vec<&'a str>,
    kind: &'static str,
    skip: Option<&'a str>,
}

fn entry(file: &SpecFile) -> SpecEntry<'_> {
    let spec = file.spec();
    let priority = spec.priority.as_ref().map(|p| p.value.as_str());
    let status = spec.status.as_ref().map(|s| s.value.as_str());
    SpecEntry {
        file: file.display_path(),
        component: spec.component(),
        priority,
        status,
        stories: spec
            .related
            .stories
            .iter()
            .map(|s| s.value.as_str())
            .collect(),
        contract: spec.related.contract.as_ref().map(|c| c.value.to_string()),
        cases: spec
            .cases
            .iter()
            .map(|case| CaseEntry {
                id: &case.id.value,
                name: &case.name.value,
                line: case.heading_span.line,
                priority,
                status,
                tags: case.tags.iter().map(|t| t.value.as_str()).collect(),
                kind: case.kind().as_str(),
                skip: case.skip.as_ref().map(|s| s.value.as_str()),
            })
            .collect(),
    }
}

/// Runs the command.
pub fn run(context: &Context, args: &ListArgs) -> Result<u8> {
    let files = super::specs(
        context,
        &args.paths,
        &itspec_spec::LintOptions::default(),
        false,
    )?;
    let entries: Vec<SpecEntry<'_>> = files.iter().map(entry).collect();
    let output = match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&entries)? + "\n",
        ListFormat::Human => human(&entries),
    };
    print(&output)?;
    Ok(exit_codes::SUCCESS)
}

fn human(entries: &[SpecEntry<'_>]) -> String {
    let mut out = String::new();
    let mut cases = 0;
    for spec in entries {
        out.push_str(&format!(
            "{}  {}  [{}, {}]\n",
            spec.file,
            spec.component.unwrap_or("(no title)"),
            spec.priority.unwrap_or("no priority"),
            spec.status.unwrap_or("no status"),
        ));
        let id_width = spec.cases.iter().map(|c| c.id.len()).max().unwrap_or(0);
        for case in &spec.cases {
            cases += 1;
            let mut line = format!("  {:id_width$}  {:10}  {}", case.id, case.kind, case.name);
            if !case.tags.is_empty() {
                line.push_str(&format!("  [{}]", case.tags.join(", ")));
            }
            if let Some(reason) = case.skip {
                line.push_str(&format!("  (skipped: {reason})"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let specs = entries.len();
    out.push_str(&format!(
        "{cases} case{} in {specs} spec{}\n",
        if cases == 1 { "" } else { "s" },
        if specs == 1 { "" } else { "s" }
    ));
    out
}
