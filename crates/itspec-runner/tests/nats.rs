//! Specs that assert what a service published on NATS, and publish to it,
//! end to end against a real server (`ITSPEC_TEST_NATS_URL`, with
//! JetStream; under CI it must be set): watched subjects are observed
//! through itspec's own subscriptions, which take nothing from the
//! service's queue groups; a published input must reach a subscriber or a
//! stream; a server that goes away makes the cases after it errors.

mod support;

use futures_util::StreamExt as _;
use itspec_results::{Outcome, RunOutcome};
use itspec_runner::RunOptions;
use support::{
    HEAD, OwnServer, api, broker_settings, cases, eventually, own, publishing_case, run_with,
    serve, server_url, verdicts,
};

/// A client of the test's own — the service's consumer — on a runtime
/// that keeps it alive while the run goes on.
struct Admin {
    runtime: tokio::runtime::Runtime,
    client: async_nats::Client,
}

impl Admin {
    fn connect(url: &str) -> Admin {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let client = runtime.block_on(async_nats::connect(url)).unwrap();
        Admin { runtime, client }
    }

    fn run<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// A queue-group subscription whose messages are counted as they come.
    fn consumer(&self, subject: &str) -> std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>> {
        self.consumer_with_headers(subject).0
    }

    /// A queue-group subscription: the payloads, and each message's
    /// headers as `name: value` lines.
    fn consumer_with_headers(&self, subject: &str) -> (Consumed, Consumed) {
        let headers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut subscriber = self
            .run(
                self.client
                    .queue_subscribe(subject.to_string(), "service".to_string()),
            )
            .unwrap();
        self.run(self.client.flush()).unwrap();
        let into = got.clone();
        let headers_into = headers.clone();
        self.runtime.spawn(async move {
            while let Some(message) = subscriber.next().await {
                let mut lines: Vec<String> = message
                    .headers
                    .iter()
                    .flat_map(|h| h.iter())
                    .flat_map(|(n, vs)| vs.iter().map(move |v| format!("{n}: {v}")))
                    .collect();
                lines.sort();
                headers_into
                    .lock()
                    .unwrap()
                    .push(lines.join("\n").into_bytes());
                into.lock().unwrap().push(message.payload.to_vec());
            }
        });
        (got, headers)
    }

    /// A JetStream API request; its JSON answer.
    fn jetstream(&self, api: &str, body: &str) -> serde_json::Value {
        let answer = self
            .run(
                self.client
                    .request(format!("$JS.API.{api}"), body.to_string().into()),
            )
            .unwrap();
        serde_json::from_slice(&answer.payload).unwrap()
    }
}

/// What a consumer got, one entry per message.
type Consumed = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

#[test]
fn messages_on_watched_subjects_are_seen_once_without_taking_the_services() {
    let Some(url) = server_url("ITSPEC_TEST_NATS_URL") else {
        return;
    };
    let p = own("seen");
    let admin = Admin::connect(&url);
    // The service's own consumer: it still gets every message.
    let consumed = admin.consumer(&format!("{p}.orders.>"));
    let base = serve(api());
    let text = format!(
        "{HEAD}{}{}{}",
        publishing_case(
            1,
            "Publishes an order and an audit entry",
            &[
                (
                    &format!("{p}.orders.created"),
                    r#"{"order_id": 7, "sku": "SKU-1"}"#
                ),
                (&format!("{p}.audit.orders"), r#"{"event": "created"}"#),
            ],
            &format!(
                "- status == 202\n\
                 - message events {p}.orders.created received {{\"order_id\": 7}}\n\
                 - messages events {p}.orders.* count == 1\n\
                 - messages events count == 2\n\
                 - no messages on events {p}.orders.deleted\n\
                 - message events {p}.orders.created header Event-Id == \"m-{p}.orders.created\""
            ),
        ),
        publishing_case(2, "Publishes nothing", &[], "- no messages"),
        publishing_case(
            3,
            "Expects what did not come",
            &[(&format!("{p}.orders.cancelled"), r#"{"order_id": 8}"#)],
            &format!(
                "- message events {p}.orders.created received {{\"order_id\": 8}}\n\
                 - no side effects"
            ),
        ),
    );
    // Two watched subjects match the orders: each message counts once.
    let watch = vec![
        format!("{p}.orders.>"),
        format!("{p}.orders.created"),
        format!("{p}.audit.*"),
    ];
    let result = run_with(
        &broker_settings(&base, &url, watch, Vec::new()),
        &text,
        &RunOptions::default(),
    );
    assert_eq!(result.outcome, RunOutcome::Completed);
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_eq!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
    assert_eq!(all[2].outcome, Outcome::Failed, "{:#?}", verdicts(all[2]));
    let failed = verdicts(all[2]);
    assert_eq!(failed[0].1, "fail");
    assert!(
        failed[0]
            .2
            .contains(&format!("no message on {p}.orders.created")),
        "{}",
        failed[0].2
    );
    assert_eq!(failed[1].1, "fail", "{:?}", failed[1]);

    let journal = &all[0].messages["events"];
    let topics: Vec<&str> = journal.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(
        topics,
        [format!("{p}.orders.created"), format!("{p}.audit.orders")]
    );
    assert_eq!(
        journal[0].headers,
        [("Event-Id".to_string(), format!("m-{p}.orders.created"))]
    );
    // Nothing was taken from the service's queue group.
    assert!(
        eventually(|| consumed.lock().unwrap().len() == 2),
        "{:?}",
        consumed.lock().unwrap()
    );
}

#[test]
fn a_published_input_reaches_a_subscriber_or_a_stream_or_fails_the_step() {
    let Some(url) = server_url("ITSPEC_TEST_NATS_URL") else {
        return;
    };
    let p = own("publish");
    let admin = Admin::connect(&url);
    let (consumed, headers) = admin.consumer_with_headers(&format!("{p}.in.orders"));
    let stream = own("stream");
    let created = admin.jetstream(
        &format!("STREAM.CREATE.{stream}"),
        &format!(r#"{{"name": "{stream}", "subjects": ["{p}.js.>"], "storage": "memory"}}"#),
    );
    assert!(created.get("error").is_none(), "{created}");
    // A second stream, whose push consumer the service reads.
    let read = own("read");
    let created = admin.jetstream(
        &format!("STREAM.CREATE.{read}"),
        &format!(r#"{{"name": "{read}", "subjects": ["{p}.jsc.>"], "storage": "memory"}}"#),
    );
    assert!(created.get("error").is_none(), "{created}");
    let delivered = admin.consumer(&format!("{p}.deliver"));
    let consumer = admin.jetstream(
        &format!("CONSUMER.CREATE.{read}"),
        &format!(
            r#"{{"stream_name": "{read}", "config": {{"deliver_subject": "{p}.deliver", "deliver_group": "service", "ack_policy": "none"}}}}"#
        ),
    );
    assert!(consumer.get("error").is_none(), "{consumer}");
    let base = serve(api());
    let publish = |id: u32, name: &str, subject: &str| {
        format!(
            "### TC-INT-{id:03}: {name}\n\n**Publish:** events {subject}\n```json\n\
             {{\"order_id\": {id}}}\n```\n\n**Assertions:**\n- no messages\n\n---\n\n"
        )
    };
    let text = format!(
        "{HEAD}{}{}{}",
        publish(1, "An order for the consumer", &format!("{p}.in.orders"))
            .replace(
                "\n```json",
                "\n- Event-Id: e-{{id}}\n- Trace: a\n- Trace: b\n\n```json"
            )
            .replace("{{id}}", "1"),
        publish(2, "An order nobody takes", &format!("{p}.in.nobody")),
        publish(3, "An order a stream keeps", &format!("{p}.js.orders")),
    ) + &publish(
        4,
        "An order a stream's consumer reads",
        &format!("{p}.jsc.orders"),
    );
    // The input subjects are not watched, so NATS can tell whether
    // anything has them.
    let result = run_with(
        &broker_settings(&base, &url, vec![format!("{p}.out.>")], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let info = admin.jetstream(&format!("STREAM.INFO.{stream}"), "");
    for name in [&stream, &read] {
        let deleted = admin.jetstream(&format!("STREAM.DELETE.{name}"), "");
        assert_eq!(deleted["success"], true, "{deleted}");
    }
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert!(
        eventually(|| consumed.lock().unwrap().len() == 1),
        "{:?}",
        consumed.lock().unwrap()
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&consumed.lock().unwrap()[0]).unwrap(),
        serde_json::json!({"order_id": 1})
    );
    // Headers under the Publish line are NATS headers, repeated ones kept.
    assert_eq!(
        String::from_utf8(headers.lock().unwrap()[0].clone()).unwrap(),
        "Event-Id: e-1\nTrace: a\nTrace: b"
    );
    assert_eq!(all[1].outcome, Outcome::Failed, "{:#?}", verdicts(all[1]));
    let said = format!("{:?}", verdicts(all[1]));
    assert!(said.contains("no subscriber or stream"), "{said}");
    assert_eq!(all[2].outcome, Outcome::Passed, "{:#?}", verdicts(all[2]));
    assert_eq!(info["state"]["messages"], 1, "{info}");
    // What a stream kept and no consumer read is a warning on its step;
    // what a consumer was delivered is not.
    let warnings = |case: &itspec_results::CaseResult| -> Vec<String> {
        case.checks
            .iter()
            .filter(|c| c.is_warning())
            .map(|c| format!("{:?}", c.verdict))
            .collect()
    };
    let left = warnings(all[2]);
    assert_eq!(left.len(), 1, "{left:#?}");
    assert!(
        left[0].contains(&format!(
            "stream {stream} still holds message 1 on {p}.js.orders at the end of the case, and it has no consumer"
        )),
        "{left:?}"
    );
    for case in [all[0], all[3]] {
        assert_eq!(case.outcome, Outcome::Passed, "{:#?}", verdicts(case));
        assert_eq!(warnings(case), Vec::<String>::new());
    }
    assert_eq!(delivered.lock().unwrap().len(), 1);

    // Watched, the input comes back through itspec's own subscription:
    // it is not something the service published.
    let text = format!(
        "{HEAD}{}",
        publish(1, "An order for the consumer", &format!("{p}.in.orders"))
    );
    let result = run_with(
        &broker_settings(&base, &url, vec![format!("{p}.in.>")], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert!(eventually(|| consumed.lock().unwrap().len() == 2));

    // Steps released together: each message is answered on its own.
    let text = format!(
        "{HEAD}### TC-INT-001: Three copies, and one nobody takes\n\n**Repeat:** 1\n\n**Actions:**\n\
         1. Publish A (x3): events {p}.in.orders {{\"order_id\": 9}}\n\
         2. Publish B (concurrent): events {p}.in.nobody {{\"order_id\": 10}}\n\n\
         **Assertions:**\n- no messages\n\n---\n\n"
    );
    let result = run_with(
        &broker_settings(&base, &url, vec![format!("{p}.out.>")], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    let failed: Vec<(String, &str, String)> = verdicts(all[0])
        .into_iter()
        .filter(|(_, verdict, _)| *verdict != "pass")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].0, format!("Publish B: events {p}.in.nobody"));
    assert!(
        failed[0].2.contains("no subscriber or stream"),
        "{}",
        failed[0].2
    );
    assert!(eventually(|| consumed.lock().unwrap().len() == 5));
}

/// A server that goes away mid-run: every later answer about messages is
/// an error of its case, never a pass.
#[test]
fn a_lost_connection_is_an_error_not_a_quiet_broker() {
    if server_url("ITSPEC_TEST_NATS_URL").is_none() {
        return;
    }
    let nats = OwnServer::start("nats-server", |port| {
        vec![
            "-a".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ]
    });
    let base = serve(api());
    let text = format!(
        "{HEAD}### TC-INT-001: NATS goes away\n\n**Request:** POST /kill\n\n\
         **Input:**\n```json\n{{\"pid\": {}, \"port\": {}}}\n```\n\n**Assertions:**\n- status == 204\n\n---\n\n\
         ### TC-INT-002: Nothing seen, as far as a lost connection can tell\n\n**Request:** GET /status/200\n\n\
         **Assertions:**\n- no messages\n- no side effects\n\n---\n\n",
        nats.child.id(),
        nats.port
    );
    let url = format!("nats://127.0.0.1:{}", nats.port);
    let result = run_with(
        &broker_settings(&base, &url, vec!["orders.>".into()], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let second = cases(&result)[1];
    assert_eq!(second.outcome, Outcome::Error, "{:#?}", second.checks);
    let said = format!("{:?}", second.checks);
    assert!(
        said.contains("broker events: the connection to NATS")
            || said.contains("broker events: NATS closed"),
        "{said}"
    );
}

/// Watching everything (`>`) on a server of the test's own: itspec's own
/// inbox traffic (settling markers, a publish's replies) is never a
/// message of the service, and a burst larger than one scheduling budget
/// is counted whole.
#[test]
fn watching_everything_sees_the_services_messages_only_and_all_of_them() {
    if server_url("ITSPEC_TEST_NATS_URL").is_none() {
        return;
    }
    let nats = OwnServer::start("nats-server", |port| {
        vec![
            "-a".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ]
    });
    let url = format!("nats://127.0.0.1:{}", nats.port);
    let admin = Admin::connect(&url);
    let _consumer = admin.consumer("in.orders");
    let base = serve(api());
    let burst: Vec<String> = (0..300)
        .map(|n| format!(r#"{{"channel": "orders.{n}", "body": {{"n": {n}}}}}"#))
        .collect();
    let text = format!(
        "{HEAD}### TC-INT-001: Nothing published\n\n**Request:** GET /status/200\n\n\
         **Assertions:**\n- no messages\n\n---\n\n\
         ### TC-INT-002: An order comes in\n\n**Publish:** events in.orders\n```json\n{{\"n\": 1}}\n```\n\n\
         **Assertions:**\n- no messages\n\n---\n\n\
         ### TC-INT-003: Three hundred at once\n\n**Request:** POST /publish\n\n**Input:**\n```json\n\
         {{\"url\": \"{{{{brokers.events.url}}}}\", \"messages\": [{}]}}\n```\n\n\
         **Assertions:**\n- messages events count == 300\n- messages events orders.299 count == 1\n\n---\n\n",
        burst.join(", ")
    );
    let result = run_with(
        &broker_settings(&base, &url, vec![">".into()], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    for case in all {
        assert_eq!(case.outcome, Outcome::Passed, "{:#?}", verdicts(case));
    }
}
