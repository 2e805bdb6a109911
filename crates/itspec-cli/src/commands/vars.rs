//! What a spec can rely on before it runs, beyond itself: the `[vars]`,
//! `[mocks.NAME]`, `[brokers.NAME]`, `[mail]` and `[database]` of the `itspec.toml` nearest above
//! the spec (or of `--config`), and `--var`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use itspec_spec::LintOptions;

use super::Context;

/// Names a configuration defines.
#[derive(Debug, Default)]
struct Defined {
    vars: Vec<String>,
    mocks: Vec<String>,
    brokers: Vec<itspec_spec::KnownBroker>,
    /// `[mail]` is configured.
    mail: bool,
    /// `[database]` is configured.
    database: bool,
}

impl Defined {
    fn of(loaded: &itspec_config::Loaded) -> Self {
        Self {
            vars: loaded.config.vars.keys().cloned().collect(),
            mocks: loaded.config.mocks.keys().cloned().collect(),
            // A broker whose URL names no kind is the configuration's
            // error, reported when it runs; a spec naming it is not wrong.
            brokers: loaded
                .config
                .brokers
                .iter()
                .map(|(name, broker)| itspec_spec::KnownBroker {
                    name: name.clone(),
                    rules: itspec_runner::broker::BrokerKind::of_url(&broker.url)
                        .map(|kind| kind.rules()),
                    watch: broker.watch.clone(),
                })
                .collect(),
            mail: loaded.config.mail.is_some(),
            database: loaded.config.database.is_some(),
        }
    }
}

/// Finds, once per folder, the names defined for specs in that folder.
pub struct KnownVars<'a> {
    context: &'a Context,
    flags: Vec<String>,
    by_folder: Mutex<HashMap<PathBuf, Arc<Defined>>>,
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

    /// The lint options of the spec at `path`.
    pub fn options(&self, path: &Path, strict: bool) -> LintOptions {
        let defined = self.defined(path);
        LintOptions {
            vars: self.flags.iter().chain(&defined.vars).cloned().collect(),
            mocks: defined.mocks.clone(),
            brokers: defined.brokers.clone(),
            mail: defined.mail,
            database: defined.database,
            strict,
        }
    }

    fn defined(&self, path: &Path) -> Arc<Defined> {
        let run_config = || {
            Arc::new(
                self.context
                    .config
                    .as_ref()
                    .map(Defined::of)
                    .unwrap_or_default(),
            )
        };
        if self.context.explicit_config {
            return run_config();
        }
        let folder = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        if let Some(cached) = self
            .by_folder
            .lock()
            .ok()
            .and_then(|cache| cache.get(&folder).cloned())
        {
            return cached;
        }
        let defined = match itspec_config::find(&folder) {
            // An invalid file is reported when it is the run's own; here it adds nothing.
            Some(file) => Arc::new(
                itspec_config::load(&file)
                    .map(|l| Defined::of(&l))
                    .unwrap_or_default(),
            ),
            None => run_config(),
        };
        if let Ok(mut cache) = self.by_folder.lock() {
            cache.insert(folder, Arc::clone(&defined));
        }
        defined
    }
}
