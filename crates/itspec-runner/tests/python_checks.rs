//! Database State Verification checks written the way the template's users
//! write Python — `is True`, `is False`, `is None`, `is not None`, a bare
//! `assert result.flag`, `assert not result.flag`, `== True`, `== None`,
//! `!= None` — run with Python's meaning on real databases: SQLite always,
//! PostgreSQL and MySQL/MariaDB when `ITSPEC_TEST_POSTGRES_URL` /
//! `ITSPEC_TEST_MYSQL_URL` are set. Each form passes where Python's holds
//! and fails where it does not, booleans stored as 1/0 included.

mod databases;
mod support;

use databases::{Backend, block_on, fresh_db};
use itspec_runner::db::{self, Database};
use itspec_runner::{DatabaseSettings, RunOptions};
use support::{cases, verdicts};

fn ddl(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, active BOOLEAN NOT NULL, score INTEGER NOT NULL, deleted_at TEXT);"
        }
        Backend::Postgres => {
            "CREATE TABLE account (id SERIAL PRIMARY KEY, name TEXT NOT NULL, active BOOLEAN NOT NULL, score INTEGER NOT NULL, deleted_at TIMESTAMPTZ);"
        }
        Backend::MySql => {
            "CREATE TABLE account (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, active BOOLEAN NOT NULL, score INT NOT NULL, deleted_at DATETIME);"
        }
    }
}

/// `ada` is active and not deleted; `bob` is inactive and deleted. Both
/// have an integer score of 1 and 0.
const SEED: &str = "INSERT INTO account (name, active, score, deleted_at) VALUES ('ada', TRUE, 1, NULL);
     INSERT INTO account (name, active, score, deleted_at) VALUES ('bob', FALSE, 0, '2026-01-02 03:04:05');";

/// One check per form, so each one's verdict is seen on its own.
const CHECKS: &[(&str, &str)] = &[
    ("is_true", "assert result.active is True"),
    ("is_false", "assert result.active is False"),
    ("is_not_true", "assert result.active is not True"),
    ("truthy", "assert result.active"),
    ("falsy", "assert not result.active"),
    ("eq_true", "assert result.active == True"),
    ("eq_false", "assert result.active == False"),
    ("is_none", "assert result.deleted_at is None"),
    ("is_not_none", "assert result.deleted_at is not None"),
    ("eq_none", "assert result.deleted_at == None"),
    ("ne_none", "assert result.deleted_at != None"),
    ("score_is_true", "assert result.score is True"),
    ("score_truthy", "assert result.score"),
    ("score_eq_true", "assert result.score == True"),
];

fn spec() -> String {
    let mut assertions = String::new();
    let mut checks = String::new();
    for (name, line) in CHECKS {
        for who in ["ada", "bob"] {
            assertions.push_str(&format!("- check_{name}({{\"name\": \"{who}\"}})\n"));
        }
        checks.push_str(&format!(
            "def check_{name}(db_session, expected):\n    result = db_session.query(Account).filter_by(name=expected[\"name\"]).first()\n    assert result is not None\n    {line}\n\n"
        ));
    }
    format!(
        "{}### TC-INT-001: Python's tests of a column\n\n**Request:** GET /status/200\n\n**Assertions:**\n{assertions}\n## Database State Verification\n\n```python\n{checks}```\n",
        support::HEAD
    )
}

on_every_database!(identity_and_truth_tests_have_pythons_meaning);

fn identity_and_truth_tests_have_pythons_meaning(backend: Backend) {
    let Some(test) = fresh_db(backend, "itspec_python_checks") else {
        return;
    };
    block_on(async {
        let db = Database::connect(&test.url, test.dir.path()).await.unwrap();
        db::apply_script(&db, ddl(backend)).await.unwrap();
        db::apply_script(&db, SEED).await.unwrap();
        db.close().await;
    });
    let base = support::serve(support::api());
    let mut settings = support::settings(&base);
    settings.database = Some(DatabaseSettings::new(&test.url));
    let result = support::run_with(&settings, &spec(), &RunOptions::default());
    let all = cases(&result);
    let verdicts = verdicts(all[0]);
    let verdict = |name: &str, who: &str| -> (&'static str, String) {
        let text = format!("check_{name}({{\"name\": \"{who}\"}})");
        verdicts
            .iter()
            .find(|(t, _, _)| *t == text)
            .map(|(_, v, m)| (*v, m.clone()))
            .unwrap_or_else(|| panic!("{backend:?}: no check `{text}` in {verdicts:#?}"))
    };
    // (check, verdict for ada, verdict for bob), as Python decides.
    let expected = [
        ("is_true", "pass", "fail"),
        ("is_false", "fail", "pass"),
        ("is_not_true", "fail", "pass"),
        ("truthy", "pass", "fail"),
        ("falsy", "fail", "pass"),
        ("eq_true", "pass", "fail"),
        ("eq_false", "fail", "pass"),
        ("is_none", "pass", "fail"),
        ("is_not_none", "fail", "pass"),
        ("eq_none", "pass", "fail"),
        ("ne_none", "fail", "pass"),
        // `1 is True` is False in Python: `score` is an integer column.
        ("score_is_true", "fail", "fail"),
        ("score_truthy", "pass", "fail"),
        ("score_eq_true", "pass", "fail"),
    ];
    for (name, ada, bob) in expected {
        for (who, want) in [("ada", ada), ("bob", bob)] {
            let (got, message) = verdict(name, who);
            assert_eq!(got, want, "{backend:?}: check_{name} of {who}: {message}");
        }
    }
    let (_, message) = verdict("is_true", "bob");
    assert!(
        message.contains("active is") && message.contains("expected it is True"),
        "{backend:?}: {message}"
    );
    let (_, message) = verdict("score_is_true", "ada");
    assert!(message.contains("score is 1"), "{backend:?}: {message}");
}
