//! The mock engine with a real HTTP client: routing (methods, path
//! parameters, `*`, body markers), unmatched requests, the journal,
//! per-case overrides, faults measured on the wire, and bursts.

use std::time::{Duration, Instant};

use itspec_config::Port;
use itspec_runner::mock::{MockServer, Override, RouteTable, table};
use itspec_runner::vars::Scope;
use itspec_spec::model::{Mock, SetupLineKind, Spec};
use serde_json::{Value, json};

const SPEC: &str = r##"# Integration Test Spec: Mocks

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: A

**Setup:**
- mock payments POST /charges -> 402 {"error": "card_declined"}

**Request:** GET /

## Mocks

```yaml
payments:
  - when: POST /charges
    body: { "amount": "#number" }
    then: { status: 201, body: { id: ch_1, status: succeeded } }
  - when: GET /charges/{id}
    then: { status: 200, headers: { X-Trace: t1 }, body: "plain text" }
  - when: "* /slow/*"
    then: { delay: 2s, body: { slow: true } }
  - when: POST /reset
    then: { fault: reset }
  - when: POST /hang
    then: { fault: timeout }
```

```python
@pytest.fixture
def rates(mocker):
    """Every answer is the same."""
    return mocker.patch("shop.rates.fetch", return_value={"EUR": 1, "USD": "{{usd}}"})
```
"##;

fn spec() -> Spec {
    let checked = itspec_spec::check(
        SPEC,
        &itspec_spec::LintOptions {
            vars: vec!["usd".into()],
            ..Default::default()
        },
    );
    assert!(
        !checked.diagnostics.iter().any(|d| d.is_error()),
        "{:#?}",
        checked.diagnostics
    );
    checked.spec
}

fn mock<'a>(spec: &'a Spec, name: &str) -> &'a Mock {
    spec.mocks.iter().find(|m| m.name.value == name).unwrap()
}

fn routes(mock: &Mock, overrides: &[Override<'_>]) -> RouteTable {
    let mut scope = Scope::new();
    scope.set("usd", json!(1.1));
    table(Some(mock), overrides, &scope).unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn send(
    method: &str,
    url: String,
    body: Option<Value>,
) -> reqwest::Result<(u16, Vec<(String, String)>, String)> {
    let mut request = client().request(method.parse().unwrap(), url);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Ok((status, headers, response.text().await?))
}

#[tokio::test]
async fn routes_answer_and_the_journal_records_every_call() {
    let spec = spec();
    let server = MockServer::start("payments", Port::Auto, false).unwrap();
    server.begin_case(routes(mock(&spec, "payments"), &[]));
    let url = |path: &str| format!("{}{path}", server.url);

    let (status, _, body) = send(
        "POST",
        url("/charges?source=test"),
        Some(json!({ "amount": 500, "currency": "EUR" })),
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({ "id": "ch_1", "status": "succeeded" })
    );

    let (status, headers, body) = send("GET", url("/charges/ch_9"), None).await.unwrap();
    assert_eq!(status, 200);
    assert!(
        headers.contains(&("x-trace".to_string(), "t1".to_string())),
        "{headers:?}"
    );
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.starts_with("text/plain"))
    );
    assert_eq!(body, "plain text");

    // The body marker does not match: no route; the answer names the closest.
    let (status, _, body) = send("POST", url("/charges"), Some(json!({ "amount": "five" })))
        .await
        .unwrap();
    assert_eq!(status, 404);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "NO_MOCK_ROUTE");
    assert_eq!(body["error"]["closest"], "POST /charges");
    let (status, _, _) = send("DELETE", url("/charges/ch_9"), None).await.unwrap();
    assert_eq!(status, 404);

    let calls = server.calls();
    let seen: Vec<(&str, &str, Option<&str>, Option<&str>)> = calls
        .iter()
        .map(|c| {
            (
                c.method.as_str(),
                c.path.as_str(),
                c.query.as_deref(),
                c.route.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "POST",
                "/charges",
                Some("source=test"),
                Some("POST /charges")
            ),
            ("GET", "/charges/ch_9", None, Some("GET /charges/{id}")),
            ("POST", "/charges", None, None),
            ("DELETE", "/charges/ch_9", None, None),
        ]
    );
    assert_eq!(
        calls[0].json,
        Some(json!({ "amount": 500, "currency": "EUR" }))
    );
    assert!(
        calls[0]
            .headers
            .iter()
            .any(|(n, v)| n == "content-type" && v == "application/json")
    );
    assert_eq!(calls[0].answer, "201");
    assert!(calls[2].is_unexpected());
    assert!(calls.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));

    // A new case starts with an empty journal.
    server.begin_case(routes(mock(&spec, "payments"), &[]));
    assert!(server.calls().is_empty());
    server.stop();
}

#[tokio::test]
async fn the_python_form_answers_everything_with_its_value() {
    let spec = spec();
    let server = MockServer::start("rates", Port::Auto, false).unwrap();
    server.begin_case(routes(mock(&spec, "rates"), &[]));
    for (method, path) in [("GET", "/rates"), ("POST", "/anything/else")] {
        let (status, _, body) = send(method, format!("{}{path}", server.url), None)
            .await
            .unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({ "EUR": 1, "USD": "1.1" })
        );
    }
    assert_eq!(server.calls().len(), 2);
}

#[tokio::test]
async fn overrides_change_a_route_for_one_case() {
    let spec = spec();
    let server = MockServer::start("payments", Port::Auto, false).unwrap();
    let SetupLineKind::Mock {
        method,
        path,
        answer,
        ..
    } = &spec.cases[0].setup.as_ref().unwrap().lines[0].kind
    else {
        panic!("a mock setup line");
    };
    server.begin_case(routes(
        mock(&spec, "payments"),
        &[Override {
            method: &method.value,
            path: &path.value,
            change: answer,
        }],
    ));
    let charge = || {
        send(
            "POST",
            format!("{}/charges", server.url),
            Some(json!({ "amount": 1 })),
        )
    };
    let (status, _, body) = charge().await.unwrap();
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (402, json!({ "error": "card_declined" }))
    );
    // The next case has the spec's route again.
    server.begin_case(routes(mock(&spec, "payments"), &[]));
    assert_eq!(charge().await.unwrap().0, 201);
}

#[tokio::test]
async fn faults_happen_on_the_wire() {
    let spec = spec();
    let server = MockServer::start("payments", Port::Auto, false).unwrap();
    server.begin_case(routes(mock(&spec, "payments"), &[]));

    let started = Instant::now();
    let (status, _, _) = send("GET", format!("{}/slow/a/b", server.url), None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "a 2 s delay took {:?}",
        started.elapsed()
    );

    // A reset: the connection is dropped, nothing is answered.
    let reset = send("POST", format!("{}/reset", server.url), Some(json!({}))).await;
    let error = reset.unwrap_err();
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert!(!error.is_timeout(), "{error:?}");

    // On the wire, a reset is a TCP RST, not an answer nor a clean close.
    let address = server.url.trim_start_matches("http://").to_string();
    let read = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .write_all(b"POST /reset HTTP/1.1\r\nHost: mock\r\nContent-Length: 2\r\n\r\n{}")
            .unwrap();
        let mut buffer = [0u8; 64];
        stream.read(&mut buffer)
    })
    .await
    .unwrap();
    assert_eq!(
        read.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionReset
    );

    // A timeout: nothing comes back until the case ends.
    let hang = client()
        .post(format!("{}/hang", server.url))
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(hang.unwrap_err().is_timeout());
    let answers: Vec<String> = server.calls().iter().map(|c| c.answer.clone()).collect();
    assert_eq!(answers, ["200", "reset", "reset", "timeout"]);

    // A held request lets go when the case ends.
    let url = format!("{}/hang", server.url);
    let held = tokio::spawn(async move { client().post(url).send().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let released = Instant::now();
    server.begin_case(RouteTable::default());
    assert!(held.await.unwrap().is_err());
    assert!(released.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_burst_of_300_connections_is_answered() {
    let spec = spec();
    let server = MockServer::start("payments", Port::Auto, false).unwrap();
    server.begin_case(routes(mock(&spec, "payments"), &[]));
    // Each request holds its connection for 2 s, so all 300 are open at once.
    let mut tasks = Vec::new();
    for i in 0..300 {
        let url = format!("{}/slow/{i}", server.url);
        tasks.push(tokio::spawn(async move {
            // A client each: a connection each.
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut answered = 0;
    for task in tasks {
        if task.await.unwrap().is_ok_and(|s| s == 200) {
            answered += 1;
        }
    }
    assert_eq!(answered, 300);
    assert_eq!(server.calls().len(), 300);
}
