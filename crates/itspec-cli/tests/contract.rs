//! `itspec run` with an OpenAPI contract, end to end with the shop: every
//! response is checked against the operation it reached, and a spec whose
//! Related names an operation gets its request from it.

mod common;

use common::{REPO, Test, shop};

/// The shop's project with its contract changed by `edit`; `{sku}` of the
/// contract's paths is the variable `sku`.
fn project(edit: impl FnOnce(String) -> String, spec: &str) -> Test {
    let openapi = std::fs::read_to_string(format!("{REPO}/examples/shop/openapi.yaml")).unwrap();
    let schema = format!("{REPO}/examples/shop/schema.sql");
    Test::new()
        .file(
            "itspec.toml",
            format!(
                "specs = [\"specs\"]\n\n[service]\ncommand = \"{}\"\nport = \"auto\"\nready = \"GET /health\"\n\
                 env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\" }}\n\n\
                 [database]\nurl = \"sqlite://shop.db\"\nschema = \"{schema}\"\n\n[contract]\nopenapi = \"api/openapi.yaml\"\n\n[vars]\nsku = \"SKU-1\"\n",
                shop().display()
            ),
        )
        .file("api/openapi.yaml", edit(openapi))
        .file("specs/inventory.md", spec)
}

const SPEC: &str = r#"# Integration Test Spec: Inventory

**Related:** openapi.yaml#getInventory
**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: The request comes from the operation

**Setup:**
- row inventory: sku = "SKU-1", stock = 5, price_cents = 250

**Assertions:**
- status == 200
- body.stock == 5

---

### TC-INT-002: Negative stock is refused

**Request:** PUT /inventory/SKU-2

**Input:**
```json
{ "stock": -1 }
```

**Assertions:**
- status == 422
"#;

#[test]
fn responses_that_keep_the_contract_pass() {
    let output = project(|doc| doc, SPEC).args(["run"]).run();
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stdout.contains("2 passed, 0 failed"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_body_that_breaks_the_schema_and_an_undocumented_status_fail_their_cases() {
    let stricter = |doc: String| {
        doc.replacen(
            "        stock: { type: integer, minimum: 0 }\n        price_cents",
            "        stock: { type: integer, minimum: 0, maximum: 3 }\n        price_cents",
            1,
        )
        .replacen(
            "        '422': { $ref: '#/components/responses/Error' }\n  /reservations:",
            "  /reservations:",
            1,
        )
    };
    let output = project(stricter, SPEC).args(["run"]).run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    for expected in [
        "0 passed, 2 failed",
        "error: the body breaks the schema of getInventory's 200 response: at /stock: 5 is greater than the maximum of 3",
        "error: status 422 is not documented for putInventory in api/openapi.yaml",
        "one of 200",
    ] {
        assert!(
            output.stdout.contains(expected),
            "`{expected}` in\n{}",
            output.stdout
        );
    }
}

#[test]
fn an_operation_the_contract_does_not_have_is_named() {
    let output = project(|doc| doc, &SPEC.replace("#getInventory", "#getInventroy"))
        .args(["run", "--filter", "TC-INT-001"])
        .run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .contains("openapi.yaml has no operation `getInventroy`"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_contract_that_cannot_be_read_stops_the_run_before_the_service_starts() {
    let broken = |doc: String| doc.replacen("paths:", "paths: [", 1);
    let output = project(broken, SPEC).args(["run"]).run();
    assert_eq!(output.code, 2, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains("api/openapi.yaml:") && output.stderr.contains("not YAML or JSON"),
        "{}",
        output.stderr
    );
    assert!(
        !output.stdout.contains("itspec: running") && !output.stdout.contains("started `"),
        "the run began:\n{}",
        output.stdout
    );

    let elsewhere = SPEC.replace("openapi.yaml#getInventory", "missing.yaml#getInventory");
    let output = project(|doc| doc, &elsewhere).args(["run"]).run();
    assert_eq!(output.code, 2, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stderr
            .contains("specs/inventory.md: the API contract: cannot read missing.yaml"),
        "{}",
        output.stderr
    );
}

#[test]
fn trace_contract_shows_each_operations_statuses_their_cases_and_what_no_case_touches() {
    let test = project(|doc| doc, SPEC);
    let ran = test.run_with(&["run", "--report", "json=run.json"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let traced = test.run_with(&["trace", "--contract", "specs", "--from", "run.json"]);
    assert_eq!(traced.code, 0, "{}", traced.stderr);
    for expected in [
        "## api/openapi.yaml\n\n2 of 25 documented responses have a case; 7 of 9 operations no case touches.\n",
        "| getInventory `GET /inventory/{sku}` | 200 | specs/inventory.md TC-INT-001 (passed) |\n|  | 404 | **none** |\n",
        "| putInventory `PUT /inventory/{sku}` | 200 | **none** |\n|  | 422 | specs/inventory.md TC-INT-002 (passed) |\n",
        "### Operations no case touches\n\n- health `GET /health`\n",
        "- me `GET /me`\n",
    ] {
        assert!(
            traced.stdout.contains(expected),
            "`{expected}` in\n{}",
            traced.stdout
        );
    }

    let json = test.run_with(&["trace", "--contract", "specs", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let contract = &json["contracts"][0];
    assert_eq!(contract["covered_responses"], 2);
    assert_eq!(contract["untouched"][0], "health");
    let put = &contract["operations"][2];
    assert_eq!(put["operation"], "putInventory");
    assert_eq!(put["statuses"][1]["status"], "422");
    assert_eq!(
        put["statuses"][1]["cases"][0],
        serde_json::json!({"spec": "specs/inventory.md", "case": "TC-INT-002"})
    );

    let html = test.run_with(&["trace", "--contract", "specs", "--format", "html"]);
    assert!(
        html.stdout
            .contains("<td class=\"untouched\">health <code>GET /health</code></td>"),
        "{}",
        html.stdout
    );
}

#[test]
fn trace_contract_without_a_contract_says_how_to_name_one() {
    let test = Test::new().file(
        "specs/inventory.md",
        SPEC.replace("openapi.yaml#getInventory", "US-1"),
    );
    let traced = test.run_with(&["trace", "--contract", "specs"]);
    assert_eq!(traced.code, 2, "{}\n{}", traced.stdout, traced.stderr);
    assert!(
        traced
            .stderr
            .contains("no OpenAPI contract to trace: set [contract] openapi"),
        "{}",
        traced.stderr
    );
}

#[test]
fn new_from_openapi_writes_a_draft_whose_cases_keep_the_contract() {
    let test = project(|doc| doc, SPEC);
    let made = test.run_with(&[
        "new",
        "--from-openapi",
        "api/openapi.yaml",
        "--operation",
        "createReservation",
        "--stories",
        "US-7",
        "-o",
        "specs/reserve.md",
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let text = std::fs::read_to_string(test.path("specs/reserve.md")).unwrap();
    assert!(
        text.starts_with("# Integration Test Spec: Create Reservation\n\n**Related:** US-7, api/openapi.yaml#createReservation\n"),
        "{text}"
    );
    // It checks with warnings for what is left to fill in, and no error.
    let checked = test.run_with(&["check", "specs/reserve.md"]);
    assert_eq!(checked.code, 0, "{}", checked.stdout);
    assert!(
        checked.stdout.contains("itspec: 0 errors and "),
        "{}",
        checked.stdout
    );
    assert!(!checked.stdout.contains("IT70"), "{}", checked.stdout);
    // Draft specs are not run, and the contract's matrix counts it.
    let traced = test.run_with(&["trace", "--contract", "specs"]);
    assert!(
        traced
            .stdout
            .contains("|  | 504 | specs/reserve.md TC-INT-007 |"),
        "{}",
        traced.stdout
    );

    let wrong = test.run_with(&[
        "new",
        "--from-openapi",
        "api/openapi.yaml",
        "--operation",
        "createReservaton",
    ]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains(
            "api/openapi.yaml has no operation `createReservaton`: did you mean `createReservation`?"
        ),
        "{}",
        wrong.stderr
    );
    let without = test.run_with(&["new", "--from-openapi", "api/openapi.yaml"]);
    assert_eq!(without.code, 2, "{}", without.stderr);
    assert!(without.stderr.contains("--operation"), "{}", without.stderr);
}

/// FastAPI documents 200 and 422 only: with `[contract]
/// undocumented_status = "warn"`, a status the contract leaves out is a
/// warning in `check` and beside the case in `run`, and fails neither.
#[test]
fn an_undocumented_status_can_be_a_warning() {
    let without_422 = |doc: String| {
        doc.replacen(
            "        '422': { $ref: '#/components/responses/Error' }\n  /reservations:",
            "  /reservations:",
            1,
        )
    };
    let project = project(without_422, SPEC);

    let check = project.run_with(&["check"]);
    assert_eq!(check.code, 1, "{}\n{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("error[IT704]"), "{}", check.stdout);

    let check = project.run_with(&["check", "--set", "contract.undocumented_status=warn"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check
            .stdout
            .contains("warning[IT704]: status 422 is not documented for putInventory")
            && check.stdout.contains("undocumented_status = \"warn\""),
        "{}",
        check.stdout
    );

    let run = project
        .env("ITSPEC_CONTRACT_UNDOCUMENTED_STATUS", "warn")
        .run_with(&["run"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);
    // Counted as what it is: a warning, not an unverified check.
    assert!(
        run.stdout.contains("0 unverified, 1 warning (") && run.stdout.contains("  1 warning\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("warning: status 422 is not documented for putInventory in api/openapi.yaml"),
        "{}",
        run.stdout
    );

    let bad = project_with_status("loud");
    let output = bad.run_with(&["check"]);
    assert_eq!(output.code, 2, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains("itspec.toml:")
            && output
                .stderr
                .contains("unknown variant `loud`, expected `error` or `warn`"),
        "{}",
        output.stderr
    );
}

fn project_with_status(value: &str) -> Test {
    Test::new()
        .file(
            "itspec.toml",
            format!("[contract]\nopenapi = \"openapi.yaml\"\nundocumented_status = \"{value}\"\n"),
        )
        .file(
            "openapi.yaml",
            "openapi: 3.0.3\ninfo: { title: x, version: '1' }\npaths: {}\n",
        )
}
