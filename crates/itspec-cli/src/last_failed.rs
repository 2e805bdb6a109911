//! `--last-failed`: the cases that failed or errored, kept between runs in
//! `target/itspec/last-failed.json` beside `itspec.toml` (pytest's
//! cache, nextest's rerun). Each run updates it with what it ran — a case
//! that passed leaves it, one that failed joins it, one that did not run
//! keeps its place — so `--lf` narrows down as failures are fixed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use itspec_results::Outcome;
use serde::{Deserialize, Serialize};

/// The file, under the project's folder.
const FILE: &str = "target/itspec/last-failed.json";

/// The failed cases, by spec file and id.
#[derive(Debug, Default)]
pub struct LastFailed {
    file: PathBuf,
    failed: BTreeSet<(PathBuf, String)>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    failed: Vec<StoredCase>,
}

#[derive(Serialize, Deserialize)]
struct StoredCase {
    /// The spec's absolute path.
    file: PathBuf,
    id: String,
}

impl LastFailed {
    /// What the last run in `project` left; nothing when no run left a
    /// file there (or it cannot be read: then every case runs).
    pub fn load(project: &Path) -> LastFailed {
        let file = project.join(FILE);
        let failed = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| serde_json::from_str::<Stored>(&text).ok())
            .map(|stored| {
                stored
                    .failed
                    .into_iter()
                    .map(|case| (case.file, case.id))
                    .collect()
            })
            .unwrap_or_default();
        LastFailed { file, failed }
    }

    /// No case failed last time.
    pub fn is_empty(&self) -> bool {
        self.failed.is_empty()
    }

    /// How many cases failed last time.
    pub fn len(&self) -> usize {
        self.failed.len()
    }

    /// Whether case `id` of `file` (canonical) failed last time.
    pub fn contains(&self, file: &Path, id: &str) -> bool {
        self.failed.contains(&(file.to_path_buf(), id.to_string()))
    }

    /// Takes in a case that ran: `file` canonical.
    pub fn update(&mut self, file: &Path, id: &str, outcome: &Outcome) {
        let key = (file.to_path_buf(), id.to_string());
        match outcome {
            // A flaky case failed too: `--last-failed` runs it again.
            Outcome::Failed | Outcome::Error | Outcome::Flaky => {
                self.failed.insert(key);
            }
            Outcome::Passed | Outcome::Skipped { .. } => {
                self.failed.remove(&key);
            }
        }
    }

    /// Writes the file (through a temporary file, so a reader never sees
    /// half of it).
    pub fn save(&self) -> Result<()> {
        let stored = Stored {
            version: 1,
            failed: self
                .failed
                .iter()
                .map(|(file, id)| StoredCase {
                    file: file.clone(),
                    id: id.clone(),
                })
                .collect(),
        };
        let folder = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", crate::load::display(folder)))?;
        let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
        serde_json::to_writer_pretty(&mut temporary, &stored)?;
        temporary
            .persist(&self.file)
            .with_context(|| format!("cannot write {}", crate::load::display(&self.file)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_updates_what_it_ran_and_keeps_the_rest() {
        let project = tempfile::tempdir().unwrap();
        let (a, b) = (Path::new("/p/a.md"), Path::new("/p/b.md"));
        let mut last = LastFailed::load(project.path());
        assert!(last.is_empty());
        last.update(a, "TC-1", &Outcome::Failed);
        last.update(a, "TC-2", &Outcome::Error);
        last.update(b, "TC-1", &Outcome::Passed);
        last.save().unwrap();

        let mut last = LastFailed::load(project.path());
        assert_eq!(last.len(), 2);
        assert!(last.contains(a, "TC-1") && last.contains(a, "TC-2"));
        assert!(!last.contains(b, "TC-1"));
        // A rerun of TC-1 alone: it passes now; TC-2 did not run and stays.
        last.update(a, "TC-1", &Outcome::Passed);
        last.save().unwrap();
        let last = LastFailed::load(project.path());
        assert!(!last.contains(a, "TC-1") && last.contains(a, "TC-2"));
    }
}
