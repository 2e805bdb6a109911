//! Specs with mocks, end to end: a service that calls its dependency, the
//! mocks itspec starts for it, and every mock assertion — passing, and
//! failing with the calls the mock received.

mod support;

use itspec_config::Port;
use itspec_results::{Outcome, Verdict};
use itspec_runner::RunOptions;
use itspec_runner::mock::MockSettings;
use support::{api, cases, serve};

const SPEC: &str = r##"# Integration Test Spec: Payments

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: The service charges through the gateway

**Request:** POST /forward

**Input:**
```json
{ "method": "POST", "url": "{{mocks.payments.url}}/charges", "body": { "amount": 500, "currency": "EUR" } }
```

**Assertions:**
- body.status == 201
- body.body.id == "ch_1"
- mock payments calls == 1
- mock payments POST /charges calls == 1
- mock payments GET /charges/{id} calls == 0
- mock payments POST /charges received {"amount": 500}
- mock payments POST /charges received {"amount": "#number", "currency": "EUR"}

---

### TC-INT-002: Wrong expectations show the calls

**Request:** POST /forward

**Input:**
```json
{ "method": "POST", "url": "{{mocks.payments.url}}/charges", "body": { "amount": 500, "currency": "EUR" } }
```

**Assertions:**
- mock payments POST /charges received {"amount": 999}
- mock payments calls == 2
- no mock calls
- no side effects

---

### TC-INT-003: A declined card, for this case only

**Setup:**
- mock payments POST /charges -> 402 {"error": "card_declined"}

**Request:** POST /forward

**Input:**
```json
{ "method": "POST", "url": "{{mocks.payments.url}}/charges", "body": { "amount": 500 } }
```

**Assertions:**
- body.status == 402
- body.body.error == "card_declined"
- mock payments POST /charges calls == 1

---

### TC-INT-004: A call no route matches fails the case

**Request:** POST /forward

**Input:**
```json
{ "method": "GET", "url": "{{mocks.payments.url}}/nowhere" }
```

**Assertions:**
- body.status == 404
- body.body.error.closest == "GET /charges/{id}"

---

### TC-INT-005: Unexpected calls to a mock that allows them

**Request:** POST /forward

**Input:**
```json
{ "method": "POST", "url": "{{mocks.audit.url}}/events", "body": { "kind": "login" } }
```

**Assertions:**
- body.status == 404
- mock audit calls == 1
- mock audit POST /events received {"kind": "login"}

---

### TC-INT-006: Nothing reaches the mocks

**Request:** GET /status/200

**Assertions:**
- no mock calls
- no side effects
- mock payments calls == 0

---

### TC-INT-007: Concurrent calls are all recorded

**Actions:**
1. Request A: POST /forward {"method": "POST", "url": "{{mocks.payments.url}}/charges", "body": {"amount": 1}}
2. Request B (concurrent, x7): POST /forward {"method": "POST", "url": "{{mocks.payments.url}}/charges", "body": {"amount": 2}}

**Assertions:**
- mock payments POST /charges calls == 8
- mock payments POST /charges received {"amount": 1}
- count(status == 200) == 8

## Mocks

```yaml
payments:
  - when: POST /charges
    body: { "amount": "#number" }
    then: { status: 201, body: { id: ch_1, status: succeeded } }
  - when: GET /charges/{id}
    then: { status: 200, body: { id: ch_1 } }
```
"##;

#[test]
fn mock_assertions_hold_and_fail_with_the_calls_received() {
    let base = serve(api());
    let mut settings = support::settings(&base);
    settings.timeout = std::time::Duration::from_secs(5);
    settings.mocks.insert(
        "audit".to_string(),
        MockSettings {
            port: Port::Auto,
            allow_unexpected: true,
        },
    );
    let result = support::run_with(&settings, SPEC, &RunOptions::default());
    let all = cases(&result);
    let failures = |i: usize| -> Vec<(String, String, Vec<String>)> {
        all[i]
            .checks
            .iter()
            .filter_map(|c| match &c.verdict {
                Verdict::Failed { message, evidence } => {
                    Some((c.text.clone(), message.clone(), evidence.notes.clone()))
                }
                _ => None,
            })
            .collect()
    };
    for i in [0, 2, 4, 5, 6] {
        assert_eq!(
            all[i].outcome,
            Outcome::Passed,
            "{}: {:#?}",
            all[i].id,
            failures(i)
        );
    }

    let second = failures(1);
    let texts: Vec<&str> = second.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        texts,
        [
            "mock payments POST /charges received {\"amount\": 999}",
            "mock payments calls == 2",
            "no mock calls",
            "no side effects"
        ]
    );
    assert_eq!(
        second[0].1,
        "no POST /charges call to mock payments has a body containing {\"amount\":999}; the closest differs at 1 place"
    );
    let call = "mock payments received: POST /charges {\"amount\":500,\"currency\":\"EUR\"} → 201";
    for (text, _, notes) in &second {
        assert!(notes.iter().any(|n| n == call), "{text}: {notes:#?}");
    }
    assert_eq!(second[1].1, "expected == 2, got 1");
    assert_eq!(second[2].1, "1 call reached the mocks (payments)");

    let fourth = failures(3);
    assert_eq!(fourth.len(), 1, "{fourth:#?}");
    assert_eq!(fourth[0].0, "mock payments");
    assert!(
        fourth[0]
            .1
            .starts_with("mock payments received 1 call no route matches"),
        "{}",
        fourth[0].1
    );
    assert_eq!(
        fourth[0].2,
        ["mock payments received: GET /nowhere → 404 (no route; the closest is GET /charges/{id})"]
    );
}

/// A call that comes after the response: `within` waits for it, the case
/// shows it, and a late call no route matches still fails the case.
#[test]
fn within_waits_for_a_late_call_and_the_case_judges_every_call() {
    let base = serve(api());
    let spec = r##"# Integration Test Spec: Late calls

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: The charge comes after the answer

**Request:** POST /forward-later

**Input:**
```json
{ "delay_ms": 300, "method": "POST", "url": "{{mocks.payments.url}}/charges", "body": { "amount": 500 } }
```

**Assertions:**
- status == 202
- within 5s: mock payments POST /charges received {"amount": 500}

---

### TC-INT-002: A late call no route matches

**Request:** POST /forward-later

**Input:**
```json
{ "delay_ms": 300, "method": "GET", "url": "{{mocks.payments.url}}/nowhere" }
```

**Assertions:**
- within 5s: mock payments calls == 1

## Mocks

```yaml
payments:
  - when: POST /charges
    then: { status: 201, body: { id: ch_1 } }
```
"##;
    let result = support::run_with(&support::settings(&base), spec, &RunOptions::default());
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", all[0].checks);
    assert_eq!(
        all[0].mock_calls["payments"].len(),
        1,
        "the late call is shown"
    );
    assert_eq!(all[1].outcome, Outcome::Failed, "{:#?}", all[1].checks);
    let failed: Vec<&str> = all[1]
        .checks
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::Failed { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].starts_with("mock payments received 1 call no route matches"),
        "{failed:#?}"
    );
}

/// A spec whose `payments` mock answers `{"from": NAME}`.
fn spec_answering(name: &str) -> String {
    format!(
        "# Integration Test Spec: {name}\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n\
         ### TC-INT-001: The mock answers with this spec's routes\n\n**Request:** POST /forward\n\n**Input:**\n\
         ```json\n{{ \"method\": \"GET\", \"url\": \"{{{{mocks.payments.url}}}}/who\" }}\n```\n\n\
         **Assertions:**\n- body.body.from == \"{name}\"\n- mock payments calls == 1\n\n\
         ## Mocks\n\n```python\n@pytest.fixture\ndef payments(mocker):\n    \
         return mocker.patch(\"gateway\", return_value={{\"from\": \"{name}\"}})\n```\n"
    )
}

#[test]
fn specs_share_a_mock_by_name_each_with_its_routes() {
    let base = serve(api());
    let settings = support::settings(&base);
    let (first, second) = (spec_answering("First"), spec_answering("Second"));
    let result = support::run_all(&settings, &[&first, &second], &RunOptions::default());
    let all = cases(&result);
    assert_eq!(all.len(), 2);
    for case in all {
        assert_eq!(case.outcome, Outcome::Passed, "{:#?}", case.checks);
    }
}
