//! Running a plan: the environment first — one per worker — then the
//! specs and their cases one by one, each recorded before and restored
//! after (FORMAT §9), events out as results come in, the run's secrets
//! hidden in all of them. On every exit path, Ctrl-C and SIGTERM included,
//! the services are stopped and then whatever an interrupted case changed
//! in the database is put back.

mod attempts;
mod case;
mod cookies;
mod coordinator;
mod prepare;
mod publish;
mod request;
mod schedule;
mod send;
mod setup;
mod worker;
mod worker_count;
mod worker_thread;

pub use prepare::{
    ContractsError, PrepareError, PreparedRun, WorkersError, contracts, prepare_run,
};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use futures_util::future::LocalBoxFuture;
use std::time::Instant;

use crate::plan::Plan;
use crate::redact::Redacting;
use crate::settings::Settings;
use itspec_contract::Contracts;
use itspec_results::{Event, Reporter};
use itspec_results::{RunOutcome, RunResult};

/// How to run, beyond the settings.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `--var name=value`.
    pub vars: Vec<(String, String)>,
    /// Prose assertions fail.
    pub strict: bool,
    /// Iterations of every concurrency case, instead of its Repeat and the
    /// configured default.
    pub repeat: Option<u32>,
    /// Run every iteration of a concurrency case even after one failed, to
    /// see how often the race happens.
    pub keep_going: bool,
    /// Workers, instead of `[workers] jobs`.
    pub jobs: Option<u32>,
    /// Drop the headers, bodies and mock journals of passed cases from the
    /// result once they are reported, so long runs stay small (when no
    /// report shows them).
    pub drop_passed_exchanges: bool,
    /// Each spec's duration in an earlier run (ms, by path): workers are
    /// handed the longest first.
    pub timings: BTreeMap<String, u64>,
    /// `-x`: no case starts after one failed or errored.
    pub fail_fast: bool,
    /// `--retries N`: a case that did not pass runs again up to N times
    /// (instead of `[run] retries`).
    pub retries: Option<u32>,
    /// `--runs N`: every case runs N times, and its pass rate is reported.
    pub runs: Option<u32>,
    /// `--until-fail D`: every case runs again until it fails or D has
    /// passed.
    pub until_fail: Option<std::time::Duration>,
    /// `itspec mutate`: every case that passes runs again once per mutant
    /// of its response, until the budget (if any) is spent.
    pub mutate: Option<Mutate>,
}

/// How `itspec mutate` runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mutate {
    /// No mutant starts after this much time from the run's start.
    pub budget: Option<std::time::Duration>,
}

impl RunOptions {
    /// How often each case runs: `--until-fail`, else `--runs`, else the
    /// retries of `--retries` or `[run] retries`.
    fn repetition(&self, settings: &Settings) -> attempts::Repetition {
        use attempts::Repetition;
        match (self.until_fail, self.runs) {
            (Some(budget), _) => Repetition::UntilFail(budget),
            (None, Some(runs)) if runs > 1 => Repetition::Runs(runs),
            _ => Repetition::Retries(self.retries.unwrap_or(settings.retries)),
        }
    }
}

/// Runs a plan and reports as it goes. Blocks until the run is over. It
/// is prepared first ([`prepare_run`]); what stops it there fails the run
/// before it starts.
pub fn run(
    plan: &Plan,
    settings: &Settings,
    options: &RunOptions,
    reporter: &mut dyn Reporter,
) -> RunResult {
    match prepare_run(plan.clone(), settings.clone(), options.clone()) {
        Ok(prepared) => prepared.run(reporter),
        Err(error) => {
            let secrets = settings.redaction_for_run(&options.vars).run_secrets();
            failed_before(error.to_string(), &mut Redacting::new(reporter, &secrets))
        }
    }
}

pub(super) fn run_inner(
    plan: &Plan,
    settings: &Settings,
    options: &RunOptions,
    contracts: &Contracts,
    reporter: &mut dyn Reporter,
    rerun: Option<&mut dyn Rerun>,
) -> RunResult {
    // What the settings and `--var` hold that is secret is hidden in every
    // case, and in what is said about the run.
    let mut settings = settings.clone();
    settings.redaction = settings.redaction_for_run(&options.vars);
    let secrets = settings.redaction.run_secrets();
    let mut reporter = Redacting::new(reporter, &secrets);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return failed_before(
                format!("cannot start the async runtime: {error}"),
                &mut reporter,
            );
        }
    };
    let jobs = match worker_count::worker_count(plan, &settings, options) {
        Ok(jobs) => jobs,
        Err(error) => return failed_before(error.to_string(), &mut reporter),
    };
    let job = Job {
        plan: Shared::Borrowed(plan),
        settings: &settings,
        options,
        contracts: Shared::Borrowed(contracts),
        stopping: Arc::new(AtomicBool::new(false)),
        started: Instant::now(),
    };
    // Each worker runs on a thread of this scope; the coordinator, the
    // reporter with it, on this one.
    let mut result = std::thread::scope(|scope| {
        runtime.block_on(coordinator::run(&job, jobs, &mut reporter, rerun, scope))
    });
    reporter.result(&mut result);
    result
}

/// What `run --watch` does between runs: told each run's result once it
/// is reported, it waits — for a file to change — and gives the next plan
/// to run in the same environment, or `None` to stop (the environment is
/// then stopped and the database put back). Ctrl-C while it waits stops
/// the run as interrupted.
pub trait Rerun {
    /// The next plan and its contracts, or `None`.
    fn next(&mut self, result: RunResult) -> LocalBoxFuture<'_, Option<(Plan, Contracts)>>;
}

/// A run beginning now, with nothing in it yet.
pub fn run_starting_now() -> RunResult {
    RunResult::starting_at(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// A run that failed before it started, reported.
fn failed_before(message: String, reporter: &mut Redacting<'_>) -> RunResult {
    let mut result = RunResult {
        outcome: RunOutcome::EnvironmentFailed { message },
        ..run_starting_now()
    };
    reporter.event(Event::RunFinished { result: &result });
    reporter.result(&mut result);
    result
}

/// The mocks the planned specs define.
fn mock_names(plan: &Plan) -> BTreeSet<String> {
    plan.specs
        .iter()
        .flat_map(|planned| planned.about.mocks.iter().cloned())
        .collect()
}

fn finish(mut result: RunResult, started: Instant, reporter: &mut dyn Reporter) -> RunResult {
    result.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    reporter.event(Event::RunFinished { result: &result });
    result
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

/// A short id unique to this run: `{{run_id}}`.
fn run_id() -> String {
    uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(12)
        .collect()
}

/// What a run is asked to do; each worker's thread holds a copy.
#[derive(Clone)]
struct Job<'a> {
    plan: Shared<'a, Plan>,
    settings: &'a Settings,
    options: &'a RunOptions,
    contracts: Shared<'a, Contracts>,
    /// A case failed under `--fail-fast`: workers start no other.
    stopping: Arc<AtomicBool>,
    /// When the run began: `itspec mutate`'s budget counts from it.
    started: Instant,
}

/// The first plan is borrowed for the whole run; each one `--watch` gives
/// later is owned by the run and shared with the workers' threads.
enum Shared<'a, T> {
    Borrowed(&'a T),
    Owned(Arc<T>),
}

impl<T> Clone for Shared<'_, T> {
    fn clone(&self) -> Self {
        match self {
            Shared::Borrowed(value) => Shared::Borrowed(value),
            Shared::Owned(value) => Shared::Owned(Arc::clone(value)),
        }
    }
}

impl<T> std::ops::Deref for Shared<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Shared::Borrowed(value) => value,
            Shared::Owned(value) => value,
        }
    }
}
