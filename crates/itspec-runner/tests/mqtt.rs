//! Specs that assert what a service published over MQTT, and publish to
//! it, end to end against a real broker (`ITSPEC_TEST_MQTT_URL`, MQTT 5;
//! under CI it must be set): watched filters are observed through a
//! session of itspec's own, which takes nothing from the service's shared
//! subscriptions; a published input must reach a subscriber; a broker that
//! goes away makes the cases after it errors.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use itspec_results::{Outcome, RunOutcome};
use itspec_runner::{RunOptions, Settings};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use support::{
    HEAD, OwnServer, api, broker_settings, cases, eventually, own, publishing_case, run_with,
    serve, server_url, verdicts,
};

/// The service's consumer: a shared subscription on `filter`, its
/// messages' payloads kept as they come, on a thread of its own.
fn consumer(url: &str, filter: &str) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let into = got.clone();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let filter = format!("$share/service/{filter}");
    let (subscribed, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut options = rumqttc::v5::MqttOptions::new(
                format!("itspec-test-consumer-{}", uuid::Uuid::new_v4().simple()),
                "127.0.0.1",
                port,
            );
            options.set_clean_start(true);
            let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(options, 16);
            client.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
            loop {
                match eventloop.poll().await {
                    Ok(rumqttc::v5::Event::Incoming(Packet::SubAck(_))) => {
                        let _ = subscribed.send(());
                    }
                    Ok(rumqttc::v5::Event::Incoming(Packet::Publish(publish))) => {
                        into.lock().unwrap().push(publish.payload.to_vec());
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
    });
    ready.recv_timeout(Duration::from_secs(10)).unwrap();
    got
}

#[test]
fn messages_on_watched_filters_are_seen_once_without_taking_the_services() {
    let Some(url) = server_url("ITSPEC_TEST_MQTT_URL") else {
        return;
    };
    let p = own("seen");
    let consumed = consumer(&url, &format!("{p}/orders/#"));
    let base = serve(api());
    let text = format!(
        "{HEAD}{}{}{}",
        publishing_case(
            1,
            "Publishes an order and an audit entry",
            &[
                (
                    &format!("{p}/orders/created"),
                    r#"{"order_id": 7, "sku": "SKU-1"}"#
                ),
                (&format!("{p}/audit/orders"), r#"{"event": "created"}"#),
            ],
            &format!(
                "- status == 202\n\
                 - message events {p}/orders/created received {{\"order_id\": 7}}\n\
                 - messages events {p}/orders/+ count == 1\n\
                 - messages events count == 2\n\
                 - no messages on events {p}/orders/deleted\n\
                 - message events {p}/orders/created header event-id == \"m-{p}/orders/created\"\n\
                 - message events header content-type == \"application/json\""
            ),
        ),
        publishing_case(2, "Publishes nothing", &[], "- no messages"),
        publishing_case(
            3,
            "Expects what did not come",
            &[(&format!("{p}/orders/cancelled"), r#"{"order_id": 8}"#)],
            &format!(
                "- message events {p}/orders/created received {{\"order_id\": 8}}\n\
                 - no side effects"
            ),
        ),
    );
    // Two watched filters match the orders: each message counts once.
    let watch = vec![
        format!("{p}/orders/#"),
        format!("{p}/orders/created"),
        format!("{p}/audit/+"),
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
            .contains(&format!("no message on {p}/orders/created")),
        "{}",
        failed[0].2
    );
    assert_eq!(failed[1].1, "fail", "{:?}", failed[1]);

    let journal = &all[0].messages["events"];
    let topics: Vec<&str> = journal.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(
        topics,
        [format!("{p}/orders/created"), format!("{p}/audit/orders")]
    );
    assert!(
        journal[0]
            .headers
            .contains(&("event-id".to_string(), format!("m-{p}/orders/created"))),
        "{:?}",
        journal[0].headers
    );
    // Nothing was taken from the service's shared subscription.
    assert!(
        eventually(|| consumed.lock().unwrap().len() == 2),
        "{:?}",
        consumed.lock().unwrap()
    );
}

#[test]
fn a_published_input_reaches_a_subscriber_or_fails_the_step() {
    let Some(url) = server_url("ITSPEC_TEST_MQTT_URL") else {
        return;
    };
    let p = own("publish");
    let consumed = consumer(&url, &format!("{p}/in/orders"));
    let base = serve(api());
    let publish = |id: u32, name: &str, topic: &str| {
        format!(
            "### TC-INT-{id:03}: {name}\n\n**Publish:** events {topic}\n```json\n\
             {{\"order_id\": {id}}}\n```\n\n**Assertions:**\n- no messages\n\n---\n\n"
        )
    };
    let text = format!(
        "{HEAD}{}{}",
        publish(1, "An order for the consumer", &format!("{p}/in/orders")),
        publish(2, "An order nobody takes", &format!("{p}/in/nobody")),
    );
    // The input topics are not watched, so the broker can tell whether
    // anything has them.
    let result = run_with(
        &broker_settings(&base, &url, vec![format!("{p}/out/#")], Vec::new()),
        &text,
        &RunOptions::default(),
    );
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
    assert_eq!(all[1].outcome, Outcome::Failed, "{:#?}", verdicts(all[1]));
    let said = format!("{:?}", verdicts(all[1]));
    assert!(said.contains("no subscriber of the service"), "{said}");

    // Watched, the input comes back through itspec's own subscription:
    // it is not something the service published.
    let text = format!(
        "{HEAD}{}",
        publish(1, "An order for the consumer", &format!("{p}/in/orders"))
    );
    let result = run_with(
        &broker_settings(&base, &url, vec![format!("{p}/in/#")], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert!(eventually(|| consumed.lock().unwrap().len() == 2));

    // Steps released together: each message is answered on its own.
    let text = format!(
        "{HEAD}### TC-INT-001: Three copies, and one nobody takes\n\n**Repeat:** 1\n\n**Actions:**\n\
         1. Publish A (x3): events {p}/in/orders {{\"order_id\": 9}}\n\
         2. Publish B (concurrent): events {p}/in/nobody {{\"order_id\": 10}}\n\n\
         **Assertions:**\n- no messages\n\n---\n\n"
    );
    let result = run_with(
        &broker_settings(&base, &url, vec![format!("{p}/out/#")], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    let failed: Vec<(String, &str, String)> = verdicts(all[0])
        .into_iter()
        .filter(|(_, verdict, _)| *verdict != "pass")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].0, format!("Publish B: events {p}/in/nobody"));
    assert!(
        failed[0].2.contains("no subscriber of the service"),
        "{}",
        failed[0].2
    );
    assert!(eventually(|| consumed.lock().unwrap().len() == 5));
}

/// A broker that goes away mid-run: every later answer about messages is
/// an error of its case, never a pass.
#[test]
fn a_lost_session_is_an_error_not_a_quiet_broker() {
    if server_url("ITSPEC_TEST_MQTT_URL").is_none() {
        return;
    }
    let mosquitto = OwnServer::start("mosquitto", |port| vec!["-p".into(), port.to_string()]);
    let base = serve(api());
    let text = format!(
        "{HEAD}### TC-INT-001: The broker goes away\n\n**Request:** POST /kill\n\n\
         **Input:**\n```json\n{{\"pid\": {}, \"port\": {}}}\n```\n\n**Assertions:**\n- status == 204\n\n---\n\n\
         ### TC-INT-002: Nothing seen, as far as a lost session can tell\n\n**Request:** GET /status/200\n\n\
         **Assertions:**\n- no messages\n- no side effects\n\n---\n\n",
        mosquitto.child.id(),
        mosquitto.port
    );
    let url = format!("mqtt://127.0.0.1:{}", mosquitto.port);
    let result = run_with(
        &broker_settings(&base, &url, vec!["devices/#".into()], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let second = cases(&result)[1];
    assert_eq!(second.outcome, Outcome::Error, "{:#?}", second.checks);
    let said = format!("{:?}", second.checks);
    assert!(
        said.contains("broker events: the connection to the broker broke")
            || said.contains("broker events: a settling marker"),
        "{said}"
    );
}

/// Watching everything (`#`) on a broker of the test's own: itspec's own
/// settling markers are never a message of the service, and a burst is
/// counted whole, once.
#[test]
fn watching_everything_sees_the_services_messages_only_and_all_of_them() {
    if server_url("ITSPEC_TEST_MQTT_URL").is_none() {
        return;
    }
    let mosquitto = OwnServer::start("mosquitto", |port| vec!["-p".into(), port.to_string()]);
    let url = format!("mqtt://127.0.0.1:{}", mosquitto.port);
    let base = serve(api());
    let burst: Vec<String> = (0..300)
        .map(|n| format!(r#"{{"channel": "orders/{n}", "body": {{"n": {n}}}}}"#))
        .collect();
    let text = format!(
        "{HEAD}### TC-INT-001: Nothing published\n\n**Request:** GET /status/200\n\n\
         **Assertions:**\n- no messages\n\n---\n\n\
         ### TC-INT-002: Three hundred at once\n\n**Request:** POST /publish\n\n**Input:**\n```json\n\
         {{\"url\": \"{{{{brokers.events.url}}}}\", \"messages\": [{}]}}\n```\n\n\
         **Assertions:**\n- messages events count == 300\n- messages events orders/299 count == 1\n\n---\n\n",
        burst.join(", ")
    );
    let result = run_with(
        &broker_settings(&base, &url, vec!["#".into(), "orders/+".into()], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    for case in all {
        assert_eq!(case.outcome, Outcome::Passed, "{:#?}", verdicts(case));
    }
}

#[test]
fn a_shared_subscription_is_refused_as_a_watch() {
    let mut config = itspec_config::Config::default();
    config.brokers.insert(
        "events".into(),
        itspec_config::Broker {
            url: "mqtt://127.0.0.1:1883".into(),
            watch: vec!["$share/workers/orders/#".into()],
            keys: Vec::new(),
            allow_remote: false,
        },
    );
    let loaded = itspec_config::Loaded {
        path: None,
        dir: std::env::temp_dir(),
        config,
    };
    let error = Settings::from_config(&loaded).unwrap_err().to_string();
    assert!(error.contains("is a shared subscription"), "{error}");
    assert!(error.contains("(`orders/#`)"), "{error}");
}
