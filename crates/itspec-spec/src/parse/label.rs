//! The ways people type a case's field label (docs/format.md, "Field labels").
//!
//! The template writes `**Label:**`. People also write the label without a
//! colon, with the colon outside the stars, in italics, plain on a line of
//! its own, or as a heading. Each of these is read as the field; a plain
//! `Label: text`, a `###` heading and a misspelt label are read or
//! reported by the case — none of them is silently dropped.

use super::fields::FieldKind;
use crate::markdown::TextRange;
use crate::source::Source;

/// How a label is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `**Label:**`, `**Label**:`, `**Label** :`, `__Label:__`: the template's form.
    Bold,
    /// `**Label**`, `*Label:*`, `*Label*:`, `_Label:_`, `Label:` alone on
    /// its line, or a `####` heading: read as the field.
    Tolerated,
    /// `Label: text`, plain: read, and reported, since prose looks like it.
    PlainWithText,
    /// `### Label`: a heading of the level that starts a case; read, and
    /// reported.
    CaseLevelHeading,
}

/// A label found on a line: its text, what follows it, and its form.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LabelLine {
    pub label: TextRange,
    pub rest: Option<TextRange>,
    pub form: Form,
}

/// The field name a misspelt label (of four characters or more) is close
/// to ([`crate::suggest`]).
pub(crate) fn near_field(label: &str) -> Option<&'static str> {
    let label = label.trim();
    if label.len() < 4 || FieldKind::from_label(&label.to_ascii_lowercase()).is_some() {
        return None;
    }
    crate::suggest::nearest(label, FieldKind::ALL.iter().map(|(_, name)| *name))
}

/// Whether a label's text names a field or is a misspelling of one.
fn field_like(label: &str) -> bool {
    FieldKind::from_label(label).is_some() || near_field(label).is_some()
}

/// Reads a line of a paragraph in a case as a field label, in any of the
/// forms people type.
pub(crate) fn field_label(source: &Source<'_>, line: TextRange) -> Option<LabelLine> {
    let text = line.text(source);
    for marker in ["**", "__", "*", "_"] {
        let Some(inner) = text.strip_prefix(marker) else {
            continue;
        };
        let bold = marker.len() == 2;
        let close = inner.find(marker)?;
        let raw = inner.get(..close)?;
        if raw.trim().is_empty() || raw.contains('\n') || raw.starts_with(' ') {
            return None;
        }
        let colon_in = raw.trim_end().ends_with(':');
        let label_text = raw.trim_end().trim_end_matches(':').trim_end();
        let after_start = marker.len() + close + marker.len();
        let after = text.get(after_start..)?;
        let trimmed = after.trim_start();
        let colon_out = trimmed.starts_with(':');
        let rest_offset = after_start + (after.len() - trimmed.len()) + usize::from(colon_out);
        let rest = text.get(rest_offset..).unwrap_or("");
        let colon = colon_in || colon_out;
        let read = if bold && colon {
            true
        } else {
            field_like(label_text)
                && (colon || FieldKind::from_label(label_text).is_some() || rest.trim().is_empty())
        };
        if !read {
            return None;
        }
        let form = if bold && colon {
            Form::Bold
        } else {
            Form::Tolerated
        };
        let label_start = line.start + marker.len();
        return Some(LabelLine {
            label: TextRange {
                start: label_start,
                end: label_start + label_text.len(),
            },
            rest: rest_range(line.start + rest_offset, rest),
            form,
        });
    }
    let (label_text, rest) = text.split_once(':')?;
    let label_text = label_text.trim_end();
    if label_text.is_empty() || !label_text.chars().all(|c| c.is_alphanumeric() || c == ' ') {
        return None;
    }
    let known = FieldKind::from_label(label_text).is_some();
    let alone = rest.trim().is_empty();
    if !(known || (alone && near_field(label_text).is_some())) {
        return None;
    }
    Some(LabelLine {
        label: TextRange {
            start: line.start,
            end: line.start + label_text.len(),
        },
        rest: rest_range(line.start + text.len() - rest.len(), rest),
        form: if alone {
            Form::Tolerated
        } else {
            Form::PlainWithText
        },
    })
}

/// Reads a heading in a case as a field label: its text names a field (a
/// trailing colon and emphasis are allowed).
pub(crate) fn heading_label(source: &Source<'_>, text: TextRange, level: u8) -> Option<LabelLine> {
    let raw = text.text(source);
    let inner = raw.trim_matches(|c| c == '*' || c == '_');
    let offset = raw.len() - raw.trim_start_matches(['*', '_']).len();
    let label_text = inner.trim_end().trim_end_matches(':').trim_end();
    if !field_like(label_text) {
        return None;
    }
    Some(LabelLine {
        label: TextRange {
            start: text.start + offset,
            end: text.start + offset + label_text.len(),
        },
        rest: None,
        form: if level <= 3 {
            Form::CaseLevelHeading
        } else {
            Form::Tolerated
        },
    })
}

fn rest_range(start: usize, rest: &str) -> Option<TextRange> {
    let leading = rest.len() - rest.trim_start().len();
    let trimmed = rest.trim();
    (!trimmed.is_empty()).then(|| TextRange {
        start: start + leading,
        end: start + leading + trimmed.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<(String, Option<String>, Form)> {
        let source = Source::new(text);
        let line = TextRange {
            start: 0,
            end: text.len(),
        };
        field_label(&source, line).map(|found| {
            (
                found.label.text(&source).to_string(),
                found.rest.map(|r| r.text(&source).to_string()),
                found.form,
            )
        })
    }

    fn label(text: &str) -> Option<(String, Form)> {
        read(text).map(|(label, _, form)| (label, form))
    }

    #[test]
    fn every_form_people_type() {
        let tolerated = Some(("Expected Output".to_string(), Form::Tolerated));
        let bold = Some(("Expected Output".to_string(), Form::Bold));
        assert_eq!(label("**Expected Output:**"), bold);
        assert_eq!(label("**Expected Output**:"), bold);
        assert_eq!(label("**Expected Output** :"), bold);
        assert_eq!(label("__Expected Output:__"), bold);
        assert_eq!(label("**Expected Output**"), tolerated);
        assert_eq!(label("*Expected Output:*"), tolerated);
        assert_eq!(label("*Expected Output*:"), tolerated);
        assert_eq!(label("_Expected Output:_"), tolerated);
        assert_eq!(label("Expected Output:"), tolerated);
        assert_eq!(
            label("Expected Output: 201"),
            Some(("Expected Output".to_string(), Form::PlainWithText))
        );
        assert_eq!(
            label("**Expected Ouput:**"),
            Some(("Expected Ouput".to_string(), Form::Bold))
        );
        assert_eq!(
            label("Expected Ouput:"),
            Some(("Expected Ouput".to_string(), Form::Tolerated))
        );
    }

    #[test]
    fn rest_of_the_line() {
        assert_eq!(
            read("**Request** : POST /x"),
            Some(("Request".into(), Some("POST /x".into()), Form::Bold))
        );
        assert_eq!(
            read("*Tags:* slow, db"),
            Some(("Tags".into(), Some("slow, db".into()), Form::Tolerated))
        );
    }

    #[test]
    fn prose_is_not_a_label() {
        assert_eq!(label("**Note** this matters"), None);
        assert_eq!(label("*important* detail"), None);
        assert_eq!(label("Note: the row is kept"), None);
        assert_eq!(label("Given: a user"), None);
        assert_eq!(label("see https://x.test: here"), None);
    }
}
