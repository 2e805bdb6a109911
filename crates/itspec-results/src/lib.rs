//! The result tree of an itspec run — spec → case → requests, checks and
//! the calls mocks received —, the events a run sends its reporters, and
//! the JSON report that stores the tree (read back by `report merge`,
//! `trace` and `status`).
//!
//! It depends on serde only, as `nextest-metadata` does for nextest:
//! reporters and tools read results without compiling the runner (tokio,
//! sqlx, hyper). The runner turns what its engines record into these
//! values; reporters only read them.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "results are read from files: bad input is an error, never a panic"
)]

mod call;
mod case;
pub mod display;
mod email;
mod events;
mod exchange;
pub mod message;
mod rate;
pub mod report;
mod run;
mod span;
mod step;

pub use call::Call;
pub use case::{
    CaseResult, IterationRun, Iterations, Mutation, Outcome, Runs, ServiceLog, TimedRequest,
};
pub use email::Email;
pub use events::{Event, Reporter, Silent, SpecInfo, Stamped};
pub use exchange::{Exchange, RequestRecord, ResponseRecord};
pub use message::Message;
pub use rate::RARE_FAILURE;
pub use run::{RunOutcome, RunResult, SpecResult, Summary};
pub use span::Span;
pub use step::{DiffLine, Evidence, Mismatch, StepKind, StepResult, Verdict};
