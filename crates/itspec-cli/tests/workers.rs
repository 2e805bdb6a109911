//! `itspec run --jobs N` end to end: each worker runs its own shop on its
//! own copy of the database and its own mocks; the specs pass as they do
//! on one worker, each spec's output stays in one piece, the copies are
//! gone afterwards and the user's database is as it was — also after
//! Ctrl-C in the middle of a case. Without `[service]`, `--jobs` is refused
//! unless the cases are declared independent.

mod common;
#[path = "../../itspec-runner/tests/databases/mod.rs"]
mod databases;

use std::time::{Duration, Instant};

use common::{REPO, Test, shop};
use databases::{Backend, TestDb, block_on, fresh_db, sql, state};
use itspec_runner::db::{self, Database};

on_every_database!(two_workers_each_with_a_copy_of_the_database);

/// A project running the shop's specs on `test`'s database; the payment
/// gateway is the spec's mock, or `gateway` when given (one that never
/// answers).
fn project(test: &TestDb, gateway: Option<&str>) -> Test {
    let payments = gateway.map_or("{{mocks.payments.url}}".to_string(), |g| {
        format!("http://{g}")
    });
    let config = format!(
        "specs = [\"{REPO}/examples/shop/specs\"]\n\n[target]\ntimeout = \"60s\"\nheaders = {{ Accept = \"application/json\" }}\n\n\
         [service]\ncommand = \"{}\"\nready = \"GET /health\"\n\
         env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\", PAYMENTS_URL = \"{payments}\", PAYMENTS_TIMEOUT_MS = \"500\" }}\n\n\
         [database]\nurl = \"{}\"\nschema = \"{REPO}/examples/shop/schema.sql\"\n\n[mocks.payments]\nport = \"auto\"\n\n[vars]\nprice = 250\n",
        shop().display(),
        test.url
    );
    Test::new().file("itspec.toml", config)
}

/// The worker copies of `test`'s database that exist now.
fn copies(test: &TestDb) -> Vec<String> {
    // `{base}_itspec_{run}_w{worker}`: everything before the run's id.
    let name = db::copy_name(&test.url, "RUN", 1).unwrap();
    let base = name.split("RUN").next().unwrap().to_string();
    if test.backend == Backend::Sqlite {
        let mut files: Vec<String> = std::fs::read_dir(test.dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(&base))
            .collect();
        files.sort();
        return files;
    }
    block_on(async {
        let server = Database::connect(&test.url, test.dir.path()).await.unwrap();
        let sql = match test.backend {
            Backend::Postgres => {
                "SELECT datname::text FROM pg_database WHERE datname LIKE $1 ORDER BY 1"
            }
            _ => {
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ? ORDER BY 1"
            }
        };
        let rows = server
            .fetch_text(sql, &[db::Param::Text(format!("{base}%"))])
            .await
            .unwrap();
        server.close().await;
        rows.into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect()
    })
}

fn two_workers_each_with_a_copy_of_the_database(backend: Backend) {
    let Some(test) = fresh_db(backend, "itspec_cli_workers") else {
        return;
    };
    let schema = std::fs::read_to_string(format!("{REPO}/examples/shop/schema.sql")).unwrap();
    block_on(sql(&test, &schema));
    // The user's own table and rows; the shop's specs expect its tables empty.
    block_on(sql(
        &test,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(100));
         INSERT INTO notes (id, body) VALUES (1, 'the user''s'), (2, 'also the user''s');",
    ));
    let before = block_on(state(&test));

    let output = project(&test, None).args(["run", "--jobs", "2"]).run();
    assert_eq!(
        output.code, 0,
        "{backend:?}\n{}\n{}",
        output.stdout, output.stderr
    );
    assert!(output.stdout.contains("on 2 workers"), "{}", output.stdout);
    assert!(
        output.stdout.contains("19 passed, 0 failed, 1 skipped"),
        "{backend:?}: {}",
        output.stdout
    );
    // Each spec's lines in one piece: its heading, then only its cases.
    for spec in ["Inventory", "Customers", "Reservations"] {
        let lines: Vec<&str> = output.stdout.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.ends_with(&format!("  {spec}")))
            .unwrap_or_else(|| panic!("{spec} in {}", output.stdout));
        let cases = lines[at + 1..]
            .iter()
            .take_while(|l| l.starts_with("  PASS") || l.starts_with("  SKIP"))
            .count();
        let expected = match spec {
            "Inventory" => 6,
            "Customers" => 5,
            _ => 9,
        };
        assert_eq!(
            cases, expected,
            "{spec}'s cases follow its heading\n{}",
            output.stdout
        );
    }
    assert_eq!(
        block_on(state(&test)),
        before,
        "{backend:?}: the user's database"
    );
    assert_eq!(
        copies(&test),
        Vec::<String>::new(),
        "{backend:?}: the copies are dropped"
    );

    // Ctrl-C while one worker's shop waits for a gateway that never answers.
    block_on(sql(
        &test,
        "INSERT INTO inventory (sku, stock, price_cents) VALUES ('KEEP-1', 10, 100);",
    ));
    let before = block_on(state(&test));
    let gateway = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hanging = project(&test, Some(&gateway.local_addr().unwrap().to_string()))
        .file(
            "specs/hang.md",
            "# Integration Test Spec: Hang\n\n**Related:** POST /reservations\n**Priority:** Critical\n**Status:** Ready\n\n## Test Cases\n\n\
             ### TC-INT-001: Interrupted\n\n**Input:**\n```json\n{ \"sku\": \"KEEP-1\", \"quantity\": 2 }\n```\n\n**Assertions:**\n- status == 201\n",
        )
        .file(
            "specs/health.md",
            "# Integration Test Spec: Health\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Up\n\n**Request:** GET /health\n",
        )
        .args(["run", "specs", "--jobs", "2"]);
    let mut child = hanging.spawn();
    // The hanging spec runs first (Critical), on worker 1's copy, whose
    // name carries the run's id.
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        if let Some(found) = copies(&test)
            .into_iter()
            .find(|c| c.trim_end_matches(".db").ends_with("_w1"))
        {
            break found;
        }
        assert!(Instant::now() < deadline, "{backend:?}: worker 1's copy");
        std::thread::sleep(Duration::from_millis(50));
    };
    let copy = db::url_with_database(&test.url, first.trim_end_matches(".db"));
    let taken = databases::wait_for_value(
        &copy,
        test.dir.path(),
        "SELECT stock FROM inventory WHERE sku = 'KEEP-1'",
        &serde_json::json!(8),
        &mut child,
    );
    assert!(
        taken,
        "{backend:?}: worker 1's shop took the stock in its copy"
    );
    // Each worker on a thread of its own.
    let threads: Vec<String> = std::fs::read_dir(format!("/proc/{}/task", child.id()))
        .unwrap()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .map(|name| name.trim().to_string())
        .collect();
    for worker in ["itspec-worker-1", "itspec-worker-2"] {
        assert!(
            threads.iter().any(|t| t == worker),
            "{backend:?}: {worker} in {threads:?}"
        );
    }
    assert_eq!(databases::interrupt(&mut child), Some(130), "{backend:?}");
    assert_eq!(block_on(state(&test)), before, "{backend:?}: after Ctrl-C");
    assert_eq!(
        copies(&test),
        Vec::<String>::new(),
        "{backend:?}: dropped after Ctrl-C"
    );
    drop(gateway);
}

#[test]
fn without_a_service_jobs_are_refused_unless_the_cases_are_independent() {
    let spec = "# Integration Test Spec: Health\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Up\n\n**Request:** GET /health\n\n**Assertions:**\n- status == 200\n";
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut service = std::process::Command::new(shop())
        .env("PORT", port.to_string())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/shop.db", dir.path().display()),
        )
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let shared = |extra: &str| {
        Test::new()
            .file(
                "itspec.toml",
                format!("[target]\nbase_url = \"http://127.0.0.1:{port}\"\n{extra}"),
            )
            .file("specs/a.md", spec)
            .file("specs/b.md", spec.replace("Health", "Health again"))
            .args(["run", "specs", "--jobs", "2"])
            .run()
    };
    let refused = shared("");
    assert_eq!(refused.code, 2, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("without [service]")
            && refused.stderr.contains("independent = true"),
        "{}",
        refused.stderr
    );
    // Wait for the shop to answer, then run on two workers sharing it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let independent = shared("\n[workers]\nindependent = true\n");
    let _ = service.kill();
    let _ = service.wait();
    assert_eq!(
        independent.code, 0,
        "{}\n{}",
        independent.stdout, independent.stderr
    );
    assert!(
        independent.stdout.contains("2 passed"),
        "{}",
        independent.stdout
    );
    assert!(
        independent.stdout.contains("on 2 workers"),
        "{}",
        independent.stdout
    );
}

#[test]
fn timings_from_a_file_that_is_not_a_report_are_refused() {
    let spec = "# Integration Test Spec: Health\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Up\n\n**Request:** GET /health\n";
    let test = Test::new()
        .file(
            "itspec.toml",
            "[target]\nbase_url = \"http://127.0.0.1:9\"\n",
        )
        .file("specs/a.md", spec)
        .file("old.json", "{\"not\": \"a report\"}");
    let missing = test.run_with(&["run", "specs", "--timings", "nowhere.json"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("--timings: cannot read nowhere.json"),
        "{}",
        missing.stderr
    );
    let wrong = test.run_with(&["run", "specs", "--timings", "old.json"]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("--timings old.json:"),
        "{}",
        wrong.stderr
    );
}

/// Ctrl-C while the workers start — worker 1's service up, worker 2's
/// never ready — stops worker 1, whose service ignores SIGTERM; a second
/// Ctrl-C does not wait out its stop timeout: the run ends at once (130)
/// and nothing it started is left running.
#[test]
fn a_second_ctrl_c_while_workers_start_does_not_wait() {
    let tag = format!("itspec-workers-start-{}", std::process::id());
    let spec = "# Integration Test Spec: Health\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Up\n\n**Request:** GET /health\n\n**Assertions:**\n- status == 200\n";
    // The shell ignores SIGTERM and, once the shop has stopped, sleeps on
    // (so does what it sleeps with); worker 2 only sleeps.
    let command = format!(
        "trap '' TERM; if [ \\\"$WORKER\\\" = 2 ]; then sleep 600; else {} {tag}; sleep 600; fi",
        shop().display()
    );
    let project = Test::new()
        .file(
            "itspec.toml",
            format!(
                "specs = [\"specs\"]\n\n[service]\ncommand = \"{command}\"\nready = \"GET /health\"\nstop_timeout = \"120s\"\n\
                 env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\", WORKER = \"{{{{worker}}}}\" }}\n\n\
                 [database]\nurl = \"sqlite:///app.db\"\nschema = \"{REPO}/examples/shop/schema.sql\"\n"
            ),
        )
        .file("specs/a.md", spec)
        .file("specs/b.md", spec.replace("Health", "Health again"))
        .args(["run", "--jobs", "2"]);
    let mut child = project.spawn();
    let log = project.path("target/itspec/service.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("shop: listening")) {
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "worker 1's shop starts"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The shop listens a moment before itspec's readiness poll (at most
    // 5 ms apart) finds it: worker 1 is up well within two seconds.
    std::thread::sleep(Duration::from_secs(2));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    // Worker 1's stop now waits for a group that ignores SIGTERM.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "still stopping");
    let second = Instant::now();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let code = child.wait().unwrap().code();
    assert!(
        second.elapsed() < Duration::from_secs(10),
        "at once, not after the stop timeout: {:?}",
        second.elapsed()
    );
    assert_eq!(code, Some(130));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !common::processes_with(&tag).is_empty() {
        assert!(Instant::now() < deadline, "the services are gone");
        std::thread::sleep(Duration::from_millis(50));
    }
}
