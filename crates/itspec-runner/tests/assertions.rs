//! Assertions on responses, each shown to pass on the right value and to
//! fail on a wrong one.

mod support;

use support::{api, assert_verdicts, cases, run, serve};

#[test]
fn status_header_body_jsonpath_duration() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Checks\n\n**Request:** GET /rich\n\n**Assertions:**\n\
         - status == 200\n- status == 201\n- status == 2xx\n- status == 4xx\n- status in [200, 204]\n- status in [500]\n- status != 404\n- status >= 300\n\
         - header Content-Type contains \"json\"\n- header Content-Type contains \"xml\"\n- header X-Nope exists\n- header X-Nope not exists\n\
         - body.name == \"Ada\"\n- body.name == \"Bob\"\n- body.count == 3.0\n- body.count > 5\n- body.items[1].sku == \"B\"\n- body.items[-1].stock == 4\n- body.items[5] exists\n\
         - $.items[?@.stock > 0].sku == [\"B\"]\n- $.items[*].sku contains \"A\"\n- $.items[*].sku contains \"Z\"\n- $.name == \"Ada\"\n- $.missing exists\n\
         - duration < 5s\n- duration < 0ms\n",
    );
    let case = cases(&result)[0];
    assert_verdicts(
        case,
        &[
            ("status == 200", "pass"),
            ("status == 201", "fail"),
            ("status == 2xx", "pass"),
            ("status == 4xx", "fail"),
            ("status in [200, 204]", "pass"),
            ("status in [500]", "fail"),
            ("status != 404", "pass"),
            ("status >= 300", "fail"),
            ("header Content-Type contains \"json\"", "pass"),
            ("header Content-Type contains \"xml\"", "fail"),
            ("header X-Nope exists", "fail"),
            ("header X-Nope not exists", "pass"),
            ("body.name == \"Ada\"", "pass"),
            ("body.name == \"Bob\"", "fail"),
            ("body.count == 3.0", "pass"),
            ("body.count > 5", "fail"),
            ("body.items[1].sku == \"B\"", "pass"),
            ("body.items[-1].stock == 4", "pass"),
            ("body.items[5] exists", "fail"),
            ("$.items[?@.stock > 0].sku == [\"B\"]", "pass"),
            ("$.items[*].sku contains \"A\"", "pass"),
            ("$.items[*].sku contains \"Z\"", "fail"),
            ("$.name == \"Ada\"", "pass"),
            ("$.missing exists", "fail"),
            ("duration < 5s", "pass"),
            ("duration < 0ms", "fail"),
        ],
    );
}

#[test]
fn types_contains_matches() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Types\n\n**Request:** GET /rich\n\n**Assertions:**\n\
         - body.id is uuid\n- body.name is uuid\n- body.created_at is datetime\n- body.day is date\n- body.day is datetime\n- body.email is email\n\
         - body.count is integer\n- body.ratio is integer\n- body.ratio is number\n- body.active is boolean\n- body.meta is object\n- body.tags is array\n- body.nothing is null\n- body.name is string\n\
         - body.meta contains {\"a\": 1}\n- body.meta contains {\"a\": 2}\n- body.tags not contains \"z\"\n- body.tags not contains \"x\"\n\
         - body.code matches \"^[A-Z]{3}-\\\\d+$\"\n- body.code matches \"^\\\\d+$\"\n",
    );
    assert_verdicts(
        cases(&result)[0],
        &[
            ("body.id is uuid", "pass"),
            ("body.name is uuid", "fail"),
            ("body.created_at is datetime", "pass"),
            ("body.day is date", "pass"),
            ("body.day is datetime", "fail"),
            ("body.email is email", "pass"),
            ("body.count is integer", "pass"),
            ("body.ratio is integer", "fail"),
            ("body.ratio is number", "pass"),
            ("body.active is boolean", "pass"),
            ("body.meta is object", "pass"),
            ("body.tags is array", "pass"),
            ("body.nothing is null", "pass"),
            ("body.name is string", "pass"),
            ("body.meta contains {\"a\": 1}", "pass"),
            ("body.meta contains {\"a\": 2}", "fail"),
            ("body.tags not contains \"z\"", "pass"),
            ("body.tags not contains \"x\"", "fail"),
            ("body.code matches \"^[A-Z]{3}-\\\\d+$\"", "pass"),
            ("body.code matches \"^\\\\d+$\"", "fail"),
        ],
    );
}

#[test]
fn headers_are_text_and_joined() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Headers\n\n**Request:** GET /headers\n\n**Assertions:**\n- header X-Count == 5\n- header x-count == \"5\"\n- header X-Multi == \"a, b\"\n- body == \"ok\"\n- body contains \"k\"\n",
    );
    let case = cases(&result)[0];
    assert!(support::passed(case), "{:#?}", support::verdicts(case));
}

/// FastAPI's `{"detail": [{"msg", "type"}]}` and Rails' `{"errors":
/// {"field": ["message"]}}` are read by the default `[errors]` paths.
#[test]
fn python_and_rails_error_bodies_are_read_by_default() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: FastAPI\n\n**Request:** GET /error/fastapi\n\n**Expected:**\n- Status: 422\n- Error code: missing\n- Message contains: \"Field required\"\n\n\
         ### TC-INT-002: Rails\n\n**Request:** GET /error/rails\n\n**Expected:**\n- Status: 422\n- Message contains: \"already been taken\"\n- Message contains: \"is invalid\"\n",
    );
    let all = cases(&result);
    assert!(support::passed(all[0]), "{:#?}", support::verdicts(all[0]));
    let verdicts = support::verdicts(all[1]);
    assert_eq!(verdicts[1].1, "pass", "{verdicts:#?}");
    // The first message of the first field is the message.
    assert_eq!(verdicts[2].1, "fail", "{verdicts:#?}");
    assert!(verdicts[2].2.contains("$.errors.*[0]"), "{verdicts:#?}");
}

#[test]
fn expected_items_read_error_codes_and_messages() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Nested\n\n**Request:** GET /error/nested\n\n**Expected:**\n- Status: 422\n- Error code: INVALID\n- Message contains: \"must be positive\"\n\n\
         ### TC-INT-002: Flat\n\n**Request:** GET /error/flat\n\n**Expected:**\n- Status: 4xx\n- Error code: FLAT\n- Message contains: \"flat detail\"\n\n\
         ### TC-INT-003: Text\n\n**Request:** GET /error/text\n\n**Expected:**\n- Status: 500\n- Message contains: \"plain failure\"\n- Error code: ANY\n\n\
         ### TC-INT-004: Wrong\n\n**Request:** GET /error/nested\n\n**Expected:**\n- Status: 200\n- Error code: OTHER\n- Message contains: \"nope\"\n",
    );
    let all = cases(&result);
    assert!(support::passed(all[0]), "{:#?}", support::verdicts(all[0]));
    assert!(support::passed(all[1]), "{:#?}", support::verdicts(all[1]));
    assert_verdicts(
        all[2],
        &[
            ("Status: 500", "pass"),
            ("Message contains: \"plain failure\"", "pass"),
            ("Error code: ANY", "fail"),
        ],
    );
    let verdicts = support::verdicts(all[3]);
    assert!(
        verdicts.iter().all(|(_, v, _)| *v == "fail"),
        "{verdicts:#?}"
    );
    assert_eq!(
        verdicts[1].2,
        "the error code at $.error.code is \"INVALID\""
    );
}

#[test]
fn configured_error_paths_are_used() {
    let base = serve(api());
    let mut settings = support::settings(&base);
    settings.errors.code = vec!["$.detail".to_string()];
    let result = support::run_with(
        &settings,
        &format!(
            "{}### TC-INT-001: Custom\n\n**Request:** GET /error/flat\n\n**Expected:**\n- Error code: flat detail\n",
            support::HEAD
        ),
        &Default::default(),
    );
    assert!(support::passed(cases(&result)[0]));
}

#[test]
fn prose_is_unverified_and_fails_under_strict() {
    let base = serve(api());
    let text = format!(
        "{}### TC-INT-001: Prose\n\n**Request:** GET /rich\n\n**Assertions:**\n- The user looks happy\n",
        support::HEAD
    );
    let relaxed = support::run_with(&support::settings(&base), &text, &Default::default());
    assert!(support::passed(cases(&relaxed)[0]));
    assert_eq!(relaxed.summary.unverified, 1);
    let strict = support::run_with(
        &support::settings(&base),
        &text,
        &itspec_runner::RunOptions {
            strict: true,
            ..Default::default()
        },
    );
    assert!(!support::passed(cases(&strict)[0]));
    assert_eq!(strict.summary.failed, 1);
}

/// Issue 18: an Expected Output under a label written another way people
/// write it is read, so a wrong expectation fails the case instead of
/// being dropped and passing.
#[test]
fn expected_output_under_a_tolerated_label_is_checked() {
    let base = serve(api());
    for label in [
        "**Expected Output**",
        "**Expected Output** :",
        "*Expected Output:*",
        "Expected Output:",
        "#### Expected Output",
    ] {
        let result = run(
            &base,
            &format!(
                "### TC-INT-001: Wrong expectation\n\n**Request:** GET /status/200\n\n{label}\n```json\n{{\"code\": 201}}\n```\n"
            ),
        );
        let case = cases(&result)[0];
        assert!(
            !support::passed(case),
            "{label}: the expectation was not checked"
        );
    }
}
