//! The contract reader on documents the size and shape of real ones: an
//! online bookshop's API in OpenAPI 3.0 (YAML, `tests/fixtures/bookshop.yaml`)
//! and in 3.1 (JSON, `tests/fixtures/bookshop-3.1.json`) — shared
//! parameters, responses and request bodies, `allOf`, `oneOf` with a
//! discriminator, `nullable`, formats, a server path prefix and a literal
//! path beside a templated one.

mod common;

use common::fixture;
use itspec_contract::{Contract, Operation, ResponseCheck, SchemaError, lint};
use itspec_spec::{Code, LintOptions};
use serde_json::{Value, json};

fn bookshop() -> Contract {
    fixture("bookshop.yaml")
}

fn op<'c>(contract: &'c Contract, id: &str) -> &'c Operation {
    contract
        .find(id)
        .unwrap_or_else(|| panic!("{} has no operation {id}", contract.file))
}

/// Each error as `(path, keyword)`, sorted: the order the validator
/// meets the keywords in is not the contract's.
fn places(errors: &[SchemaError]) -> Vec<(&str, &str)> {
    let mut places: Vec<_> = errors
        .iter()
        .map(|e| (e.path.as_str(), e.keyword.as_str()))
        .collect();
    places.sort_unstable();
    places
}

/// The error at `path`.
fn at<'e>(errors: &'e [SchemaError], path: &str) -> &'e SchemaError {
    errors
        .iter()
        .find(|e| e.path == path)
        .unwrap_or_else(|| panic!("no error at {path}: {errors:?}"))
}

/// The errors of a response the contract must find invalid, and the
/// documented status that covers it.
fn invalid(contract: &Contract, id: &str, status: u16, body: &Value) -> (String, Vec<SchemaError>) {
    match contract.check_response(op(contract, id), status, Some(body)) {
        Ok(ResponseCheck::Invalid { documented, errors }) => (documented, errors),
        other => panic!("{id} {status} should be invalid: {other:?}"),
    }
}

fn valid(contract: &Contract, id: &str, status: u16, body: &Value) {
    assert_eq!(
        contract.check_response(op(contract, id), status, Some(body)),
        Ok(ResponseCheck::Valid),
        "{id} {status}: {body}"
    );
}

fn request_errors(contract: &Contract, id: &str, body: &Value) -> Vec<SchemaError> {
    contract.request_errors(op(contract, id), body).unwrap()
}

const ORDER_ID: &str = "5b0f1c7e-3a52-4d8e-9a0c-2d6f0e4b7a31";

fn new_order() -> Value {
    json!({
        "items": [
            { "isbn": "9780262046305", "quantity": 2 },
            { "isbn": "9791032305690", "quantity": 1 }
        ],
        "payment": { "method": "card", "cardToken": "tok_4eC39HqLyjWD" },
        "shippingAddress": {
            "name": "Ada Reader", "line1": "Oude Delft 12", "line2": null,
            "city": "Delft", "postcode": "2611 BD", "country": "NL"
        },
        "note": null
    })
}

fn order() -> Value {
    let mut order = new_order();
    let members = order.as_object_mut().unwrap();
    members.insert("id".into(), json!(ORDER_ID));
    members.insert(
        "customerId".into(),
        json!("0b8a4a0e-6d0c-4f57-9a3f-2f1e5c0c9d11"),
    );
    members.insert("status".into(), json!("paid"));
    members.insert("total".into(), json!({ "amount": 6900, "currency": "EUR" }));
    members.insert("createdAt".into(), json!("2026-03-01T10:15:00Z"));
    members.insert("shippedAt".into(), json!(null));
    order
}

fn book() -> Value {
    json!({
        "isbn": "9780262046305",
        "title": "Structure and Interpretation of Computer Programs",
        "subtitle": null,
        "authorIds": ["7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f"],
        "price": { "amount": 4500, "currency": "EUR" },
        "publishedOn": "2022-04-12",
        "pages": 640,
        "language": "en",
        "stock": 3,
        "rating": null,
        "createdAt": "2026-01-05T08:00:00+01:00"
    })
}

fn error_body() -> Value {
    json!({ "error": { "code": "ORDER_SHIPPED", "message": "the order has shipped" } })
}

#[test]
fn the_3_0_document_lists_every_operation_in_document_order() {
    let shop = bookshop();
    let listed: Vec<(Option<&str>, &str, &str)> = shop
        .operations()
        .iter()
        .map(|op| (op.id.as_deref(), op.method.as_str(), op.path.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (None, "GET", "/health"),
            (Some("listBooks"), "GET", "/books"),
            (Some("createBook"), "POST", "/books"),
            (Some("getBook"), "GET", "/books/{isbn}"),
            (Some("replaceBook"), "PUT", "/books/{isbn}"),
            (Some("deleteBook"), "DELETE", "/books/{isbn}"),
            (Some("listReviews"), "GET", "/books/{isbn}/reviews"),
            (Some("createReview"), "POST", "/books/{isbn}/reviews"),
            (Some("listAuthors"), "GET", "/authors"),
            (Some("getAuthor"), "GET", "/authors/{authorId}"),
            (Some("createOrder"), "POST", "/orders"),
            (Some("listMyOrders"), "GET", "/orders/mine"),
            (Some("getOrder"), "GET", "/orders/{orderId}"),
            (Some("updateOrder"), "PATCH", "/orders/{orderId}"),
            (Some("addOrderItem"), "POST", "/orders/{orderId}/items"),
            (Some("cancelOrder"), "POST", "/orders/{orderId}/cancel"),
            (Some("registerCustomer"), "POST", "/customers"),
            (Some("getCurrentCustomer"), "GET", "/customers/me"),
            (Some("deleteReview"), "DELETE", "/reviews/{reviewId}"),
        ]
    );
    // Statuses as written, `$ref`'d responses, a range and `default` too.
    assert_eq!(
        op(&shop, "updateOrder").statuses,
        ["200", "401", "404", "409", "422"]
    );
    assert_eq!(op(&shop, "cancelOrder").statuses, ["200", "409", "4XX"]);
    assert_eq!(
        op(&shop, "deleteReview").statuses,
        ["204", "404", "default"]
    );
    // A request body `$ref`'d to components/requestBodies is a body too.
    let with_body: Vec<String> = shop
        .operations()
        .iter()
        .filter(|op| op.has_body)
        .map(Operation::name)
        .collect();
    assert_eq!(
        with_body,
        [
            "createBook",
            "replaceBook",
            "createReview",
            "createOrder",
            "updateOrder",
            "addOrderItem",
            "cancelOrder",
            "registerCustomer"
        ]
    );
}

#[test]
fn operations_are_found_by_operation_id_and_by_json_pointer() {
    let shop = bookshop();
    let get_order = op(&shop, "getOrder");
    assert_eq!(get_order.pointer, "/paths/~1orders~1{orderId}/get");
    assert_eq!(shop.find("/paths/~1orders~1{orderId}/get"), Some(get_order));
    // As written in a URI fragment, in either case of hex digit.
    assert_eq!(
        shop.find("/paths/~1orders~1%7BorderId%7D/get"),
        Some(get_order)
    );
    assert_eq!(
        shop.find("/paths/~1orders~1%7borderId%7d/get"),
        Some(get_order)
    );
    assert_eq!(
        shop.find("/paths/~1orders~1%7BorderId%7D~1cancel/post")
            .map(Operation::name),
        Some("cancelOrder".to_string())
    );
    // The operation without an operationId: by pointer only, named by its
    // method and path.
    let health = shop.find("/paths/~1health/get").unwrap();
    assert_eq!(health.id, None);
    assert_eq!(health.name(), "GET /health");
    assert_eq!(shop.find("health"), None);
    assert_eq!(shop.find("GET /health"), None);
    // What the document does not have.
    assert_eq!(shop.find("/paths/~1orders/get"), None);
    assert_eq!(shop.find("/paths/~1orders~1{id}/get"), None);
    assert_eq!(shop.find("/paths/~1orders/post/responses"), None);
    assert_eq!(shop.find("createorder"), None);
    assert_eq!(shop.nearest("createOrdr").as_deref(), Some("createOrder"));
    assert_eq!(shop.nearest("refundPayment"), None);
}

#[test]
fn requests_are_routed_with_or_without_the_server_prefix() {
    let shop = bookshop();
    let routed = |method: &str, path: &str| shop.route(method, path).map(Operation::name);
    let named = |id: &str| Some(id.to_string());
    assert_eq!(routed("GET", "/v2/books"), named("listBooks"));
    assert_eq!(routed("GET", "/books"), named("listBooks"));
    assert_eq!(routed("POST", "/v2/books"), named("createBook"));
    assert_eq!(routed("GET", "/v2/books/9780262046305"), named("getBook"));
    assert_eq!(routed("PUT", "/books/9780262046305"), named("replaceBook"));
    assert_eq!(
        routed("GET", "/v2/books/9780262046305/reviews"),
        named("listReviews")
    );
    assert_eq!(
        routed("POST", &format!("/v2/orders/{ORDER_ID}/cancel")),
        named("cancelOrder")
    );
    assert_eq!(
        routed("POST", &format!("/orders/{ORDER_ID}/items")),
        named("addOrderItem")
    );
    // The literal segment beats the parameter, prefix or not (the 3.1
    // document writes the literal path after the templated one)...
    assert_eq!(routed("GET", "/orders/mine"), named("listMyOrders"));
    assert_eq!(routed("GET", "/v2/orders/mine"), named("listMyOrders"));
    assert_eq!(
        routed("GET", &format!("/v2/orders/{ORDER_ID}")),
        named("getOrder")
    );
    // ...but only among operations of the method: /orders/mine has no PATCH.
    assert_eq!(routed("PATCH", "/v2/orders/mine"), named("updateOrder"));
    // Query strings and fragments are not part of the path; the method's
    // case does not matter.
    assert_eq!(
        routed("GET", "/v2/orders/mine?status=paid&page=2"),
        named("listMyOrders")
    );
    assert_eq!(
        routed("get", "/v2/books?per_page=100#top"),
        named("listBooks")
    );
    assert_eq!(routed("GET", "/v2/health?verbose=1"), named("GET /health"));
    // What no operation answers.
    assert_eq!(routed("DELETE", &format!("/orders/{ORDER_ID}")), None);
    assert_eq!(routed("GET", "/orders"), None);
    assert_eq!(routed("TRACE", "/v2/books"), None);
    assert_eq!(routed("GET", "/v3/books"), None);
    assert_eq!(routed("GET", "/v2/v2/books"), None);
    assert_eq!(routed("GET", "/v2/books/9780262046305/reviews/1"), None);
    assert_eq!(routed("GET", "/v2/publishers"), None);
    // A parameter stands for one non-empty segment.
    assert_eq!(routed("GET", "/v2/books//reviews"), None);
}

#[test]
fn a_status_is_documented_exactly_by_its_range_or_by_default() {
    let shop = bookshop();
    let cancel = op(&shop, "cancelOrder");
    assert_eq!(cancel.documented(200), Some("200"));
    // The exact status wins over the range that holds it.
    assert_eq!(cancel.documented(409), Some("409"));
    assert_eq!(cancel.documented(404), Some("4XX"));
    assert_eq!(cancel.documented(422), Some("4XX"));
    assert_eq!(cancel.documented(499), Some("4XX"));
    assert_eq!(cancel.documented(201), None);
    assert_eq!(cancel.documented(500), None);
    let delete = op(&shop, "deleteReview");
    assert_eq!(delete.documented(204), Some("204"));
    assert_eq!(delete.documented(404), Some("404"));
    assert_eq!(delete.documented(403), Some("default"));
    assert_eq!(delete.documented(503), Some("default"));
    let get = op(&shop, "getOrder");
    assert_eq!(get.documented(401), Some("401"));
    assert_eq!(get.documented(403), None);
    assert_eq!(get.documented(500), None);
}

#[test]
fn bodies_that_keep_the_request_schema_have_no_error() {
    let shop = bookshop();
    assert_eq!(request_errors(&shop, "createOrder", &new_order()), []);
    // The other branch of the oneOf.
    let mut by_transfer = new_order();
    by_transfer["payment"] = json!({ "method": "bank_transfer", "iban": "NL91ABNA0417164300" });
    assert_eq!(request_errors(&shop, "createOrder", &by_transfer), []);
    // nullable: true takes null in 3.0.
    assert_eq!(
        request_errors(&shop, "updateOrder", &json!({ "note": null })),
        []
    );
    assert_eq!(
        request_errors(
            &shop,
            "cancelOrder",
            &json!({ "reason": "too_slow", "comment": null })
        ),
        []
    );
    assert_eq!(
        request_errors(
            &shop,
            "addOrderItem",
            &json!({ "isbn": "9780262046305", "quantity": 10 })
        ),
        []
    );
    assert_eq!(
        request_errors(
            &shop,
            "registerCustomer",
            &json!({ "email": "ada@example.com", "name": "Ada", "password": "correct horse battery" })
        ),
        []
    );
    // Through components/requestBodies.
    let mut new_book = book();
    for read_only in ["stock", "rating", "createdAt"] {
        new_book.as_object_mut().unwrap().remove(read_only);
    }
    assert_eq!(request_errors(&shop, "createBook", &new_book), []);
    assert_eq!(request_errors(&shop, "replaceBook", &new_book), []);
    // An operation without a request body takes any.
    assert_eq!(request_errors(&shop, "getOrder", &json!([1, 2])), []);
}

#[test]
fn request_errors_say_where_and_which_keyword() {
    let shop = bookshop();
    // A missing required member is the body's own error.
    let mut no_address = new_order();
    no_address
        .as_object_mut()
        .unwrap()
        .remove("shippingAddress");
    let errors = request_errors(&shop, "createOrder", &no_address);
    assert_eq!(places(&errors), [("", "required")]);
    assert_eq!(
        errors[0].to_string(),
        "\"shippingAddress\" is a required property"
    );

    // An enum.
    let errors = request_errors(&shop, "cancelOrder", &json!({ "reason": "bored" }));
    assert_eq!(places(&errors), [("/reason", "enum")]);

    // A pattern, in an item, through two $refs (NewOrder → OrderItem → Isbn).
    let mut short_isbn = new_order();
    short_isbn["items"][1]["isbn"] = json!("979103230569");
    let errors = request_errors(&shop, "createOrder", &short_isbn);
    assert_eq!(places(&errors), [("/items/1/isbn", "pattern")]);
    assert_eq!(
        errors[0].to_string(),
        "at /items/1/isbn: \"979103230569\" does not match \"^97[89][0-9]{10}$\""
    );

    // additionalProperties: false, in an item and at the top.
    let mut gift = new_order();
    gift["items"][0]["giftWrap"] = json!(true);
    let errors = request_errors(&shop, "createOrder", &gift);
    assert_eq!(places(&errors), [("/items/0", "additionalProperties")]);
    assert!(
        errors[0].message.contains("'giftWrap' was unexpected"),
        "{}",
        errors[0]
    );
    let errors = request_errors(&shop, "updateOrder", &json!({ "status": "shipped" }));
    assert_eq!(places(&errors), [("", "additionalProperties")]);
    let errors = request_errors(&shop, "updateOrder", &json!({}));
    assert_eq!(places(&errors), [("", "minProperties")]);

    // A card payment with a bank account fits neither branch of the oneOf.
    let mut mixed = new_order();
    mixed["payment"] = json!({ "method": "card", "iban": "NL91ABNA0417164300" });
    let errors = request_errors(&shop, "createOrder", &mixed);
    assert_eq!(places(&errors), [("/payment", "oneOf")]);
    let mut cheque = new_order();
    cheque["payment"] = json!({ "method": "cheque" });
    assert_eq!(
        places(&request_errors(&shop, "createOrder", &cheque)),
        [("/payment", "oneOf")]
    );

    // Every error of a body, each where it is.
    let errors = request_errors(
        &shop,
        "createOrder",
        &json!({
            "items": [],
            "payment": { "method": "bank_transfer", "iban": "NL91ABNA0417164300" },
            "shippingAddress": { "name": "A", "line1": "B", "city": "C", "postcode": "D", "country": "nl" },
            "note": 7
        }),
    );
    assert_eq!(
        places(&errors),
        [
            ("/items", "minItems"),
            ("/note", "type"),
            ("/shippingAddress/country", "pattern")
        ]
    );

    // Limits and formats.
    assert_eq!(
        places(&request_errors(
            &shop,
            "addOrderItem",
            &json!({ "isbn": "9780262046305", "quantity": 11 })
        )),
        [("/quantity", "maximum")]
    );
    assert_eq!(
        places(&request_errors(
            &shop,
            "registerCustomer",
            &json!({ "email": "ada.example.com", "name": "", "password": "short" })
        )),
        [
            ("/email", "format"),
            ("/name", "minLength"),
            ("/password", "minLength")
        ]
    );
    // Through components/requestBodies, into a $ref'd schema.
    let errors = request_errors(
        &shop,
        "replaceBook",
        &json!({
            "isbn": "9780262046305", "title": "SICP", "authorIds": [],
            "price": { "amount": -1, "currency": "EUR", "vat": 9 }, "publishedOn": "2022-02-30"
        }),
    );
    assert_eq!(
        places(&errors),
        [
            ("/authorIds", "minItems"),
            ("/price", "additionalProperties"),
            ("/price/amount", "minimum"),
            ("/publishedOn", "format")
        ]
    );
}

#[test]
fn responses_are_held_to_the_schema_of_their_status_through_all_of_and_refs() {
    let shop = bookshop();
    valid(&shop, "getOrder", 200, &order());
    valid(&shop, "createOrder", 201, &order());
    valid(&shop, "listMyOrders", 200, &json!([order(), order()]));
    valid(&shop, "listMyOrders", 200, &json!([]));

    // Errors from both halves of Order's allOf, each through its $refs.
    let mut broken = order();
    broken["status"] = json!("lost");
    broken["total"]["currency"] = json!("JPY");
    broken["items"][0]["quantity"] = json!(0);
    broken.as_object_mut().unwrap().remove("customerId");
    let (documented, errors) = invalid(&shop, "getOrder", 200, &broken);
    assert_eq!(documented, "200");
    assert_eq!(
        places(&errors),
        [
            ("", "required"),
            ("/items/0/quantity", "minimum"),
            ("/status", "enum"),
            ("/total/currency", "enum")
        ]
    );
    assert_eq!(
        at(&errors, "").message,
        "\"customerId\" is a required property"
    );
    assert_eq!(
        at(&errors, "/status").to_string(),
        "at /status: \"lost\" is not one of \"pending\", \"paid\" or 3 other candidates"
    );
    // In an array of them.
    let (_, errors) = invalid(&shop, "listMyOrders", 200, &json!([order(), broken]));
    assert_eq!(at(&errors, "/1/items/0/quantity").keyword, "minimum");
    assert_eq!(errors.len(), 4);

    // An error response through components/responses.
    valid(&shop, "updateOrder", 409, &error_body());
    let (documented, errors) = invalid(
        &shop,
        "updateOrder",
        409,
        &json!({ "error": { "code": 409 } }),
    );
    assert_eq!(documented, "409");
    assert_eq!(
        places(&errors),
        [("/error", "required"), ("/error/code", "type")]
    );
}

#[test]
fn an_undocumented_status_lists_the_documented_ones() {
    let shop = bookshop();
    assert_eq!(
        shop.check_response(op(&shop, "getOrder"), 418, Some(&error_body())),
        Ok(ResponseCheck::Undocumented {
            documented: vec!["200".into(), "401".into(), "404".into()]
        })
    );
    // 4XX does not cover a 500, and there is no default.
    assert_eq!(
        shop.check_response(op(&shop, "cancelOrder"), 500, None),
        Ok(ResponseCheck::Undocumented {
            documented: vec!["200".into(), "409".into(), "4XX".into()]
        })
    );
}

#[test]
fn range_and_default_responses_have_their_own_schemas() {
    let shop = bookshop();
    // 404 and 422 fall in cancelOrder's 4XX, which documents an Error.
    valid(&shop, "cancelOrder", 404, &error_body());
    let (documented, errors) = invalid(&shop, "cancelOrder", 422, &json!({ "message": "no" }));
    assert_eq!(documented, "4XX");
    assert_eq!(places(&errors), [("", "required")]);
    // 409 is documented itself, through a $ref.
    let (documented, _) = invalid(&shop, "cancelOrder", 409, &json!({ "message": "no" }));
    assert_eq!(documented, "409");
    // deleteReview's default covers what is not listed.
    valid(&shop, "deleteReview", 503, &error_body());
    let (documented, errors) =
        invalid(&shop, "deleteReview", 403, &json!({ "error": "forbidden" }));
    assert_eq!(documented, "default");
    assert_eq!(places(&errors), [("/error", "type")]);
    // A response that documents no body takes any, or none.
    let delete = op(&shop, "deleteReview");
    assert_eq!(
        shop.check_response(delete, 204, None),
        Ok(ResponseCheck::Valid)
    );
    assert_eq!(
        shop.check_response(delete, 204, Some(&json!({ "any": 1 }))),
        Ok(ResponseCheck::Valid)
    );
    // A documented body, when the response has none, is not checked.
    assert_eq!(
        shop.check_response(op(&shop, "getOrder"), 200, None),
        Ok(ResponseCheck::Valid)
    );
    // The operation without an operationId, by pointer.
    let health = shop.find("/paths/~1health/get").unwrap();
    assert_eq!(
        shop.check_response(
            health,
            200,
            Some(&json!({ "status": "ok", "checkedAt": "2026-03-01T10:00:00Z" }))
        ),
        Ok(ResponseCheck::Valid)
    );
    assert!(matches!(
        shop.check_response(health, 503, Some(&json!({ "status": "down" }))),
        Ok(ResponseCheck::Invalid { documented, .. }) if documented == "default"
    ));
}

#[test]
fn nullable_takes_null_in_3_0_where_it_is_written_only() {
    let shop = bookshop();
    // subtitle and rating are nullable; shippedAt too, with a format.
    valid(&shop, "getBook", 200, &book());
    valid(&shop, "getOrder", 200, &order());
    let mut shipped = order();
    shipped["shippedAt"] = json!("2026-03-02T09:30:00.5Z");
    valid(&shop, "getOrder", 200, &shipped);
    // Not nullable: null is a type error.
    let mut no_title = book();
    no_title["title"] = json!(null);
    no_title["createdAt"] = json!(null);
    let (_, errors) = invalid(&shop, "getBook", 200, &no_title);
    assert_eq!(
        places(&errors),
        [("/createdAt", "type"), ("/title", "type")]
    );
    assert_eq!(
        at(&errors, "/title").message,
        "null is not of type \"string\""
    );
    // A nullable value that is not null still keeps its schema, here a
    // 3.0 (draft 4) boolean exclusiveMinimum.
    let mut rated = book();
    rated["rating"] = json!(4.5);
    valid(&shop, "getBook", 200, &rated);
    rated["rating"] = json!(0);
    let (_, errors) = invalid(&shop, "getBook", 200, &rated);
    assert_eq!(places(&errors), [("/rating", "exclusiveMinimum")]);
    rated["rating"] = json!("4");
    let (_, errors) = invalid(&shop, "getBook", 200, &rated);
    assert_eq!(places(&errors), [("/rating", "type")]);
}

#[test]
fn formats_are_enforced_in_3_0() {
    let shop = bookshop();
    let mut order = order();
    order["id"] = json!("42");
    order["customerId"] = json!("0b8a4a0e6d0c4f579a3f2f1e5c0c9d11");
    order["createdAt"] = json!("2026-03-01 10:15");
    order["shippedAt"] = json!("yesterday");
    let (_, errors) = invalid(&shop, "getOrder", 200, &order);
    assert_eq!(
        places(&errors),
        [
            ("/createdAt", "format"),
            ("/customerId", "format"),
            ("/id", "format"),
            ("/shippedAt", "format")
        ]
    );
    assert_eq!(
        at(&errors, "/id").to_string(),
        "at /id: \"42\" is not a \"uuid\""
    );
    let (_, errors) = invalid(
        &shop,
        "getCurrentCustomer",
        200,
        &json!({
            "id": "0B8A4A0E-6D0C-4F57-9A3F-2F1E5C0C9D11", "email": "reader at example.com",
            "name": "Ada", "createdAt": "2026-03-01T10:15:00Z"
        }),
    );
    // Upper-case hexadecimal is a uuid still.
    assert_eq!(places(&errors), [("/email", "format")]);
    let (_, errors) = invalid(
        &shop,
        "getAuthor",
        200,
        &json!({ "id": "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f", "name": "A", "born": "1929-10-32" }),
    );
    assert_eq!(places(&errors), [("/born", "format")]);
    valid(
        &shop,
        "getAuthor",
        200,
        &json!({ "id": "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f", "name": "A", "born": null, "bio": null }),
    );
}

fn v31() -> Contract {
    fixture("bookshop-3.1.json")
}

fn v31_book() -> Value {
    json!({
        "kind": "book", "isbn": "9780262046305", "title": "SICP", "subtitle": null,
        "price": { "amount": 4500, "currency": "EUR" }, "rating": 4.5, "publishedOn": "2022-04-12"
    })
}

fn v31_order() -> Value {
    json!({
        "id": ORDER_ID, "status": "shipped",
        "items": [{ "isbn": "9780262046305", "quantity": 1 }],
        "shippedAt": "2026-03-02T09:30:00Z"
    })
}

#[test]
fn the_3_1_document_has_its_paths_operations_and_not_its_webhooks() {
    let shop = v31();
    let listed: Vec<(String, &str)> = shop
        .operations()
        .iter()
        .map(|op| (op.name(), op.pointer.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("getBook".to_string(), "/paths/~1books~1{isbn}/get"),
            ("createOrder".to_string(), "/paths/~1orders/post"),
            ("getOrder".to_string(), "/paths/~1orders~1{orderId}/get"),
            ("listMyOrders".to_string(), "/paths/~1orders~1mine/get"),
        ]
    );
    assert_eq!(shop.find("orderShipped"), None);
    assert_eq!(shop.find("/webhooks/orderShipped/post"), None);
    assert_eq!(
        shop.find("/paths/~1orders~1%7BorderId%7D/get")
            .map(Operation::name),
        Some("getOrder".into())
    );
    // The server URL's trailing slash is not part of the prefix.
    let routed = |method: &str, path: &str| shop.route(method, path).map(Operation::name);
    assert_eq!(
        routed("GET", &format!("/v2/orders/{ORDER_ID}")),
        Some("getOrder".into())
    );
    assert_eq!(
        routed("POST", "/orders?dry_run=1"),
        Some("createOrder".into())
    );
    // Here the literal path comes after the templated one, and still wins.
    assert_eq!(
        routed("GET", "/v2/orders/mine"),
        Some("listMyOrders".into())
    );
    assert_eq!(routed("GET", "/orders/mine/"), Some("listMyOrders".into()));
    assert_eq!(routed("GET", "/orders/minefield"), Some("getOrder".into()));
    assert_eq!(routed("POST", "/v2/orderShipped"), None);
    assert_eq!(routed("GET", "/v2/orders"), None);
}

#[test]
fn the_3_1_document_takes_type_arrays_const_and_ref_siblings() {
    let shop = v31();
    valid(&shop, "getBook", 200, &v31_book());
    valid(&shop, "getOrder", 200, &v31_order());
    // type: [string, "null"], with a format for the string.
    let mut pending = v31_order();
    pending["shippedAt"] = json!(null);
    valid(&shop, "getOrder", 200, &pending);
    pending["shippedAt"] = json!("soon");
    let (_, errors) = invalid(&shop, "getOrder", 200, &pending);
    assert_eq!(places(&errors), [("/shippedAt", "format")]);
    // uuid, and the $defs of a schema reached by a $ref to it.
    let mut order = v31_order();
    order["id"] = json!("5b0f1c7e");
    order["items"][0] = json!({ "isbn": "9780262046305", "quantity": 11, "gift": true });
    let (documented, errors) = invalid(&shop, "getOrder", 200, &order);
    assert_eq!(documented, "200");
    assert_eq!(
        places(&errors),
        [
            ("/id", "format"),
            ("/items/0", "additionalProperties"),
            ("/items/0/quantity", "maximum")
        ]
    );
    // const; a $ref's sibling keywords narrow it (draft 2020-12); a numeric
    // exclusiveMinimum; nullable is 3.0's: a 3.1 document says null in type.
    let mut book = v31_book();
    book["kind"] = json!("magazine");
    book["price"]["currency"] = json!("USD");
    book["rating"] = json!(0);
    book["title"] = json!(null);
    let (_, errors) = invalid(&shop, "getBook", 200, &book);
    assert_eq!(
        places(&errors),
        [
            ("/kind", "const"),
            ("/price/currency", "const"),
            ("/rating", "exclusiveMinimum"),
            ("/title", "type")
        ]
    );
    assert_eq!(
        at(&errors, "/kind").to_string(),
        "at /kind: \"book\" was expected"
    );
    // The $ref'd schema itself still holds beside its siblings.
    let mut book = v31_book();
    book["price"] = json!({ "amount": 1, "currency": "EUR", "vat": 0 });
    let (_, errors) = invalid(&shop, "getBook", 200, &book);
    assert_eq!(places(&errors), [("/price", "additionalProperties")]);
}

#[test]
fn the_3_1_document_checks_requests_and_problem_responses() {
    let shop = v31();
    assert_eq!(
        request_errors(
            &shop,
            "createOrder",
            &json!({ "items": [{ "isbn": "9780262046305", "quantity": 1 }], "note": null })
        ),
        []
    );
    let errors = request_errors(
        &shop,
        "createOrder",
        &json!({ "items": [{ "isbn": "0262046305", "quantity": 0 }], "note": 5, "coupon": "X" }),
    );
    assert_eq!(
        places(&errors),
        [
            ("", "additionalProperties"),
            ("/items/0/isbn", "pattern"),
            ("/items/0/quantity", "minimum"),
            ("/note", "type")
        ]
    );
    // application/problem+json is the JSON of a 4XX and of default.
    let problem =
        json!({ "type": "about:blank", "title": "Not found", "status": 404, "detail": null });
    valid(&shop, "createOrder", 409, &problem);
    valid(&shop, "getOrder", 404, &problem);
    let (documented, errors) = invalid(
        &shop,
        "createOrder",
        422,
        &json!({ "title": "Bad", "status": 200 }),
    );
    assert_eq!(documented, "4XX");
    assert_eq!(places(&errors), [("", "required"), ("/status", "minimum")]);
    let (documented, _) = invalid(&shop, "getOrder", 500, &json!({ "status": "500" }));
    assert_eq!(documented, "default");
    assert_eq!(
        shop.check_response(op(&shop, "createOrder"), 500, Some(&problem)),
        Ok(ResponseCheck::Undocumented {
            documented: vec!["201".into(), "4XX".into()]
        })
    );
}

/// What `lint` finds in `text` against the bookshop contract.
fn problems(text: &str) -> Vec<String> {
    common::problems(text, &bookshop())
}

const HEAD: &str = "# Integration Test Spec: Orders\n\n**Related:** bookshop.yaml#createOrder\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n";

const NEW_ORDER: &str = r#"{ "items": [{ "isbn": "9780262046305", "quantity": 2 }], "payment": { "method": "bank_transfer", "iban": "NL91ABNA0417164300" }, "shippingAddress": { "name": "Ada", "line1": "Oude Delft 12", "city": "Delft", "postcode": "2611 BD", "country": "NL" } }"#;

#[test]
fn a_spec_that_keeps_the_bookshop_contract_has_no_problem() {
    let spec = format!(
        "{HEAD}### TC-INT-001: Order by bank transfer\n\n**Input:**\n```json\n{NEW_ORDER}\n```\n\n\
         **Expected Output:**\n```json\n{{ \"id\": \"#uuid\", \"status\": \"pending\", \"total\": {{ \"amount\": 6900, \"currency\": \"EUR\" }}, \"shippedAt\": null, \"createdAt\": \"#datetime\" }}\n```\n\n\
         **Assertions:**\n- status == 201\n\n---\n\n\
         ### TC-INT-002: An empty basket is refused\n\n**Input:**\n```json\n{{ \"items\": [], \"payment\": {{ \"method\": \"cheque\" }} }}\n```\n\n\
         **Assertions:**\n- status in [422, 409]\n\n---\n\n\
         ### TC-INT-003: My orders\n\n**Request:** GET /v2/orders/mine?status=paid\n\n**Assertions:**\n- status == 200\n\n---\n\n\
         ### TC-INT-004: Cancel\n\n**Request:** POST /v2/orders/{ORDER_ID}/cancel\n\n**Input:**\n```json\n{{ \"reason\": \"too_slow\", \"comment\": null }}\n```\n\n\
         **Expected Output:**\n```json\n{{ \"id\": \"{ORDER_ID}\", \"status\": \"cancelled\" }}\n```\n\n\
         **Assertions:**\n- status == 200\n\n---\n\n\
         ### TC-INT-005: Cancel what is not there\n\n**Request:** POST /orders/{{{{uuid}}}}/cancel\n\n**Assertions:**\n- status == 404\n"
    );
    assert_eq!(problems(&spec), Vec::<String>::new());
}

#[test]
fn each_break_of_the_bookshop_contract_is_reported_where_it_is_written() {
    let spec = format!(
        "{HEAD}### TC-INT-001: Order two\n\n**Request:** POST /v2/orders\n\n**Input:**\n```json\n{}\n```\n\n\
         **Assertions:**\n- status == 201\n\n---\n\n\
         ### TC-INT-002: My orders, missing\n\n**Request:** GET /orders/mine\n\n**Assertions:**\n- status == 404\n\n---\n\n\
         ### TC-INT-003: Cancel, refused\n\n**Request:** POST /v2/orders/{ORDER_ID}/cancel\n\n**Assertions:**\n- status in [418, 500]\n",
        NEW_ORDER.replace("\"quantity\": 2", "\"quantity\": 0")
    )
    .replace("#createOrder", "#createOrders");
    assert_eq!(
        problems(&spec),
        [
            "IT701 3:14 bookshop.yaml has no operation `createOrders`",
            "IT703 15:1 the Input breaks the request schema of createOrder: at /items/0/quantity: 0 is less than the minimum of 1",
            "IT704 28:13 status 404 is not documented for listMyOrders in bookshop.yaml",
            "IT704 37:19 status 500 is not documented for cancelOrder in bookshop.yaml",
        ]
    );
    let checked = itspec_spec::check(&spec, &LintOptions::default());
    let found = lint(&checked.spec, &bookshop());
    assert_eq!(found[0].code, Code::UnknownOperation);
    assert_eq!(
        found[0].help.as_deref(),
        Some("did you mean `createOrder`?")
    );
    assert_eq!(
        found[2].help.as_deref(),
        Some(
            "it documents 200, 401; document the status, or set [contract] undocumented_status = \"warn\" in itspec.toml"
        )
    );
    assert_eq!(
        found[3].help.as_deref(),
        Some(
            "it documents 200, 409, 4XX; document the status, or set [contract] undocumented_status = \"warn\" in itspec.toml"
        )
    );
}
