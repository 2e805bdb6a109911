//! The one place for parallel work: how many workers a run may have,
//! their environments (a copy of the database each, made before any
//! service starts, dropped after), handing specs to workers by message as
//! they become free, collecting what they report into the result tree and
//! out to reporters without interleaving, and cleanup on every exit path —
//! an environment failure, Ctrl-C and SIGTERM included. Each worker runs
//! on a thread of its own (`worker_thread`); the coordinator, and the
//! reporter with it, on the run's first thread.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::Scope;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::{mpsc, watch};

use super::schedule;
use super::worker::Message;
use super::worker_thread::{Cancel, Start, Starting, WorkerThread};
use super::{Job, Rerun, Shared, finish, mock_names, run_id, shutdown_signal};
use crate::db;
use crate::env::EnvError;
use crate::plan::Plan;
use crate::settings::Settings;
use itspec_contract::Contracts;
use itspec_results::{Event, Reporter, SpecInfo};
use itspec_results::{RunOutcome, RunResult, SpecResult};
use std::sync::atomic::AtomicBool;

/// What the run has collected so far; kept outside the futures that an
/// interruption cancels.
struct Collected {
    infos: Vec<SpecInfo>,
    specs: Vec<Option<SpecResult>>,
    /// Print each case as it finishes (one worker), or each spec whole.
    live: bool,
    /// Drop passed cases' headers and bodies once printed.
    drop_passed_exchanges: bool,
    /// Specs begun and not finished, to print if the run is interrupted.
    open: BTreeSet<usize>,
    failure: Option<String>,
}

/// Runs the plan on `jobs` workers, each on a thread of `scope`.
pub(super) async fn run<'scope, 'env>(
    job: &Job<'env>,
    jobs: usize,
    reporter: &mut dyn Reporter,
    rerun: Option<&mut dyn Rerun>,
    scope: &'scope Scope<'scope, 'env>,
) -> RunResult {
    let settings = job.settings;
    let started = Instant::now();
    let mut result = super::run_starting_now();
    let grace = settings
        .service
        .as_ref()
        .map_or(Duration::from_secs(5), |s| s.stop_timeout);
    // One run per database, for the whole run: taken before anything is
    // copied or started, let go after everything is put back.
    let lock = tokio::select! {
        lock = lock_database(settings) => lock,
        () = shutdown_signal() => Err(None),
    };
    let lock = match lock {
        Ok(lock) => lock,
        Err(failure) => {
            result.outcome = match failure {
                Some(error) => RunOutcome::EnvironmentFailed { message: error.0 },
                None => RunOutcome::Interrupted,
            };
            return finish(result, started, reporter);
        }
    };
    let result = run_locked(job, jobs, reporter, result, started, grace, rerun, scope).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    result
}

/// Checks that the configured database is on this machine (unless allowed
/// elsewhere) and takes its lock.
async fn lock_database(settings: &Settings) -> Result<Option<db::RunLock>, Option<EnvError>> {
    let Some(database) = &settings.database else {
        return Ok(None);
    };
    crate::env::check_local(database).await?;
    db::RunLock::acquire(&database.url, &settings.dir)
        .await
        .map(Some)
        .map_err(|e| Some(EnvError(e.to_string())))
}

/// [`run`], with the database locked.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's parts, passed down once from `run`"
)]
async fn run_locked<'scope, 'env>(
    job: &Job<'env>,
    jobs: usize,
    reporter: &mut dyn Reporter,
    mut result: RunResult,
    started: Instant,
    grace: Duration,
    mut rerun: Option<&mut dyn Rerun>,
    scope: &'scope Scope<'scope, 'env>,
) -> RunResult {
    let (plan, settings, options) = (&*job.plan, job.settings, job.options);
    let mut copies = Vec::new();
    let mut workers = Vec::new();
    let mut notices = Vec::new();
    // Tells every worker's thread when to give up.
    let (cancel, _) = watch::channel(Cancel::No);
    if let Some(service) = &settings.service {
        let log = settings
            .dir
            .join("target")
            .join("itspec")
            .join("service.log");
        reporter.event(Event::ServiceStarting {
            command: &service.command,
            log: &itspec_config::shown(&log),
            workers: jobs,
        });
    }
    let prepared = prepare(
        job,
        jobs,
        scope,
        &cancel,
        &mut copies,
        &mut workers,
        &mut notices,
    )
    .await;
    if let Err(failure) = prepared {
        result.outcome = match failure {
            Some(error) => RunOutcome::EnvironmentFailed { message: error.0 },
            None => RunOutcome::Interrupted,
        };
        // Ctrl-C while the workers started: those that were up are
        // stopped, and a second Ctrl-C does not wait for them.
        if stop_or_give_up(workers, grace, &cancel, &mut result, reporter).await {
            drop_copies(settings, &copies, reporter).await;
        }
        return finish(result, started, reporter);
    }

    let Some(first) = workers.first().map(|w| &w.started) else {
        // No worker started, and none failed: nothing can run.
        drop_copies(settings, &copies, reporter).await;
        return finish(result, started, reporter);
    };
    result.target = first.base_url.clone();
    let service = first.service.clone();
    let ready = workers
        .iter()
        .filter_map(|w| w.started.ready_after)
        .max()
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    reporter.event(Event::RunStarted {
        specs: plan.specs.len(),
        cases: plan.case_count(),
        workers: jobs,
        target: &result.target,
        service: service.as_deref().zip(ready),
    });
    // Each worker's service; the database's triggers once.
    let mut told: Vec<String> = Vec::new();
    for message in notices.into_iter().chain(
        workers
            .iter()
            .flat_map(|w| w.started.warnings.iter().cloned()),
    ) {
        if !told.contains(&message) {
            reporter.event(Event::Notice { message: &message });
            told.push(message);
        }
    }
    drafts_notice(plan, reporter);
    // Under --watch, each plan after the first: run in the same
    // environment, its service, mocks and database record kept up.
    let mut rerun_plan: Option<(Arc<Plan>, Arc<Contracts>)> = None;
    let mut started = started;
    let mut between_runs = false;
    let interrupted = loop {
        let this = Job {
            plan: rerun_plan.as_ref().map_or(job.plan.clone(), |(plan, _)| {
                Shared::Owned(Arc::clone(plan))
            }),
            settings,
            options,
            contracts: rerun_plan
                .as_ref()
                .map_or(job.contracts.clone(), |(_, contracts)| {
                    Shared::Owned(Arc::clone(contracts))
                }),
            stopping: Arc::new(AtomicBool::new(false)),
            started: Instant::now(),
        };
        if run_plan(&this, jobs, &workers, &mut result, reporter).await {
            break true;
        }
        let Some(rerun) = rerun.as_deref_mut() else {
            break false;
        };
        // This run is over and told; the environment stays up while the
        // watcher waits for a change.
        let done = finish(
            std::mem::replace(&mut result, super::run_starting_now()),
            started,
            reporter,
        );
        result.target.clone_from(&done.target);
        between_runs = true;
        let next = tokio::select! {
            next = rerun.next(done) => next,
            () = shutdown_signal() => break true,
        };
        let Some(next) = next else {
            break false;
        };
        rerun_plan = Some((Arc::new(next.0), Arc::new(next.1)));
        started = Instant::now();
        between_runs = false;
        let plan = rerun_plan.as_ref().map_or(plan, |(plan, _)| plan);
        reporter.event(Event::RunStarted {
            specs: plan.specs.len(),
            cases: plan.case_count(),
            workers: jobs,
            target: &result.target,
            service: None,
        });
        drafts_notice(plan, reporter);
    };
    if interrupted {
        // Each worker leaves its case; the stop puts back what it wrote.
        cancel.send_replace(Cancel::Interrupt);
        result.outcome = RunOutcome::Interrupted;
        reporter.event(Event::Notice {
            message: "interrupted: stopping the service and putting the database back",
        });
        if !stop_or_give_up(workers, grace, &cancel, &mut result, reporter).await {
            return finish(result, started, reporter);
        }
    } else {
        stop_all(&workers, grace, &mut result, reporter).await;
    }
    drop_copies(settings, &copies, reporter).await;
    end(result, started, between_runs, reporter)
}

/// The end of a run — or, under `--watch` between two runs, of the
/// watch: each run was told as it finished, so this is a notice unless
/// stopping found something wrong.
fn end(
    result: RunResult,
    started: Instant,
    between_runs: bool,
    reporter: &mut dyn Reporter,
) -> RunResult {
    if between_runs && !matches!(result.outcome, RunOutcome::EnvironmentFailed { .. }) {
        reporter.event(Event::Notice {
            message: "stopped watching: the service is stopped and the database put back",
        });
        return result;
    }
    finish(result, started, reporter)
}

/// How many Draft specs the plan leaves out.
fn drafts_notice(plan: &Plan, reporter: &mut dyn Reporter) {
    if plan.drafts > 0 {
        let message = format!(
            "{} Draft spec{} not run (--include-drafts runs them)",
            plan.drafts,
            if plan.drafts == 1 { "" } else { "s" }
        );
        reporter.event(Event::Notice { message: &message });
    }
}

/// Runs one plan on the workers that are up, collecting its results into
/// `result`. `true`: Ctrl-C or SIGTERM cut it short.
async fn run_plan<'env>(
    job: &Job<'env>,
    jobs: usize,
    workers: &[WorkerThread<'env>],
    result: &mut RunResult,
    reporter: &mut dyn Reporter,
) -> bool {
    let plan = &*job.plan;
    let mut collected = Collected {
        infos: plan
            .specs
            .iter()
            .map(|planned| SpecInfo {
                path: planned.path.clone(),
                component: planned.about.component.clone(),
                text: Arc::clone(&planned.text),
            })
            .collect(),
        specs: vec![None; plan.specs.len()],
        live: jobs == 1,
        drop_passed_exchanges: job.options.drop_passed_exchanges,
        open: BTreeSet::new(),
        failure: None,
    };
    let interrupted = tokio::select! {
        () = hand_out(job, workers, &mut collected, result, reporter) => false,
        () = shutdown_signal() => true,
    };
    // What was cut short is printed too, each spec whole.
    for index in std::mem::take(&mut collected.open) {
        if !collected.live {
            print_spec(&collected, index, reporter);
        } else if let (Some(Some(spec)), Some(info)) =
            (collected.specs.get(index), collected.infos.get(index))
        {
            reporter.event(Event::SpecFinished {
                spec: info,
                result: spec,
            });
        }
    }
    if job.stopping.load(Ordering::Relaxed) {
        let summary = &result.summary;
        let ran = summary.passed + summary.failed + summary.errors + summary.skipped;
        let left = plan.case_count().saturating_sub(ran);
        if left > 0 {
            let message = format!(
                "stopped after the first failure (--fail-fast): {left} case{} not run",
                if left == 1 { "" } else { "s" }
            );
            reporter.event(Event::Notice { message: &message });
        }
    }
    result.outcome = if interrupted {
        RunOutcome::Interrupted
    } else if let Some(message) = collected.failure.take() {
        RunOutcome::EnvironmentFailed { message }
    } else {
        RunOutcome::Completed
    };
    result.specs = collected.specs.into_iter().flatten().collect();
    interrupted
}

/// Copies the database for each worker (when there are several and
/// itspec starts the service) and starts the workers side by side, each
/// on its thread. `Err(None)`: nothing failed, but nothing may run either
/// (Ctrl-C). The workers that did start are in `workers` either way.
async fn prepare<'scope, 'env>(
    job: &Job<'env>,
    jobs: usize,
    scope: &'scope Scope<'scope, 'env>,
    cancel: &watch::Sender<Cancel>,
    copies: &mut Vec<String>,
    workers: &mut Vec<WorkerThread<'env>>,
    notices: &mut Vec<String>,
) -> Result<(), Option<EnvError>> {
    let run_id = run_id();
    let per_worker = tokio::select! {
        copied = copy_databases(job.settings, jobs, &run_id, copies, notices) => copied?,
        () = shutdown_signal() => return Err(None),
    };
    let mocks = mock_names(&job.plan);
    let mut failure = None;
    let mut starting = Vec::with_capacity(jobs);
    for (settings, number) in per_worker.into_iter().zip(1..) {
        let start = Start {
            number,
            settings,
            job: job.clone(),
            mocks: mocks.clone(),
            run_id: run_id.clone(),
            own_database: jobs == 1,
        };
        match Starting::spawn(scope, start, cancel.subscribe()) {
            Ok(thread) => starting.push(thread),
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    // Ctrl-C while they start: each gives up, or, up already, is stopped
    // by the caller.
    let mut up = std::pin::pin!(join_all(starting.into_iter().map(Starting::up)));
    let (up, interrupted) = tokio::select! {
        up = up.as_mut() => (up, false),
        () = shutdown_signal() => {
            cancel.send_replace(Cancel::Interrupt);
            (up.await, true)
        }
    };
    for worker in up {
        match worker {
            Ok(Some(worker)) => workers.push(worker),
            Ok(None) => {}
            Err(error) => failure = failure.or(Some(error)),
        }
    }
    if interrupted {
        return Err(None);
    }
    match failure {
        Some(error) if jobs > 1 => Err(Some(EnvError(format!(
            "a worker's environment failed: {error}"
        )))),
        Some(error) => Err(Some(error)),
        None => Ok(()),
    }
}

/// Each worker's settings: when there are several, each with a copy of
/// the database of its own (every copy made is kept in `copies`, so it is
/// dropped even when another failed).
async fn copy_databases(
    settings: &Settings,
    jobs: usize,
    run_id: &str,
    copies: &mut Vec<String>,
    notices: &mut Vec<String>,
) -> Result<Vec<Settings>, Option<EnvError>> {
    let mut per_worker = vec![settings.clone(); jobs];
    if let Some(database) = &settings.database {
        // The run holds the base's lock: no other run uses its copies.
        match db::drop_stale_copies(&database.url, &settings.dir).await {
            Ok(dropped) if !dropped.is_empty() => notices.push(format!(
                "dropped the worker copies of the database an earlier run left behind: {}",
                dropped.join(", ")
            )),
            Ok(_) => {}
            Err(error) => notices.push(format!(
                "could not look for worker copies an earlier run left behind: {error}"
            )),
        }
    }
    if let Some(database) = settings.database.as_ref().filter(|_| jobs > 1) {
        let base = crate::env::prepare_database(database, &settings.dir).await?;
        base.close().await;
        let run = run_id.get(..8).unwrap_or(run_id);
        // Side by side: a PostgreSQL copy is mostly the server writing
        // the new database's files.
        let made = join_all(
            (1..=jobs).map(|number| db::copy_database(&database.url, run, number, &settings.dir)),
        )
        .await;
        let mut failed = None;
        for (made, worker_settings) in made.into_iter().zip(&mut per_worker) {
            match made {
                Ok(copy) => {
                    copies.push(copy.clone());
                    if let Some(worker_database) = &mut worker_settings.database {
                        worker_database.url = copy;
                    }
                }
                Err(error) => failed = failed.or(Some(error)),
            }
        }
        if let Some(error) = failed {
            return Err(Some(EnvError(error.to_string())));
        }
    }
    Ok(per_worker)
}

/// Hands every spec out, one at a time to whichever worker is free, and
/// takes in what the workers report until all are done.
async fn hand_out<'env>(
    job: &Job<'env>,
    workers: &[WorkerThread<'env>],
    collected: &mut Collected,
    result: &mut RunResult,
    reporter: &mut dyn Reporter,
) {
    let mut queue = schedule::order(&job.plan, &job.options.timings);
    let (messages, mut inbox) = mpsc::unbounded_channel();
    let mut senders = Vec::with_capacity(workers.len());
    for worker in workers {
        let (sender, work) = mpsc::channel(1);
        let first = queue.pop_front();
        if let Some(spec) = first {
            let _ = sender.try_send(spec);
        }
        if worker.run(job.clone(), work, messages.clone()) {
            senders.push(first.map(|_| sender));
        } else {
            // Its thread is gone: its spec goes to another worker.
            if let Some(spec) = first {
                queue.push_front(spec);
            }
            senders.push(None);
        }
    }
    // The inbox closes when every worker has run out of specs.
    drop(messages);
    while let Some(message) = inbox.recv().await {
        match message {
            Message::SpecStarted { spec } => collected.start(job, spec, reporter),
            Message::CaseFinished { spec, result: case } => {
                result.summary.add(&case);
                if job.stopping.load(Ordering::Relaxed) {
                    // --fail-fast: a case failed; no other spec starts.
                    queue.clear();
                }
                collected.case(spec, *case, reporter);
            }
            Message::Iteration {
                spec,
                case,
                iteration,
                of,
            } => {
                if let Some(info) = collected.infos.get(spec) {
                    reporter.event(Event::IterationFinished {
                        spec: info,
                        case: &case,
                        iteration,
                        of,
                    });
                }
            }
            Message::Failed { message } => {
                collected.failure.get_or_insert(message);
                // No more specs for anyone; running ones finish.
                queue.clear();
            }
            Message::SpecFinished { worker, spec } => {
                collected.finish(spec, reporter);
                let sender = senders.get_mut(worker - 1).and_then(Option::take);
                if let (Some(sender), Some(next)) = (sender, queue.pop_front()) {
                    let _ = sender.try_send(next);
                    if let Some(slot) = senders.get_mut(worker - 1) {
                        *slot = Some(sender);
                    }
                }
            }
        }
    }
    // Every worker has ended: a spec left running or waiting means one
    // ended before its work was done (a panic), never a pass.
    if !queue.is_empty() || !collected.open.is_empty() {
        collected
            .failure
            .get_or_insert_with(|| "a worker ended before its specs were done".to_string());
    }
}

impl Collected {
    fn start(&mut self, job: &Job<'_>, index: usize, reporter: &mut dyn Reporter) {
        let Some(planned) = job.plan.specs.get(index) else {
            return;
        };
        let (Some(slot), Some(info)) = (self.specs.get_mut(index), self.infos.get(index)) else {
            return;
        };
        let about = &planned.about;
        *slot = Some(SpecResult {
            path: planned.path.clone(),
            component: about.component.clone(),
            priority: about.priority.as_str().to_string(),
            status: about.status.clone(),
            stories: about.stories.clone(),
            contract: about.contract.clone(),
            cases: Vec::new(),
        });
        self.open.insert(index);
        if self.live {
            reporter.event(Event::SpecStarted { spec: info });
        }
    }

    fn case(
        &mut self,
        index: usize,
        mut case: itspec_results::CaseResult,
        reporter: &mut dyn Reporter,
    ) {
        let (Some(Some(spec)), Some(info)) = (self.specs.get_mut(index), self.infos.get(index))
        else {
            return;
        };
        if self.live {
            reporter.event(Event::CaseFinished {
                spec: info,
                result: &case,
            });
            if self.drop_passed_exchanges {
                case.slim();
            }
        }
        spec.cases.push(case);
    }

    fn finish(&mut self, index: usize, reporter: &mut dyn Reporter) {
        self.open.remove(&index);
        if let Some(Some(spec)) = self.specs.get_mut(index) {
            // Kept to the end of the run: no room for cases to come.
            spec.cases.shrink_to_fit();
        }
        if self.live {
            if let (Some(Some(spec)), Some(info)) = (self.specs.get(index), self.infos.get(index)) {
                reporter.event(Event::SpecFinished {
                    spec: info,
                    result: spec,
                });
            }
        } else {
            print_spec(self, index, reporter);
            if let Some(spec) = self
                .specs
                .get_mut(index)
                .and_then(Option::as_mut)
                .filter(|_| self.drop_passed_exchanges)
            {
                spec.cases
                    .iter_mut()
                    .for_each(itspec_results::CaseResult::slim);
            }
        }
    }
}

/// A spec's events all at once: what several workers print.
fn print_spec(collected: &Collected, index: usize, reporter: &mut dyn Reporter) {
    let (Some(info), Some(Some(spec))) = (collected.infos.get(index), collected.specs.get(index))
    else {
        return;
    };
    reporter.event(Event::SpecStarted { spec: info });
    for case in &spec.cases {
        reporter.event(Event::CaseFinished {
            spec: info,
            result: case,
        });
    }
    reporter.event(Event::SpecFinished {
        spec: info,
        result: spec,
    });
}

/// Stops every worker after Ctrl-C or a failure. A second Ctrl-C does not
/// wait for the database — the recorded rows are on disk already, and
/// where is told — and the workers give up at once: the services die with
/// them (their process groups are killed when dropped), and the copies are
/// left for the next run to drop. `false`: given up.
async fn stop_or_give_up(
    workers: Vec<WorkerThread<'_>>,
    grace: Duration,
    cancel: &watch::Sender<Cancel>,
    result: &mut RunResult,
    reporter: &mut dyn Reporter,
) -> bool {
    let records: Vec<std::path::PathBuf> = workers
        .iter()
        .filter_map(|w| w.started.record_file.clone())
        .collect();
    let stopped = tokio::select! {
        () = stop_all(&workers, grace, result, reporter) => true,
        () = shutdown_signal() => false,
    };
    if !stopped {
        for record in records {
            let message = format!(
                "interrupted again before the database was put back: the rows recorded before the first case are saved in {}; `itspec restore {}` puts them back",
                itspec_config::shown(&record),
                itspec_config::shown(&record)
            );
            reporter.event(Event::Notice { message: &message });
        }
        result.outcome = RunOutcome::Interrupted;
        cancel.send_replace(Cancel::Abort);
    }
    stopped
}

/// Stops every worker side by side; a database left unrestored fails the
/// run, and what the stops found is told.
async fn stop_all(
    workers: &[WorkerThread<'_>],
    grace: Duration,
    result: &mut RunResult,
    reporter: &mut dyn Reporter,
) {
    let stopped = join_all(workers.iter().map(|w| w.stop(grace))).await;
    let mut failure = None;
    for stop in stopped {
        if let Some(message) = &stop.notice {
            reporter.event(Event::Notice { message });
        }
        failure = failure.or(stop.failure);
    }
    if let Some(message) = failure {
        result.outcome = RunOutcome::EnvironmentFailed { message };
    }
}

/// Drops the workers' copies of the database.
async fn drop_copies(settings: &Settings, copies: &[String], reporter: &mut dyn Reporter) {
    let Some(database) = &settings.database else {
        return;
    };
    let dropped = join_all(
        copies
            .iter()
            .map(|copy| db::drop_copy(&database.url, copy, &settings.dir)),
    )
    .await;
    for (copy, result) in copies.iter().zip(dropped) {
        if let Err(error) = result {
            let message = format!(
                "could not drop the worker database {}: {error}",
                db::redact(copy)
            );
            reporter.event(Event::Notice { message: &message });
        }
    }
}
