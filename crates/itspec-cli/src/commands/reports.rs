//! Where the reports of a run — JSON, JUnit, HTML — may go, checked before
//! the run (`itspec_report::files` writes them); shared by `run --report`
//! and `report merge`. A report replaces only an empty file or an earlier
//! itspec report (which carries its mark,
//! [`itspec_report::results::marker`]): never a spec, never a file of the
//! user's.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use itspec_report::results::marker;

use crate::cli::ReportOutput;
use crate::discover::looks_like_spec;
use crate::load::display;

/// Checks, before a run, that every report can be written: that it would
/// replace no spec (none of `specs`, the files being run, and no `.md`
/// file that is a spec) and no file itspec did not write, and that its
/// folder takes a new file. Nothing is created at the report's path: a run
/// that stops before it has a result leaves every path as it was.
pub fn check_writable(outputs: &[ReportOutput], specs: &[PathBuf]) -> Result<()> {
    for output in outputs {
        refuse_to_replace(output, specs)?;
        create_folder(output)?;
        if output.path.is_dir() {
            bail!(
                "cannot write the report {}: it is a folder",
                output.path.display()
            );
        }
        tempfile::NamedTempFile::new_in(output.folder())
            .with_context(|| format!("cannot write the report {}", output.path.display()))?;
    }
    Ok(())
}

/// A usage error when the report would replace a spec or a file that is
/// not an itspec report.
fn refuse_to_replace(output: &ReportOutput, specs: &[PathBuf]) -> Result<()> {
    let path = &output.path;
    let kind = output.format.name();
    let shown = display(path);
    let fix = format!("choose another path for --report {kind}=PATH");
    if let Ok(target) = path.canonicalize()
        && specs
            .iter()
            .any(|spec| spec.canonicalize().is_ok_and(|spec| spec == target))
    {
        bail!("refusing to write the {kind} report to {shown}: it is a spec of this run; {fix}");
    }
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    // A folder is refused by the open that follows, an empty file holds
    // nothing to lose.
    if !metadata.is_file() || metadata.len() == 0 {
        return Ok(());
    }
    let head = read_head(path)
        .with_context(|| format!("cannot write the report {shown}: cannot read it"))?;
    let markdown = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("md"));
    if markdown && looks_like_spec(&String::from_utf8_lossy(&head)) {
        bail!("refusing to write the {kind} report to {shown}: it is a spec; {fix}");
    }
    if !marker::written_by_itspec(&head) {
        bail!(
            "refusing to replace {shown} with the {kind} report: the file exists and is not a report itspec wrote; \
             remove it if it may go, or {fix}"
        );
    }
    Ok(())
}

/// The start of a file, where a report's mark is.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(marker::HEAD);
    std::fs::File::open(path)?
        .take(marker::HEAD as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

fn create_folder(output: &ReportOutput) -> Result<()> {
    if let Some(parent) = output.path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| {
            format!(
                "cannot write the report {}: cannot create the folder {}",
                output.path.display(),
                parent.display()
            )
        })?;
    }
    Ok(())
}
