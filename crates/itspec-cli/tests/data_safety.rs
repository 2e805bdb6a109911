//! The data-safety matrix: every situation in which a run could leave the
//! user's database changed, end to end with the real binary and a service
//! that runs the SQL a case sends it (`fixtures/sql_service.py`), on every
//! engine it applies to. Each world compares the database's full dump
//! (`sqlite3 .dump`; `pg_dump`, data sorted; `mysqldump --hex-blob`,
//! sorted, with `CHECKSUM TABLE`) before and after: equal, or the run
//! fails and `itspec restore` makes it equal.

mod common;
#[path = "../../itspec-runner/tests/databases/mod.rs"]
mod databases;
#[path = "data_safety/dump.rs"]
mod dump;
#[path = "data_safety/mutants.rs"]
mod mutants;
#[path = "data_safety/mysql.rs"]
mod mysql;
#[path = "data_safety/postgres.rs"]
mod postgres;
#[path = "data_safety/runs.rs"]
mod runs;
#[path = "data_safety/sqlite.rs"]
mod sqlite;

use std::process::Command;

use common::{Output, Test, processes_with};
use databases::{Backend, TestDb, fresh_db};

/// The service the worlds run: it runs the SQL it is sent.
const SQL_SERVICE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sql_service.py");

/// One case of a world: what the service is asked to run, and what the
/// case asserts beyond `status == 200`.
pub struct Case {
    /// The case's name.
    pub title: &'static str,
    /// The SQL the service runs.
    pub sql: String,
    /// More assertion lines.
    pub assertions: &'static str,
    /// Whether the case must fail (its assertions see the change).
    pub fails: bool,
    /// How long the service waits after the SQL before it answers.
    pub sleep: f64,
}

impl Case {
    /// A case that must pass.
    pub fn new(title: &'static str, sql: impl Into<String>) -> Case {
        Case {
            title,
            sql: sql.into(),
            assertions: "",
            fails: false,
            sleep: 0.0,
        }
    }

    /// Whose service waits this long after the SQL.
    pub fn sleeping(mut self, seconds: f64) -> Case {
        self.sleep = seconds;
        self
    }

    /// With more assertions.
    pub fn asserting(mut self, assertions: &'static str) -> Case {
        self.assertions = assertions;
        self
    }

    /// That must fail.
    pub fn failing(mut self) -> Case {
        self.fails = true;
        self
    }
}

/// A database with the user's rows, a project whose service runs SQL, and
/// the database's dump before any run.
pub struct World {
    /// The user's database.
    pub db: TestDb,
    /// The project: `itspec.toml` and the spec.
    pub project: Test,
    /// On the service's command line, to find its processes.
    pub tag: String,
    /// The database's dump before any run.
    pub before: String,
    /// The cases of the spec.
    pub cases: Vec<Case>,
}

impl World {
    /// A fresh database `name` on `backend` with `schema` applied by the
    /// database's own client, and a project running `cases`; the service
    /// runs `late` as it stops. `None` when the backend is not configured.
    pub fn new(
        backend: Backend,
        name: &str,
        schema: &str,
        cases: Vec<Case>,
        late: &str,
    ) -> Option<World> {
        let db = fresh_db(backend, &format!("itspec_safety_{name}"))?;
        Some(Self::with_db(db, name, schema, cases, late))
    }

    /// [`World::new`] on a database made by the caller.
    pub fn with_db(db: TestDb, name: &str, schema: &str, cases: Vec<Case>, late: &str) -> World {
        client_sql(&db, schema);
        let tag = format!(
            "itspec-safety-{name}-{:?}-{}",
            db.backend,
            std::process::id()
        );
        let config = format!(
            "specs = [\"specs\"]\n\n[target]\ntimeout = \"60s\"\n\n\
             [service]\ncommand = \"exec python3 {SQL_SERVICE} {tag}\"\nport = \"auto\"\nready = \"GET /health\"\nready_timeout = \"60s\"\n\
             env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\", LATE_SQL = {late:?} }}\n\n\
             [database]\nurl = \"{}\"\nreconnect_timeout = \"2s\"\n",
            db.url
        );
        let project = Test::new()
            .file("itspec.toml", config)
            .file("specs/safety.md", spec(&cases));
        let before = dump::dump(&db);
        World {
            db,
            project,
            tag,
            before,
            cases,
        }
    }

    /// `itspec run`, to the end.
    pub fn run(&self) -> Output {
        self.project.run_with(&["run"])
    }

    /// Each case passed or failed as it must, nothing is left running or
    /// on disk, and the database's dump is what it was.
    pub fn held(&self, output: &Output) {
        let said = format!("{}{}", output.stdout, output.stderr);
        let backend = self.db.backend;
        for (i, case) in self.cases.iter().enumerate() {
            let verdict = if case.fails { "FAIL" } else { "PASS" };
            let line = format!("{verdict}  TC-INT-{:03}", i + 1);
            assert!(
                said.contains(&line),
                "{backend:?}: `{line}` ({}) in\n{said}",
                case.title
            );
        }
        let code = if self.cases.iter().any(|c| c.fails) {
            1
        } else {
            0
        };
        assert_eq!(output.code, code, "{backend:?}\n{said}");
        self.intact(&said);
    }

    /// Nothing is left running or on disk, and the dump is as before.
    pub fn intact(&self, said: &str) {
        let backend = self.db.backend;
        assert_eq!(
            processes_with(&self.tag),
            Vec::<i32>::new(),
            "{backend:?}: the service is gone"
        );
        assert_eq!(
            self.recorded_files(),
            Vec::<String>::new(),
            "{backend:?}: no recorded rows are left on disk\n{said}"
        );
        same_dump(
            &self.before,
            &dump::dump(&self.db),
            &format!("{backend:?}\n{said}"),
        );
    }

    /// The files of recorded rows in the project.
    pub fn recorded_files(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.project.path("target/itspec")) else {
            return Vec::new();
        };
        let mut files: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("recorded-rows-"))
            .collect();
        files.sort();
        files
    }
}

/// Two dumps are equal; if not, the first lines that differ.
pub fn same_dump(before: &str, after: &str, context: &str) {
    if before == after {
        return;
    }
    let diff: Vec<String> = similar::TextDiff::from_lines(before, after)
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .take(40)
        .map(|c| format!("{}{}", c.tag(), c.value().trim_end()))
        .collect();
    panic!(
        "the dump differs (- before, + after):\n{}\n{context}",
        diff.join("\n")
    );
}

/// The spec of a world: a case per [`Case`], each sending its SQL.
fn spec(cases: &[Case]) -> String {
    let mut text = String::from(
        "# Integration Test Spec: Data Safety\n\n**Related:** POST /sql\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n",
    );
    for (i, case) in cases.iter().enumerate() {
        let body = serde_json::json!({ "sql": case.sql, "sleep": case.sleep }).to_string();
        text.push_str(&format!(
            "\n### TC-INT-{:03}: {}\n\n**Request:** POST /sql\n\n**Input:**\n```json\n{body}\n```\n\n**Assertions:**\n- status == 200\n{}\n",
            i + 1,
            case.title,
            case.assertions
        ));
    }
    text
}

/// Runs SQL on the test's database with the database's own client.
pub fn client_sql(test: &TestDb, sql: &str) {
    let mut command = match test.backend {
        Backend::Sqlite => {
            let mut c = Command::new("sqlite3");
            c.arg(dump::sqlite_path(test)).arg(sql);
            c
        }
        Backend::Postgres => {
            let mut c = Command::new("psql");
            c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
                .arg(&test.url)
                .args(["-c", sql]);
            c
        }
        Backend::MySql => {
            let mut c = Command::new("mariadb");
            c.args(dump::mysql_connection(&test.url)).args(["-e", sql]);
            c
        }
    };
    let output = command.output().expect("the database client runs");
    assert!(
        output.status.success(),
        "{:?}: {}",
        test.backend,
        String::from_utf8_lossy(&output.stderr)
    );
}

on_every_database!(the_matrix_holds);

/// Every scenario of the engine, in one run.
fn the_matrix_holds(backend: Backend) {
    let world = match backend {
        Backend::Sqlite => sqlite::world(),
        Backend::Postgres => postgres::world(),
        Backend::MySql => mysql::world(),
    };
    let Some(world) = world else {
        return;
    };
    let output = world.run();
    world.held(&output);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(
        said.contains("the service wrote to `dupes`, `parent` after the last case"),
        "{backend:?}: the late write is found and undone\n{said}"
    );
    // PostgreSQL's superuser switches every trigger off; the others say
    // which triggers fire while rows are put back.
    let warned = said.contains("table `audited` has triggers (audited_log, audited_stamp)");
    assert_eq!(warned, backend != Backend::Postgres, "{backend:?}\n{said}");
}
