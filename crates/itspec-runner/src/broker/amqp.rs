//! RabbitMQ (AMQP 0.9.1) as a broker: the watched exchanges, observed
//! through a queue of itspec's own — server-named, exclusive and
//! auto-delete, so it goes with itspec's connection and a killed itspec
//! leaves nothing behind — bound to each exchange so that it gets a copy
//! of every message the exchange routes. Nothing is taken from the
//! service's queues.
//!
//! A watch entry is `EXCHANGE` (every message: bound with `#` on a topic
//! exchange, as is on a fanout or headers exchange) or `EXCHANGE KEY` (the
//! messages of one binding key; a direct exchange can only be watched so,
//! as AMQP has no binding that takes every key of a direct exchange).
//! RabbitMQ does not say an exchange's type on a passive declare; it does
//! name the type of an existing exchange when a declare asks for another,
//! which is how it is learnt, on a channel of its own.
//!
//! An exchange the service has not declared yet is looked for again as
//! each case begins; while one is missing (a wrong name, another virtual
//! host), every answer about messages is an error.
//!
//! Settling: a marker itspec sends to its own queue through the default
//! exchange comes out after every message queued before it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::{mpsc, oneshot};

use super::{BrokerSettings, Inbox, Observer, Received};

/// How long connecting and binding may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a settling marker may take before the broker counts as lost.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);
/// The `type` property of itspec's settling markers.
const MARKER: &str = "itspec.settle";

/// One `watch` entry: an exchange, and the binding key when one is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    /// The exchange.
    pub exchange: String,
    /// `EXCHANGE KEY`: only this binding key.
    pub key: Option<String>,
}

impl Watched {
    /// Reads `EXCHANGE` or `EXCHANGE KEY`.
    pub fn parse(entry: &str) -> Result<Watched, String> {
        let mut words = entry.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(exchange), key, None) => Ok(Watched {
                exchange: exchange.to_string(),
                key: key.map(str::to_string),
            }),
            (None, _, _) => Err(
                "the default exchange cannot be watched: itspec would have to consume the service's own queue; have the service publish to a named exchange"
                    .to_string(),
            ),
            _ => Err("write an exchange, or an exchange and one binding key: \"orders\", \"orders order.created\"".to_string()),
        }
    }
}

/// Binds a queue of itspec's own to `broker`'s watched exchanges and
/// starts the task that puts what they route into `inbox`.
pub(super) async fn observe(
    name: &str,
    broker: &BrokerSettings,
    inbox: Arc<Inbox>,
) -> Result<Observer, String> {
    let mut pending = broker
        .watch
        .iter()
        .map(|entry| Watched::parse(entry))
        .collect::<Result<Vec<_>, _>>()?;
    let start = async {
        let connection = Connection::connect(&broker.url, ConnectionProperties::default())
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| format!("cannot open a channel: {e}"))?;
        let queue = channel
            .queue_declare(
                ShortString::from(""),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("cannot declare itspec's queue: {e}"))?
            .name()
            .clone();
        bind_declared(&connection, &channel, &queue, &mut pending).await?;
        inbox.set_missing(missing(name, &pending));
        let consumer = channel
            .basic_consume(
                queue.clone(),
                ShortString::from(""),
                BasicConsumeOptions {
                    no_ack: true,
                    exclusive: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("cannot consume itspec's queue: {e}"))?;
        Ok::<_, String>((connection, channel, queue, consumer))
    };
    let (connection, channel, queue, mut consumer) =
        match tokio::time::timeout(CONNECT_TIMEOUT, start).await {
            Ok(started) => started?,
            Err(_) => {
                return Err(format!(
                    "no answer within {} s: is RabbitMQ running there?",
                    CONNECT_TIMEOUT.as_secs()
                ));
            }
        };
    let (settle, mut requests) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let name = name.to_string();
    let take = {
        let inbox = inbox.clone();
        let name = name.clone();
        move |delivery: lapin::message::Delivery| {
            inbox.push(Received {
                broker: name.clone(),
                topic: delivery.routing_key.as_str().to_string(),
                headers: headers(&delivery),
                body: delivery.data,
                at: Instant::now(),
            });
        }
    };
    let lost = {
        let name = name.clone();
        move |why: &str| format!("broker {name}: {why}, so messages published since are not seen")
    };
    let task = tokio::spawn(async move {
        // Held for the task's life: itspec's queue goes with it.
        let connection = connection;
        let mut markers = 0u64;
        loop {
            tokio::select! {
                delivery = consumer.next() => match delivery {
                    Some(Ok(delivery)) if is_marker(&delivery) => {}
                    Some(Ok(delivery)) => take(delivery),
                    Some(Err(error)) => {
                        inbox.lose(lost(&format!("RabbitMQ closed itspec's queue ({error})")));
                        return;
                    }
                    None => {
                        inbox.lose(lost("RabbitMQ closed itspec's queue"));
                        return;
                    }
                },
                request = requests.recv() => {
                    let Some(reply) = request else { return };
                    if !pending.is_empty() {
                        match tokio::time::timeout(CONNECT_TIMEOUT, bind_declared(&connection, &channel, &queue, &mut pending)).await {
                            Ok(Ok(())) => {}
                            Ok(Err(why)) => {
                                inbox.lose(lost(&why));
                                return;
                            }
                            Err(_) => {
                                inbox.lose(lost(&format!(
                                    "binding itspec's queue took more than {} s",
                                    CONNECT_TIMEOUT.as_secs()
                                )));
                                return;
                            }
                        }
                        inbox.set_missing(missing(&name, &pending));
                    }
                    markers += 1;
                    let marker = format!("{MARKER}.{markers}");
                    let settled = async {
                        channel
                            .basic_publish(
                                ShortString::from(""),
                                queue.clone(),
                                BasicPublishOptions::default(),
                                b"",
                                BasicProperties::default()
                                    .with_type(ShortString::from(MARKER))
                                    .with_message_id(ShortString::from(marker.as_str())),
                            )
                            .await
                            .map_err(|e| format!("RabbitMQ refused a settling marker on itspec's queue ({e})"))?;
                        while let Some(delivery) = consumer.next().await {
                            match delivery {
                                Ok(delivery) if is_marker(&delivery) => {
                                    if delivery.properties.message_id().as_ref().map(ShortString::as_str) == Some(marker.as_str()) {
                                        return Ok(());
                                    }
                                }
                                Ok(delivery) => take(delivery),
                                Err(error) => return Err(format!("RabbitMQ closed itspec's queue ({error})")),
                            }
                        }
                        Err("RabbitMQ closed itspec's queue".to_string())
                    };
                    match tokio::time::timeout(SETTLE_TIMEOUT, settled).await {
                        Ok(Ok(())) => {}
                        Ok(Err(why)) => {
                            inbox.lose(lost(&why));
                            return;
                        }
                        Err(_) => {
                            inbox.lose(lost(&format!(
                                "a settling marker did not come back through itspec's queue within {} s",
                                SETTLE_TIMEOUT.as_secs()
                            )));
                            return;
                        }
                    }
                    let _ = reply.send(());
                }
            }
        }
    });
    Ok(Observer { task, settle })
}

/// Why the exchanges still pending make answers about messages errors: a
/// watched exchange that does not exist may be a wrong name (or vhost),
/// and then what the service publishes elsewhere is never seen.
fn missing(broker: &str, pending: &[Watched]) -> Option<String> {
    (!pending.is_empty()).then(|| {
        let names: Vec<&str> = pending.iter().map(|w| w.exchange.as_str()).collect();
        format!(
            "broker {broker}: exchange {} does not exist (yet) in the URL's virtual host, so itspec observes nothing there; check the name in `watch`, or have the service declare it when it starts",
            names.join(", ")
        )
    })
}

/// Binds `queue` to every exchange of `pending` that exists now, and
/// removes those from it; the rest wait for the service to declare them.
async fn bind_declared(
    connection: &Connection,
    channel: &Channel,
    queue: &ShortString,
    pending: &mut Vec<Watched>,
) -> Result<(), String> {
    let mut waiting = Vec::new();
    for watched in pending.drain(..) {
        let Some(kind) = exchange_kind(connection, &watched.exchange).await? else {
            waiting.push(watched);
            continue;
        };
        let key = match (kind.as_str(), &watched.key) {
            ("fanout" | "headers", Some(_)) => {
                return Err(format!(
                    "exchange {} is a {kind} exchange, which ignores routing keys: watch it as \"{}\", without a key",
                    watched.exchange, watched.exchange
                ));
            }
            (_, Some(key)) => key.clone(),
            ("topic", None) => "#".to_string(),
            ("fanout" | "headers", None) => String::new(),
            ("direct", None) => {
                return Err(format!(
                    "exchange {} is a direct exchange: AMQP has no binding that takes all of its routing keys, so name the ones to watch: \"{} order.created\"",
                    watched.exchange, watched.exchange
                ));
            }
            (other, None) => {
                return Err(format!(
                    "exchange {} is of type {other}, which itspec cannot bind to every message of; name a binding key: \"{} KEY\"",
                    watched.exchange, watched.exchange
                ));
            }
        };
        channel
            .queue_bind(
                queue.clone(),
                ShortString::from(watched.exchange.as_str()),
                ShortString::from(key.as_str()),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| {
                format!(
                    "cannot bind itspec's queue to exchange {}: {e}",
                    watched.exchange
                )
            })?;
    }
    *pending = waiting;
    Ok(())
}

/// The type of exchange `name` (`topic`, `direct`, …), or `None` when it
/// does not exist. Each probe has a channel of its own, as a refused
/// declare closes its channel.
async fn exchange_kind(connection: &Connection, name: &str) -> Result<Option<String>, String> {
    let declare = |passive: bool| async move {
        let probe = connection
            .create_channel()
            .await
            .map_err(|e| format!("cannot open a channel: {e}"))?;
        let answer = probe
            .exchange_declare(
                ShortString::from(name),
                ExchangeKind::Fanout,
                // Should the exchange vanish between the two declares, the
                // one this creates goes with itspec's binding.
                ExchangeDeclareOptions {
                    passive,
                    auto_delete: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await;
        if answer.is_ok() {
            let _ = probe.close(200, ShortString::from("OK")).await;
        }
        Ok::<_, String>(answer)
    };
    match declare(true).await? {
        Ok(()) => {}
        Err(error) if refusal(&error).is_some_and(|(code, _)| code == 404) => return Ok(None),
        Err(error) => return Err(format!("cannot look up exchange {name}: {error}")),
    }
    // It exists, so this declare creates nothing: it either matches the
    // exchange in every way (a no-op) or is refused with what differs,
    // the type first.
    match declare(false).await? {
        Ok(()) => Ok(Some("fanout".to_string())),
        Err(error) => match refusal(&error) {
            Some((406, message)) => match current_type(&message) {
                Some(kind) => Ok(Some(kind)),
                None if message.contains("inequivalent arg") => Ok(Some("fanout".to_string())),
                None => Err(format!(
                    "cannot learn the type of exchange {name}: {message}"
                )),
            },
            _ => Err(format!("cannot learn the type of exchange {name}: {error}")),
        },
    }
}

/// The reply code and text of an error the broker sent.
fn refusal(error: &lapin::Error) -> Option<(u16, String)> {
    match error.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => {
            Some((amqp.get_id(), amqp.get_message().as_str().to_string()))
        }
        _ => None,
    }
}

/// The current type RabbitMQ names in "inequivalent arg 'type' for
/// exchange 'x' in vhost '/': received 'fanout' but current is 'topic'".
fn current_type(message: &str) -> Option<String> {
    if !message.contains("inequivalent arg 'type'") {
        return None;
    }
    let (_, current) = message.rsplit_once("current is '")?;
    Some(current.split('\'').next()?.to_string())
}

/// Whether a delivery is one of itspec's settling markers.
fn is_marker(delivery: &lapin::message::Delivery) -> bool {
    delivery.exchange.as_str().is_empty()
        && delivery
            .properties
            .kind()
            .as_ref()
            .is_some_and(|kind| kind.as_str() == MARKER)
}

/// A delivery's exchange, properties and headers, as text.
fn headers(delivery: &lapin::message::Delivery) -> Vec<(String, String)> {
    let properties = &delivery.properties;
    let mut headers = vec![("exchange".to_string(), delivery.exchange.to_string())];
    let text = [
        ("content-type", properties.content_type()),
        ("content-encoding", properties.content_encoding()),
        ("correlation-id", properties.correlation_id()),
        ("reply-to", properties.reply_to()),
        ("expiration", properties.expiration()),
        ("message-id", properties.message_id()),
        ("type", properties.kind()),
        ("user-id", properties.user_id()),
        ("app-id", properties.app_id()),
    ];
    for (name, value) in text {
        if let Some(value) = value {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    if let Some(mode) = properties.delivery_mode() {
        headers.push(("delivery-mode".to_string(), mode.to_string()));
    }
    if let Some(priority) = properties.priority() {
        headers.push(("priority".to_string(), priority.to_string()));
    }
    if let Some(timestamp) = properties.timestamp() {
        headers.push(("timestamp".to_string(), timestamp.to_string()));
    }
    if let Some(table) = properties.headers() {
        for (name, value) in table {
            headers.push((name.to_string(), value_text(value)));
        }
    }
    headers
}

/// A header's value as text: strings as they are, the rest as written.
fn value_text(value: &AMQPValue) -> String {
    match value {
        AMQPValue::LongString(text) => itspec_results::message::text(text.as_bytes()),
        AMQPValue::ShortString(text) => text.to_string(),
        AMQPValue::Boolean(b) => b.to_string(),
        AMQPValue::ShortShortInt(n) => n.to_string(),
        AMQPValue::ShortShortUInt(n) => n.to_string(),
        AMQPValue::ShortInt(n) => n.to_string(),
        AMQPValue::ShortUInt(n) => n.to_string(),
        AMQPValue::LongInt(n) => n.to_string(),
        AMQPValue::LongUInt(n) => n.to_string(),
        AMQPValue::LongLongInt(n) => n.to_string(),
        AMQPValue::Float(n) => n.to_string(),
        AMQPValue::Double(n) => n.to_string(),
        AMQPValue::Timestamp(n) => n.to_string(),
        AMQPValue::Void => String::new(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_entries() {
        assert_eq!(
            Watched::parse("orders"),
            Ok(Watched {
                exchange: "orders".to_string(),
                key: None
            })
        );
        assert_eq!(
            Watched::parse("orders order.created"),
            Ok(Watched {
                exchange: "orders".to_string(),
                key: Some("order.created".to_string())
            })
        );
        assert!(
            Watched::parse(" ")
                .unwrap_err()
                .contains("default exchange")
        );
        assert!(Watched::parse("a b c").is_err());
    }

    #[test]
    fn the_type_rabbitmq_names() {
        let message = "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'orders' in vhost '/': received 'fanout' but current is 'topic'";
        assert_eq!(current_type(message).as_deref(), Some("topic"));
        let durable = "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'orders' in vhost '/': received 'false' but current is 'true'";
        assert_eq!(current_type(durable), None);
    }
}
