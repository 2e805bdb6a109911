//! Diagnostics as JSON, for tools (`itspec check --format json`).
//!
//! The shape is versioned: `version` changes when a field changes meaning
//! or disappears; new fields may be added without a new version.

use serde::Serialize;

use super::{Counts, FileReport, end_position};

/// The version of the JSON shape.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    summary: Counts,
    diagnostics: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    file: &'a str,
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    start: usize,
    end: usize,
    label: Option<&'a str>,
    help: Option<&'a str>,
    notes: Vec<NoteEntry<'a>>,
}

#[derive(Serialize)]
struct NoteEntry<'a> {
    line: u32,
    column: u32,
    message: &'a str,
}

/// Every file's diagnostics as one JSON document.
pub fn render_json(files: &[FileReport<'_>]) -> String {
    let diagnostics = files
        .iter()
        .flat_map(|file| {
            let source = itspec_spec::Source::new(file.text);
            file.diagnostics.iter().map(move |d| {
                let (end_line, end_column) = end_position(&source, d);
                Entry {
                    file: file.path,
                    code: d.code.id(),
                    name: d.code.name(),
                    severity: d.severity.as_str(),
                    message: &d.message,
                    line: d.span.line,
                    column: d.span.col,
                    end_line,
                    end_column,
                    start: d.span.start,
                    end: d.span.end,
                    label: d.label.as_deref(),
                    help: d.help.as_deref(),
                    notes: d
                        .notes
                        .iter()
                        .map(|n| NoteEntry {
                            line: n.span.line,
                            column: n.span.col,
                            message: &n.message,
                        })
                        .collect(),
                }
            })
        })
        .collect();
    let document = Document {
        version: VERSION,
        summary: Counts::of(files),
        diagnostics,
    };
    serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
}
