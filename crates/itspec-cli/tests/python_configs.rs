//! Configurations as Python teams write them, run end to end against a
//! real service (`fixtures/sql_service.py`) and real databases — SQLite
//! always, PostgreSQL and MySQL/MariaDB when `ITSPEC_TEST_POSTGRES_URL` /
//! `ITSPEC_TEST_MYSQL_URL` are set: `{{…}}` in `[service] command` (shell-
//! quoted), a `.env` file, SQLAlchemy's database URLs (`sqlite:///rel.db`,
//! `postgresql+psycopg://`, `mysql+pymysql://`), and entity defaults that
//! live only in Python models.

mod common;
#[path = "../../itspec-runner/tests/databases/mod.rs"]
mod databases;

use common::Test;
use databases::{Backend, fresh_db};

const SQL_SERVICE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sql_service.py");

on_every_database!(a_sqlalchemy_project_runs);

/// The table of `UserAccount` (found by the default naming rule): NOT NULL
/// columns with no database default, which SQLModel fills in Python.
fn schema(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE TABLE user_account (id TEXT NOT NULL PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, \
             is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL);\n"
        }
        Backend::Postgres => {
            "CREATE TABLE user_account (id UUID PRIMARY KEY, email TEXT NOT NULL, hashed_password TEXT NOT NULL, \
             is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL);\n"
        }
        Backend::MySql => {
            "CREATE TABLE user_account (id CHAR(36) PRIMARY KEY, email VARCHAR(100) NOT NULL, hashed_password VARCHAR(100) NOT NULL, \
             is_active BOOLEAN NOT NULL, is_superuser BOOLEAN NOT NULL);\n"
        }
    }
}

const SPEC: &str = r#"# Integration Test Spec: Accounts

**Related:** POST /sql
**Priority:** High
**Status:** Ready

## Data Fixtures

```python
@pytest.fixture
def ada(db_session):
    account = UserAccount(email="ada@example.com", hashed_password="x")
    db_session.add(account)
    db_session.commit()
    yield account
```

## Test Cases

### TC-INT-001: The service changes the row itspec inserted

**Request:** POST /sql

**Input:**
```json
{ "sql": "UPDATE user_account SET hashed_password = 'changed' WHERE email = 'ada@example.com'" }
```

**Assertions:**
- status == 200
- row user_account where email = "ada@example.com" has hashed_password = "changed"
"#;

/// The URL as a Python team writes it for this server: a driver, and for
/// SQLite three slashes and a path relative to the project.
fn sqlalchemy_url(backend: Backend, url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match backend {
        // `&` in the query: unquoted in `sh -c`, it would end the command.
        Backend::Sqlite => "sqlite:///data/app.db?mode=rwc&cache=private".to_string(),
        Backend::Postgres => format!("postgresql+psycopg://{rest}"),
        Backend::MySql => format!("mysql+pymysql://{rest}"),
    }
}

fn a_sqlalchemy_project_runs(backend: Backend) {
    let Some(db) = fresh_db(backend, "itspec_cli_python_config") else {
        return;
    };
    let url = sqlalchemy_url(backend, &db.url);
    let project = Test::new()
        .file(
            "itspec.toml",
            format!(
                "specs = [\"specs\"]\n\n\
                 [service]\n\
                 command = \"PORT={{{{service.port}}}} DATABASE_URL={{{{database.url}}}} exec python3 {{{{env.SQL_SERVICE}}}} {{{{env.TAG}}}}\"\n\
                 env_file = \".env\"\n\
                 ready = \"GET /health\"\n\
                 ready_timeout = \"60s\"\n\n\
                 [database]\n\
                 url = \"{url}\"\n\
                 schema = \"schema.sql\"\n\n\
                 [database.entities.UserAccount]\n\
                 defaults = {{ is_active = true, is_superuser = false, id = \"{{{{uuid}}}}\" }}\n"
            ),
        )
        // The environment wins over the file: were the file's SQL_SERVICE
        // used, the service would not start. TAG comes from the file.
        .file(
            ".env",
            "# the service\nSQL_SERVICE=/nonexistent/sql_service.py\nexport TAG=\"itspec-python-config\"\n",
        )
        .file("schema.sql", schema(backend))
        .file("specs/accounts.md", SPEC)
        .env("SQL_SERVICE", SQL_SERVICE);
    let output = project.run_with(&["run"]);
    let said = format!("{}\n{}", output.stdout, output.stderr);
    assert_eq!(output.code, 0, "{backend:?}\n{said}");
    assert!(said.contains("1 passed, 0 failed"), "{backend:?}\n{said}");
    if backend == Backend::Sqlite {
        // `sqlite:///data/app.db` is the project's, not `/data/app.db`.
        assert!(
            project.path("data/app.db").is_file(),
            "the database is in the project"
        );
    }

    // Two workers: each service gets its copy's URL in the same form
    // (`sqlite:///data/app_itspec_…_w2.db?mode=rwc&cache=private`,
    // `postgresql+psycopg://…/…_w2`), and reaches the copy itspec reads.
    let project = project.file("specs/more.md", SPEC.replace("Accounts", "More accounts"));
    let output = project.run_with(&["run", "--jobs", "2"]);
    let said = format!("{}\n{}", output.stdout, output.stderr);
    assert_eq!(output.code, 0, "{backend:?} --jobs 2\n{said}");
    assert!(said.contains("2 passed, 0 failed"), "{backend:?}\n{said}");
    std::fs::remove_file(project.path("specs/more.md")).unwrap();

    // Without the defaults, the NOT NULL column is named with the setting.
    let toml = std::fs::read_to_string(project.path("itspec.toml")).unwrap();
    let without = toml.replace("is_active = true, ", "");
    let project = project.file("itspec.toml", without);
    let output = project.run_with(&["run"]);
    let said = format!("{}\n{}", output.stdout, output.stderr);
    assert_eq!(output.code, 1, "{backend:?}\n{said}");
    assert!(
        said.contains(
            "user_account.is_active has no value and no database default: give it in the fixture \
             or set [database.entities.UserAccount] defaults = { is_active = … } in itspec.toml"
        ),
        "{backend:?}\n{said}"
    );
}

/// A variable that is not set is a usage error naming the setting and the
/// variable, before anything starts: nothing named `{{env.X}}` is made.
#[test]
fn an_unset_variable_stops_the_command_and_names_it() {
    let project = Test::new()
        .file(
            "itspec.toml",
            "specs = [\"specs\"]\n\n[service]\ncommand = \"exec python3 x.py\"\n\n\
             [database]\nurl = \"sqlite:///{{env.ITSPEC_TEST_DATA_DIR}}/app.db\"\n",
        )
        .file("specs/a.md", common::GOOD_SPEC);
    for command in ["check", "run"] {
        let output = project.run_with(&[command]);
        assert_eq!(
            output.code, 2,
            "{command}\n{}\n{}",
            output.stdout, output.stderr
        );
        assert!(
            output.stderr.contains(
                "itspec.toml:7:18: [database] url uses {{env.ITSPEC_TEST_DATA_DIR}}, which is not set: \
                 export ITSPEC_TEST_DATA_DIR, or add it to an env file"
            ),
            "{command}: {}",
            output.stderr
        );
    }
    let made: Vec<_> = walk(project.root())
        .into_iter()
        .filter(|path| path.to_string_lossy().contains("{{"))
        .collect();
    assert!(made.is_empty(), "{made:?}");

    // A service variable where it cannot be known, an unknown one, and a
    // mock nobody defines.
    for (config, said) in [
        (
            "[database]\nurl = \"sqlite://app-{{service.port}}.db\"\n",
            "[database] url uses {{service.port}}, which is not known there: [database] url can use only {{env.NAME}}",
        ),
        (
            "[service]\ncommand = \"serve --host {{service.host}}\"\n",
            "[service] command uses {{service.host}}, which is not a variable of itspec.toml",
        ),
        (
            "[service]\ncommand = \"serve\"\nenv = { PAY = \"{{mocks.paymnts.url}}\" }\n",
            "[service] env.PAY uses {{mocks.paymnts.…}}, but no mock `paymnts` is defined",
        ),
        (
            "[service]\ncommand = \"serve {{env.ITSPEC_TEST_UNSET}}\"\nenv_file = \"missing.env\"\n",
            "missing.env (which does not exist)",
        ),
    ] {
        let output = Test::new()
            .file("itspec.toml", config)
            .file("specs/a.md", common::GOOD_SPEC)
            .run_with(&["check"]);
        assert_eq!(
            output.code, 2,
            "{config}\n{}\n{}",
            output.stdout, output.stderr
        );
        assert!(output.stderr.contains(said), "{config}\n{}", output.stderr);
    }

    // `--env-file` is read instead, against the current folder.
    let output = project
        .file("env/test.env", "ITSPEC_TEST_DATA_DIR=data\n")
        .run_with(&["check", "--env-file", "env/test.env"]);
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}
