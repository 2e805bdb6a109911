//! How messages show a path: relative to the current folder, as a person
//! typed it — `examples/shop/specs/orders.md`, not the absolute path that
//! `itspec.toml` settings are resolved to. A path far from the current
//! folder (more than two levels up) stays absolute.

use std::path::{Component, Path, PathBuf};

/// `path` as messages show it, relative to the current folder.
pub fn shown(path: &Path) -> String {
    match std::env::current_dir() {
        Ok(cwd) => shown_from(path, &cwd),
        Err(_) => plain(path),
    }
}

/// [`shown`], from `cwd`.
pub fn shown_from(path: &Path, cwd: &Path) -> String {
    if path.is_relative() {
        return plain(path);
    }
    match relative(path, cwd) {
        Some(relative) => plain(&relative),
        None => path.display().to_string(),
    }
}

/// Without a leading `./`; `.` for the folder itself.
fn plain(path: &Path) -> String {
    let text = path.display().to_string();
    match text.strip_prefix("./") {
        Some("") => ".".to_string(),
        Some(rest) => rest.to_string(),
        None if text.is_empty() => ".".to_string(),
        None => text,
    }
}

/// `path` relative to `cwd` with at most two `..`, when both are absolute.
fn relative(path: &Path, cwd: &Path) -> Option<PathBuf> {
    let path: Vec<Component<'_>> = path.components().collect();
    let cwd: Vec<Component<'_>> = cwd.components().collect();
    let common = path.iter().zip(&cwd).take_while(|(a, b)| a == b).count();
    let up = cwd.len() - common;
    if common <= 1 || up > 2 {
        return None;
    }
    let mut relative = PathBuf::new();
    for _ in 0..up {
        relative.push("..");
    }
    for component in path.iter().skip(common) {
        relative.push(component.as_os_str());
    }
    Some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_to_the_current_folder() {
        let cwd = Path::new("/home/me/shop");
        let shown = |path: &str| shown_from(Path::new(path), cwd);
        assert_eq!(shown("/home/me/shop/specs/a.md"), "specs/a.md");
        assert_eq!(shown("/home/me/shop"), ".");
        assert_eq!(shown("/home/me/other/specs/a.md"), "../other/specs/a.md");
        assert_eq!(shown("/home/x/a.md"), "../../x/a.md");
        assert_eq!(shown("/tmp/a.md"), "/tmp/a.md");
        assert_eq!(shown("./specs/a.md"), "specs/a.md");
        assert_eq!(shown("specs/a.md"), "specs/a.md");
        assert_eq!(
            shown_from(Path::new("/srv/a/b/c/d.md"), Path::new("/srv/x/y/z")),
            "/srv/a/b/c/d.md"
        );
    }
}
