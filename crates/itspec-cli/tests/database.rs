//! `itspec run` with a database, end to end on real servers — SQLite
//! always, PostgreSQL and MySQL/MariaDB when `ITSPEC_TEST_POSTGRES_URL` /
//! `ITSPEC_TEST_MYSQL_URL` are set: the shop's specs pass on each, and
//! nothing a user owns is lost — not after failing cases, not after a
//! service that writes (the fault matrix, `faults.rs`, covers signals,
//! crashes and a database that goes away).

mod common;
#[path = "../../itspec-runner/tests/databases/mod.rs"]
mod databases;

use common::{REPO, Test, USER_ROWS, server_url, shop, shop_events};
use databases::{Backend, block_on, fresh_db, sql, state};

on_every_database!(
    the_shop_specs_pass_and_leave_the_database_empty,
    nothing_is_lost
);

fn the_shop_specs_pass_and_leave_the_database_empty(backend: Backend) {
    // The shop announces its reservations on RabbitMQ.
    let Some(amqp) = server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let Some(test) = fresh_db(backend, "itspec_cli_shop") else {
        return;
    };
    let output = Test::new()
        .env("ITSPEC_DATABASE_URL", &test.url)
        .args([
            "run",
            &format!("{REPO}/examples/shop"),
            "--set",
            &format!("service.command={}", shop().display()),
        ])
        .args(shop_events(&amqp, &format!("{backend:?}")))
        .run();
    assert_eq!(
        output.code, 0,
        "{backend:?}\n{}\n{}",
        output.stdout, output.stderr
    );
    assert!(
        output.stdout.contains("25 passed, 0 failed, 1 skipped"),
        "{}",
        output.stdout
    );
    let tables = block_on(state(&test));
    let names: Vec<&str> = tables.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["customers", "inventory", "reservations", "sessions"],
        "{backend:?}: the schema was applied"
    );
    for (name, _, rows) in &tables {
        assert!(rows.is_empty(), "{backend:?}: {name} kept {rows:?}");
    }
}

/// The user's rows, an excluded table, and failing cases whose setup and
/// service change them.
fn nothing_is_lost(backend: Backend) {
    let Some(test) = fresh_db(backend, "itspec_cli_nothing_lost") else {
        return;
    };
    let schema = std::fs::read_to_string(format!("{REPO}/examples/shop/schema.sql")).unwrap();
    block_on(sql(&test, &schema));
    block_on(sql(&test, USER_ROWS));
    let before = block_on(state(&test));
    let config = format!(
        "specs = [\"specs\"]\n\n[target]\ntimeout = \"60s\"\n\n[service]\ncommand = \"{}\"\nport = \"auto\"\nready = \"GET /health\"\n\
         env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\" }}\n\n\
         [database]\nurl = \"{}\"\nexclude = [\"audit\"]\n",
        shop().display(),
        test.url
    );
    let project = Test::new().file("itspec.toml", config);

    // Failing cases, a service that writes, setup that deletes and changes
    // the user's rows, fixtures, and a refused write to an excluded table.
    let failing = project
        .file(
            "specs/writes.md",
            r#"# Integration Test Spec: Writes

**Related:** PUT /inventory/{sku}
**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: The service changes a user's row and the case fails

**Request:** PUT /inventory/KEEP-1

**Input:**
```json
{ "stock": 99, "price_cents": 1 }
```

**Assertions:**
- status == 200
- row inventory where sku = "KEEP-1" has stock = 1

---

### TC-INT-002: Setup deletes and changes rows, the service adds some

**Setup:**
- sql "DELETE FROM sessions"
- sql "DELETE FROM reservations"
- sql "DELETE FROM inventory WHERE sku = 'KEEP-2'"
- sql "UPDATE customers SET name = 'changed'"

**Request:** POST /customers

**Input:**
```json
{ "email": "new@example.com", "password": "pw", "name": "New" }
```

**Assertions:**
- status == 500
- database unchanged

---

### TC-INT-003: A write to an excluded table is refused

**Setup:**
- row audit: message = "itspec", n = 2

**Request:** GET /health

---

### TC-INT-004: Fixture rows, then a failure

**Fixtures:** extra

**Request:** GET /inventory/EXTRA

**Assertions:**
- body.stock == 0

## Data Fixtures

```yaml extra
inventory:
  - { sku: EXTRA, stock: 4 }
```
"#,
        )
        .args(["run", "specs/writes.md"]);
    let output = failing.run();
    assert_eq!(
        output.code, 1,
        "{backend:?}\n{}\n{}",
        output.stdout, output.stderr
    );
    assert!(
        // The refused write is the setup's: an error, not a failure.
        output.stdout.contains("0 passed, 3 failed, 1 error"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("table `audit` is not tracked"),
        "{}",
        output.stdout
    );
    assert_eq!(
        block_on(state(&test)),
        before,
        "{backend:?}: after failing cases"
    );
}

#[test]
fn a_database_on_another_host_is_refused() {
    let output = Test::new()
        .file(
            "itspec.toml",
            "[target]\nbase_url = \"http://127.0.0.1:9\"\n\n[database]\nurl = \"postgres://app:s3cret@db.example.com:5432/shop\"\n",
        )
        .file("specs/a.md", "# Integration Test Spec: A\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Request:** GET /\n")
        .args(["run"])
        .run();
    assert_eq!(output.code, 3, "{}\n{}", output.stdout, output.stderr);
    let all = format!("{}{}", output.stdout, output.stderr);
    assert!(
        all.contains("refusing to use the database at postgres://app:***@db.example.com:5432/shop"),
        "{all}"
    );
    assert!(all.contains("allow_remote = true"), "{all}");
    assert!(!all.contains("s3cret"), "{all}");
}

#[test]
fn a_database_that_cannot_be_used_stops_the_run_with_the_reason() {
    let project = |url: &str| {
        Test::new()
            .file("itspec.toml", format!("[target]\nbase_url = \"http://127.0.0.1:9\"\n\n[database]\nurl = \"{url}\"\n"))
            .file("specs/a.md", "# Integration Test Spec: A\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Request:** GET /\n")
            .args(["run"])
            .run()
    };
    for (url, reason) in [
        (
            "postgres://postgres@127.0.0.1:9/x",
            "cannot connect to the database postgres://postgres@127.0.0.1:9/x: error communicating with database: Connection refused",
        ),
        (
            "oracle://127.0.0.1/x",
            "`oracle://127.0.0.1/x` is not a database URL itspec knows: use sqlite://, postgres:// or mysql:// (mariadb://)",
        ),
    ] {
        let output = project(url);
        assert_eq!(
            output.code, 3,
            "{url}\n{}\n{}",
            output.stdout, output.stderr
        );
        let all = format!("{}{}", output.stdout, output.stderr);
        assert!(all.contains(reason), "{all}");
    }
}

#[test]
fn the_schema_is_applied_to_a_fresh_database_only() {
    let server = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../itspec-runner/tests/fixtures/server.py"
    );
    let test = Test::new()
        .file(
            "itspec.toml",
            format!(
                "[service]\ncommand = \"python3 {server} itspec-schema-test\"\nenv = {{ PORT = \"{{{{service.port}}}}\" }}\nready = \"GET /health\"\n\n\
                 [database]\nurl = \"sqlite://app.db\"\nschema = \"db/schema.sql\"\n"
            ),
        )
        .file(
            "db/schema.sql",
            "-- one table, one row\nCREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO things (name) VALUES ('first; of all');\n",
        )
        .file(
            "specs/a.md",
            "# Integration Test Spec: A\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: A\n\n**Request:** GET /health\n\n**Assertions:**\n- rows things count == 1\n- row things where id = 1 has name = \"first; of all\"\n",
        )
        .args(["run"]);
    for run in 1..=2 {
        let output = test.run();
        assert_eq!(
            output.code, 0,
            "run {run}\n{}\n{}",
            output.stdout, output.stderr
        );
        assert!(output.stdout.contains("1 passed"), "{}", output.stdout);
    }
}
