//! The library's entry point for a run: [`prepare_run`] finds everything
//! that can be wrong with a run before any environment starts — too many
//! workers for the configuration, a contract that cannot be read — and
//! gives a [`PreparedRun`] that only the environment can still fail.

use super::{Rerun, RunOptions, run_inner, worker_count::worker_count};
use crate::plan::Plan;
use crate::settings::Settings;
use itspec_contract::Contracts;
use itspec_results::{Reporter, RunResult};

pub use super::worker_count::WorkersError;

/// Why a run cannot start: the user's to fix, like an error in a spec.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// More workers than the configuration allows.
    #[error(transparent)]
    Workers(#[from] WorkersError),
    /// An API contract cannot be read.
    #[error(transparent)]
    Contracts(#[from] ContractsError),
}

/// An API contract that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ContractsError {
    /// The configured one (`[contract]`) or the set cannot be read.
    #[error("{0}")]
    Configured(String),
    /// One a spec names under `Contract:`.
    #[error("{spec}: the API contract: {message}")]
    Named {
        /// The spec, as shown.
        spec: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A run that can start: its plan, settings, options and contracts, all
/// checked.
#[derive(Debug)]
pub struct PreparedRun {
    /// The cases to run.
    pub plan: Plan,
    /// The settings.
    pub settings: Settings,
    /// How to run.
    pub options: RunOptions,
    /// The contracts, read.
    pub contracts: Contracts,
    /// Workers it will have.
    pub workers: usize,
}

/// Checks a run before its environment starts.
pub fn prepare_run(
    plan: Plan,
    settings: Settings,
    options: RunOptions,
) -> Result<PreparedRun, PrepareError> {
    let workers = worker_count(&plan, &settings, &options)?;
    let contracts = contracts(&settings, &plan)?;
    Ok(PreparedRun {
        plan,
        settings,
        options,
        contracts,
        workers,
    })
}

impl PreparedRun {
    /// Runs it and reports as it goes; blocks until the run is over.
    pub fn run(&self, reporter: &mut dyn Reporter) -> RunResult {
        self.run_inner(reporter, None)
    }

    /// [`PreparedRun::run`], then again for each plan `rerun` gives,
    /// keeping the service, the mocks and the database's record up in
    /// between (`run --watch`). Returns the last run's result; each run's
    /// is also reported as it ends.
    pub fn run_watching(&self, reporter: &mut dyn Reporter, rerun: &mut dyn Rerun) -> RunResult {
        self.run_inner(reporter, Some(rerun))
    }

    fn run_inner(&self, reporter: &mut dyn Reporter, rerun: Option<&mut dyn Rerun>) -> RunResult {
        run_inner(
            &self.plan,
            &self.settings,
            &self.options,
            &self.contracts,
            reporter,
            rerun,
        )
    }
}

/// The configured contract and every one a planned spec names, read
/// before the run so a missing or broken document stops it at once.
pub fn contracts(settings: &Settings, plan: &Plan) -> Result<Contracts, ContractsError> {
    let contracts = Contracts::new(&settings.dir, settings.contract.as_deref())
        .map_err(ContractsError::Configured)?;
    for planned in &plan.specs {
        if let Some(itspec_spec::model::Contract::OpenApi { file, .. }) = planned
            .about
            .contract
            .as_deref()
            .and_then(itspec_spec::model::Contract::parse)
        {
            contracts
                .named(&file)
                .map_err(|message| ContractsError::Named {
                    spec: planned.path.clone(),
                    message,
                })?;
        }
    }
    Ok(contracts)
}
