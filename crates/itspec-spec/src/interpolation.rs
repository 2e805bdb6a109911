//! Finding `{{variable}}` references in text (FORMAT §4.1).

/// A `{{…}}` found in a text, as byte offsets into that text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// Offset of the opening `{{`.
    pub start: usize,
    /// Offset one past the closing `}}` (or past `{{` when unterminated).
    pub end: usize,
    /// Whether a `}}` closed it on the same line.
    pub terminated: bool,
}

impl Found {
    /// The trimmed expression between the braces.
    pub fn name<'t>(&self, text: &'t str) -> &'t str {
        if !self.terminated {
            return "";
        }
        text.get(self.start + 2..self.end - 2).unwrap_or("").trim()
    }
}

/// Every `{{…}}` in `text`, in order. A `{{` that meets a line break or
/// another `{{` before `}}` is unterminated.
pub fn find(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(offset) = text.get(i..).and_then(|rest| rest.find('{')) {
        let start = i + offset;
        if bytes.get(start + 1) != Some(&b'{') {
            i = start + 1;
            continue;
        }
        let mut j = start + 2;
        let mut end = None;
        while let Some(&b) = bytes.get(j) {
            match b {
                b'}' if bytes.get(j + 1) == Some(&b'}') => {
                    end = Some(j + 2);
                    break;
                }
                b'\n' => break,
                b'{' if bytes.get(j + 1) == Some(&b'{') => break,
                _ => j += 1,
            }
        }
        match end {
            Some(end) => {
                found.push(Found {
                    start,
                    end,
                    terminated: true,
                });
                i = end;
            }
            None => {
                found.push(Found {
                    start,
                    end: start + 2,
                    terminated: false,
                });
                i = start + 2;
            }
        }
    }
    found
}

/// Whether a name is a well-formed variable expression:
/// `name`, `name.path`, `name[0].path`, `env.NAME`.
pub fn is_well_formed(name: &str) -> bool {
    let mut chars = name.chars().peekable();
    if !chars
        .peek()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        return false;
    }
    let mut previous = ' ';
    for c in chars {
        let ok = c.is_ascii_alphanumeric()
            || matches!(c, '_' | '-')
            || (c == '.' && previous != '.')
            || c == '['
            || c == ']';
        if !ok {
            return false;
        }
        previous = c;
    }
    previous != '.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_terminated_and_unterminated() {
        let text = r#"{"a": {{x.y}}, "b": "{{ z }}", "c": "{{oops", "d": {{w}}}"#;
        let found = find(text);
        let names: Vec<_> = found.iter().map(|f| (f.name(text), f.terminated)).collect();
        assert_eq!(
            names,
            [("x.y", true), ("z", true), ("", false), ("w", true)]
        );
        assert_eq!(&text[found[0].start..found[0].end], "{{x.y}}");
    }

    #[test]
    fn a_line_break_ends_an_unterminated_variable() {
        let found = find("{{a\n}}");
        assert_eq!(found.len(), 1);
        assert!(!found[0].terminated);
    }

    #[test]
    fn well_formed_names() {
        assert!(is_well_formed("a"));
        assert!(is_well_formed("a.b[0].c"));
        assert!(is_well_formed("env.HOME"));
        assert!(!is_well_formed("a b"));
        assert!(!is_well_formed("a."));
        assert!(!is_well_formed("1a"));
        assert!(!is_well_formed(""));
    }
}
