//! `run --update-status`: a Ready spec whose cases all ran and passed
//! becomes Implemented. Only the word on its Status line changes; every
//! other byte of the file stays as it was.

use std::path::Path;

use anyhow::{Context as _, Result};
use itspec_results::{Outcome, SpecResult};
use itspec_spec::Spec;
use itspec_spec::model::Status;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether a spec earned Implemented in this run: Ready, and every one of
/// its cases ran and passed.
pub fn earned(spec: &Spec, result: &SpecResult) -> bool {
    matches!(spec.status.as_ref().map(|s| s.value), Some(Status::Ready))
        && !spec.cases.is_empty()
        && result.cases.len() == spec.cases.len()
        && result.cases.iter().all(|c| c.outcome == Outcome::Passed)
}

/// Rewrites `Ready` as `Implemented` on the Status line of the spec at
/// `file`. Returns whether the file changed.
pub fn promote(file: &Path, spec: &Spec) -> Result<bool> {
    let Some(status) = &spec.status else {
        return Ok(false);
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // Spans count from after a byte-order mark.
    let offset = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let range = status.span.start + offset..status.span.end + offset;
    let (Some(b"Ready"), Some(before), Some(after)) = (
        bytes.get(range.clone()),
        bytes.get(..range.start),
        bytes.get(range.end..),
    ) else {
        return Ok(false);
    };
    let mut changed = Vec::with_capacity(bytes.len() + 6);
    changed.extend_from_slice(before);
    changed.extend_from_slice(b"Implemented");
    changed.extend_from_slice(after);
    std::fs::write(file, changed).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(true)
}
