//! Reading spec files in parallel: bytes → text, handed to a command's
//! function on the worker thread, so only what the command keeps stays in
//! memory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use itspec_spec::{Code, Diagnostic, Source};
use rayon::prelude::*;

use crate::discover::{Candidate, looks_like_spec};

/// The text of a spec file.
#[derive(Debug)]
pub struct SpecText {
    /// The path as given or found.
    pub path: PathBuf,
    /// The text, without a byte-order mark (invalid UTF-8 replaced).
    pub text: String,
    /// Where the first byte that is not UTF-8 is, when there is one.
    pub invalid_utf8_at: Option<usize>,
}

impl SpecText {
    /// The path for messages.
    pub fn display_path(&self) -> String {
        display(&self.path)
    }

    /// The diagnostic of a file that is not UTF-8.
    pub fn utf8_diagnostic(&self) -> Option<Diagnostic> {
        let at = self.invalid_utf8_at?;
        let span = Source::new(&self.text).span(at, at + 1);
        Some(
            Diagnostic::error(Code::InvalidUtf8, span, "this file is not valid UTF-8 text")
                .with_label("this byte starts no UTF-8 character")
                .with_help("save the file as UTF-8 (most editors: \"Save with encoding\"); itspec reads only UTF-8 specs"),
        )
    }
}

/// A path for messages: relative to the current folder, without a
/// leading `./`.
pub fn display(path: &Path) -> String {
    itspec_config::shown(path)
}

/// Reads every candidate that is a spec and applies `work` to it on a
/// worker thread, keeping the candidates' order.
pub fn map_specs<T: Send>(
    candidates: &[Candidate],
    work: impl Fn(SpecText) -> T + Sync,
) -> Result<Vec<T>> {
    let results: Vec<Option<T>> = candidates
        .par_iter()
        .map(|candidate| Ok(read(candidate)?.map(&work)))
        .collect::<Result<_>>()?;
    Ok(results.into_iter().flatten().collect())
}

fn read(candidate: &Candidate) -> Result<Option<SpecText>> {
    let bytes = std::fs::read(&candidate.path)
        .with_context(|| format!("cannot read {}", candidate.path.display()))?;
    let (text, invalid_utf8_at) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            (
                String::from_utf8_lossy(error.as_bytes()).into_owned(),
                Some(at),
            )
        }
    };
    if !candidate.explicit && !looks_like_spec(&text) {
        return Ok(None);
    }
    let (text, bom) = match text.strip_prefix('\u{feff}') {
        Some(stripped) => (stripped.to_string(), '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    let invalid_utf8_at = invalid_utf8_at.map(|at| at.saturating_sub(bom));
    Ok(Some(SpecText {
        path: candidate.path.clone(),
        text,
        invalid_utf8_at,
    }))
}
