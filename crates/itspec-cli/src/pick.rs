//! Cases named on the command line: `specs/orders.md:42` — the `file:line`
//! a failure prints — and `specs/orders.md::TC-INT-002` — pytest's node
//! id. A path that exists as written is a file or folder, whatever it
//! holds; only a path that does not exist is read as one of these forms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use itspec_spec::Spec;

/// One case of a file, by line or by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The case whose section holds this line.
    Line(u32),
    /// The case with this id.
    Id(String),
}

/// A path argument: a file or folder, or one case of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecArg {
    /// The file or folder.
    pub path: PathBuf,
    /// The case, when one is named.
    pub pick: Option<Pick>,
}

impl SpecArg {
    /// Reads an argument (clap's value parser; it never fails: a path
    /// that does not exist is reported when the specs are read).
    pub fn parse(text: &str) -> Result<SpecArg, String> {
        let whole = SpecArg {
            path: PathBuf::from(text),
            pick: None,
        };
        if Path::new(text).exists() {
            return Ok(whole);
        }
        if let Some((path, id)) = text.split_once("::")
            && !path.is_empty()
        {
            return Ok(SpecArg {
                path: PathBuf::from(path),
                pick: Some(Pick::Id(id.trim().to_string())),
            });
        }
        if let Some((path, line)) = text.rsplit_once(':')
            && !path.is_empty()
            && !line.is_empty()
            && line.bytes().all(|b| b.is_ascii_digit())
        {
            // A line number that does not fit is no line of any file.
            let line = line.parse().unwrap_or(u32::MAX);
            return Ok(SpecArg {
                path: PathBuf::from(path),
                pick: Some(Pick::Line(line)),
            });
        }
        Ok(whole)
    }
}

/// The cases named per file; a file or folder named whole runs whole.
#[derive(Debug, Default)]
pub struct Picks {
    /// By the file's canonical path.
    by_file: BTreeMap<PathBuf, Vec<Pick>>,
    /// Canonical paths named whole: every case under them runs.
    whole: Vec<PathBuf>,
}

impl Picks {
    /// The picks of the arguments.
    pub fn new(args: &[SpecArg]) -> Picks {
        let mut picks = Picks::default();
        for arg in args {
            let path = canonical(&arg.path);
            match &arg.pick {
                Some(pick) => picks.by_file.entry(path).or_default().push(pick.clone()),
                None => picks.whole.push(path),
            }
        }
        picks
    }

    /// The indexes of the cases of `spec` (read from `file`) that were
    /// named, `None` when the file runs whole; an error names a line
    /// that is no case's, or an id the file does not have.
    pub fn resolve(
        &self,
        file: &Path,
        text: &str,
        spec: &Spec,
    ) -> Result<Option<Vec<usize>>, String> {
        let path = canonical(file);
        if self.whole.iter().any(|whole| path.starts_with(whole)) {
            return Ok(None);
        }
        let Some(picks) = self.by_file.get(&path) else {
            return Ok(None);
        };
        let shown = crate::load::display(file);
        let mut chosen = Vec::new();
        for pick in picks {
            let index = match pick {
                Pick::Line(line) => case_at_line(spec, text, *line)
                    .ok_or_else(|| no_case_at(&shown, *line, text, spec))?,
                Pick::Id(id) => {
                    case_with_id(spec, id).ok_or_else(|| no_case_named(&shown, id, spec))?
                }
            };
            if !chosen.contains(&index) {
                chosen.push(index);
            }
        }
        chosen.sort_unstable();
        Ok(Some(chosen))
    }
}

/// The canonical form of a path, to tell two spellings of one file apart
/// from two files; the path itself when it cannot be resolved.
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The case whose section — its heading to the next case's, or to the end
/// of the last case — holds `line`.
fn case_at_line(spec: &Spec, text: &str, line: u32) -> Option<usize> {
    let index = spec
        .cases
        .iter()
        .rposition(|case| case.heading_span.line <= line)?;
    let case = spec.cases.get(index)?;
    let last_line = match spec.cases.get(index + 1) {
        Some(next) => next.heading_span.line.saturating_sub(1),
        None => line_of(text, case.span.end),
    };
    (line <= last_line).then_some(index)
}

/// The 1-based line that holds byte `offset` (the line before, when the
/// offset is just past a line's end).
fn line_of(text: &str, offset: usize) -> u32 {
    let before = text.get(..offset).unwrap_or(text).trim_end_matches('\n');
    u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX)
}

/// The case with id `id`, exactly, else without regard to case.
fn case_with_id(spec: &Spec, id: &str) -> Option<usize> {
    spec.cases
        .iter()
        .position(|case| case.id.value == id)
        .or_else(|| {
            spec.cases
                .iter()
                .position(|case| case.id.value.eq_ignore_ascii_case(id))
        })
}

fn no_case_at(shown: &str, line: u32, text: &str, spec: &Spec) -> String {
    let lines = text.lines().count();
    if spec.cases.is_empty() {
        return format!("{shown}:{line}: the spec has no cases");
    }
    let starts: Vec<String> = spec
        .cases
        .iter()
        .map(|case| format!("{} ({})", case.heading_span.line, case.id.value))
        .collect();
    let where_ = if usize::try_from(line).is_ok_and(|line| line > lines) {
        format!("the file has {lines} lines")
    } else {
        format!("line {line} is outside every case")
    };
    format!(
        "{shown}:{line}: no case there: {where_}; its cases start at lines {} — name a line of a case, or its id as {shown}::ID",
        starts.join(", ")
    )
}

fn no_case_named(shown: &str, id: &str, spec: &Spec) -> String {
    let ids: Vec<&str> = spec.cases.iter().map(|c| c.id.value.as_str()).collect();
    let nearest = itspec_spec::suggest::nearest(id, ids.iter().copied())
        .map(|candidate| format!(" (did you mean {shown}::{candidate}?)"))
        .unwrap_or_default();
    if ids.is_empty() {
        return format!("{shown}::{id}: the spec has no cases");
    }
    format!(
        "{shown}::{id}: no case has this id{nearest}; the file's cases are {}",
        ids.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "# Integration Test Spec: Orders\n\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: First\n\n**Request:** GET /a\n\n### TC-INT-002: Second\n\n**Request:** GET /b\n\n**Expected:**\n- Status: 200\n\n## Notes\n\nSome prose.\n";

    fn spec() -> Spec {
        itspec_spec::parse(SPEC).spec
    }

    #[test]
    fn a_path_that_exists_is_a_path() {
        let arg = SpecArg::parse("Cargo.toml").unwrap();
        assert_eq!(arg.pick, None);
        assert_eq!(
            SpecArg::parse("specs/orders.md:42").unwrap(),
            SpecArg {
                path: "specs/orders.md".into(),
                pick: Some(Pick::Line(42))
            }
        );
        assert_eq!(
            SpecArg::parse("specs/orders.md::TC-INT-002").unwrap(),
            SpecArg {
                path: "specs/orders.md".into(),
                pick: Some(Pick::Id("TC-INT-002".into()))
            }
        );
        assert_eq!(SpecArg::parse("specs/a:b.md").unwrap().pick, None);
    }

    #[test]
    fn a_line_picks_the_case_whose_section_holds_it() {
        let spec = spec();
        assert_eq!(case_at_line(&spec, SPEC, 7), Some(0), "the heading");
        assert_eq!(
            case_at_line(&spec, SPEC, 10),
            Some(0),
            "the blank line before the next case"
        );
        assert_eq!(case_at_line(&spec, SPEC, 11), Some(1));
        assert_eq!(case_at_line(&spec, SPEC, 16), Some(1), "its last line");
        assert_eq!(case_at_line(&spec, SPEC, 3), None, "before the cases");
        assert_eq!(case_at_line(&spec, SPEC, 20), None, "the Notes after them");
    }

    #[test]
    fn ids_match_exactly_then_without_regard_to_case() {
        let spec = spec();
        assert_eq!(case_with_id(&spec, "TC-INT-002"), Some(1));
        assert_eq!(case_with_id(&spec, "tc-int-001"), Some(0));
        assert_eq!(case_with_id(&spec, "TC-INT-003"), None);
        let message = no_case_named("orders.md", "TC-INT-003", &spec);
        assert!(
            message.contains("did you mean orders.md::TC-INT-00"),
            "{message}"
        );
        let message = no_case_at("orders.md", 99, SPEC, &spec);
        assert!(message.contains("the file has 20 lines"), "{message}");
        assert!(
            message.contains("7 (TC-INT-001), 11 (TC-INT-002)"),
            "{message}"
        );
    }
}
