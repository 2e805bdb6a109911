//! A failed check's evidence, laid out once for every report that prints
//! it as lines: each mismatch (or else the expected and the actual value),
//! the notes, then the diff under its title. The console paints the lines
//! and shows the diff near its changes ([`DiffView::Near`]); the plain
//! text of JUnit and GitHub annotations shows it whole
//! ([`DiffView::Whole`]). The HTML report lays the same parts out as
//! tables and takes only [`diff_title`] from here.

use itspec_results::{DiffLine, Evidence};

/// The diff's title when the check gives none.
const DIFF_TITLE: &str = "diff (- expected, + actual):";

/// The lines before the diff: `path: expected E, got A` for each
/// mismatch, or `expected: E` and `actual:   A` when there is none, then
/// the notes.
pub fn notes(evidence: &Evidence) -> Vec<String> {
    let mut notes = Vec::new();
    for mismatch in &evidence.mismatches {
        notes.push(format!(
            "{}: expected {}, got {}",
            mismatch.path, mismatch.expected, mismatch.actual
        ));
    }
    if evidence.mismatches.is_empty() {
        if let Some(expected) = &evidence.expected {
            notes.push(format!("expected: {expected}"));
        }
        if let Some(actual) = &evidence.actual {
            notes.push(format!("actual:   {actual}"));
        }
    }
    notes.extend(evidence.notes.iter().cloned());
    notes
}

/// The title of the diff, when it changes a line (a diff of equal lines
/// is not shown).
pub fn diff_title(evidence: &Evidence) -> Option<&str> {
    evidence
        .diff
        .iter()
        .any(|line| line.tag != ' ')
        .then(|| evidence.diff_title.as_deref().unwrap_or(DIFF_TITLE))
}

/// How much of a diff to show.
#[derive(Clone, Copy, Debug)]
pub enum DiffView {
    /// Every line.
    Whole,
    /// The lines within `context` of a change, at most `lines` of them.
    Near {
        /// Unchanged lines shown on each side of a change.
        context: usize,
        /// Lines shown at most; the rest is cut.
        lines: usize,
    },
}

/// A row of a diff as shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffRow<'a> {
    /// A line of the diff.
    Line(&'a DiffLine),
    /// Unchanged lines left out before the next line.
    Gap,
    /// The lines left out at the end, past the most shown.
    Cut,
}

/// The rows of the diff shown, empty when it changes no line.
pub fn diff_rows(diff: &[DiffLine], view: DiffView) -> Vec<DiffRow<'_>> {
    if !diff.iter().any(|line| line.tag != ' ') {
        return Vec::new();
    }
    let (context, most) = match view {
        DiffView::Whole => return diff.iter().map(DiffRow::Line).collect(),
        DiffView::Near { context, lines } => (context, lines),
    };
    let near = |i: usize| {
        let from = i.saturating_sub(context);
        diff.get(from..i.saturating_add(context).saturating_add(1).min(diff.len()))
            .is_some_and(|lines| lines.iter().any(|l| l.tag != ' '))
    };
    let mut rows = Vec::new();
    let mut shown = 0;
    let mut skipped = false;
    for (i, line) in diff.iter().enumerate() {
        if !near(i) {
            skipped = true;
            continue;
        }
        if skipped {
            rows.push(DiffRow::Gap);
            skipped = false;
        }
        if shown == most {
            rows.push(DiffRow::Cut);
            break;
        }
        shown += 1;
        rows.push(DiffRow::Line(line));
    }
    rows
}

/// The evidence as plain lines, the diff whole: for JUnit failure
/// descriptions and GitHub annotations.
pub fn lines(evidence: &Evidence) -> Vec<String> {
    let mut lines = notes(evidence);
    if let Some(title) = diff_title(evidence) {
        lines.push(title.to_string());
        for row in diff_rows(&evidence.diff, DiffView::Whole) {
            if let DiffRow::Line(line) = row {
                lines.push(format!("{} {}", line.tag, line.text));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(tag: char, text: &str) -> DiffLine {
        DiffLine {
            tag,
            text: text.to_string(),
        }
    }

    fn shown(rows: &[DiffRow<'_>]) -> Vec<String> {
        rows.iter()
            .map(|row| match row {
                DiffRow::Line(line) => format!("{} {}", line.tag, line.text),
                DiffRow::Gap => "...".to_string(),
                DiffRow::Cut => "cut".to_string(),
            })
            .collect()
    }

    #[test]
    fn mismatches_stand_for_expected_and_actual() {
        let mut evidence = Evidence {
            expected: Some("1".into()),
            actual: Some("2".into()),
            notes: vec!["a note".into()],
            ..Evidence::default()
        };
        assert_eq!(
            notes(&evidence),
            ["expected: 1", "actual:   2", "a note"].map(String::from)
        );
        evidence.mismatches.push(itspec_results::Mismatch {
            path: "$.a".into(),
            expected: "1".into(),
            actual: "2".into(),
        });
        assert_eq!(
            notes(&evidence),
            ["$.a: expected 1, got 2", "a note"].map(String::from)
        );
    }

    #[test]
    fn a_diff_without_a_change_is_not_shown() {
        let evidence = Evidence {
            diff: vec![line(' ', "same")],
            ..Evidence::default()
        };
        assert_eq!(diff_title(&evidence), None);
        assert!(diff_rows(&evidence.diff, DiffView::Whole).is_empty());
        assert!(lines(&evidence).is_empty());
    }

    #[test]
    fn near_shows_the_lines_around_changes() {
        let mut diff: Vec<DiffLine> = (0..10).map(|i| line(' ', &i.to_string())).collect();
        diff.push(line('-', "a"));
        diff.push(line('+', "b"));
        diff.push(line(' ', "end"));
        let rows = diff_rows(
            &diff,
            DiffView::Near {
                context: 2,
                lines: 4,
            },
        );
        assert_eq!(shown(&rows), ["...", "  8", "  9", "- a", "+ b", "cut"]);
        assert_eq!(diff_rows(&diff, DiffView::Whole).len(), diff.len());
    }
}
