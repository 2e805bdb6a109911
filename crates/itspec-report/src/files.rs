//! The file reports of a run — JSON, JUnit, HTML: which there are, what
//! each needs from the run, and writing one whole or not at all. Where a
//! report may go (never over a spec or a file of the user's) is the CLI's
//! to check before the run.

use std::path::{Path, PathBuf};

use itspec_results::{RunResult, report};

use crate::results::{html, junit};

/// The formats of a file report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// The result tree (docs/report-format.md).
    Json,
    /// JUnit XML.
    Junit,
    /// One self-contained HTML page.
    Html,
}

impl ReportFormat {
    /// Its name in `--report NAME=PATH`.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Junit => "junit",
            ReportFormat::Html => "html",
        }
    }

    /// The format a `--report` name stands for (`xml` is JUnit).
    pub fn parse(name: &str) -> Option<ReportFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "json" => ReportFormat::Json,
            "junit" | "xml" => ReportFormat::Junit,
            "html" => ReportFormat::Html,
            _ => return None,
        })
    }

    /// Whether it shows the requests, responses and mock calls of cases
    /// that passed: without a report that does, a run drops them once
    /// each case is printed, and long runs stay small.
    pub fn needs_passed_exchanges(self) -> bool {
        match self {
            ReportFormat::Json | ReportFormat::Html => true,
            ReportFormat::Junit => false,
        }
    }

    /// The report's text.
    pub fn render(self, result: &RunResult) -> Result<String, ReportError> {
        Ok(match self {
            ReportFormat::Json => report::write(result),
            ReportFormat::Junit => junit::write(result).map_err(ReportError::Render)?,
            ReportFormat::Html => html::write(result),
        })
    }
}

/// A report to write: its format and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFile {
    /// The format.
    pub format: ReportFormat,
    /// The file.
    pub path: PathBuf,
}

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The result cannot be put in the format.
    #[error("{0}")]
    Render(String),
    /// The file or its folder cannot be written.
    #[error("cannot write the report {}: {source}", path.display())]
    Write {
        /// The report.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl ReportFile {
    /// Writes the report; its folder is created. It is written beside the
    /// file, then renamed over it: a reader never sees half a report, and
    /// a write that fails leaves the old one.
    pub fn write(&self, result: &RunResult) -> Result<(), ReportError> {
        let text = self.format.render(result)?;
        self.replace_with(&text)
            .map_err(|source| ReportError::Write {
                path: self.path.clone(),
                source,
            })
    }

    fn replace_with(&self, text: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(self.folder())?;
        let mut file = tempfile::NamedTempFile::new_in(self.folder())?;
        // A report is read by other tools: the permissions of the one it
        // replaces, else those of a new file (not the temporary file's 0600).
        let permissions = match std::fs::metadata(&self.path) {
            Ok(old) => old.permissions(),
            Err(_) => std::os::unix::fs::PermissionsExt::from_mode(0o644),
        };
        file.as_file().set_permissions(permissions)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        file.persist(&self.path)?;
        Ok(())
    }

    /// The folder it is written in.
    pub fn folder(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

/// Writes every report; the first that fails stops the others.
pub fn write_all(files: &[ReportFile], result: &RunResult) -> Result<(), ReportError> {
    files.iter().try_for_each(|file| file.write(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_replaces_the_old_one_whole_and_keeps_its_permissions() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("deep/er/report.json");
        let file = ReportFile {
            format: ReportFormat::Json,
            path: path.clone(),
        };
        let result = RunResult::default();
        assert!(file.write(&result).is_ok());
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(written, report::write(&result));
        use std::os::unix::fs::PermissionsExt as _;
        let mode =
            |path: &Path| std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777);
        assert_eq!(mode(&path), 0o644);
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640));
        assert!(file.write(&result).is_ok());
        assert_eq!(mode(&path), 0o640);
    }

    #[test]
    fn a_report_that_cannot_be_written_says_which() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let blocker = dir.path().join("a-file");
        let _ = std::fs::write(&blocker, "x");
        let file = ReportFile {
            format: ReportFormat::Html,
            path: blocker.join("report.html"),
        };
        let error = file
            .write(&RunResult::default())
            .map_or_else(|e| e.to_string(), |()| String::new());
        assert!(error.starts_with("cannot write the report "), "{error}");
        assert!(error.contains("a-file/report.html"), "{error}");
    }

    #[test]
    fn only_reports_that_show_passed_cases_keep_their_exchanges() {
        assert!(ReportFormat::Json.needs_passed_exchanges());
        assert!(ReportFormat::Html.needs_passed_exchanges());
        assert!(!ReportFormat::Junit.needs_passed_exchanges());
        for format in [ReportFormat::Json, ReportFormat::Junit, ReportFormat::Html] {
            assert_eq!(ReportFormat::parse(format.name()), Some(format));
        }
        assert_eq!(ReportFormat::parse("XML"), Some(ReportFormat::Junit));
        assert_eq!(ReportFormat::parse("pdf"), None);
    }
}
