//! Specs that assert what a service published, end to end against a real
//! Redis (`ITSPEC_TEST_REDIS_URL`; under CI it must be set): the messages a
//! case causes are observed from the end of Setup, waited for, matched by
//! topic and body, counted, proved absent, and kept in the case's result.

mod support;

use std::time::{Duration, Instant};

use itspec_results::{Outcome, RunOutcome, Verdict};
use itspec_runner::{RunOptions, Settings};
use support::{HEAD, OwnServer, api, broker_settings, cases, run_with, serve, server_url};

/// The Redis to test against, or `None` (said) outside CI.
fn redis_url() -> Option<String> {
    server_url("ITSPEC_TEST_REDIS_URL")
}

/// Settings with broker `events` watching `PREFIX:*` on Redis, and short
/// waits; the prefix is the test's own.
fn settings(base: &str, url: &str, prefix: &str) -> Settings {
    settings_watching(base, url, vec![format!("{prefix}:*")])
}

/// Settings with broker `events` watching `watch`.
fn settings_watching(base: &str, url: &str, watch: Vec<String>) -> Settings {
    broker_settings(base, url, watch, Vec::new())
}

/// A subscriber of the service's on Redis `channel`, on a thread of its
/// own: each message's body comes out of the receiver.
fn subscriber(url: &str, channel: &str) -> std::sync::mpsc::Receiver<String> {
    let (got, received) = std::sync::mpsc::channel::<String>();
    let (ready, subscribed) = std::sync::mpsc::channel::<()>();
    let (url, channel) = (url.to_string(), channel.to_string());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            use futures_util::StreamExt as _;
            let client = redis::Client::open(url.as_str()).unwrap();
            let mut pubsub = client.get_async_pubsub().await.unwrap();
            pubsub.subscribe(&channel).await.unwrap();
            ready.send(()).unwrap();
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let body: String = message.get_payload().unwrap();
                if got.send(body).is_err() {
                    return;
                }
            }
        });
    });
    subscribed.recv_timeout(Duration::from_secs(5)).unwrap();
    received
}

fn prefix() -> String {
    format!("itspec-test-{}", std::process::id())
}

/// A case that publishes `messages` (channel suffix, JSON body) after
/// `delay_ms`, then checks `assertions`, where `*:` stands for the
/// prefix's channels.
fn case(
    id: u32,
    name: &str,
    prefix: &str,
    messages: &[(&str, &str)],
    delay_ms: u64,
    assertions: &str,
) -> String {
    let messages: Vec<String> = messages
        .iter()
        .map(|(channel, body)| format!(r#"{{"channel": "{prefix}:{channel}", "body": {body}}}"#))
        .collect();
    let assertions = assertions.replace("*:", &format!("{prefix}:"));
    format!(
        "### TC-INT-{id:03}: {name}\n\n**Request:** POST /publish\n\n**Input:**\n```json\n\
         {{\"url\": \"{{{{brokers.events.url}}}}\", \"delay_ms\": {delay_ms}, \"messages\": [{}]}}\n```\n\n\
         **Assertions:**\n{assertions}\n\n---\n\n",
        messages.join(", ")
    )
}

fn verdicts(result: &itspec_results::CaseResult) -> Vec<(String, &'static str)> {
    result
        .checks
        .iter()
        .map(|c| {
            let verdict = match &c.verdict {
                Verdict::Passed => "passed",
                Verdict::Failed { .. } => "failed",
                Verdict::Error { .. } => "error",
                Verdict::Unverified { .. } => "unverified",
            };
            (c.text.clone(), verdict)
        })
        .collect()
}

#[test]
fn published_messages_are_matched_counted_and_kept() {
    let Some(url) = redis_url() else { return };
    let base = serve(api());
    let p = prefix() + "-match";
    let text = format!(
        "{HEAD}{}{}",
        case(
            1,
            "Publishes an order",
            &p,
            &[
                ("orders", r#"{"order_id": 7, "sku": "SKU-1"}"#),
                ("audit", r#""created""#)
            ],
            0,
            "- status == 202\n\
             - message events received {\"order_id\": 7}\n\
             - message events *:orders received {\"order_id\": \"#number\", \"sku\": \"SKU-1\"}\n\
             - messages events count == 2\n\
             - messages events *:audit count == 1\n\
             - no messages on events *:shipments",
        ),
        case(
            2,
            "Publishes late, after answering",
            &p,
            &[("orders", r#"{"order_id": 8}"#)],
            300,
            "- message events received {\"order_id\": 8}",
        ),
    );
    let result = run_with(&settings(&base, &url, &p), &text, &RunOptions::default());
    assert_eq!(result.outcome, RunOutcome::Completed);
    let all = cases(&result);
    for case in &all {
        assert_eq!(
            case.outcome,
            Outcome::Passed,
            "{}: {:#?}",
            case.id,
            verdicts(case)
        );
    }
    let journal = &all[0].messages["events"];
    let topics: Vec<&str> = journal.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(topics, [format!("{p}:orders"), format!("{p}:audit")]);
    assert_eq!(
        journal[0].json,
        Some(serde_json::json!({"order_id": 7, "sku": "SKU-1"}))
    );
    assert_eq!(
        all[1].messages["events"].len(),
        1,
        "a late message is the case's"
    );
}

#[test]
fn wrong_expectations_fail_with_what_was_published() {
    let Some(url) = redis_url() else { return };
    let base = serve(api());
    let p = prefix() + "-fail";
    let text = format!(
        "{HEAD}{}",
        case(
            1,
            "Publishes other than expected",
            &p,
            &[("orders", r#"{"order_id": 7}"#)],
            0,
            "- message events received {\"order_id\": 9}\n\
             - message events *:refunds received {}\n\
             - messages events count == 2\n\
             - no messages\n\
             - no side effects",
        ),
    );
    let started = Instant::now();
    let result = run_with(&settings(&base, &url, &p), &text, &RunOptions::default());
    let case = cases(&result)[0];
    assert_eq!(case.outcome, Outcome::Failed);
    let failures: Vec<(&str, String)> = case
        .checks
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::Failed { message, evidence } => Some((
                c.text.as_str(),
                format!("{message}\n{}", evidence.notes.join("\n")),
            )),
            _ => None,
        })
        .collect();
    let texts: Vec<&str> = failures.iter().map(|(text, _)| *text).collect();
    assert_eq!(
        texts,
        [
            "message events received {\"order_id\": 9}",
            &format!("message events {p}:refunds received {{}}"),
            "messages events count == 2",
            "no messages",
            "no side effects"
        ]
    );
    let said = |i: usize| failures[i].1.clone();
    assert!(
        said(0).contains("the closest differs at 1 place"),
        "{}",
        said(0)
    );
    assert!(
        said(0).contains(&format!("events carried: {p}:orders {{\"order_id\":7}}")),
        "{}",
        said(0)
    );
    assert!(
        said(1).contains(&format!("carried no message on {p}:refunds within 800 ms")),
        "{}",
        said(1)
    );
    assert!(
        said(2).contains("carried 1 message, expected == 2"),
        "{}",
        said(2)
    );
    assert!(
        said(3).contains("1 message was published (events)"),
        "{}",
        said(3)
    );
    assert!(
        said(4).contains("1 message was published (events)"),
        "{}",
        said(4)
    );
    // Two waits for what never comes (each ends at `wait` after the last
    // step), not one per assertion.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_case_that_publishes_nothing_proves_it_and_starts_clean() {
    let Some(url) = redis_url() else { return };
    let base = serve(api());
    let p = prefix() + "-none";
    let text = format!(
        "{HEAD}{}{}",
        case(
            1,
            "Publishes",
            &p,
            &[("orders", r#"{"order_id": 1}"#)],
            0,
            "- messages events count == 1",
        ),
        case(
            2,
            "Publishes nothing",
            &p,
            &[],
            0,
            "- no messages\n- no messages on events *:orders\n- messages events count == 0\n- no side effects",
        ),
    );
    let result = run_with(&settings(&base, &url, &p), &text, &RunOptions::default());
    for case in cases(&result) {
        assert_eq!(
            case.outcome,
            Outcome::Passed,
            "{}: {:#?}",
            case.id,
            verdicts(case)
        );
    }
    assert!(
        cases(&result)[1].messages["events"].is_empty(),
        "the first case's message is not the second's"
    );
}

/// A message published as a case's input reaches the service's
/// subscriber, is not counted as something the service published, and
/// one that no subscriber of the service gets is an error.
#[test]
fn a_published_input_reaches_a_subscriber_and_is_not_the_services_output() {
    let Some(url) = redis_url() else { return };
    let p = prefix() + "-input";
    // The service's subscriber: it reports what it got.
    let received = subscriber(&url, &format!("{p}:orders"));
    let base = serve(api());
    let text = format!(
        "{HEAD}### TC-INT-001: An order comes in\n\n\
         **Publish:** events {p}:orders\n```json\n{{\"order_id\": 7}}\n```\n\n\
         **Assertions:**\n- no messages\n\n---\n\n\
         ### TC-INT-002: Nobody listens\n\n\
         **Publish:** events {p}:nobody\n```json\n{{\"order_id\": 8}}\n```\n\n\
         **Assertions:**\n- no messages\n"
    );
    let result = run_with(&settings(&base, &url, &p), &text, &RunOptions::default());
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_eq!(
        received.recv_timeout(Duration::from_secs(2)).unwrap(),
        "{\"order_id\":7}"
    );
    assert_ne!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
    let refused = &all[1].checks[0];
    assert!(
        matches!(&refused.verdict, Verdict::Failed { message, .. } if message.contains("no subscriber of the service got the message")),
        "{refused:?}"
    );
}

#[test]
fn a_broker_that_does_not_answer_fails_the_environment_by_name() {
    let base = serve(api());
    let result = run_with(
        &settings(&base, "redis://127.0.0.1:1/0", "itspec-test-down"),
        &format!(
            "{HEAD}{}",
            case(1, "Publishes", "x", &[], 0, "- no messages")
        ),
        &RunOptions::default(),
    );
    let RunOutcome::EnvironmentFailed { message } = &result.outcome else {
        panic!("{:?}", result.outcome)
    };
    assert!(
        message.contains("[brokers.events] redis://127.0.0.1:1/0"),
        "{message}"
    );
}

/// A broker configuration itspec cannot honour is refused with the reason,
/// never half-observed.
#[test]
fn what_cannot_be_observed_is_refused_not_ignored() {
    let refused = |url: &str, watch: &[&str], keys: &[&str]| {
        let mut config = itspec_config::Config::default();
        config.brokers.insert(
            "events".into(),
            itspec_config::Broker {
                url: url.to_string(),
                watch: watch.iter().map(|w| (*w).to_string()).collect(),
                keys: keys.iter().map(|k| (*k).to_string()).collect(),
                allow_remote: false,
            },
        );
        let loaded = itspec_config::Loaded {
            path: None,
            dir: std::env::temp_dir(),
            config,
        };
        Settings::from_config(&loaded)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    for (url, watch, keys, said) in [
        (
            "mqtt://127.0.0.1:1883",
            &["devices/#/status"][..],
            &[][..],
            "`devices/#/status` is not a MQTT pattern: `#` may only end a topic filter",
        ),
        (
            "nats://127.0.0.1:4222",
            &["orders.*x"],
            &[],
            "`orders.*x` is not a NATS pattern",
        ),
        (
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            &["orders order.created extra"],
            &[],
            "write an exchange, or an exchange and one binding key",
        ),
        (
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            &["orders order.cre*"],
            &[],
            "`orders order.cre*` is not a RabbitMQ pattern",
        ),
        (
            "kafka://127.0.0.1:9092",
            &["orders"],
            &[],
            "`kafka://127.0.0.1:9092` names no broker",
        ),
        (
            "redis://127.0.0.1:6379/0",
            &[],
            &[],
            "[brokers.events] watches nothing",
        ),
        (
            "redis://127.0.0.1:6379/0",
            &["events:[ab"],
            &[],
            "`events:[ab` is not a Redis pattern",
        ),
        (
            "redis://127.0.0.1:6379/0",
            &["events:*"],
            &["cart:[ab"],
            "keys: `cart:[ab` is not a Redis key pattern",
        ),
    ] {
        let message = refused(url, watch, keys);
        assert!(
            message.contains(said),
            "{url} {watch:?} {keys:?}: {message}"
        );
    }
}

/// Workers would see each other's messages: more than one is refused.
#[test]
fn workers_cannot_share_a_broker() {
    let mut settings = settings("http://127.0.0.1:1", "redis://127.0.0.1:6379/0", "x");
    settings.independent = true;
    let specs: Vec<String> = (0..2)
        .map(|i| {
            format!(
                "{HEAD}{}",
                case(1, &format!("Case {i}"), "x", &[], 0, "- no messages")
            )
        })
        .collect();
    let inputs = specs
        .iter()
        .enumerate()
        .map(|(i, text)| itspec_runner::SpecInput {
            path: format!("s{i}.md"),
            text: text.as_str().into(),
            spec: itspec_spec::parse(text).spec,
        })
        .collect();
    let plan = itspec_runner::plan(inputs, &itspec_runner::Selection::default()).unwrap();
    let options = RunOptions {
        jobs: Some(2),
        ..RunOptions::default()
    };
    let error = itspec_runner::prepare_run(plan, settings, options)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.starts_with(
            "--jobs 2: every worker would observe the same topics and keys of [brokers.events]"
        ),
        "{error}"
    );
    assert!(
        error.contains("put {{worker}} in every `watch` and `keys` pattern"),
        "{error}"
    );
}

/// With `{{worker}}` in what a broker watches, each worker observes
/// channels of its own: two workers publishing at once each see their own
/// message only.
#[test]
fn workers_observe_channels_of_their_own() {
    let Some(url) = redis_url() else { return };
    let base = serve(api());
    let p = prefix() + "-workers";
    let mut settings = settings_watching(&base, &url, vec![format!("{p}:w{{{{worker}}}}:*")]);
    settings.independent = true;
    let specs: Vec<String> = (0..4)
        .map(|i| {
            format!(
                "{HEAD}{}",
                case(
                    1,
                    &format!("Spec {i}"),
                    &p,
                    &[("w{{worker}}:created", r#"{"worker": {{worker}}}"#)],
                    0,
                    "- message events received {\"worker\": {{worker}}}\n- messages events count == 1"
                )
            )
        })
        .collect();
    let texts: Vec<&str> = specs.iter().map(String::as_str).collect();
    let options = RunOptions {
        jobs: Some(2),
        ..RunOptions::default()
    };
    let result = support::run_all(&settings, &texts, &options);
    assert_eq!(result.outcome, RunOutcome::Completed, "{result:#?}");
    for case in cases(&result) {
        assert_eq!(
            case.outcome,
            Outcome::Passed,
            "{:#?}",
            support::verdicts(case)
        );
    }
}

/// `within D:` waits longer than `[channels] wait` for what comes late,
/// and a wait that ends without it says how long it waited.
#[test]
fn within_waits_for_a_late_message_as_long_as_it_says() {
    let Some(url) = redis_url() else { return };
    let base = serve(api());
    let p = prefix() + "-within";
    let text = format!(
        "{HEAD}{}",
        case(
            1,
            "Publishes well after answering",
            &p,
            &[("orders", r#"{"order_id": 9}"#)],
            1_500,
            "- within 5s: message events received {\"order_id\": 9}\n\
             - message events received {\"order_id\": 9}\n\
             - within 300ms: messages events count == 2",
        ),
    );
    let result = run_with(&settings(&base, &url, &p), &text, &RunOptions::default());
    let case = cases(&result)[0];
    let checks: Vec<(&str, &'static str, String)> = case
        .checks
        .iter()
        .map(|c| match &c.verdict {
            Verdict::Passed => (c.text.as_str(), "passed", String::new()),
            Verdict::Failed { message, .. } => (c.text.as_str(), "failed", message.clone()),
            other => (c.text.as_str(), "other", format!("{other:?}")),
        })
        .collect();
    assert_eq!(checks[0].1, "passed", "{checks:#?}");
    // Evaluated after the first one waited: the message is there by then.
    assert_eq!(checks[1].1, "passed", "{checks:#?}");
    assert_eq!(checks[2].1, "failed", "{checks:#?}");
    assert!(
        checks[2].2.ends_with("(still after waiting 300 ms)"),
        "{checks:#?}"
    );
}

/// `Publish` steps in Actions: alone, ten copies released together, and
/// beside a request in one concurrent group; each is a step of the case,
/// every copy reaches the subscriber, and one nobody gets fails its step.
#[test]
fn publish_steps_in_actions_are_sent_together_and_each_confirmed() {
    let Some(url) = redis_url() else { return };
    let p = prefix() + "-steps";
    let received = subscriber(&url, &format!("{p}:orders"));
    let base = serve(api());
    let text = format!(
        "{HEAD}### TC-INT-001: One order, then ten copies of another, then one with a request\n\n\
         **Repeat:** 2\n\n\
         **Actions:**\n\
         1. Publish A: events {p}:orders {{\"order_id\": 1}}\n\
         2. Publish B (x10): events {p}:orders {{\"order_id\": 2}}\n\
         3. Request C: GET /status/200\n\
         4. Publish D (concurrent): events {p}:orders\n   ```text\n   three\n   ```\n\n\
         **Assertions:**\n- C.status == 200\n- no messages\n\n---\n\n\
         ### TC-INT-002: Nobody listens\n\n\
         **Repeat:** 1\n\n\
         **Actions:**\n\
         1. Publish A: events {p}:orders {{\"order_id\": 3}}\n\
         2. Publish B (concurrent): events {p}:nobody {{\"order_id\": 4}}\n\n\
         **Assertions:**\n- no messages\n\n---\n\n\
         ### TC-INT-003: Headers Redis cannot carry\n\n\
         **Publish:** events {p}:orders\n- X-Trace: t-1\n\n```json\n{{\"order_id\": 5}}\n```\n\n\
         **Assertions:**\n- no messages\n"
    );
    let result = run_with(&settings(&base, &url, &p), &text, &RunOptions::default());
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    let steps: Vec<&str> = all[0]
        .checks
        .iter()
        .filter(|c| c.text.starts_with("Publish"))
        .map(|c| c.text.as_str())
        .collect();
    // The case is a concurrency case: each of its two iterations
    // publishes again.
    assert_eq!(steps.len(), 12, "the last iteration's steps: {steps:?}");
    assert_eq!(steps[0], format!("Publish A: events {p}:orders"));
    assert_eq!(steps[10], format!("Publish B10: events {p}:orders"));
    // Each of case 1's two iterations: A, B1…B10, D; then case 2's A.
    let mut bodies: Vec<String> = (0..25)
        .map(|_| received.recv_timeout(Duration::from_secs(2)).unwrap())
        .collect();
    bodies.sort();
    let mut expected = Vec::new();
    for _ in 0..2 {
        expected.push("{\"order_id\":1}".to_string());
        expected.extend(std::iter::repeat_n("{\"order_id\":2}".to_string(), 10));
        expected.push("three".to_string());
    }
    expected.push("{\"order_id\":3}".to_string());
    expected.sort();
    assert_eq!(bodies, expected);
    assert_ne!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
    let refused: Vec<_> = all[1]
        .checks
        .iter()
        .filter(|c| matches!(&c.verdict, Verdict::Failed { message, .. } if message.contains("no subscriber of the service got the message")))
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(refused, [format!("Publish B: events {p}:nobody")]);
    // Refused before it is sent: the subscriber got nothing more.
    assert_ne!(all[2].outcome, Outcome::Passed, "{:#?}", verdicts(all[2]));
    let said = format!("{:?}", all[2].checks);
    assert!(said.contains("carry no headers"), "{said}");
    assert!(received.recv_timeout(Duration::from_millis(300)).is_err());
}

/// A watched name that is a stream is read as one: each entry the service
/// adds during a case is one of its messages, its fields the body.
#[test]
fn entries_added_to_a_watched_stream_are_messages_of_the_case() {
    let Some(url) = redis_url() else { return };
    let p = prefix() + "-stream";
    let stream = format!("{p}-orders");
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    // An entry from before the run is no message of any case.
    let _: String = redis::cmd("XADD")
        .arg(&stream)
        .arg("*")
        .arg("order_id")
        .arg(1)
        .query(&mut redis)
        .unwrap();
    let base = serve(api());
    let add =
        |n: u32| format!(r#"["XADD", "{stream}", "*", "order_id", "{n}", "status", "created"]"#);
    let text = format!(
        "{HEAD}### TC-INT-001: Two orders\n\n**Request:** POST /redis-commands\n\n**Input:**\n```json\n\
         {{\"url\": \"{{{{brokers.events.url}}}}\", \"commands\": [{}, {}]}}\n```\n\n\
         **Assertions:**\n- message events {stream} received {{\"order_id\": 7, \"status\": \"created\"}}\n\
         - messages events {stream} count == 2\n\n---\n\n\
         ### TC-INT-002: None\n\n**Request:** GET /status/200\n\n**Assertions:**\n- no messages\n",
        add(7),
        add(8)
    );
    let result = run_with(
        &settings_watching(&base, &url, vec![format!("{p}:*"), stream.clone()]),
        &text,
        &RunOptions::default(),
    );
    let _: () = redis::cmd("DEL").arg(&stream).query(&mut redis).unwrap();
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_eq!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
    let journal = &all[0].messages["events"];
    assert_eq!(journal.len(), 2, "{journal:?}");
    assert_eq!(journal[0].headers[0].0, "id");
}

/// A broker that goes away mid-run: every later answer about messages is
/// an error of its case, never a pass.
#[test]
fn a_lost_subscription_is_an_error_not_a_quiet_broker() {
    if redis_url().is_none() {
        return;
    }
    let redis = OwnServer::start("redis-server", |port| {
        [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        .map(str::to_string)
        .to_vec()
    });
    let redis_url = format!("redis://127.0.0.1:{}/0", redis.port);
    let base = serve(api());
    let p = prefix() + "-lost";
    let text = format!(
        "{HEAD}### TC-INT-001: Redis goes away\n\n**Request:** POST /redis-shutdown\n\n\
         **Input:**\n```json\n{{\"url\": \"{{{{brokers.events.url}}}}\"}}\n```\n\n**Assertions:**\n- status == 204\n\n---\n\n{}",
        case(
            3,
            "Nothing seen, as far as a lost subscription can tell",
            &p,
            &[],
            0,
            "- no messages\n- no side effects"
        )
        .replace("POST /publish", "GET /status/200")
        .replace("TC-INT-003", "TC-INT-002"),
    );
    let result = run_with(
        &settings(&base, &redis_url, &p),
        &text,
        &RunOptions::default(),
    );
    let second = cases(&result)[1];
    assert_eq!(second.outcome, Outcome::Error, "{:#?}", second.checks);
    let said = format!("{:?}", second.checks);
    // Closed, refused or unanswered, depending on when Redis went: lost.
    assert!(
        said.contains("broker events: Redis")
            && said.contains("messages published since are not seen"),
        "{said}"
    );
}

/// Redis sends a message once for each watched pattern its channel
/// matches: itspec counts it once.
#[test]
fn a_message_two_watched_patterns_match_counts_once() {
    let Some(url) = redis_url() else { return };
    let base = serve(api());
    let p = prefix() + "-twice";
    let text = format!(
        "{HEAD}{}",
        case(
            1,
            "Publishes once",
            &p,
            &[("orders", r#"{"order_id": 1}"#)],
            0,
            &format!("- messages events count == 1\n- messages events {p}:orders count == 1"),
        ),
    );
    let watch = vec![format!("{p}:*"), format!("{p}:orders")];
    let result = run_with(
        &settings_watching(&base, &url, watch),
        &text,
        &RunOptions::default(),
    );
    let case = cases(&result)[0];
    assert_eq!(case.outcome, Outcome::Passed, "{:#?}", verdicts(case));
    assert_eq!(case.messages["events"].len(), 1);
}
