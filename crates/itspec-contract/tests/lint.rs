//! `itspec check` against an OpenAPI contract: each rule on the shop's
//! contract, at the line it concerns.

mod common;

use common::shop;
use itspec_contract::lint;
use itspec_spec::{Code, LintOptions};

/// What `lint` finds in `text` against the shop's contract.
fn problems(text: &str) -> Vec<String> {
    common::problems(text, &shop())
}

const HEAD: &str = "# Integration Test Spec: Reservations\n\n**Related:** openapi.yaml#createReservation\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n";

#[test]
fn a_spec_that_keeps_the_contract_has_no_problem() {
    let spec = format!(
        "{HEAD}### TC-INT-001: Reserve\n\n**Input:**\n```json\n{{ \"sku\": {{{{run_id}}}}, \"quantity\": 2 }}\n```\n\n\
         **Expected Output:**\n```json\n{{ \"id\": \"#uuid\", \"quantity\": \"#integer\", \"status\": \"confirmed\", \"charge_id\": null }}\n```\n\n\
         **Assertions:**\n- status == 201\n\n---\n\n\
         ### TC-INT-002: A refusal may send what the schema forbids\n\n**Input:**\n```json\n{{ \"quantity\": \"two\" }}\n```\n\n**Assertions:**\n- status in [422, 404]\n"
    );
    assert_eq!(problems(&spec), Vec::<String>::new());
}

#[test]
fn each_break_of_the_contract_is_reported_where_it_is_written() {
    let spec = format!(
        "{HEAD}### TC-INT-001: Reserve\n\n**Input:**\n```json\n{{ \"sku\": 7, \"quantity\": 2 }}\n```\n\n\
         **Expected Output:**\n```json\n{{ \"status\": \"lost\", \"quantity\": 0 }}\n```\n\n\
         **Assertions:**\n- status == 201\n\n---\n\n\
         ### TC-INT-002: A teapot\n\n**Request:** GET /teapot\n\n**Assertions:**\n- status == 418\n\n---\n\n\
         ### TC-INT-003: An undocumented status\n\n**Assertions:**\n- status == 418\n"
    );
    assert_eq!(
        problems(&spec),
        [
            "IT703 13:1 the Input breaks the request schema of createReservation: at /sku: 7 is not of type \"string\"",
            "IT705 18:1 the Expected Output breaks the schema of createReservation's 201 response: at /status: \"lost\" is not one of \"confirmed\" or \"cancelled\"",
            "IT705 18:1 the Expected Output breaks the schema of createReservation's 201 response: at /quantity: 0 is less than the minimum of 1",
            "IT702 28:18 openapi.yaml has no operation for GET /teapot",
            "IT704 38:13 status 418 is not documented for createReservation in openapi.yaml",
        ]
    );
}

#[test]
fn an_operation_the_contract_lacks_is_named_with_the_nearest() {
    let spec = HEAD.replace("#createReservation", "#createReservaton")
        + "### TC-INT-001: Reserve\n\n**Assertions:**\n- status == 201\n";
    let checked = itspec_spec::check(&spec, &LintOptions::default());
    let found = lint(&checked.spec, &shop());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, Code::UnknownOperation);
    assert_eq!(
        found[0].message,
        "openapi.yaml has no operation `createReservaton`"
    );
    assert_eq!(
        found[0].help.as_deref(),
        Some("did you mean `createReservation`?")
    );
}

#[test]
fn each_request_of_a_sequence_or_a_race_is_held_to_its_operation() {
    let spec = format!(
        "{HEAD}### TC-INT-001: Cancel twice\n\n**Actions:**\n\
         1. Request Make: POST /reservations {{\"sku\": 7, \"quantity\": 1}}\n\
         2. Request Cancel: DELETE /reservations/{{{{Make.body.id}}}}\n\
         3. Request Again: DELETE /reservations/{{{{Make.body.id}}}}\n\n\
         **Assertions:**\n- Make.status == 201\n- Cancel.status == 418\n- status == 409\n\n---\n\n\
         ### TC-INT-002: Race\n\n**Actions:**\n\
         1. Request A: POST /reservations {{\"sku\": \"S\", \"quantity\": 1}}\n\
         2. Request B (concurrent): POST /reservations {{\"sku\": \"S\", \"quantity\": 1}}\n\n\
         **Expected:**\n- statuses == [201, 451] in any order\n"
    );
    assert_eq!(
        problems(&spec),
        [
            "IT703 12:37 the body of Request Make breaks the request schema of createReservation: at /sku: 7 is not of type \"string\"",
            "IT704 18:20 status 418 is not documented for cancelReservation in openapi.yaml",
            "IT704 30:21 status 451 is not documented for createReservation in openapi.yaml",
        ]
    );
}

#[test]
fn bodies_still_holding_the_template_slots_are_left_to_it007() {
    let text = itspec_spec::template::render_new(&itspec_spec::template::NewSpec {
        component: "Reservations".to_string(),
        contract: Some("openapi.yaml#createReservation".to_string()),
        ..Default::default()
    });
    assert_eq!(problems(&text), Vec::<String>::new());
}
