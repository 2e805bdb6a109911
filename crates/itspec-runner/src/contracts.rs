//! The OpenAPI contracts of a run: the one `[contract] openapi` names and
//! those the specs name in **Related** (`openapi.yaml#createOrder`), each
//! read once before the run. A spec's requests default to its operation,
//! and every response is checked against the operation it reached.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use itspec_contract::{Contract, Operation};
use itspec_spec::Spec;
use itspec_spec::model::Contract as Related;

use crate::plan::Plan;
use crate::settings::Settings;

/// The contracts of a run.
#[derive(Debug, Default)]
pub struct Contracts {
    /// `[contract] openapi`.
    configured: Option<Arc<Contract>>,
    /// Documents specs name, by the name they are written with.
    named: BTreeMap<String, Arc<Contract>>,
    /// Where relative names resolve: the folder of `itspec.toml`.
    dir: PathBuf,
}

impl Contracts {
    /// Reads the configured document and every one a planned spec names.
    pub fn load(settings: &Settings, plan: &Plan) -> Result<Contracts, String> {
        let mut contracts = Contracts {
            dir: settings.dir.clone(),
            ..Contracts::default()
        };
        if let Some(path) = &settings.contract {
            let shown = path.strip_prefix(&settings.dir).unwrap_or(path);
            let shown = shown.display().to_string();
            contracts.configured = Some(Arc::new(Contract::load(path, &shown)?));
        }
        for planned in &plan.specs {
            let Some(Related::OpenApi { file, .. }) =
                planned.about.contract.as_deref().and_then(Related::parse)
            else {
                continue;
            };
            if contracts.named.contains_key(&file) || contracts.is_configured(&file) {
                continue;
            }
            let contract = Contract::load(&contracts.dir.join(&file), &file)
                .map_err(|e| format!("{}: the API contract: {e}", planned.path))?;
            contracts.named.insert(file, Arc::new(contract));
        }
        Ok(contracts)
    }

    /// Whether `file` names the configured document (by path, or by file
    /// name when no such path exists).
    fn is_configured(&self, file: &str) -> bool {
        let Some(configured) = &self.configured else {
            return false;
        };
        let path = Path::new(file);
        let configured_path = Path::new(&configured.file);
        path == configured_path
            || (!self.dir.join(path).exists() && path.file_name() == configured_path.file_name())
    }

    /// The contract a spec's requests answer to: the document its Related
    /// names, else the configured one; and the operation Related names.
    pub fn of(&self, spec: &Spec) -> (Option<&Contract>, Option<&Operation>) {
        match spec.related.contract.as_ref().map(|c| &c.value) {
            Some(Related::OpenApi { file, operation }) => {
                let contract = match self.named.get(file) {
                    Some(contract) => Some(contract.as_ref()),
                    None => self
                        .configured
                        .as_deref()
                        .filter(|_| self.is_configured(file)),
                };
                (contract, contract.and_then(|c| c.find(operation)))
            }
            Some(Related::Endpoint { method, path }) => {
                let contract = self.configured.as_deref();
                (contract, contract.and_then(|c| c.route(method, path)))
            }
            None => (self.configured.as_deref(), None),
        }
    }
}
