//! The contracts of a project: the document `[contract] openapi` names and
//! those specs name in **Related** (`openapi.yaml#createOrder`), each read
//! once, when first asked for.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use itspec_spec::Spec;
use itspec_spec::model::Contract as Related;

use crate::{Contract, Operation};

/// The contracts of a project.
#[derive(Debug, Default)]
pub struct Contracts {
    /// `[contract] openapi`.
    configured: Option<Arc<Contract>>,
    /// Documents specs name, by the name they are written with.
    named: Mutex<HashMap<String, Result<Arc<Contract>, String>>>,
    /// Where relative names resolve: the folder of `itspec.toml`.
    dir: PathBuf,
}

impl Contracts {
    /// The contracts of the project in `dir`, with the configured document
    /// (a path relative to `dir`) read now.
    pub fn new(dir: &Path, configured: Option<&Path>) -> Result<Contracts, String> {
        let configured = match configured {
            Some(path) => {
                let shown = path.strip_prefix(dir).unwrap_or(path).display().to_string();
                Some(Arc::new(Contract::load(&dir.join(path), &shown)?))
            }
            None => None,
        };
        Ok(Contracts {
            configured,
            named: Mutex::default(),
            dir: dir.to_path_buf(),
        })
    }

    /// The document `[contract] openapi` names.
    pub fn configured(&self) -> Option<Arc<Contract>> {
        self.configured.clone()
    }

    /// The document a Related entry names: the configured one when it is
    /// that file (by path, or by file name when no such path exists), else
    /// the file, read once.
    pub fn named(&self, file: &str) -> Result<Arc<Contract>, String> {
        if let Some(configured) = self
            .configured
            .as_ref()
            .filter(|c| self.is_configured(c, file))
        {
            return Ok(Arc::clone(configured));
        }
        let mut named = self
            .named
            .lock()
            .map_err(|_| "a contract could not be read".to_string())?;
        named
            .entry(file.to_string())
            .or_insert_with(|| Contract::load(&self.dir.join(file), file).map(Arc::new))
            .clone()
    }

    fn is_configured(&self, configured: &Contract, file: &str) -> bool {
        let path = Path::new(file);
        let configured_path = Path::new(&configured.file);
        path == configured_path
            || (!self.dir.join(path).exists() && path.file_name() == configured_path.file_name())
    }

    /// The contract a spec's requests answer to — the document its Related
    /// names, else the configured one — and the operation Related names.
    /// A Related document that cannot be read is an error.
    pub fn of(&self, spec: &Spec) -> Result<(Option<Arc<Contract>>, Option<Operation>), String> {
        Ok(match spec.related.contract.as_ref().map(|c| &c.value) {
            Some(Related::OpenApi { file, operation }) => {
                let contract = self.named(file)?;
                let found = contract.find(operation).cloned();
                (Some(contract), found)
            }
            Some(Related::Endpoint { method, path }) => {
                let found = self
                    .configured
                    .as_ref()
                    .and_then(|c| c.route(method, path))
                    .cloned();
                (self.configured.clone(), found)
            }
            None => (self.configured.clone(), None),
        })
    }
}
