//! Writing the reports of a run — JSON, JUnit, HTML — to the files asked
//! for; shared by `run --report` and `report merge`. A report replaces
//! only an empty file or an earlier itspec report (which carries its mark,
//! [`itspec_report::results::marker`]): never a spec, never a file of the
//! user's.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use itspec_report::results::{html, junit, marker};
use itspec_results::RunResult;
use itspec_results::report;

use crate::cli::{ReportKind, ReportOutput};
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
        tempfile::NamedTempFile::new_in(folder(&output.path))
            .with_context(|| format!("cannot write the report {}", output.path.display()))?;
    }
    Ok(())
}

/// The folder a report is written in.
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A usage error when the report would replace a spec or a file that is
/// not an itspec report.
fn refuse_to_replace(output: &ReportOutput, specs: &[PathBuf]) -> Result<()> {
    let path = &output.path;
    let kind = kind_name(output.kind);
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

fn kind_name(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Json => "json",
        ReportKind::Junit => "junit",
        ReportKind::Html => "html",
    }
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

/// Writes every report asked for; folders are created.
pub fn write_all(result: &RunResult, outputs: &[ReportOutput]) -> Result<()> {
    for output in outputs {
        let text = match output.kind {
            ReportKind::Json => report::write(result),
            ReportKind::Junit => junit::write(result).map_err(anyhow::Error::msg)?,
            ReportKind::Html => html::write(result),
        };
        create_folder(output)?;
        // Written beside it, then renamed over it: a reader never sees a
        // half-written report, and a write that fails leaves the old one.
        let write = || -> std::io::Result<()> {
            let mut file = tempfile::NamedTempFile::new_in(folder(&output.path))?;
            // A report is read by other tools: the permissions of the one
            // it replaces, else those of a new file (not the temporary
            // file's 0600).
            let permissions = match std::fs::metadata(&output.path) {
                Ok(old) => old.permissions(),
                Err(_) => std::os::unix::fs::PermissionsExt::from_mode(0o644),
            };
            file.as_file().set_permissions(permissions)?;
            std::io::Write::write_all(&mut file, text.as_bytes())?;
            file.persist(&output.path)?;
            Ok(())
        };
        write().with_context(|| format!("cannot write the report {}", output.path.display()))?;
    }
    Ok(())
}
