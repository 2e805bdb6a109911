//! `itspec list`: specs and their cases.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{ListArgs, ListFormat};
use crate::exit_codes;
use crate::load::SpecText;
use crate::output::print;

#[derive(Serialize)]
struct SpecEntry {
    file: String,
    component: Option<String>,
    priority: Option<&'static str>,
    status: Option<&'static str>,
    stories: Vec<String>,
    contract: Option<String>,
    cases: Vec<CaseEntry>,
}

#[derive(Serialize)]
struct CaseEntry {
    id: String,
    name: String,
    line: u32,
    priority: Option<&'static str>,
    status: Option<&'static str>,
    tags: Vec<String>,
    kind: &'static str,
    skip: Option<String>,
}

fn entry(file: SpecText) -> SpecEntry {
    let parsed = itspec_spec::parse(&file.text);
    let spec = &parsed.spec;
    let priority = spec.priority.as_ref().map(|p| p.value.as_str());
    let status = spec.status.as_ref().map(|s| s.value.as_str());
    SpecEntry {
        file: file.display_path(),
        component: spec.component().map(str::to_string),
        priority,
        status,
        stories: spec.story_ids(),
        contract: spec.related.contract.as_ref().map(|c| c.value.to_string()),
        cases: spec
            .cases
            .iter()
            .map(|case| CaseEntry {
                id: case.id.value.clone(),
                name: case.name.value.clone(),
                line: case.heading_span.line,
                priority,
                status,
                tags: case.tags.iter().map(|t| t.value.clone()).collect(),
                kind: case.kind().as_str(),
                skip: case.skip.as_ref().map(|s| s.value.clone()),
            })
            .collect(),
    }
}

/// Runs the command.
pub fn run(context: &Context, args: &ListArgs) -> Result<u8> {
    let mut entries = super::map_spec_files(context, &args.paths, entry)?;
    if let Some(shard) = super::shard(args.shard, args.shard_total) {
        // The cases `run --shard` would run: the same plan, the same partition.
        let inputs = super::map_spec_files(context, &args.paths, |file| {
            let spec = itspec_spec::parse(&file.text).spec;
            itspec_runner::SpecInput {
                path: file.display_path(),
                text: std::sync::Arc::from(file.text),
                spec,
            }
        })?;
        let plan = itspec_runner::plan(inputs, &itspec_runner::Selection::default())?.shard(shard);
        entries.retain_mut(|entry| {
            let Some(planned) = plan.specs.iter().find(|p| p.path == entry.file) else {
                return false;
            };
            let spec = planned.spec();
            let ids: Vec<&str> = planned
                .cases
                .iter()
                .filter_map(|&i| spec.cases.get(i))
                .map(|c| c.id.value.as_str())
                .collect();
            entry.cases.retain(|c| ids.contains(&c.id.as_str()));
            true
        });
    }
    let output = match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&entries)? + "\n",
        ListFormat::Human => human(&entries),
    };
    print(&output)?;
    Ok(exit_codes::SUCCESS)
}

fn human(entries: &[SpecEntry]) -> String {
    let mut out = String::new();
    let mut cases = 0;
    for spec in entries {
        out.push_str(&format!(
            "{}  {}  [{}, {}]\n",
            spec.file,
            spec.component.as_deref().unwrap_or("(no title)"),
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
            if let Some(reason) = &case.skip {
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
