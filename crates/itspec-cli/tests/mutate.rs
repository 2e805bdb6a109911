//! `itspec mutate` through the binary, against a service in the test: a
//! case that checks only the status lets every body mutant through and
//! each survivor is named at the case's line; a case that holds the whole
//! body kills them all; the score, the JSON form, the exit codes and the
//! budget.

mod common;
#[path = "common/server.rs"]
mod server;

use axum::Router;
use axum::routing::get;

use common::Test;

const SPEC: &str = r##"# Integration Test Spec: Orders

**Priority:** Critical
**Status:** Ready

## Test Cases

### TC-INT-001: Only the status is checked

**Request:** GET /orders/7

**Assertions:**
- status == 200

---

### TC-INT-002: The whole answer is checked

**Request:** GET /orders/7

**Expected Output:**
```json
{"id": 7, "status": "paid", "items": ["mug"]}
```

**Assertions:**
- status == 200
- body.items == ["mug"]
"##;

fn project(spec: &str) -> Test {
    let base = server::serve(Router::new().route(
        "/orders/7",
        get(|| async {
            axum::Json(serde_json::json!({"id": 7, "status": "paid", "items": ["mug"]}))
        }),
    ));
    Test::new()
        .file("itspec.toml", format!("[target]\nbase_url = \"{base}\"\n"))
        .file("specs/orders.md", spec)
}

#[test]
fn survivors_are_named_at_their_case_and_a_strong_case_kills_every_mutant() {
    let output = project(SPEC).args(["mutate", "specs"]).run();
    let stdout = &output.stdout;
    assert_eq!(output.code, 1, "{stdout}\n{}", output.stderr);
    // 2 status mutants and 12 of the body: the status check kills 2.
    assert!(
        stdout.contains("TC-INT-001  Only the status is checked  2/14 killed"),
        "{stdout}"
    );
    for survivor in [
        "survived  specs/orders.md:8  `$.status` `\"paid\"` → `\"diap\"`: no check failed",
        "survived  specs/orders.md:8  `$.items` loses its first element: no check failed",
        "survived  specs/orders.md:8  `$.id` `7` → `8`: no check failed",
    ] {
        assert!(stdout.contains(survivor), "{survivor}\n{stdout}");
    }
    assert!(
        !stdout.contains("status 200 → 201: no check failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("TC-INT-002  The whole answer is checked  14/14 killed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mutation score: 57.1% (16 of 28 mutants killed) in 2 cases; 12 survived"),
        "{stdout}"
    );

    // The strong case alone: nothing survives, and the exit code says so.
    let strong = project(SPEC)
        .args(["mutate", "specs/orders.md::TC-INT-002"])
        .run();
    assert_eq!(strong.code, 0, "{}\n{}", strong.stdout, strong.stderr);
}

#[test]
fn the_json_form_and_the_budget() {
    let output = project(SPEC)
        .args(["mutate", "specs", "--format", "json"])
        .run();
    let report: serde_json::Value =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", output.stdout));
    assert_eq!(report["killed"], 16);
    assert_eq!(report["tried"], 28);
    assert_eq!(report["survived"], 12);
    let case = &report["specs"][0]["cases"][0];
    assert_eq!(case["id"], "TC-INT-001");
    assert_eq!(case["line"], 8);
    assert_eq!(
        case["mutation"]["survived"].as_array().map(Vec::len),
        Some(12)
    );

    // No time: every mutant is left untried, nothing is claimed, and the
    // run does not pass.
    let output = project(SPEC)
        .args(["mutate", "specs", "--budget", "0s"])
        .run();
    assert_eq!(output.code, 1, "{}", output.stdout);
    assert!(
        output.stdout.contains("0/0 killed, 14 not tried")
            && output.stdout.contains("28 not tried (out of time)"),
        "{}",
        output.stdout
    );
}

/// The shop's Critical specs let no response or database mutant through;
/// what survives is a mock's answer the shop does not read, or a fixture
/// value the case does not depend on, each named.
#[test]
fn the_shop_s_critical_specs_let_no_response_or_database_mutant_through() {
    // The shop announces its reservations on RabbitMQ.
    let Some(amqp) = common::server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let output = Test::new()
        .args([
            "mutate",
            &format!("{}/examples/shop", common::REPO),
            "--priority",
            "critical",
            "--set",
            &format!("service.command={}", common::shop().display()),
        ])
        .args(common::shop_events(&amqp, "mutate"))
        .run();
    let said = format!("{}{}", output.stdout, output.stderr);
    assert_eq!(output.code, 1, "{said}");
    let survivors: Vec<&str> = said.lines().filter(|l| l.contains("survived  ")).collect();
    let of_response_or_database: Vec<&&str> = survivors
        .iter()
        .filter(|l| !l.contains("  mock payments ") && !l.contains("  fixture sku_in_stock "))
        .collect();
    assert!(of_response_or_database.is_empty(), "{said}");
    assert!(
        said.contains(
            "reservations.md:22  mock payments `any request` answers: `$.status` removed: no check failed"
        ),
        "{said}"
    );
    // A declined card is answered by the mock: the case checks it.
    assert!(!said.contains("reservations.md:182  mock"), "{said}");
    // Database mutants ran, and the one the foreign key refused is told.
    assert!(
        said.contains("no place  the database refused the change")
            && said.contains("`reservations.sku` of the row id"),
        "{said}"
    );
    assert!(
        said.contains("reservations.md:67  fixture sku_in_stock (line 256): `sku`"),
        "{said}"
    );
    assert!(
        said.contains("reservations.md  Reservations  Critical"),
        "{said}"
    );
}
