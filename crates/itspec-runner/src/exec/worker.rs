//! One worker: an environment of its own — its database (the configured
//! one, or a copy of it), its mock servers, its service and HTTP client —
//! running the specs it is handed case by case, each case recorded before
//! and restored after, and telling the coordinator what happened. It
//! prints nothing and shares nothing with other workers.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::Job;
use super::attempts::Attempts;
use super::case::CaseRunner;
use crate::broker::Brokers;
use crate::env::{EnvError, Environment};
use crate::http::Http;
use crate::isolation::Isolation;
use crate::mail::Mail;
use crate::mock::Mocks;
use crate::mutate::{self, Mutant};
use crate::settings::{Settings, var_value};
use crate::vars::Scope;
use itspec_results::{
    CaseResult, Evidence, Mutation, Outcome, ServiceLog, StepKind, StepResult, Verdict,
};

/// What a worker tells the coordinator.
#[derive(Debug)]
pub(super) enum Message {
    /// It began spec `spec` (an index into the plan).
    SpecStarted { spec: usize },
    /// A case of spec `spec` finished.
    CaseFinished {
        spec: usize,
        result: Box<CaseResult>,
    },
    /// An iteration of a concurrency case of spec `spec` finished.
    Iteration {
        spec: usize,
        case: String,
        iteration: u32,
        of: u32,
    },
    /// Its environment failed; it stops after this spec.
    Failed { message: String },
    /// It finished spec `spec` and can take another.
    SpecFinished { worker: usize, spec: usize },
}

/// A worker and its environment.
pub(super) struct Worker {
    /// From 1: `{{worker}}`.
    pub number: usize,
    pub environment: Environment,
    mocks: Mocks,
    /// The brokers, observed from start to stop.
    brokers: Brokers,
    /// The SMTP server, when `[mail]` is configured.
    mail: Option<Mail>,
    isolation: Option<Isolation>,
    /// Dropped before the service stops, so that no idle keep-alive
    /// connection holds up its graceful shutdown.
    http: Option<Http>,
    /// The variables every spec starts from.
    scope: Scope,
}

impl Worker {
    /// Starts the worker's environment from `settings` (whose database is
    /// this worker's) and records its database — on disk too when it is the
    /// user's own (`own_database`), not a copy.
    pub async fn start(
        number: usize,
        settings: &Settings,
        job: &Job<'_>,
        mocks_defined: &BTreeSet<String>,
        run_id: &str,
        own_database: bool,
    ) -> Result<Worker, EnvError> {
        let mut environment = Environment::start(settings, mocks_defined, number).await?;
        let grace = settings
            .service
            .as_ref()
            .map_or(Duration::from_secs(5), |s| s.stop_timeout);
        let isolation = match environment.database.take() {
            Some(mut database) => {
                // Not the user's own: a copy, dropped when the run ends.
                database.disposable = !own_database;
                let (exclude, entities) = settings
                    .database
                    .as_ref()
                    .map(|d| (d.exclude.clone(), d.entities.clone()))
                    .unwrap_or_default();
                let rescue_dir = settings.dir.join("target").join("itspec");
                match Isolation::open(database, &exclude, entities, &rescue_dir, own_database).await
                {
                    Ok(mut isolation) => {
                        if let Some(d) = &settings.database {
                            isolation.reconnect_timeout = d.reconnect_timeout;
                            isolation.defaults = d.defaults.clone();
                        }
                        Some(isolation)
                    }
                    Err(error) => {
                        environment.stop(grace).await;
                        return Err(EnvError(format!("cannot record the database: {error}")));
                    }
                }
            }
            None => None,
        };
        let http = match Http::new(
            &environment.base_url,
            settings.timeout,
            environment.headers.clone(),
        ) {
            Ok(http) => http
                .with_max_body(settings.max_body.clone())
                .with_release(settings.release),
            Err(error) => {
                environment.stop(grace).await;
                return Err(EnvError(error.to_string()));
            }
        };
        // The mocks are lent to the cases; the service is stopped before them.
        let mocks = std::mem::take(&mut environment.mocks);
        mocks.set_max_body(&settings.max_body);
        let brokers = std::mem::replace(&mut environment.brokers, Brokers::none());
        let mail = environment.mail.take();
        let mut scope = Scope::new();
        scope.set("run_id", Value::String(run_id.to_string()));
        scope.set("worker", Value::from(number));
        scope.set("mocks", mocks.variables());
        scope.set(
            "brokers",
            Value::Object(
                settings
                    .brokers
                    .iter()
                    .map(|(name, broker)| (name.clone(), serde_json::json!({ "url": broker.url })))
                    .collect(),
            ),
        );
        if let Some(mail) = &mail {
            scope.set("mail", mail.variables());
        }
        for (name, value) in &settings.vars {
            scope.set(name.clone(), value.clone());
        }
        for (name, value) in &job.options.vars {
            scope.set(name.clone(), var_value(value));
        }
        Ok(Worker {
            number,
            environment,
            mocks,
            brokers,
            mail,
            isolation,
            http: Some(http),
            scope,
        })
    }

    /// Runs the specs handed to it until the coordinator has no more.
    pub async fn run(
        &mut self,
        job: &Job<'_>,
        mut work: mpsc::Receiver<usize>,
        messages: mpsc::UnboundedSender<Message>,
    ) {
        while let Some(spec) = work.recv().await {
            let _ = messages.send(Message::SpecStarted { spec });
            let failure = self.run_spec(job, spec, &messages).await;
            let failed = failure.is_some();
            if let Some(message) = failure {
                let _ = messages.send(Message::Failed { message });
            }
            let _ = messages.send(Message::SpecFinished {
                worker: self.number,
                spec,
            });
            if failed {
                return;
            }
        }
    }

    /// Runs the planned cases of one spec; an environment failure ends it.
    async fn run_spec(
        &mut self,
        job: &Job<'_>,
        index: usize,
        messages: &mpsc::UnboundedSender<Message>,
    ) -> Option<String> {
        let (Some(planned), Some(http)) = (job.plan.specs.get(index), self.http.as_ref()) else {
            return None;
        };
        // Parsed again here, and dropped when the spec is done.
        let spec = planned.spec();
        // Read before the run: a document that cannot be read stopped it.
        let (contract, operation) = job.contracts.of(&spec).unwrap_or_default();
        let written = std::cell::RefCell::new(None);
        let progress = |case: &str, iteration: u32, of: u32| {
            let _ = messages.send(Message::Iteration {
                spec: index,
                case: case.to_string(),
                iteration,
                of,
            });
        };
        let runner = CaseRunner {
            progress: &progress,
            spec: &spec,
            contract: (contract.as_deref(), operation.as_ref()),
            undocumented_status_warns: job.settings.undocumented_status_warns,
            source: &planned.text,
            http,
            errors: &job.settings.errors,
            strict: job.options.strict,
            mocks: &self.mocks,
            brokers: &self.brokers,
            mail: self.mail.as_ref(),
            waits: job.settings.waits,
            keep_going: job.options.keep_going,
            repeat: job.options.repeat,
            default_iterations: job.settings.iterations,
            redaction: &job.settings.redaction,
            mutant: None,
            written: job.options.mutate.is_some().then_some(&written),
        };
        let mut spec_scope = self.scope.clone();
        for &case_index in &planned.cases {
            if job.stopping.load(Ordering::Relaxed) {
                break;
            }
            let Some(case) = spec.cases.get(case_index) else {
                continue;
            };
            written.take();
            // Run again under --retries, --runs or --until-fail, each run
            // from the same state; the captures of the last one stay.
            let scope_before = spec_scope.clone();
            let mut attempts = Attempts::new(job.options.repetition(job.settings));
            let mut recorded = Recorded {
                isolation: &mut self.isolation,
                brokers: &self.brokers,
                service: self.environment.service.as_ref(),
            };
            let mut restore_failed;
            let last = loop {
                let (ran, failed) = match recorded.run(&runner, case, &mut spec_scope, job).await {
                    Ok(ran) => ran,
                    Err(stop) => return stop,
                };
                restore_failed = failed;
                let mut last = Some(ran);
                let again = restore_failed.is_none()
                    && !job.stopping.load(Ordering::Relaxed)
                    && attempts.again(&mut last);
                match last {
                    Some(last) if !again => break last,
                    _ => spec_scope = scope_before.clone(),
                }
            };
            let mut result = attempts.result(last);
            if let Some(mutate) = job.options.mutate
                && result.outcome == Outcome::Passed
                && restore_failed.is_none()
            {
                // Each mutant runs from the state the case began with.
                let mut scope = scope_before.clone();
                match mutants(
                    &mut recorded,
                    &runner,
                    case,
                    &result,
                    &mut scope,
                    job,
                    mutate,
                )
                .await
                {
                    Ok(mutation) => result.mutation = Some(mutation),
                    Err(stop) => return stop,
                }
            }
            // A request that failed may mean the service is going down.
            let unanswered = result.exchanges.iter().any(|e| e.error.is_some());
            if job.options.fail_fast && matches!(result.outcome, Outcome::Failed | Outcome::Error) {
                // No other case starts, here or on another worker.
                job.stopping.store(true, Ordering::Relaxed);
            }
            let _ = messages.send(Message::CaseFinished {
                spec: index,
                result: Box::new(result),
            });
            if restore_failed.is_some() {
                return restore_failed;
            }
            let wait = if unanswered {
                Duration::from_millis(300)
            } else {
                Duration::ZERO
            };
            if let Err(error) = self.environment.check_alive_within(wait).await {
                return Some(error.0);
            }
        }
        None
    }

    /// What the run should be told when it starts.
    pub fn warnings(&self) -> Vec<String> {
        let database = self.isolation.as_ref().map_or(&[][..], Isolation::warnings);
        self.environment
            .notices
            .iter()
            .chain(database)
            .cloned()
            .collect()
    }

    /// Where the worker's database record is on disk, while it lives.
    pub fn record_file(&self) -> Option<std::path::PathBuf> {
        self.isolation
            .as_ref()
            .and_then(Isolation::record_file)
            .map(std::path::Path::to_path_buf)
    }

    /// Stops the service (so it writes nothing more), then the mocks, then
    /// undoes what an interrupted case changed and what the service wrote
    /// after the last restore.
    pub async fn stop(&mut self, grace: Duration) -> Stopped {
        self.http = None;
        self.environment.stop(grace).await;
        self.mocks.stop();
        let mut stopped = Stopped::default();
        // What an interrupted case, or the service after the last case,
        // wrote to the tracked keys.
        if let Err(error) = self.brokers.restore_keys().await {
            stopped.failure = Some(format!(
                "the tracked keys could not be put back after the last case: {error}"
            ));
        }
        let Some(isolation) = self.isolation.as_mut() else {
            return stopped;
        };
        match isolation.finish().await {
            Ok(note) => stopped.notice = note,
            Err(error) => {
                stopped.failure = Some(format!(
                    "the database could not be restored after the last case: {error}"
                ));
            }
        }
        isolation.close().await;
        stopped
    }
}

/// `itspec mutate`: runs a case that passed once per mutant of its
/// last response, each run recorded and restored as any; what it
/// still passed with survived. `Err`: the worker stops.
async fn mutants(
    recorded: &mut Recorded<'_>,
    runner: &CaseRunner<'_>,
    case: &itspec_spec::model::TestCase,
    passed: &CaseResult,
    spec_scope: &mut Scope,
    job: &Job<'_>,
    mutate: super::Mutate,
) -> Result<Mutation, Option<String>> {
    let last = passed.exchanges.last().and_then(|e| e.response.as_ref());
    let written = runner.written.and_then(std::cell::RefCell::take);
    // A race's responses differ from run to run: a response mutant would
    // find no place, or one the checks do not read. Its final state, its
    // fixtures and its mocks are mutated, each in one iteration.
    let race = case.kind() == itspec_spec::model::CaseKind::Concurrent;
    let mut mutants: Vec<Mutant> = last
        .filter(|_| !race)
        .map(mutate::mutants_of)
        .unwrap_or_default()
        .into_iter()
        .map(Mutant::Response)
        .collect();
    if let Some(written) = written {
        let error_case = last.is_some_and(|r| r.status >= 400);
        mutants.extend(mutate::database::mutants_of(&written, error_case));
    }
    mutants.extend(mutate::fixture::mutants_of(
        runner.spec,
        case,
        &passed.exchanges,
    ));
    mutants.extend(mutate::mock::mutants_of(runner.mocks, &passed.mock_calls));
    let before = spec_scope.clone();
    let mut mutation = Mutation::default();
    for mutant in &mutants {
        let out_of_time = mutate
            .budget
            .is_some_and(|budget| job.started.elapsed() >= budget);
        if out_of_time || job.stopping.load(Ordering::Relaxed) {
            mutation.untried += 1;
            continue;
        }
        let runner = CaseRunner {
            mutant: Some(mutant),
            repeat: if race { Some(1) } else { runner.repeat },
            ..*runner
        };
        *spec_scope = before.clone();
        let (ran, restore_failed) = recorded.run(&runner, case, spec_scope, job).await?;
        if restore_failed.is_some() {
            return Err(restore_failed);
        }
        mutation.tried += 1;
        let unplaced = ran.checks.iter().find(|c| c.text == mutate::NOT_APPLIED);
        if let Some(step) = unplaced {
            mutation.not_applied += 1;
            if let Verdict::Unverified { reason } = &step.verdict {
                mutation.unplaced.push(reason.clone());
            }
        } else if ran.outcome == Outcome::Passed {
            mutation.survived.push(mutant.description().to_string());
        }
    }
    *spec_scope = before;
    Ok(mutation)
}

/// What a case runs between: the worker's database record and tracked keys,
/// and its service's log.
struct Recorded<'w> {
    isolation: &'w mut Option<Isolation>,
    brokers: &'w Brokers,
    service: Option<&'w crate::env::Service>,
}

impl Recorded<'_> {
    /// Runs one case between a record and a restore of the database and
    /// the tracked keys: its result, and why the restore failed if it did.
    /// `Err`: the case could not be recorded, and the worker stops.
    async fn run(
        &mut self,
        runner: &CaseRunner<'_>,
        case: &itspec_spec::model::TestCase,
        spec_scope: &mut Scope,
        job: &Job<'_>,
    ) -> Result<(CaseResult, Option<String>), Option<String>> {
        let recorded = case.skip.is_none();
        if let Some(isolation) = self.isolation.as_mut().filter(|_| recorded)
            && let Err(error) = isolation.begin(&case.id.value).await
        {
            return Err(Some(format!(
                "cannot record the database before {}: {error}",
                case.id.value
            )));
        }
        if recorded && let Err(error) = self.brokers.record_keys().await {
            return Err(Some(format!(
                "cannot record the tracked keys before {}: {error}",
                case.id.value
            )));
        }
        let log_position = self.service.map(|s| s.log_position());
        let mut result = runner.run(case, spec_scope, self.isolation.as_ref()).await;
        if let (Some(service), Some(position)) = (self.service, log_position) {
            result.service_log = service_log(&result, service, position, job.settings);
        }
        let mut restore_failed = None;
        let keys_put_back = if recorded {
            self.brokers.restore_keys().await
        } else {
            Ok(())
        };
        let database_put_back = match self.isolation.as_mut().filter(|_| recorded) {
            Some(isolation) => isolation
                .restore()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Ok(()),
        };
        let put_back = database_put_back
            .map_err(|e| {
                format!(
                    "the database could not be restored after {}: {e}",
                    case.id.value
                )
            })
            .and(keys_put_back.map_err(|e| {
                format!(
                    "the tracked keys could not be put back after {}: {e}",
                    case.id.value
                )
            }));
        if let Err(error) = put_back {
            // The case was redacted as it ended: this comes after.
            let message = job.settings.redaction.hide_run_secrets(&error);
            result.checks.push(StepResult::error(
                StepKind::Setup,
                case.heading_span,
                "restore",
                message.clone(),
                Evidence::default(),
            ));
            result.outcome = Outcome::Error;
            restore_failed = Some(message);
        }
        Ok((result, restore_failed))
    }
}

/// What stopping a worker found.
#[derive(Debug, Default)]
pub(super) struct Stopped {
    /// A restore that failed: the run fails.
    pub failure: Option<String>,
    /// Something to tell (a late write, undone).
    pub notice: Option<String>,
}

/// The lines the service wrote to its log during a case that did not pass
/// and got a 5xx answer: what the service said about its own error. The
/// service's own output is not redacted in its log, but what is quoted
/// from it is.
fn service_log(
    result: &CaseResult,
    service: &crate::env::Service,
    position: u64,
    settings: &Settings,
) -> Option<ServiceLog> {
    let server_error = result
        .exchanges
        .iter()
        .any(|e| e.response.as_ref().is_some_and(|r| r.status >= 500));
    if result.outcome == Outcome::Passed || !server_error {
        return None;
    }
    let (lines, omitted, file) = service.log_since(position, SERVICE_LOG_LINES);
    Some(ServiceLog {
        file: settings
            .redaction
            .hide_run_secrets(&itspec_config::shown(file)),
        lines: lines
            .iter()
            .map(|line| settings.redaction.hide_run_secrets(line))
            .collect(),
        omitted,
    })
}

/// How many of a case's log lines a failure shows.
const SERVICE_LOG_LINES: usize = 30;
