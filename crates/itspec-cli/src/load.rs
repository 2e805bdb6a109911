//! Reading spec files: bytes → text → checked spec, in parallel.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use itspec_spec::{Code, Diagnostic, LintOptions, Parsed, Source, Spec};
use rayon::prelude::*;

use crate::discover::{Candidate, looks_like_spec};

/// One spec file, read and checked.
#[derive(Debug)]
pub struct SpecFile {
    /// The path as shown.
    pub path: PathBuf,
    /// The text (without a byte-order mark; invalid UTF-8 replaced).
    pub text: String,
    /// The model and every problem.
    pub parsed: Parsed,
}

impl SpecFile {
    /// The path for messages, with `/` separators.
    pub fn display_path(&self) -> String {
        display(&self.path)
    }

    /// The spec.
    pub fn spec(&self) -> &Spec {
        &self.parsed.spec
    }
}

/// A path for messages: without a leading `./`.
pub fn display(path: &Path) -> String {
    let text = path.display().to_string();
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// Reads and checks every candidate that is a spec, in parallel, keeping
/// the candidates' order. `check` lints as well as parses.
pub fn load_all(
    candidates: &[Candidate],
    options: &LintOptions,
    lint: bool,
) -> Result<Vec<SpecFile>> {
    let loaded: Vec<Option<SpecFile>> = candidates
        .par_iter()
        .map(|candidate| load(candidate, options, lint))
        .collect::<Result<_>>()?;
    Ok(loaded.into_iter().flatten().collect())
}

fn load(candidate: &Candidate, options: &LintOptions, lint: bool) -> Result<Option<SpecFile>> {
    let bytes = std::fs::read(&candidate.path)
        .with_context(|| format!("cannot read {}", candidate.path.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            if !candidate.explicit && !looks_like_spec(&text) {
                return Ok(None);
            }
            return Ok(Some(invalid_utf8(
                candidate.path.clone(),
                text,
                valid_up_to,
            )));
        }
    };
    if !candidate.explicit && !looks_like_spec(&text) {
        return Ok(None);
    }
    let text = match text.strip_prefix('\u{feff}') {
        Some(stripped) => stripped.to_string(),
        None => text,
    };
    let parsed = if lint {
        itspec_spec::check(&text, options)
    } else {
        itspec_spec::parse(&text)
    };
    Ok(Some(SpecFile {
        path: candidate.path.clone(),
        text,
        parsed,
    }))
}

/// A file that is not UTF-8: one diagnostic at the first invalid byte.
fn invalid_utf8(path: PathBuf, text: String, valid_up_to: usize) -> SpecFile {
    let source = Source::new(&text);
    let span = source.span(valid_up_to, (valid_up_to + 3).min(text.len()));
    let diagnostic = Diagnostic::error(Code::InvalidUtf8, span, "this file is not valid UTF-8 text")
        .with_label("this byte starts no UTF-8 character")
        .with_help("save the file as UTF-8 (most editors: \"Save with encoding\"); itspec reads only UTF-8 specs");
    SpecFile {
        path,
        parsed: Parsed {
            spec: Spec::default(),
            diagnostics: vec![diagnostic],
        },
        text,
    }
}
