//! Requests, Expected Output, variables, captures and sequences, end to end
//! against an in-process server.

mod support;

use itspec_results::{Outcome, Verdict};
use support::{api, assert_verdicts, cases, passed, run, serve, verdicts};

#[test]
fn every_marker_of_expected_output() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Markers\n\n**Request:** GET /rich\n\n**Expected Output:**\n```json\n{\n  \"id\": \"#uuid\", \"created_at\": \"#datetime\", \"day\": \"#date\", \"email\": \"#email\",\n  \"code\": \"#regex [A-Z]{3}-\\\\d+\", \"count\": \"#integer\", \"ratio\": \"#number\", \"name\": \"#string\",\n  \"active\": \"#boolean\", \"meta\": \"#object\", \"tags\": \"#[2] #string\", \"nothing\": \"#null\",\n  \"hash\": \"##tag\", \"absent\": \"#notpresent\", \"maybe\": \"#ignore\", \"items\": \"#[] #object\"\n}\n```\n",
    );
    let case = cases(&result)[0];
    assert!(passed(case), "{:#?}", verdicts(case));
}

#[test]
fn a_mismatch_lists_every_path_and_a_diff() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Wrong\n\n**Request:** GET /rich\n\n**Expected Output:**\n```json\n{ \"name\": \"Bob\", \"count\": \"#string\", \"nothing\": \"#notnull\", \"tags\": [\"x\"], \"extra\": \"#present\" }\n```\n",
    );
    let case = cases(&result)[0];
    let check = &case.checks[0];
    let Verdict::Failed { message, evidence } = &check.verdict else {
        panic!("{:#?}", case.checks);
    };
    assert_eq!(message, "the body differs from Expected Output at 5 places");
    let paths: Vec<_> = evidence
        .mismatches
        .iter()
        .map(|m| (m.path.as_str(), m.actual.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("$.name", "\"Ada\""),
            ("$.count", "3"),
            ("$.nothing", "null"),
            ("$.tags", "\"an array of 2\""),
            ("$.extra", "absent")
        ]
    );
    assert!(
        evidence
            .diff
            .iter()
            .any(|l| l.tag == '-' && l.text.contains("Bob"))
    );
    assert!(
        evidence
            .diff
            .iter()
            .any(|l| l.tag == '+' && l.text.contains("Ada"))
    );
}

#[test]
fn text_bodies_compare_exactly() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Text\n\n**Request:** GET /text\n\n**Expected Output:**\n```text\nhello\nworld\n```\n\n### TC-INT-002: Wrong text\n\n**Request:** GET /text\n\n**Expected Output:**\n```text\nhello\nthere\n```\n",
    );
    let all = cases(&result);
    assert!(passed(all[0]), "{:#?}", verdicts(all[0]));
    let Verdict::Failed { evidence, .. } = &all[1].checks[0].verdict else {
        panic!()
    };
    assert!(
        evidence
            .diff
            .iter()
            .any(|l| l.tag == '-' && l.text == "there")
    );
}

#[test]
fn json_aware_interpolation_and_builtins() {
    let base = serve(api());
    let mut settings = support::settings(&base);
    settings
        .vars
        .insert("configured".into(), serde_json::json!("from-config"));
    let text = format!(
        "{}### TC-INT-001: Variables\n\n**Setup:**\n```python\ndef order():\n    return {{\"sku\": \"SKU-1\", \"qty\": 2, \"tags\": [\"a\"]}}\n```\n\n**Request:** POST /echo\n- X-Run: {{{{run_id}}}}\n- X-Case: {{{{case_id}}}}\n\n**Input:**\n```json\n{{ \"qty\": {{{{order.qty}}}}, \"label\": \"{{{{order.sku}}}}x{{{{order.qty}}}}\", \"tags\": {{{{order.tags}}}}, \"conf\": \"{{{{configured}}}}\", \"n\": {{{{n}}}}, \"id\": \"{{{{uuid}}}}\", \"at\": \"{{{{now}}}}\" }}\n```\n\n**Assertions:**\n- body.body.qty == 2\n- body.body.qty is integer\n- body.body.label == \"SKU-1x2\"\n- body.body.tags == [\"a\"]\n- body.body.conf == \"from-config\"\n- body.body.n == 7\n- body.body.id is uuid\n- body.body.at is datetime\n- body.headers.x-case == \"TC-INT-001\"\n- body.headers.content-type == \"application/json\"\n\n**Capture:**\n- run = body.headers.x-run\n\n### TC-INT-002: The run id is the run's\n\n**Request:** POST /echo\n- X-Run: {{{{run_id}}}}\n\n**Assertions:**\n- body.headers.x-run == \"{{{{run}}}}\"\n",
        support::HEAD
    );
    let options = itspec_runner::RunOptions {
        vars: vec![("n".to_string(), "7".to_string())],
        ..Default::default()
    };
    let result = support::run_with(&settings, &text, &options);
    for case in cases(&result) {
        assert!(passed(case), "{}: {:#?}", case.id, verdicts(case));
    }
}

#[test]
fn form_and_text_inputs() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Form\n\n**Request:** POST /echo\n\n**Input:**\n```form\nname=Ada Lovelace\ncity=Zürich\n```\n\n**Assertions:**\n- body.raw == \"name=Ada+Lovelace&city=Z%C3%BCrich\"\n- body.headers.content-type == \"application/x-www-form-urlencoded\"\n\n\
         ### TC-INT-002: Text\n\n**Request:** POST /echo\n- Content-Type: text/csv\n\n**Input:**\n```text\na,b\n```\n\n**Assertions:**\n- body.raw == \"a,b\"\n- body.headers.content-type == \"text/csv\"\n",
    );
    for case in cases(&result) {
        assert!(passed(case), "{}: {:#?}", case.id, verdicts(case));
    }
}

#[test]
fn configured_headers_are_replaced_by_the_requests_own() {
    let base = serve(api());
    let mut settings = support::settings(&base);
    settings.headers = vec![
        ("Accept".into(), "application/json".into()),
        ("X-Team".into(), "a".into()),
    ];
    let text = format!(
        "{}### TC-INT-001: Headers\n\n**Request:** POST /echo\n- x-team: b\n\n**Assertions:**\n- body.headers.accept == \"application/json\"\n- body.headers.x-team == \"b\"\n",
        support::HEAD
    );
    let result = support::run_with(&settings, &text, &Default::default());
    assert!(
        passed(cases(&result)[0]),
        "{:#?}",
        verdicts(cases(&result)[0])
    );
}

#[test]
fn sequences_pass_labels_along() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Login then act\n\n**Actions:**\n1. Request Login: POST /login {\"user\": \"ada\"}\n2. Request Me: GET /me\n   - Authorization: Bearer {{Login.body.token}}\n3. Request Anonymous: GET /me\n\n**Assertions:**\n- Login.status == 200\n- Me.status == 200\n- Me.body.name == \"Ada\"\n- Anonymous.status == 401\n- status == 401\n",
    );
    let case = cases(&result)[0];
    assert!(passed(case), "{:#?}", verdicts(case));
    assert_eq!(case.exchanges.len(), 3);
    // `Me.status == 200`: the token went out; the result never shows it.
    assert_eq!(
        case.exchanges[1]
            .request
            .headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .map(|(_, v)| v.as_str()),
        Some("[redacted]")
    );
    let login = &case.exchanges[0].response.as_ref().unwrap().body;
    assert!(!login.contains("t-123"), "{login}");
}

#[test]
fn a_form_login_in_actions_authorises_the_next_request_and_its_cookie_follows() {
    let base = serve(api());
    // A value holding `&` comes from a variable: in the block, `&`
    // separates pairs.
    let options = itspec_runner::RunOptions {
        vars: vec![("configured".into(), "p&w".into())],
        ..Default::default()
    };
    let result = support::run_with(
        &support::settings(&base),
        &format!(
            "{}{}",
            support::HEAD,
            "### TC-INT-001: Log in with a form\n\n**Actions:**\n1. Request Login: POST /form-login\n   ```form\n   username=ada@example.com\n   password={{configured}}\n   ```\n2. Request Me: GET /me\n   - Authorization: Bearer {{Login.body.access_token}}\n3. Request Session: GET /echo\n4. Request Own: GET /echo\n   - Cookie: theme=dark\n\n**Assertions:**\n- Login.status == 200\n- Me.status == 200\n- Session.body.headers.cookie == \"session=s-ada\"\n- Own.body.headers.cookie == \"theme=dark\"\n\n\
         ### TC-INT-002: A new case has no cookies\n\n**Actions:**\n1. Request Fresh: GET /echo\n\n**Assertions:**\n- Fresh.status == 200\n",
        ),
        &options,
    );
    let all = cases(&result);
    assert!(passed(all[0]), "{:#?}", verdicts(all[0]));
    // The form went as a form, encoded.
    let login = &all[0].exchanges[0].request;
    assert_eq!(
        login.body.as_deref(),
        Some("username=ada%40example.com&password=p%26w")
    );
    let fresh = &all[1].exchanges[0].request;
    assert!(
        !fresh
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("cookie")),
        "{:?}",
        fresh.headers
    );
}

#[test]
fn concurrent_groups_report_their_statuses() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Burst\n\n**Actions:**\n1. Request A: GET /status/201\n2. Request B (concurrent): GET /status/409\n3. Request C (concurrent, x3): GET /status/201\n\n**Expected:**\n- statuses == [201, 409, 201, 201, 201] in any order\n- statuses == [201, 4xx, 201, 201, 201] in any order\n- count(status == 201) == 4\n- count(status == 4xx) == 1\n- C2.status == 201\n- statuses == [409, 409, 201, 201, 201] in any order\n",
    );
    assert_verdicts(
        cases(&result)[0],
        &[
            ("statuses == [201, 409, 201, 201, 201] in any order", "pass"),
            ("statuses == [201, 4xx, 201, 201, 201] in any order", "pass"),
            ("count(status == 201) == 4", "pass"),
            ("count(status == 4xx) == 1", "pass"),
            ("C2.status == 201", "pass"),
            ("statuses == [409, 409, 201, 201, 201] in any order", "fail"),
        ],
    );
}

#[test]
fn captures_serve_later_cases_and_fail_when_absent() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Capture\n\n**Request:** GET /rich\n\n**Capture:**\n- person = body.name\n- missing = body.nope\n\n### TC-INT-002: Use\n\n**Request:** POST /echo\n\n**Input:**\n```json\n{\"who\": \"{{person}}\"}\n```\n\n**Assertions:**\n- body.body.who == \"Ada\"\n",
    );
    let all = cases(&result);
    assert_verdicts(all[0], &[("person = body.name", "pass")]);
    let failed: Vec<_> = verdicts(all[0])
        .into_iter()
        .filter(|(_, v, _)| *v == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].2, "nothing to capture: the subject is absent");
    assert!(passed(all[1]), "{:#?}", verdicts(all[1]));
}

/// A request without an answer is an error of its case; a variable that is
/// not set at run time is the spec's failure.
#[test]
fn request_errors_and_runtime_variables_fail_the_case() {
    let base = serve(api());
    let result = run(
        &base,
        "### TC-INT-001: Timeout\n\n**Request:** GET /slow\n\n**Assertions:**\n- status == 200\n\n\
         ### TC-INT-002: Refused\n\n**Request:** GET http://127.0.0.1:9/\n\n\
         ### TC-INT-003: Unset environment\n\n**Request:** GET /status/{{env.ITSPEC_TEST_NEVER_SET}}\n\n\
         ### TC-INT-004: Skipped\n\n**Request:** GET /rich\n\n**Skip:** not today\n",
    );
    let all = cases(&result);
    let message = |i: usize| {
        verdicts(all[i])
            .into_iter()
            .find(|(_, v, _)| *v == "fail" || *v == "error")
            .map(|(_, _, m)| m)
            .unwrap_or_default()
    };
    assert!(message(0).contains("within 1000 ms"), "{}", message(0));
    assert!(
        message(1).contains("cannot connect to http://127.0.0.1:9/"),
        "{}",
        message(1)
    );
    assert!(
        message(2).contains("`ITSPEC_TEST_NEVER_SET` is not set"),
        "{}",
        message(2)
    );
    assert_eq!(
        all[3].outcome,
        Outcome::Skipped {
            reason: "not today".into()
        }
    );
    assert_eq!(all[0].outcome, Outcome::Error);
    assert_eq!(all[1].outcome, Outcome::Error);
    assert_eq!(all[2].outcome, Outcome::Failed);
    assert_eq!(
        (
            result.summary.failed,
            result.summary.errors,
            result.summary.skipped
        ),
        (1, 2, 1)
    );
}

#[test]
fn the_contract_is_the_default_request() {
    let base = serve(api());
    let text = "# Integration Test Spec: Contract\n\n**Related:** US-1, POST /echo\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Uses the contract\n\n**Input:**\n```json\n{\"a\": 1}\n```\n\n**Assertions:**\n- body.body.a == 1\n";
    let result = support::run_with(&support::settings(&base), text, &Default::default());
    assert!(
        passed(cases(&result)[0]),
        "{:#?}",
        verdicts(cases(&result)[0])
    );
}
