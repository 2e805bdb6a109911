//! Specs that assert what a service published to RabbitMQ, end to end
//! against a real broker (`ITSPEC_TEST_AMQP_URL`; under CI it must be
//! set): topic, fanout and direct exchanges are observed through itspec's
//! own queue, which takes nothing from the service's queues and is gone
//! when the run ends; an exchange declared in the middle of a case makes
//! that case an error, never a pass.

mod support;

use std::time::Duration;

use itspec_results::{Outcome, RunOutcome};
use itspec_runner::RunOptions;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use support::{HEAD, api, broker_settings, cases, own, run_with, serve, server_url, verdicts};

/// A case that publishes `(exchange, routing key, JSON body)` then checks
/// `assertions`; `declare` has the service declare each exchange first.
fn case(
    id: u32,
    name: &str,
    messages: &[(&str, &str, &str)],
    declare: Option<&str>,
    assertions: &str,
) -> String {
    let messages: Vec<String> = messages
        .iter()
        .map(|(exchange, key, body)| {
            format!(r#"{{"exchange": "{exchange}", "channel": "{key}", "body": {body}}}"#)
        })
        .collect();
    let declare = declare.map_or("null".to_string(), |kind| format!("\"{kind}\""));
    format!(
        "### TC-INT-{id:03}: {name}\n\n**Request:** POST /publish\n\n**Input:**\n```json\n\
         {{\"url\": \"{{{{brokers.events.url}}}}\", \"declare\": {declare}, \"messages\": [{}]}}\n```\n\n\
         **Assertions:**\n{assertions}\n\n---\n\n",
        messages.join(", ")
    )
}

/// A connection of the test's own, on a runtime that keeps it alive while
/// the run goes on.
struct Admin {
    runtime: tokio::runtime::Runtime,
    connection: lapin::Connection,
    channel: lapin::Channel,
}

impl Admin {
    fn connect(url: &str) -> Admin {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (connection, channel) = runtime.block_on(async {
            let connection =
                lapin::Connection::connect(url, lapin::ConnectionProperties::default())
                    .await
                    .unwrap();
            let channel = connection.create_channel().await.unwrap();
            (connection, channel)
        });
        Admin {
            runtime,
            connection,
            channel,
        }
    }

    fn run<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }
}

/// Declares an auto-delete exchange (gone once its last binding is).
async fn declare_exchange(channel: &lapin::Channel, name: &str, kind: lapin::ExchangeKind) {
    channel
        .exchange_declare(
            name.into(),
            kind,
            ExchangeDeclareOptions {
                auto_delete: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
}

/// Whether exchange `name` exists.
async fn exchange_exists(connection: &lapin::Connection, name: &str) -> bool {
    let probe = connection.create_channel().await.unwrap();
    probe
        .exchange_declare(
            name.into(),
            lapin::ExchangeKind::Topic,
            ExchangeDeclareOptions {
                passive: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .is_ok()
}

#[test]
fn messages_of_topic_and_fanout_exchanges_are_seen_without_taking_the_services() {
    let Some(url) = server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let (orders, audit, service_queue) = (own("orders"), own("audit"), own("service"));
    let admin = Admin::connect(&url);
    admin.run(async {
        let channel = &admin.channel;
        declare_exchange(channel, &orders, lapin::ExchangeKind::Topic).await;
        declare_exchange(channel, &audit, lapin::ExchangeKind::Fanout).await;
        // The service's own queue: what it holds must stay there.
        channel
            .queue_declare(
                service_queue.as_str().into(),
                QueueDeclareOptions {
                    auto_delete: false,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                service_queue.as_str().into(),
                orders.as_str().into(),
                "order.*".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
    });
    let base = serve(api());
    let text = format!(
        "{HEAD}{}{}{}",
        case(
            1,
            "Publishes an order and an audit entry",
            &[
                (
                    &orders,
                    "order.created",
                    r#"{"order_id": 7, "sku": "SKU-1"}"#
                ),
                (&audit, "anything", r#"{"event": "created"}"#),
            ],
            None,
            "- status == 202\n\
             - message events order.created received {\"order_id\": 7}\n\
             - messages events order.* count == 1\n\
             - messages events count == 2\n\
             - no messages on events billing.#\n\
             - message events order.created header content-type == \"application/json\"\n\
             - message events header message-id == \"m-anything\"",
        ),
        case(2, "Publishes nothing", &[], None, "- no messages"),
        case(
            3,
            "Expects what did not come",
            &[(&orders, "order.cancelled", r#"{"order_id": 8}"#)],
            None,
            "- message events order.created received {\"order_id\": 8}\n\
             - no side effects\n\
             - message events header message-id == \"m-order.created\"",
        ),
    );
    let result = run_with(
        &broker_settings(&base, &url, vec![orders.clone(), audit.clone()], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    assert_eq!(result.outcome, RunOutcome::Completed);
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_eq!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
    assert_eq!(all[2].outcome, Outcome::Failed, "{:#?}", verdicts(all[2]));
    let failed: Vec<(String, &str, String)> = verdicts(all[2]);
    assert_eq!(failed[0].1, "fail");
    assert!(
        failed[0].2.contains("no message on order.created"),
        "{}",
        failed[0].2
    );
    assert_eq!(failed[1].1, "fail", "{:?}", failed[1]);
    assert_eq!(failed[2].1, "fail", "{:?}", failed[2]);
    assert!(
        failed[2]
            .2
            .contains("no message on broker events has header message-id == \"m-order.created\""),
        "{}",
        failed[2].2
    );

    let journal = &all[0].messages["events"];
    let topics: Vec<&str> = journal.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(topics, ["order.created", "anything"]);
    assert!(
        journal[0]
            .headers
            .contains(&("exchange".to_string(), orders.clone())),
        "{:?}",
        journal[0].headers
    );
    assert!(
        journal[0]
            .headers
            .contains(&("content-type".to_string(), "application/json".to_string())),
        "{:?}",
        journal[0].headers
    );

    admin.run(async {
        let (connection, channel) = (&admin.connection, &admin.channel);
        // Nothing was taken from the service's queue: both order
        // messages are still there.
        let queue = channel
            .queue_declare(
                service_queue.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        assert_eq!(queue.message_count(), 2);
        channel
            .queue_delete(service_queue.as_str().into(), Default::default())
            .await
            .unwrap();
        // itspec's queue went with the run: the auto-delete fanout
        // exchange lost its last binding and is gone.
        let mut gone = false;
        for _ in 0..40 {
            if !exchange_exists(connection, &audit).await {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(gone, "itspec's queue is still bound to {audit}");
    });
}

#[test]
fn a_direct_exchange_is_watched_by_its_keys_and_refused_without() {
    let Some(url) = server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let direct = own("direct");
    let admin = Admin::connect(&url);
    admin.run(async {
        let channel = &admin.channel;
        declare_exchange(channel, &direct, lapin::ExchangeKind::Direct).await;
        // Keeps the auto-delete exchange until the test ends.
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.name().clone(),
                direct.as_str().into(),
                "keep".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
    });
    let base = serve(api());
    let text = format!(
        "{HEAD}{}",
        case(
            1,
            "Publishes two keys",
            &[
                (&direct, "order.created", r#"{"order_id": 7}"#),
                (&direct, "order.other", r#"{"order_id": 8}"#),
            ],
            None,
            "- message events order.created received {\"order_id\": 7}\n\
             - messages events count == 1",
        ),
    );
    // Without a key: refused, naming the exchange's type and the fix.
    let result = run_with(
        &broker_settings(&base, &url, vec![direct.clone()], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    match &result.outcome {
        RunOutcome::EnvironmentFailed { message } => {
            assert!(
                message.contains(&format!("exchange {direct} is a direct exchange")),
                "{message}"
            );
        }
        other => panic!("expected an environment failure, got {other:?}"),
    }
    // A key on a fanout exchange would be ignored by RabbitMQ: refused.
    let fan = own("fan");
    admin.run(declare_exchange(
        &admin.channel,
        &fan,
        lapin::ExchangeKind::Fanout,
    ));
    let result = run_with(
        &broker_settings(
            &base,
            &url,
            vec![format!("{fan} order.created")],
            Vec::new(),
        ),
        &text,
        &RunOptions::default(),
    );
    admin.run(async {
        admin
            .channel
            .exchange_delete(fan.as_str().into(), Default::default())
            .await
            .unwrap();
    });
    match &result.outcome {
        RunOutcome::EnvironmentFailed { message } => {
            assert!(message.contains("which ignores routing keys"), "{message}");
        }
        other => panic!("expected an environment failure, got {other:?}"),
    }
    // With its key: only that key's messages are seen.
    let result = run_with(
        &broker_settings(
            &base,
            &url,
            vec![format!("{direct} order.created")],
            Vec::new(),
        ),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
}

/// A watched exchange that does not exist — a wrong name, another
/// virtual host, a service that has not declared it — makes every case's
/// answers about messages errors, never a pass; once it exists, it is
/// observed.
#[test]
fn a_watched_exchange_that_does_not_exist_is_an_error_until_it_does() {
    let Some(url) = server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let late = own("late");
    let base = serve(api());
    let text = format!(
        "{HEAD}{}{}",
        case(1, "Publishes nothing", &[], None, "- no messages"),
        case(
            2,
            "Publishes",
            &[(&late, "order.created", r#"{"order_id": 8}"#)],
            None,
            "- message events order.created received {\"order_id\": 8}",
        ),
    );
    let missing = run_with(
        &broker_settings(&base, &url, vec![late.clone()], Vec::new()),
        &format!(
            "{HEAD}{}",
            case(
                1,
                "Publishes nothing",
                &[],
                None,
                "- no messages\n- no side effects"
            )
        ),
        &RunOptions::default(),
    );
    assert_eq!(missing.outcome, RunOutcome::Completed);
    let all = cases(&missing);
    assert_eq!(all[0].outcome, Outcome::Error, "{:#?}", verdicts(all[0]));
    let said = verdicts(all[0]);
    assert!(
        said.iter().all(|(_, verdict, message)| *verdict == "error"
            && message.contains(&format!("exchange {late} does not exist (yet)"))),
        "{said:?}"
    );
    // Declared (and kept by a binding of the test's own): observed.
    let admin = Admin::connect(&url);
    admin.run(async {
        let channel = &admin.channel;
        declare_exchange(channel, &late, lapin::ExchangeKind::Topic).await;
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.name().clone(),
                late.as_str().into(),
                "keep".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
    });
    let result = run_with(
        &broker_settings(&base, &url, vec![late.clone()], Vec::new()),
        &text,
        &RunOptions::default(),
    );
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_eq!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
}

#[test]
fn a_published_input_reaches_the_services_queue_and_is_not_counted_as_its_output() {
    let Some(url) = server_url("ITSPEC_TEST_AMQP_URL") else {
        return;
    };
    let (direct, service_queue) = (own("input"), own("input-service"));
    let consumed_queue = own("input-consumed");
    let admin = Admin::connect(&url);
    admin.run(async {
        let channel = &admin.channel;
        declare_exchange(channel, &direct, lapin::ExchangeKind::Direct).await;
        for queue in [&service_queue, &consumed_queue] {
            channel
                .queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
        }
        channel
            .queue_bind(
                service_queue.as_str().into(),
                direct.as_str().into(),
                "order.created".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
    });
    // The service's consumer of one queue, which takes each message.
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    admin.run(async {
        let mut consumer = admin
            .channel
            .basic_consume(
                consumed_queue.as_str().into(),
                "service".into(),
                lapin::options::BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let taken = taken.clone();
        admin.runtime.spawn(async move {
            use futures_util::StreamExt as _;
            while let Some(Ok(_)) = consumer.next().await {
                taken.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
    });
    let base = serve(api());
    let text = format!(
        "{HEAD}### TC-INT-001: An order is created\n\n\
         **Publish:** events {direct} order.created\n```json\n{{\"order_id\": 7}}\n```\n\n\
         **Assertions:**\n- no messages\n- no side effects\n\n---\n\n\
         ### TC-INT-002: Nobody listens\n\n\
         **Publish:** events {direct} order.unbound\n```json\n{{\"order_id\": 8}}\n```\n\n\
         **Assertions:**\n- no messages\n\n---\n\n\
         ### TC-INT-003: Straight to the queue\n\n\
         **Publish:** events {service_queue}\n- message-id: m-{{{{run_id}}}}\n- type: greeting\n- X-Trace: t-1\n\n```text\nhello\n```\n\n\
         **Assertions:**\n- no messages\n\n---\n\n\
         ### TC-INT-004: A queue the service consumes\n\n\
         **Publish:** events {consumed_queue}\n```text\ntaken\n```\n\n\
         **Assertions:**\n- no messages\n\n---\n\n"
    );
    let result = run_with(
        &broker_settings(
            &base,
            &url,
            vec![format!("{direct} order.created")],
            Vec::new(),
        ),
        &text,
        &RunOptions::default(),
    );
    assert_eq!(result.outcome, RunOutcome::Completed);
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    assert_ne!(all[1].outcome, Outcome::Passed, "{:#?}", verdicts(all[1]));
    let refused = verdicts(all[1]);
    assert!(
        refused[0].2.contains("routed the message to no queue"),
        "{refused:?}"
    );
    assert_eq!(all[2].outcome, Outcome::Passed, "{:#?}", verdicts(all[2]));
    // What the service left in its queue is a warning on the step that
    // published it (the first case's message too, routed there); what an
    // exchange routed is not followed, and a consumed queue holds nothing.
    let warnings = |case: &itspec_results::CaseResult| -> Vec<String> {
        case.checks
            .iter()
            .filter(|c| c.is_warning())
            .map(|c| format!("{}: {:?}", c.text, c.verdict))
            .collect()
    };
    let left = warnings(all[2]);
    assert_eq!(left.len(), 1, "{left:#?}");
    assert!(
        left[0].starts_with(&format!("Publish events {service_queue}: "))
            && left[0].contains(&format!(
                "queue {service_queue} still holds 2 ready messages at the end of the case, with no consumer"
            )),
        "{left:?}"
    );
    assert_eq!(warnings(all[0]), Vec::<String>::new());
    assert_eq!(all[3].outcome, Outcome::Passed, "{:#?}", verdicts(all[3]));
    assert_eq!(warnings(all[3]), Vec::<String>::new());
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(result.summary.warnings, 1);
    admin.run(async {
        let channel = &admin.channel;
        let mut bodies = Vec::new();
        while let Some(message) = channel
            .basic_get(
                service_queue.as_str().into(),
                lapin::options::BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap()
        {
            let properties = &message.delivery.properties;
            let content_type = properties.content_type().as_ref().map(|t| t.to_string());
            let (id, kind) = (properties.message_id().clone(), properties.kind().clone());
            let trace = properties
                .headers()
                .as_ref()
                .and_then(|t| t.inner().get("X-Trace").cloned());
            bodies.push((
                String::from_utf8(message.delivery.data.clone()).unwrap(),
                content_type,
            ));
            if bodies.len() == 2 {
                // Headers under a Publish line: properties by their AMQP
                // names, the rest in the headers table.
                assert!(id.is_some_and(|id| id.as_str().starts_with("m-") && id.as_str().len() > 2));
                assert_eq!(kind.map(|k| k.to_string()).as_deref(), Some("greeting"));
                assert!(
                    matches!(&trace, Some(lapin::types::AMQPValue::LongString(t)) if t.as_bytes() == b"t-1"),
                    "{trace:?}"
                );
            }
        }
        assert_eq!(
            bodies,
            [
                (
                    "{\"order_id\":7}".to_string(),
                    Some("application/json".to_string())
                ),
                (
                    "hello".to_string(),
                    Some("text/plain; charset=utf-8".to_string())
                )
            ]
        );
        for queue in [&service_queue, &consumed_queue] {
            channel
                .queue_delete(queue.as_str().into(), Default::default())
                .await
                .unwrap();
        }
    });
}
