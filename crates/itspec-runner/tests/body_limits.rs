//! Bodies and `[limits] max_body`, end to end: a response over the cap
//! fails its case and is read no further than the cap (one at a time and
//! in a concurrent group), a declared `Content-Length` over it is refused
//! unread, a mock refuses a request body over it, and a body under the cap
//! but over the display limit is checked whole and kept in the result cut
//! to its first 64 KB with how much was left out.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use itspec_config::{Port, Size};
use itspec_results::display::DISPLAY_BODY;
use itspec_results::{Outcome, Verdict};
use itspec_runner::RunOptions;
use itspec_runner::mock::MockSettings;
use support::{HEAD, api, cases, serve};

const CHUNK: usize = 64 * 1024;

/// A service whose `/endless` streams chunks until the client stops
/// reading (counting them), whose `/declared` does too under a
/// `Content-Length` of 1 GB, and whose `/big` answers 120 KB of JSON.
fn service(sent: Arc<AtomicUsize>) -> Router {
    let endless = move || {
        let sent = Arc::clone(&sent);
        Body::from_stream(futures_util::stream::iter(std::iter::repeat_with(
            move || {
                sent.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; CHUNK]))
            },
        )))
    };
    let declared = endless.clone();
    Router::new()
        .route("/endless", get(move || std::future::ready(endless())))
        .route(
            "/declared",
            get(move || std::future::ready(([("content-length", "1000000000")], declared()))),
        )
        .route(
            "/big",
            get(|| async {
                let items: Vec<String> = (0..10_000).map(|i| format!("item-{i:04}")).collect();
                axum::Json(serde_json::json!({ "items": items }))
            }),
        )
}

fn failures(result: &itspec_results::RunResult) -> Vec<Vec<String>> {
    cases(result)
        .iter()
        .map(|case| {
            case.checks
                .iter()
                .filter_map(|c| match &c.verdict {
                    Verdict::Failed { message, .. } => Some(message.clone()),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_response_over_the_cap_fails_and_is_read_no_further() {
    let sent = Arc::new(AtomicUsize::new(0));
    let base = serve(service(Arc::clone(&sent)));
    let mut settings = support::settings(&base);
    settings.timeout = std::time::Duration::from_secs(20);
    settings.max_body = (&Size::parse("1 MB").unwrap()).into();
    let spec = format!(
        "{HEAD}### TC-INT-001: Endless\n\n**Request:** GET /endless\n\n**Assertions:**\n- status == 200\n\n\
         ### TC-INT-002: Declared\n\n**Request:** GET /declared\n\n\
         ### TC-INT-003: Endless, twice at once\n\n**Repeat:** 1\n\n**Actions:**\n\
         1. Request A: GET /endless\n2. Request B (concurrent): GET /endless\n"
    );
    let result = support::run_with(&settings, &spec, &RunOptions::default());
    let all = cases(&result);
    assert!(all.iter().all(|c| c.outcome == Outcome::Failed));
    let expected = "the response body is larger than 1 MB (max_body): itspec stopped reading it there (raise `[limits] max_body` to read it whole)";
    let failed = failures(&result);
    assert_eq!(failed[0], [expected]);
    assert_eq!(failed[1], [expected]);
    assert_eq!(failed[2], [expected, expected]);
    // Four endless bodies: each read stopped at 1 MB (the declared one at
    // once), not at the timeout — read to it, loopback carries gigabytes.
    // What the server sent beyond 1 MB is what the sockets' buffers took
    // before the connection closed: Linux grows them up to tcp_wmem's and
    // tcp_rmem's maximums (4 MB + 32 MB here), about 600 chunks a
    // connection at most.
    let chunks = sent.load(Ordering::SeqCst);
    assert!(
        chunks < 4 * (1_000_000 / CHUNK + 600),
        "{chunks} chunks of 64 KB were sent"
    );
}

#[test]
fn a_mock_refuses_a_request_body_over_the_cap() {
    let base = serve(api());
    let mut settings = support::settings(&base);
    settings.timeout = std::time::Duration::from_secs(5);
    settings.max_body = (&Size::parse("1 KB").unwrap()).into();
    settings.mocks.insert(
        "payments".to_string(),
        MockSettings {
            port: Port::Auto,
            allow_unexpected: false,
        },
    );
    let note = "n".repeat(2_000);
    let spec = format!(
        "{HEAD}### TC-INT-001: Too much for the gateway\n\n**Request:** POST /forward\n\n**Input:**\n```json\n\
         {{ \"method\": \"POST\", \"url\": \"{{{{mocks.payments.url}}}}/charges\", \"body\": {{ \"note\": \"{note}\" }} }}\n```\n\n\
         **Assertions:**\n- body.status == 413\n- body.body.error.code == \"BODY_TOO_LARGE\"\n"
    );
    let result = support::run_with(&settings, &spec, &RunOptions::default());
    let case = cases(&result)[0];
    assert_eq!(
        failures(&result)[0],
        ["mock payments refused a call: the request body is larger than 1 KB (max_body)"]
    );
    let call = &case.mock_calls["payments"][0];
    assert_eq!(call.answer, "413 (the body is over max_body)");
    assert!(call.body.is_empty() && call.route.is_none());
}

#[test]
fn reports_keep_the_first_64_kb_of_a_body_that_was_checked_whole() {
    let base = serve(service(Arc::new(AtomicUsize::new(0))));
    let settings = support::settings(&base);
    // The last item is past 64 KB: it is found, and the case fails on
    // purpose (status) so its exchange is kept.
    let spec = format!(
        "{HEAD}### TC-INT-001: Big\n\n**Request:** GET /big\n\n**Assertions:**\n\
         - body.items[9999] == \"item-9999\"\n- status == 299\n"
    );
    let result = support::run_with(&settings, &spec, &RunOptions::default());
    let case = cases(&result)[0];
    assert_eq!(failures(&result)[0], ["expected == 299, got 200"]);
    let response = case.exchanges[0].response.as_ref().unwrap();
    let items: Vec<String> = (0..10_000).map(|i| format!("item-{i:04}")).collect();
    let whole = serde_json::json!({ "items": items }).to_string().len();
    assert_eq!(response.body.len(), DISPLAY_BODY);
    assert_eq!(response.body_omitted, Some((whole - DISPLAY_BODY) as u64));
    let json = serde_json::to_value(case).unwrap();
    assert_eq!(
        json["exchanges"][0]["response"]["body_omitted"],
        serde_json::json!(whole - DISPLAY_BODY)
    );
}
