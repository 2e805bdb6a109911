//! The variables a spec can rely on before it runs: `[vars]` of the
//! `itspec.toml` nearest above the spec (or of `--config`), and `--var`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::Context;

/// Finds, once per folder, the variables defined for specs in that folder.
pub struct KnownVars<'a> {
    context: &'a Context,
    flags: Vec<String>,
    by_folder: Mutex<HashMap<PathBuf, Arc<Vec<String>>>>,
}

impl<'a> KnownVars<'a> {
    /// `flags` are the names of `--var` flags.
    pub fn new(context: &'a Context, flags: Vec<String>) -> Self {
        Self {
            context,
            flags,
            by_folder: Mutex::new(HashMap::new()),
        }
    }

    fn config_vars(loaded: &itspec_config::Loaded) -> Vec<String> {
        loaded.config.vars.keys().cloned().collect()
    }

    /// The variables known to the spec at `path`.
    pub fn for_spec(&self, path: &Path) -> Vec<String> {
        let mut vars = self.flags.clone();
        if self.context.explicit_config {
            vars.extend(self.context.config.iter().flat_map(Self::config_vars));
            return vars;
        }
        let folder = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let cached = self
            .by_folder
            .lock()
            .ok()
            .and_then(|cache| cache.get(&folder).cloned());
        let found = cached.unwrap_or_else(|| {
            let names = match itspec_config::find(&folder) {
                // An invalid file is reported when it is the run's own; here it adds nothing.
                Some(file) => itspec_config::load(&file)
                    .map(|l| Self::config_vars(&l))
                    .unwrap_or_default(),
                None => self
                    .context
                    .config
                    .iter()
                    .flat_map(Self::config_vars)
                    .collect(),
            };
            let names = Arc::new(names);
            if let Ok(mut cache) = self.by_folder.lock() {
                cache.insert(folder, Arc::clone(&names));
            }
            names
        });
        vars.extend(found.iter().cloned());
        vars
    }
}
