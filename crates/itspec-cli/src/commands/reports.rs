//! Writing the reports of a run — JSON, JUnit, HTML — to the files asked
//! for; shared by `run --report` and `report merge`.

use anyhow::{Context as _, Result};
use itspec_report::results::{html, json, junit};
use itspec_runner::RunResult;

use crate::cli::{ReportKind, ReportOutput};

/// Checks, before a run, that every report can be written: creates its
/// folder and opens the file for writing (an existing file is left as it
/// is until the run's report replaces it).
pub fn check_writable(outputs: &[ReportOutput]) -> Result<()> {
    for output in outputs {
        create_folder(output)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&output.path)
            .with_context(|| format!("cannot write the report {}", output.path.display()))?;
    }
    Ok(())
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
            ReportKind::Json => json::write(result),
            ReportKind::Junit => junit::write(result).map_err(anyhow::Error::msg)?,
            ReportKind::Html => html::write(result),
        };
        create_folder(output)?;
        std::fs::write(&output.path, text)
            .with_context(|| format!("cannot write the report {}", output.path.display()))?;
    }
    Ok(())
}
