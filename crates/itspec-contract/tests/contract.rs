//! Reading OpenAPI 3.0 and 3.1 documents, finding operations and checking
//! bodies against them — on the shop's contract and a 3.1 one.

mod common;

use common::shop;
use itspec_contract::{Contract, ResponseCheck};
use serde_json::json;

const V31: &str = r##"{
  "openapi": "3.1.0",
  "info": { "title": "Orders", "version": "1" },
  "servers": [{ "url": "https://api.example.com/v1/" }],
  "paths": {
    "/orders/{id}": {
      "get": {
        "operationId": "getOrder",
        "responses": {
          "200": { "description": "ok", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Order" } } } },
          "4XX": { "description": "client error" }
        }
      }
    },
    "/orders/mine": { "get": { "responses": { "default": { "description": "any" } } } }
  },
  "components": { "schemas": { "Order": {
    "type": "object",
    "required": ["id", "note"],
    "properties": { "id": { "type": "integer", "exclusiveMinimum": 0 }, "note": { "type": ["string", "null"] } }
  } } }
}"##;

#[test]
fn operations_are_found_by_id_pointer_and_request() {
    let shop = shop();
    assert_eq!(shop.operations().len(), 9);
    let reserve = shop.find("createReservation").unwrap();
    assert_eq!(
        (reserve.method.as_str(), reserve.path.as_str()),
        ("POST", "/reservations")
    );
    assert_eq!(
        reserve.statuses,
        ["201", "402", "404", "409", "422", "502", "504"]
    );
    assert_eq!(shop.find("/paths/~1reservations/post"), Some(reserve));
    assert_eq!(
        shop.find("/paths/~1reservations~1%7Bid%7D/delete")
            .map(|op| op.name()),
        Some("cancelReservation".to_string())
    );
    assert_eq!(shop.find("createReservations"), None);
    assert_eq!(
        shop.nearest("createReservations").as_deref(),
        Some("createReservation")
    );
    assert_eq!(
        shop.route("GET", "/inventory/SKU-1?x=1")
            .map(|op| op.name()),
        Some("getInventory".to_string())
    );
    assert_eq!(shop.route("PATCH", "/inventory/SKU-1"), None);
    assert_eq!(shop.route("GET", "/inventory"), None);

    let orders = Contract::parse("orders.json", V31).unwrap();
    // A literal segment wins over a parameter; the server's /v1 is optional.
    assert_eq!(
        orders.route("GET", "/orders/mine").unwrap().name(),
        "GET /orders/mine"
    );
    assert_eq!(
        orders.route("GET", "/v1/orders/7").unwrap().name(),
        "getOrder"
    );
    assert_eq!(orders.route("GET", "/orders/7").unwrap().name(), "getOrder");
}

#[test]
fn responses_are_checked_against_their_status_and_schema() {
    let shop = shop();
    let reserve = shop.find("createReservation").unwrap();
    let good = json!({
        "id": "0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11", "sku": "SKU-1", "quantity": 2,
        "status": "confirmed", "charge_id": null, "created_at": "2026-11-24T10:00:00.000Z"
    });
    assert_eq!(
        shop.check_response(reserve, 201, Some(&good)),
        Ok(ResponseCheck::Valid)
    );
    let bad = json!({
        "id": "not-a-uuid", "sku": "SKU-1", "quantity": 0,
        "status": "lost", "created_at": "2026-11-24T10:00:00.000Z"
    });
    let Ok(ResponseCheck::Invalid { documented, errors }) =
        shop.check_response(reserve, 201, Some(&bad))
    else {
        panic!("the body breaks the schema");
    };
    assert_eq!(documented, "201");
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/id", "/quantity", "/status"], "{errors:?}");
    assert!(
        errors[1]
            .to_string()
            .starts_with("at /quantity: 0 is less than the minimum of 1"),
        "{}",
        errors[1]
    );
    // Through a $ref to components/responses.
    let error = json!({ "error": { "code": "OUT_OF_STOCK" } });
    let Ok(ResponseCheck::Invalid { errors, .. }) = shop.check_response(reserve, 409, Some(&error))
    else {
        panic!("the error body lacks its message");
    };
    assert_eq!(errors[0].path, "/error");
    assert_eq!(
        shop.check_response(reserve, 418, Some(&error)),
        Ok(ResponseCheck::Undocumented {
            documented: ["201", "402", "404", "409", "422", "502", "504"]
                .map(String::from)
                .to_vec()
        })
    );

    let orders = Contract::parse("orders.json", V31).unwrap();
    let get = orders.find("getOrder").unwrap();
    assert_eq!(
        orders.check_response(get, 200, Some(&json!({"id": 1, "note": null}))),
        Ok(ResponseCheck::Valid)
    );
    assert!(matches!(
        orders.check_response(get, 200, Some(&json!({"id": 0, "note": null}))),
        Ok(ResponseCheck::Invalid { .. })
    ));
    // 404 is in 4XX, which documents no body.
    assert_eq!(
        orders.check_response(get, 404, Some(&json!({"any": 1}))),
        Ok(ResponseCheck::Valid)
    );
}

#[test]
fn request_bodies_are_checked() {
    let shop = shop();
    let sign_up = shop.find("signUp").unwrap();
    assert!(sign_up.has_body);
    let fine = json!({"email": "a@example.com", "password": "pw", "name": "A"});
    assert_eq!(shop.request_errors(sign_up, &fine), Ok(Vec::new()));
    let errors = shop
        .request_errors(sign_up, &json!({"email": 1, "name": "A"}))
        .unwrap();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "\"password\" is a required property",
            "at /email: 1 is not of type \"string\""
        ]
    );
    let health = shop.find("health").unwrap();
    assert_eq!(shop.request_errors(health, &json!(1)), Ok(Vec::new()));
}

#[test]
fn documents_that_cannot_be_used_say_why() {
    let swagger = Contract::parse("api.yaml", "swagger: '2.0'\npaths: {}\n").unwrap_err();
    assert!(
        swagger.contains("api.yaml is not an OpenAPI 3 document"),
        "{swagger}"
    );
    let old = Contract::parse("api.yaml", "openapi: 4.0.0\n").unwrap_err();
    assert!(old.contains("itspec reads OpenAPI 3.0 and 3.1"), "{old}");
    let broken = Contract::parse("api.yaml", "openapi: 3.0.0\npaths:\n  /x: [\n").unwrap_err();
    assert!(broken.starts_with("api.yaml:4:"), "{broken}");
    let dangling = Contract::parse(
        "api.yaml",
        "openapi: 3.1.0\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: x\n          content:\n            application/json:\n              schema: { $ref: '#/components/schemas/Missing' }\n",
    )
    .unwrap();
    let op = dangling.find("/paths/~1x/get").unwrap();
    let error = dangling
        .check_response(op, 200, Some(&json!(1)))
        .unwrap_err();
    assert!(error.contains("Missing"), "{error}");
    let missing = Contract::load(
        std::path::Path::new("/nonexistent/openapi.yaml"),
        "openapi.yaml",
    )
    .unwrap_err();
    assert!(missing.starts_with("cannot read openapi.yaml"), "{missing}");
}

/// One schema for both ways: `id` is read-only, `password` write-only, and
/// both are required.
const ACCOUNTS: &str = r#"openapi: 3.0.3
paths:
  /accounts:
    post:
      operationId: open
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Account' }
      responses:
        '201':
          description: opened
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Account' }
components:
  schemas:
    Id: { type: string, readOnly: true }
    Account:
      type: object
      required: [id, password, examples, x-note]
      properties:
        id: { $ref: '#/components/schemas/Id' }
        password: { type: string, writeOnly: true }
        examples: { type: string, nullable: true }
        x-note: { type: string, nullable: true }
"#;

#[test]
fn read_only_members_are_required_of_responses_only_and_write_only_ones_of_requests() {
    let accounts = Contract::parse("accounts.yaml", ACCOUNTS).unwrap();
    let open = accounts.find("open").unwrap();
    let request = json!({ "password": "s3cret", "examples": null, "x-note": null });
    assert_eq!(accounts.request_errors(open, &request).unwrap(), []);
    let errors = accounts
        .request_errors(open, &json!({ "examples": "a", "x-note": "b" }))
        .unwrap();
    assert_eq!(
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>(),
        ["\"password\" is a required property"]
    );

    let response = json!({ "id": "a-1", "examples": "a", "x-note": null });
    assert_eq!(
        accounts.check_response(open, 201, Some(&response)).unwrap(),
        ResponseCheck::Valid
    );
    let ResponseCheck::Invalid { errors, .. } = accounts
        .check_response(
            open,
            201,
            Some(&json!({ "examples": null, "x-note": null })),
        )
        .unwrap()
    else {
        panic!("a response without its read-only id is invalid");
    };
    assert_eq!(errors[0].message, "\"id\" is a required property");
}

#[test]
fn a_3_1_schema_with_its_own_id_resolves_the_refs_inside_it_against_that_id() {
    let text = r##"{
      "openapi": "3.1.0",
      "paths": { "/o": { "get": { "operationId": "lines", "responses": { "200": {
        "description": "ok",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Order" } } }
      } } } } },
      "components": { "schemas": { "Order": {
        "$id": "https://example.com/order",
        "$defs": { "line": { "type": "integer" } },
        "type": "array",
        "items": { "$ref": "#/$defs/line" }
      } } }
    }"##;
    let contract = Contract::parse("lines.json", text).unwrap();
    let lines = contract.find("lines").unwrap();
    assert_eq!(
        contract
            .check_response(lines, 200, Some(&json!([1, 2])))
            .unwrap(),
        ResponseCheck::Valid
    );
    let ResponseCheck::Invalid { errors, .. } = contract
        .check_response(lines, 200, Some(&json!([1, "two"])))
        .unwrap()
    else {
        panic!("a line that is not an integer is invalid");
    };
    assert_eq!(errors[0].path, "/1");
}
