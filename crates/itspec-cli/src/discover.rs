//! Which files are specs (FORMAT §2): paths named on the command line, and
//! in folders every `*.md` whose first heading is the spec title.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A file to read, and whether it was named explicitly (a file found in a
/// folder is read only when its first heading is a spec title).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// The path as it will be shown.
    pub path: PathBuf,
    /// Named on the command line (or in `specs`), not found in a folder.
    pub explicit: bool,
}

/// The candidate files under the given paths, sorted, without duplicates.
/// Folders are walked recursively, skipping hidden files and what
/// `.gitignore` files exclude (in a git repository or not).
pub fn candidates(paths: &[PathBuf]) -> Result<Vec<Candidate>> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() {
            found.push(Candidate {
                path: path.clone(),
                explicit: true,
            });
        } else if path.is_dir() {
            let mut walker = ignore::WalkBuilder::new(path);
            walker.require_git(false).sort_by_file_name(Ord::cmp);
            for entry in walker.build() {
                let entry =
                    entry.with_context(|| format!("cannot read the folder {}", path.display()))?;
                let is_markdown = entry
                    .path()
                    .extension()
                    .is_some_and(|ext| ext.eq_ignore_ascii_case("md"));
                if entry.file_type().is_some_and(|t| t.is_file()) && is_markdown {
                    found.push(Candidate {
                        path: entry.path().to_path_buf(),
                        explicit: false,
                    });
                }
            }
        } else {
            bail!("no such file or folder: {}", path.display());
        }
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    Ok(found)
}

/// Whether a document's first heading is `# Integration Test Spec…`.
/// Fenced code blocks are skipped; a malformed title still counts, so the
/// linter can say what is wrong with it.
pub fn looks_like_spec(text: &str) -> bool {
    let text = itspec_spec::strip_bom(text);
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if trimmed.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix('#') {
            return heading.starts_with([' ', '\t'])
                && heading
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("integration test spec");
        }
    }
    false
}

/// The folder the configuration is searched from: the deepest folder that
/// holds every given path (as pytest finds its rootdir), else `cwd`.
pub fn common_folder(paths: &[PathBuf], cwd: &Path) -> PathBuf {
    let folders: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            let absolute = if p.is_absolute() {
                p.clone()
            } else {
                cwd.join(p)
            };
            if absolute.is_dir() {
                absolute
            } else {
                absolute
                    .parent()
                    .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
            }
        })
        .collect();
    let Some(first) = folders.first() else {
        return cwd.to_path_buf();
    };
    let mut common = first.clone();
    for folder in &folders {
        while !folder.starts_with(&common) {
            if !common.pop() {
                return cwd.to_path_buf();
            }
        }
    }
    common
}

/// The paths to use when none are given: `specs` of the config, else ".".
pub fn default_paths(config: Option<&itspec_config::Loaded>) -> Vec<PathBuf> {
    match config {
        Some(loaded) if !loaded.config.specs.is_empty() => loaded.spec_paths(),
        _ => vec![Path::new(".").to_path_buf()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_heading_decides() {
        assert!(looks_like_spec("# Integration Test Spec: Orders\n"));
        assert!(looks_like_spec(
            "\u{feff}\n# integration test spec - Orders\n"
        ));
        assert!(looks_like_spec(
            "Some intro.\n\n```\n# not a heading\n```\n# Integration Test Spec: X"
        ));
        assert!(!looks_like_spec("# README\n# Integration Test Spec: X"));
        assert!(!looks_like_spec("## Integration Test Spec: X"));
        assert!(!looks_like_spec("#Integration Test Spec: X"));
        assert!(!looks_like_spec("no heading"));
    }
}
