//! The reports of a run, beside the console: the JSON result tree, JUnit
//! XML, a self-contained HTML page, and GitHub annotations.

pub mod github;
pub mod html;
pub mod junit;
pub mod marker;
pub mod text;

use itspec_results::display::omitted_note;

/// A body as a report shows it: `shown` (the body, maybe indented or cut
/// to its first lines), then, when the result kept only the start of the
/// body, a line saying how many bytes were left out.
pub fn with_omitted(mut shown: String, omitted: Option<u64>) -> String {
    if let Some(bytes) = omitted {
        if !shown.is_empty() && !shown.ends_with('\n') {
            shown.push('\n');
        }
        shown.push_str(&omitted_note(bytes));
    }
    shown
}
