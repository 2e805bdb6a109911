//! Running a plan: the environment first, then the specs in order and
//! their cases one by one, each recorded before and restored after
//! (FORMAT §9), events out as results come in. On every exit path, Ctrl-C
//! and SIGTERM included, the service is stopped and then whatever the
//! interrupted case changed in the database is put back.

mod case;
mod request;
mod send;
mod setup;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use itspec_spec::model::Priority;
use serde_json::Value;

use crate::env::Environment;
use crate::events::{Event, Reporter, SpecInfo};
use crate::http::Http;
use crate::isolation::Isolation;
use crate::mock::Mocks;
use crate::plan::Plan;
use crate::results::{
    CheckKind, CheckResult, Evidence, Outcome, RunOutcome, RunResult, SpecResult,
};
use crate::settings::{Settings, var_value};
use crate::vars::Scope;
use case::CaseRunner;

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
}

/// Runs a plan and reports as it goes. Blocks until the run is over.
pub fn run(
    plan: &Plan,
    settings: &Settings,
    options: &RunOptions,
    reporter: &mut dyn Reporter,
) -> RunResult {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let result = RunResult {
                outcome: RunOutcome::EnvironmentFailed {
                    message: format!("cannot start the async runtime: {error}"),
                },
                ..RunResult::default()
            };
            reporter.event(Event::RunFinished { result: &result });
            return result;
        }
    };
    runtime.block_on(run_async(plan, settings, options, reporter))
}

async fn run_async(
    plan: &Plan,
    settings: &Settings,
    options: &RunOptions,
    reporter: &mut dyn Reporter,
) -> RunResult {
    let started = Instant::now();
    let mut result = RunResult::starting_now();
    let grace = settings
        .service
        .as_ref()
        .map_or(Duration::from_secs(5), |s| s.stop_timeout);

    let mocks_defined = mock_names(plan);
    let environment = tokio::select! {
        environment = Environment::start(settings, &mocks_defined) => environment,
        () = shutdown_signal() => {
            result.outcome = RunOutcome::Interrupted;
            return finish(result, started, reporter);
        }
    };
    let mut environment = match environment {
        Ok(environment) => environment,
        Err(error) => {
            result.outcome = RunOutcome::EnvironmentFailed { message: error.0 };
            return finish(result, started, reporter);
        }
    };
    let mut isolation = match environment.database.take() {
        Some(database) => {
            let (exclude, entities) = settings
                .database
                .as_ref()
                .map(|d| (d.exclude.clone(), d.entities.clone()))
                .unwrap_or_default();
            let rescue_dir = settings.dir.join("target").join("itspec");
            let opened = tokio::select! {
                opened = Isolation::open(database, &exclude, entities, &rescue_dir) => opened,
                () = shutdown_signal() => {
                    environment.stop(grace).await;
                    result.outcome = RunOutcome::Interrupted;
                    return finish(result, started, reporter);
                }
            };
            match opened {
                Ok(isolation) => Some(isolation),
                Err(error) => {
                    environment.stop(grace).await;
                    result.outcome = RunOutcome::EnvironmentFailed {
                        message: format!("cannot record the database: {error}"),
                    };
                    return finish(result, started, reporter);
                }
            }
        }
        None => None,
    };
    // The mocks are lent to the cases; the service is stopped before them.
    let job = Job {
        plan,
        settings,
        options,
    };
    let mocks = std::mem::take(&mut environment.mocks);
    let outcome = tokio::select! {
        outcome = run_specs(&job, &mut environment, &mocks, isolation.as_mut(), &mut result, reporter) => outcome,
        () = shutdown_signal() => RunOutcome::Interrupted,
    };
    result.outcome = outcome;
    // The service first, so it writes nothing more; then the mocks and the
    // database.
    environment.stop(grace).await;
    mocks.stop();
    if let Some(isolation) = &mut isolation {
        if let Err(error) = isolation.restore().await {
            result.outcome = RunOutcome::EnvironmentFailed {
                message: format!("the database could not be restored after the last case: {error}"),
            };
        }
        isolation.close().await;
    }
    finish(result, started, reporter)
}

/// The mocks the planned specs define.
fn mock_names(plan: &Plan) -> BTreeSet<String> {
    plan.specs
        .iter()
        .flat_map(|planned| &planned.input.spec.mocks)
        .map(|mock| mock.name.value.clone())
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

/// What a run is asked to do.
struct Job<'a> {
    plan: &'a Plan,
    settings: &'a Settings,
    options: &'a RunOptions,
}

async fn run_specs(
    job: &Job<'_>,
    environment: &mut Environment,
    mocks: &Mocks,
    mut isolation: Option<&mut Isolation>,
    result: &mut RunResult,
    reporter: &mut dyn Reporter,
) -> RunOutcome {
    let Job {
        plan,
        settings,
        options,
    } = *job;
    let http = match Http::new(
        &environment.base_url,
        settings.timeout,
        settings.headers.clone(),
    ) {
        Ok(http) => http,
        Err(message) => return RunOutcome::EnvironmentFailed { message },
    };
    let service = environment
        .service
        .as_ref()
        .map(|s| s.command().to_string());
    let ready = environment
        .ready_after
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    result.target = environment.base_url.clone();
    reporter.event(Event::RunStarted {
        specs: plan.specs.len(),
        cases: plan.case_count(),
        target: &environment.base_url,
        service: service.as_deref().zip(ready),
    });
    if plan.drafts > 0 {
        let message = format!(
            "{} Draft spec{} not run (--include-drafts runs them)",
            plan.drafts,
            if plan.drafts == 1 { "" } else { "s" }
        );
        reporter.event(Event::Notice { message: &message });
    }
    let mut run_scope = Scope::new();
    run_scope.set("run_id", Value::String(run_id()));
    run_scope.set("worker", Value::from(1));
    run_scope.set("mocks", mocks.variables());
    for (name, value) in &settings.vars {
        run_scope.set(name.clone(), value.clone());
    }
    for (name, value) in &options.vars {
        run_scope.set(name.clone(), var_value(value));
    }
    for planned in &plan.specs {
        let spec = &planned.input.spec;
        let info = SpecInfo {
            path: planned.input.path.clone(),
            component: spec.component().unwrap_or_default().to_string(),
            text: Arc::clone(&planned.input.text),
        };
        reporter.event(Event::SpecStarted { spec: &info });
        let runner = CaseRunner {
            spec,
            source: &planned.input.text,
            http: &http,
            errors: &settings.errors,
            strict: options.strict,
            mocks,
            keep_going: options.keep_going,
            repeat: options.repeat,
            default_iterations: settings.iterations,
        };
        let mut spec_scope = run_scope.clone();
        let mut spec_result = SpecResult {
            path: info.path.clone(),
            component: info.component.clone(),
            priority: spec
                .priority
                .as_ref()
                .map_or(Priority::default(), |p| p.value)
                .as_str()
                .to_string(),
            status: spec
                .status
                .as_ref()
                .map(|s| s.value.as_str().to_string())
                .unwrap_or_default(),
            stories: spec.story_ids(),
            contract: spec.related.contract.as_ref().map(|c| c.value.to_string()),
            cases: Vec::new(),
        };
        for &index in &planned.cases {
            let Some(case) = spec.cases.get(index) else {
                continue;
            };
            let recorded = case.skip.is_none();
            if let Some(isolation) = isolation.as_deref_mut().filter(|_| recorded)
                && let Err(error) = isolation.begin().await
            {
                result.specs.push(spec_result);
                return RunOutcome::EnvironmentFailed {
                    message: format!(
                        "cannot record the database before {}: {error}",
                        case.id.value
                    ),
                };
            }
            let mut case_result = runner
                .run(case, &mut spec_scope, isolation.as_deref())
                .await;
            let mut restore_failed = None;
            if let Some(isolation) = isolation.as_deref_mut().filter(|_| recorded)
                && let Err(error) = isolation.restore().await
            {
                let message = format!(
                    "the database could not be restored after {}: {error}",
                    case.id.value
                );
                case_result.checks.push(CheckResult::failed(
                    CheckKind::Setup,
                    case.heading_span,
                    "restore",
                    message.clone(),
                    Evidence::default(),
                ));
                case_result.outcome = Outcome::Failed;
                restore_failed = Some(message);
            }
            result.summary.add(&case_result);
            reporter.event(Event::CaseFinished {
                spec: &info,
                result: &case_result,
            });
            spec_result.cases.push(case_result);
            if let Some(message) = restore_failed {
                reporter.event(Event::SpecFinished {
                    spec: &info,
                    result: &spec_result,
                });
                result.specs.push(spec_result);
                return RunOutcome::EnvironmentFailed { message };
            }
            if let Err(error) = environment.check_alive() {
                reporter.event(Event::SpecFinished {
                    spec: &info,
                    result: &spec_result,
                });
                result.specs.push(spec_result);
                return RunOutcome::EnvironmentFailed { message: error.0 };
            }
        }
        reporter.event(Event::SpecFinished {
            spec: &info,
            result: &spec_result,
        });
        result.specs.push(spec_result);
    }
    RunOutcome::Completed
}
