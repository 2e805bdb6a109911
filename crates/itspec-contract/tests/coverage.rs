//! What specs cover of a contract (`itspec trace --contract`), on the
//! shop's contract: statuses by operation, the cases behind each, and the
//! operations no case touches.

mod common;

use common::shop;
use itspec_contract::{Coverage, OperationCoverage};
use itspec_spec::LintOptions;

fn covered(specs: &[(&str, &str)]) -> Coverage {
    let contract = shop();
    let mut coverage = Coverage::new(&contract);
    for (path, text) in specs {
        let spec = itspec_spec::check(text, &LintOptions::default()).spec;
        let related = spec.related.contract.as_ref().and_then(|c| match &c.value {
            itspec_spec::model::Contract::OpenApi { operation, .. } => {
                contract.find(operation).cloned()
            }
            itspec_spec::model::Contract::Endpoint { method, path } => {
                contract.route(method, path).cloned()
            }
        });
        coverage.add(path, &spec, related.as_ref(), &contract);
    }
    coverage
}

fn operation<'c>(coverage: &'c Coverage, id: &str) -> &'c OperationCoverage {
    coverage
        .operations
        .iter()
        .find(|o| o.operation.id.as_deref() == Some(id))
        .unwrap()
}

/// `status: case, case` for each documented status, then the others.
fn cells(operation: &OperationCoverage) -> Vec<String> {
    let list = |cases: &[itspec_contract::CaseRef]| {
        cases
            .iter()
            .map(|c| format!("{} {}", c.spec, c.case))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out: Vec<String> = operation
        .statuses
        .iter()
        .map(|s| format!("{}: {}", s.status, list(&s.cases)))
        .collect();
    if !operation.unstated.is_empty() {
        out.push(format!("unstated: {}", list(&operation.unstated)));
    }
    out.extend(
        operation
            .undocumented
            .iter()
            .map(|s| format!("undocumented {}: {}", s.status, list(&s.cases))),
    );
    out
}

const RESERVATIONS: &str = r#"# Integration Test Spec: Reservations

**Related:** openapi.yaml#createReservation
**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: Reserve

**Assertions:**
- status == 201

---

### TC-INT-002: Refused

**Expected:**
- Status: 422

---

### TC-INT-003: Race, then cancel twice

**Actions:**
1. Request A: POST /reservations {"sku": "S", "quantity": 1}
2. Request B (concurrent): POST /reservations {"sku": "S", "quantity": 1}
3. Request Cancel: DELETE /reservations/{{A.body.id}}
4. Request Again: DELETE /reservations/{{A.body.id}}

**Assertions:**
- statuses == [201, 409] in any order
- Cancel.status == 200
- status == 409

---

### TC-INT-004: Some client error

**Request:** GET /reservations/{{id}}

**Assertions:**
- status == 4xx

---

### TC-INT-005: A teapot

**Request:** PUT /inventory/SKU-1

**Assertions:**
- status == 418

---

### TC-INT-006: No status said

**Request:** GET /reservations/{{id}}
"#;

#[test]
fn each_documented_status_lists_the_cases_that_expect_it() {
    let coverage = covered(&[("reservations.md", RESERVATIONS)]);
    assert_eq!(coverage.contract, "openapi.yaml");
    assert_eq!(
        cells(operation(&coverage, "createReservation")),
        [
            "201: reservations.md TC-INT-001, reservations.md TC-INT-003",
            "402: ",
            "404: ",
            "409: reservations.md TC-INT-003",
            "422: reservations.md TC-INT-002",
            "502: ",
            "504: ",
        ]
    );
    assert_eq!(
        cells(operation(&coverage, "cancelReservation")),
        [
            "200: reservations.md TC-INT-003",
            "404: ",
            "409: reservations.md TC-INT-003",
        ]
    );
    // `4xx` where 404 is documented does not say which; no status at all
    // neither.
    assert_eq!(
        cells(operation(&coverage, "getReservation")),
        [
            "200: ",
            "404: ",
            "unstated: reservations.md TC-INT-004, reservations.md TC-INT-006"
        ]
    );
    assert_eq!(
        cells(operation(&coverage, "putInventory")),
        [
            "200: ",
            "422: ",
            "undocumented 418: reservations.md TC-INT-005"
        ]
    );
}

#[test]
fn operations_no_case_touches_are_the_contract_left_untested() {
    let coverage = covered(&[("reservations.md", RESERVATIONS)]);
    let untouched: Vec<String> = coverage.untouched().map(|o| o.operation.name()).collect();
    assert_eq!(
        untouched,
        ["health", "getInventory", "signUp", "login", "me"]
    );
    let (documented, with_a_case) = coverage.responses();
    assert_eq!((documented, with_a_case), (25, 5));

    let nothing = covered(&[]);
    assert_eq!(nothing.untouched().count(), nothing.operations.len());
    assert_eq!(nothing.responses().1, 0);
}

#[test]
fn a_case_counts_once_per_status_and_cases_of_several_specs_add_up() {
    let other = RESERVATIONS.replace("TC-INT-001: Reserve", "TC-INT-001: Reserve again");
    let coverage = covered(&[("a.md", RESERVATIONS), ("b.md", &other)]);
    assert_eq!(
        cells(operation(&coverage, "createReservation"))[0],
        "201: a.md TC-INT-001, a.md TC-INT-003, b.md TC-INT-001, b.md TC-INT-003"
    );
}
