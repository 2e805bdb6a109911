//! Concurrency cases run Repeat times (FORMAT §8): each iteration starts
//! from the state after Setup (database and mocks), the case stops at the
//! first failing iteration (or, with `--keep-going`, runs them all and
//! counts), `no race conditions` says which iteration failed, and the
//! requests of a group are timed.

mod databases;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use databases::{Backend, block_on, fresh_db};
use itspec_results::{Outcome, Verdict};
use itspec_runner::db::{self, Database};
use itspec_runner::{DatabaseSettings, RunOptions};
use support::{cases, serve};

/// Answers 200, except the `fail_at`th request (from 1), which gets 500.
fn flaky(fail_at: usize) -> Router {
    let count = Arc::new(AtomicUsize::new(0));
    Router::new()
        .route(
            "/flaky",
            get(move |State(count): State<Arc<AtomicUsize>>| async move {
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                if n == fail_at {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }),
        )
        .with_state(count)
}

const RACE: &str = "### TC-INT-001: Two at once\n\n**Actions:**\n1. Request A: GET /flaky\n2. Request B (concurrent): GET /flaky\n\n\
                    **Expected:**\n- statuses == [200, 200] in any order\n- no race conditions\n\n**Repeat:** 5\n";

fn race_verdict(result: &itspec_results::RunResult) -> String {
    let case = cases(result)[0];
    case.checks
        .iter()
        .find(|c| c.text == "no race conditions")
        .map(|c| match &c.verdict {
            Verdict::Failed { message, .. } | Verdict::Error { message, .. } => message.clone(),
            Verdict::Passed => "passed".to_string(),
            Verdict::Unverified { reason } => reason.clone(),
        })
        .unwrap()
}

#[test]
fn the_first_failing_iteration_stops_the_case_and_is_shown() {
    // Requests 1–4 are iterations 1 and 2; the 5th is in iteration 3.
    let base = serve(flaky(5));
    let result = support::run(&base, RACE);
    let case = cases(&result)[0];
    assert_eq!(case.outcome, Outcome::Failed);
    let iterations = case.iterations.as_ref().unwrap();
    assert_eq!(
        (iterations.planned, iterations.run, iterations.failed),
        (5, 3, 1)
    );
    assert_eq!((iterations.first_failed, iterations.shown), (Some(3), 3));
    assert_eq!(iterations.skews_ms().count(), 3);
    let passed: Vec<bool> = iterations.runs.iter().map(|r| r.passed).collect();
    assert_eq!(passed, [true, true, false]);
    assert!(iterations.runs.iter().all(|r| r.requests.len() == 2));
    assert_eq!(race_verdict(&result), "iteration 3 of 5 failed");
    // The shown exchanges are the failing iteration's, timed.
    let statuses: Vec<u16> = case
        .exchanges
        .iter()
        .map(|e| e.response.as_ref().unwrap().status)
        .collect();
    assert!(statuses.contains(&500), "{statuses:?}");
    for exchange in &case.exchanges {
        let (start, end) = exchange.timing.unwrap();
        assert!(start >= 0.0 && end >= start, "{start} {end}");
    }
    assert!(case.exchanges.iter().any(|e| e.timing.unwrap().0 == 0.0));
}

#[test]
fn keep_going_runs_every_iteration_and_counts_the_failures() {
    let base = serve(flaky(5));
    let options = RunOptions {
        keep_going: true,
        ..RunOptions::default()
    };
    let result = support::run_with(
        &support::settings(&base),
        &format!("{}{RACE}", support::HEAD),
        &options,
    );
    let iterations = cases(&result)[0].iterations.clone().unwrap();
    assert_eq!(
        (
            iterations.run,
            iterations.failed,
            iterations.first_failed,
            iterations.shown
        ),
        (5, 1, Some(3), 3)
    );
    assert_eq!(
        race_verdict(&result),
        "1 of 5 iterations failed (the first: iteration 3)"
    );
}

#[test]
fn repeat_comes_from_the_flag_then_the_case_then_the_config() {
    let base = serve(flaky(0));
    let count = |options: &RunOptions, iterations: u32| {
        let mut settings = support::settings(&base);
        settings.iterations = iterations;
        let result = support::run_with(&settings, &format!("{}{RACE}", support::HEAD), options);
        assert_eq!(race_verdict(&result), "passed");
        cases(&result)[0].iterations.as_ref().unwrap().run
    };
    assert_eq!(count(&RunOptions::default(), 20), 5, "the case's Repeat");
    let flag = RunOptions {
        repeat: Some(3),
        ..RunOptions::default()
    };
    assert_eq!(count(&flag, 20), 3, "--repeat wins");
    let without_repeat = RACE.replace("\n**Repeat:** 5\n", "\n");
    let mut settings = support::settings(&base);
    settings.iterations = 7;
    let result = support::run_with(
        &settings,
        &format!("{}{without_repeat}", support::HEAD),
        &RunOptions::default(),
    );
    assert_eq!(
        cases(&result)[0].iterations.as_ref().unwrap().run,
        7,
        "[concurrency] iterations"
    );
    // A case without a concurrent group runs once.
    let single = support::run(
        &base,
        "### TC-INT-001: One\n\n**Request:** GET /flaky\n\n**Repeat:** 5\n",
    );
    assert!(cases(&single)[0].iterations.is_none());
}

/// Inserts a row per request: `POST /add`.
fn inserting(url: String, dir: std::path::PathBuf) -> Router {
    let cell = Arc::new((url, dir, tokio::sync::OnceCell::<Database>::new()));
    Router::new()
        .route(
            "/add",
            post(
                |State(state): State<
                    Arc<(String, std::path::PathBuf, tokio::sync::OnceCell<Database>)>,
                >| async move {
                    let db = state
                        .2
                        .get_or_init(|| async {
                            Database::connect(&state.0, &state.1).await.unwrap()
                        })
                        .await;
                    match db
                        .execute("INSERT INTO hits (note) VALUES ('hit')", &[])
                        .await
                    {
                        Ok(_) => StatusCode::CREATED,
                        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    }
                },
            ),
        )
        .with_state(cell)
}

on_every_database!(each_iteration_starts_from_the_state_after_setup);

fn each_iteration_starts_from_the_state_after_setup(backend: Backend) {
    let Some(test) = fresh_db(backend, "itspec_iterations") else {
        return;
    };
    block_on(async {
        let db = Database::connect(&test.url, test.dir.path()).await.unwrap();
        db::apply_script(
            &db,
            "CREATE TABLE hits (note VARCHAR(20)); INSERT INTO hits (note) VALUES ('before');",
        )
        .await
        .unwrap();
        db.close().await;
    });
    let base = serve(inserting(test.url.clone(), test.dir.path().to_path_buf()));
    let mut settings = support::settings(&base);
    settings.database = Some(DatabaseSettings::new(&test.url));
    let spec = format!(
        "{}### TC-INT-001: Two inserts at once\n\n**Setup:**\n- row hits: note = \"setup\"\n\n**Actions:**\n1. Request A: POST /add\n2. Request B (concurrent): POST /add\n\n\
         **Expected:**\n- statuses == [201, 201] in any order\n- rows hits count == 4\n- rows hits where note = \"setup\" count == 1\n- no race conditions\n\n**Repeat:** 4\n",
        support::HEAD
    );
    let result = support::run_with(&settings, &spec, &RunOptions::default());
    let case = cases(&result)[0];
    assert_eq!(
        case.outcome,
        Outcome::Passed,
        "{backend:?}: {:#?}",
        case.checks
    );
    assert_eq!(case.iterations.as_ref().unwrap().run, 4);
    let left = block_on(async {
        let db = Database::connect(&test.url, test.dir.path()).await.unwrap();
        let count = db
            .fetch_first("SELECT count(*) FROM hits", &[])
            .await
            .unwrap();
        db.close().await;
        count
    });
    assert_eq!(
        left.as_deref(),
        Some("1"),
        "{backend:?}: only the row from before the run is left"
    );
}
