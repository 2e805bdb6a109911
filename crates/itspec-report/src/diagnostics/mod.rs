//! Rendering [`Diagnostic`]s of spec files.

mod github;
mod human;
mod json;

use itspec_spec::{Diagnostic, Severity};

pub use github::{render_github, workflow_data, workflow_property};
pub use human::render_human;
pub use json::render_json;

/// A spec file's path (as shown to the user), text and diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct FileReport<'a> {
    /// The path as the user named it.
    pub path: &'a str,
    /// The text the spans point into.
    pub text: &'a str,
    /// Its diagnostics, in order.
    pub diagnostics: &'a [Diagnostic],
}

/// How many errors and warnings there are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Files checked.
    pub files: usize,
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
}

impl Counts {
    /// Counts the diagnostics of every file.
    pub fn of(files: &[FileReport<'_>]) -> Self {
        let mut counts = Counts {
            files: files.len(),
            ..Counts::default()
        };
        for diagnostic in files.iter().flat_map(|f| f.diagnostics) {
            match diagnostic.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
            }
        }
        counts
    }
}

/// `(line, column)` of the end of a span, 1-based.
fn end_position(source: &itspec_spec::Source<'_>, diagnostic: &Diagnostic) -> (u32, u32) {
    source.position(diagnostic.span.end)
}
