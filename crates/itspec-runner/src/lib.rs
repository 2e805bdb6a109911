//! Runs itspec specs against a live service.
//!
//! This is the only crate with async code. It owns the settings of a run,
//! the environment (the database, the mock servers of the service's
//! dependencies, the service itspec starts or the one already running),
//! the database engine and the isolation of cases, the HTTP engine,
//! matching and assertions. It prints nothing: reporters receive
//! `itspec_results::Event`s and the final `itspec_results::RunResult`,
//! made at one seam from what the engines record.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a run reports failures as results, it never panics on them"
)]

mod assert;
pub mod broker;
mod channel;
pub mod db;
mod env;
mod exec;
pub mod http;
pub mod isolation;
pub mod mail;
pub mod matching;
pub mod mock;
pub mod mutate;
mod plan;
mod put_back;
pub mod redact;
mod settings;
pub mod shard;
pub mod vars;

pub use broker::Waits;
pub use exec::{
    ContractsError, Mutate, PrepareError, PreparedRun, Rerun, RunOptions, WorkersError, contracts,
    prepare_run, run, run_starting_now,
};
pub use plan::{
    About, Choice, Chooser, FilterError, Plan, Planned, Selection, SpecInput, plan, priority_of,
};
pub use put_back::{PutBackError, put_back};
pub use settings::{DatabaseSettings, ServiceSettings, Settings, SettingsError};
