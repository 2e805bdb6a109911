//! Events out, reporters in: the runner tells reporters what happens as it
//! happens, each event stamped with when; it prints nothing itself.

use std::time::SystemTime;

use crate::{CaseResult, RunResult, SpecResult};

/// A spec as reporters need it: where it is and its text, for code frames.
#[derive(Clone, Debug)]
pub struct SpecInfo {
    /// The path, as shown.
    pub path: String,
    /// The component.
    pub component: String,
    /// The spec's text.
    pub text: std::sync::Arc<str>,
}

/// Something that happened in a run.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// The environment is ready and cases are about to run.
    RunStarted {
        /// Specs to run.
        specs: usize,
        /// Cases to run (skipped ones included).
        cases: usize,
        /// Workers running them side by side.
        workers: usize,
        /// Where requests go.
        target: &'a str,
        /// What was started, and how long it took to become ready.
        service: Option<(&'a str, u64)>,
    },
    /// itspec is starting the service — perhaps building it first —, said
    /// before the wait so a slow start is never silent.
    ServiceStarting {
        /// The command, as configured.
        command: &'a str,
        /// Where its output goes, as shown.
        log: &'a str,
        /// Services started side by side, one per worker.
        workers: usize,
    },
    /// A spec starts.
    SpecStarted {
        /// The spec.
        spec: &'a SpecInfo,
    },
    /// A case finished (or was skipped).
    CaseFinished {
        /// Its spec.
        spec: &'a SpecInfo,
        /// Its result.
        result: &'a CaseResult,
    },
    /// An iteration of a concurrency case finished.
    IterationFinished {
        /// Its spec.
        spec: &'a SpecInfo,
        /// The case's id.
        case: &'a str,
        /// Which one, from 1.
        iteration: u32,
        /// Of how many planned.
        of: u32,
    },
    /// A spec finished.
    SpecFinished {
        /// Its spec.
        spec: &'a SpecInfo,
        /// Its results.
        result: &'a SpecResult,
    },
    /// Something worth saying that is not a result.
    Notice {
        /// The text.
        message: &'a str,
    },
    /// The run is over (or could not happen).
    RunFinished {
        /// Everything.
        result: &'a RunResult,
    },
}

/// An event and when it happened.
#[derive(Clone, Copy, Debug)]
pub struct Stamped<'a> {
    /// When it happened (a reporter in front of another passes it on).
    pub at: SystemTime,
    /// What happened.
    pub event: Event<'a>,
}

impl<'a> Stamped<'a> {
    /// `event`, happening now.
    pub fn now(event: Event<'a>) -> Self {
        Self {
            at: SystemTime::now(),
            event,
        }
    }

    /// Another event at the same time: what a reporter in front of
    /// another passes on in place of this one.
    pub fn with<'b>(&self, event: Event<'b>) -> Stamped<'b> {
        Stamped { at: self.at, event }
    }
}

/// Receives events. Reporters implement it.
pub trait Reporter {
    /// Handles one event.
    fn report(&mut self, stamped: Stamped<'_>);

    /// Reports `event` as happening now: how the runner tells.
    fn event(&mut self, event: Event<'_>) {
        self.report(Stamped::now(event));
    }
}

/// A reporter that does nothing, for callers that only want the result.
#[derive(Debug, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn report(&mut self, _: Stamped<'_>) {}
}
