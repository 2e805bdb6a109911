//! Publishing a message as the input of a case (CHANNELS.md §4): on its
//! own short connection, confirmed by the broker before the case goes on,
//! so the assertions that follow wait for what the message caused, never
//! for the message itself. A broker on another host is refused unless
//! `allow_remote` says it is a disposable one.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::ShortString;
use lapin::{BasicProperties, Confirmation, Connection, ConnectionProperties};

use futures_util::StreamExt as _;

use super::{BrokerKind, BrokerSettings};

/// Publishes `body` to `destination` (Redis: a channel; RabbitMQ: an
/// exchange and a routing key, or a queue's name alone for the default
/// exchange; NATS: a subject; MQTT: a topic). A message that reaches no subscriber or queue of the
/// service is an error: nothing would consume it.
pub async fn publish(
    name: &str,
    settings: &BrokerSettings,
    destination: &[String],
    body: &[u8],
    content_type: &str,
) -> Result<(), String> {
    if !settings.allow_remote
        && let Some(reason) = remote_reason(&settings.url).await
    {
        return Err(format!(
            "refusing to publish to broker {name}: it may not be on this machine ({reason}); if it is a disposable test broker, set `allow_remote = true` under [brokers.{name}]"
        ));
    }
    match settings.kind {
        BrokerKind::Redis => {
            let [channel] = destination else {
                return Err(format!(
                    "broker {name} is Redis: name one channel, like `**Publish:** {name} orders:created`"
                ));
            };
            let client = ::redis::Client::open(settings.url.as_str())
                .map_err(|e| format!("not a Redis URL: {e}"))?;
            let mut connection = client
                .get_multiplexed_async_connection()
                .await
                .map_err(|e| format!("cannot connect to broker {name}: {e}"))?;
            let receivers: i64 = ::redis::cmd("PUBLISH")
                .arg(channel)
                .arg(body)
                .query_async(&mut connection)
                .await
                .map_err(|e| format!("broker {name} refused the message: {e}"))?;
            // Each of itspec's own patterns that matches counts once.
            let own = settings
                .watch
                .iter()
                .filter(|w| itspec_spec::topics::TopicRules::Redis.matches(w, channel))
                .collect::<std::collections::BTreeSet<_>>()
                .len() as i64;
            if receivers <= own {
                return Err(format!(
                    "no subscriber of the service got the message on channel {channel} (broker {name}): nothing would consume it; is the consumer subscribed?"
                ));
            }
            Ok(())
        }
        BrokerKind::Amqp => {
            let (exchange, key) = match destination {
                [queue] => ("", queue.as_str()),
                [exchange, key] => (exchange.as_str(), key.as_str()),
                _ => {
                    return Err(format!(
                        "broker {name} is RabbitMQ: name an exchange and a routing key (`{name} orders order.created`), or a queue alone (`{name} tasks`)"
                    ));
                }
            };
            amqp(name, &settings.url, exchange, key, body, content_type).await
        }
        BrokerKind::Nats => {
            let [subject] = destination else {
                return Err(format!(
                    "broker {name} is NATS: name one subject, like `**Publish:** {name} orders.created`"
                ));
            };
            nats(name, &settings.url, subject, body).await
        }
        BrokerKind::Mqtt => {
            let [topic] = destination else {
                return Err(format!(
                    "broker {name} is MQTT: name one topic, like `**Publish:** {name} devices/7/commands`"
                ));
            };
            super::mqtt::publish(name, &settings.url, topic, body, content_type).await
        }
    }
}

/// A confirmed, mandatory publish: a message no queue takes is an error,
/// as nothing would consume it.
async fn amqp(
    name: &str,
    url: &str,
    exchange: &str,
    key: &str,
    body: &[u8],
    content_type: &str,
) -> Result<(), String> {
    let connection = Connection::connect(url, ConnectionProperties::default())
        .await
        .map_err(|e| format!("cannot connect to broker {name}: {e}"))?;
    let sent = async {
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        channel
            .basic_publish(
                ShortString::from(exchange),
                ShortString::from(key),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                body,
                BasicProperties::default()
                    .with_content_type(ShortString::from(content_type))
                    .with_delivery_mode(2),
            )
            .await?
            .await
    };
    let confirmation = sent.await;
    let _ = connection.close(200, ShortString::from("OK")).await;
    let shown = if exchange.is_empty() {
        format!("queue {key}")
    } else {
        format!("exchange {exchange} with routing key {key}")
    };
    match confirmation {
        Ok(Confirmation::Ack(None)) => Ok(()),
        Ok(Confirmation::Ack(Some(_))) => Err(format!(
            "broker {name} routed the message to no queue ({shown}): nothing would consume it; is the consumer's queue declared and bound?"
        )),
        Ok(Confirmation::Nack(_)) => Err(format!("broker {name} refused the message ({shown})")),
        Ok(Confirmation::NotRequested) => Ok(()),
        Err(error) => Err(format!(
            "broker {name} refused the message ({shown}): {error}"
        )),
    }
}

/// A NATS publish with a reply subject of itspec's own, so that NATS
/// answers "no responders" when nothing — no subscriber, no stream — has
/// the subject; a marker sent after it to the same subject tells when
/// that answer would have come. The service may answer the reply subject
/// or a stream acknowledge it: both are ignored.
async fn nats(name: &str, url: &str, subject: &str, body: &[u8]) -> Result<(), String> {
    let client = super::nats::connect(url, |_| {})
        .await
        .map_err(|e| format!("broker {name}: {e}"))?;
    let replies = client.new_inbox();
    let mut answers = client
        .subscribe(replies.clone())
        .await
        .map_err(|e| format!("broker {name}: cannot subscribe to {replies}: {e}"))?;
    const MARKER: &[u8] = b"itspec.published";
    let sent = async {
        client
            .publish_with_reply(subject.to_string(), replies.clone(), body.to_vec().into())
            .await?;
        client
            .publish(replies.clone(), MARKER.to_vec().into())
            .await?;
        client.flush().await?;
        Ok::<_, async_nats::Error>(())
    };
    sent.await
        .map_err(|e| format!("broker {name} refused the message on {subject}: {e}"))?;
    while let Some(answer) = answers.next().await {
        if answer.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            return Err(format!(
                "no subscriber or stream of the service has subject {subject} (broker {name}): nothing would consume the message; is the consumer subscribed?"
            ));
        }
        if answer.status.is_none() && answer.payload.as_ref() == MARKER {
            return Ok(());
        }
    }
    Err(format!(
        "broker {name} closed the connection before the message on {subject} was confirmed"
    ))
}

/// Why the broker at `url` may not be this machine.
async fn remote_reason(url: &str) -> Option<String> {
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(e) => return Some(format!("its URL cannot be read ({e})")),
    };
    let host = parsed.host_str()?;
    let port = parsed.port().unwrap_or(match parsed.scheme() {
        "amqp" => 5672,
        "nats" => 4222,
        "mqtt" => 1883,
        _ => 6379,
    });
    crate::db::host_reason(host, port).await
}
