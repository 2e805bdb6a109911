//! `itspec new --from-openapi`: for every operation of the shop's contract
//! and of a larger, realistic one, the scaffolded Draft parses, breaks
//! nothing of its contract, and covers each documented status.

mod common;

use common::{fixture, shop};
use itspec_contract::{Contract, Coverage, scaffold};
use itspec_spec::model::CaseKind;
use itspec_spec::template::NewSpec;
use itspec_spec::{LintOptions, Severity};

fn contracts() -> Vec<Contract> {
    vec![
        shop(),
        fixture("bookshop.yaml"),
        fixture("bookshop-3.1.json"),
    ]
}

#[test]
fn every_operation_scaffolds_a_draft_that_keeps_its_contract_and_covers_each_status() {
    for contract in contracts() {
        assert!(!contract.operations().is_empty(), "{}", contract.file);
        for operation in contract.operations() {
            let text = scaffold(&contract, operation, &NewSpec::default());
            let name = format!("{} {}", contract.file, operation.name());
            let checked = itspec_spec::check(&text, &LintOptions::default());
            let errors: Vec<_> = checked
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:#?}\n{text}");
            assert!(checked.spec.is_draft(), "{name}");
            let held = itspec_contract::lint(&checked.spec, &contract);
            assert!(held.is_empty(), "{name}: {held:#?}\n{text}");

            // Its Related names the operation, and every request reaches it.
            let related = checked.spec.related.contract.as_ref().unwrap();
            assert_eq!(
                related.value.to_string(),
                itspec_contract::reference(&contract, operation),
                "{name}"
            );
            let mut coverage = Coverage::new(&contract);
            coverage.add("new.md", &checked.spec, Some(operation), &contract);
            let covered = coverage
                .operations
                .iter()
                .find(|o| o.operation.pointer == operation.pointer)
                .unwrap();
            for status in &covered.statuses {
                let expected = status.status.starts_with(['2', '4', '5'])
                    && (status.status.starts_with(['4', '5'])
                        || Some(&status.status)
                            == operation.statuses.iter().find(|s| s.starts_with('2')));
                assert_eq!(
                    !status.cases.is_empty(),
                    expected,
                    "{name}: status {} in\n{text}",
                    status.status
                );
            }
            assert!(covered.undocumented.is_empty(), "{name}");
            let others = coverage
                .operations
                .iter()
                .filter(|o| o.operation.pointer != operation.pointer);
            assert_eq!(others.filter(|o| o.touched()).count(), 0, "{name}");

            let races = checked
                .spec
                .cases
                .iter()
                .filter(|c| c.kind() == CaseKind::Concurrent)
                .count();
            let idempotent = !matches!(operation.method.as_str(), "POST" | "PATCH");
            assert_eq!(races, usize::from(!idempotent), "{name}");
        }
    }
}

#[test]
fn the_happy_path_sends_what_the_schema_takes_and_expects_markers() {
    let shop = shop();
    let operation = shop.find("createReservation").unwrap();
    let text = scaffold(
        &shop,
        operation,
        &NewSpec {
            stories: vec!["US-7".to_string()],
            ..NewSpec::default()
        },
    );
    for expected in [
        "# Integration Test Spec: Create Reservation\n\n**Related:** US-7, openapi.yaml#createReservation\n**Priority:** Medium\n**Status:** Draft\n",
        "### TC-INT-001: Create Reservation succeeds\n\n**Description:** Reserved, and the deposit charged.\n\n**Request:** POST /reservations\n\n\
         **Input:**\n```json\n{\n  \"sku\": \"text\",\n  \"quantity\": 1,\n  \"email\": \"someone@example.com\"\n}\n```\n\n\
         **Expected Output:**\n```json\n{\n  \"id\": \"#uuid\",\n  \"sku\": \"#string\",\n  \"quantity\": \"#integer\",\n  \"status\": \"#string\",\n  \"created_at\": \"#datetime\"\n}\n```\n\n\
         **Assertions:**\n- status == 201\n",
        // 422 is the schema's refusal: the body leaves out a required member.
        "### TC-INT-005: 422 Unprocessable Entity\n\n**Description:** {{error_case_description}}\n\n**Setup:**\n- {{initial_state}}\n\n\
         **Request:** POST /reservations\n\n**Input:**\n```json\n{\n  \"email\": \"someone@example.com\",\n  \"quantity\": 1\n}\n```\n\n\
         **Expected:**\n- Status: 422\n",
        "**Assertions:**\n- database unchanged\n",
        "### TC-INT-008: Two createReservation requests at once\n",
        "**Actions:**\n1. Request A: POST /reservations {\"sku\":\"text\",\"quantity\":1,\"email\":\"someone@example.com\"}\n2. Request B (concurrent): POST /reservations {\"sku\":\"text\",\"quantity\":1,\"email\":\"someone@example.com\"}\n\n\
         **Expected:**\n- statuses contains 201\n- {{expected_behavior}}\n- no race conditions\n",
        "## Data Fixtures\n",
    ] {
        assert!(text.contains(expected), "`{expected}` in\n{text}");
    }
    let path = shop.find("getInventory").unwrap();
    let text = scaffold(&shop, path, &NewSpec::default());
    assert!(
        text.contains("**Request:** GET /inventory/text\n"),
        "a value its schema takes fills the path parameter:\n{text}"
    );
}
