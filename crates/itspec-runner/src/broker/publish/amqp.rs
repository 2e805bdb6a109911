//! Publishing on RabbitMQ: every message persistent and *mandatory* on one
//! channel in confirm mode, all sent before the first confirm is awaited.
//! A message no queue takes comes back (basic.return) and is an error.
//! Headers written under a message are its AMQP properties where they
//! name one (`message-id`, `correlation-id`, `type`, …) and its headers
//! table otherwise. A message sent to a queue (the default exchange) is
//! followed to the end of the case: the queue should have let it go.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Confirmation, Connection, ConnectionProperties};

use super::Outbound;
use crate::broker::backlog::Backlog;

pub(super) async fn publish(name: &str, url: &str, messages: &[&Outbound]) -> Vec<super::Answer> {
    let all = |why: String| messages.iter().map(|_| Err(why.clone())).collect();
    let connection = match Connection::connect(url, ConnectionProperties::default()).await {
        Ok(connection) => connection,
        Err(e) => return all(format!("cannot connect to broker {name}: {e}")),
    };
    let answers = async {
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let mut confirms = Vec::with_capacity(messages.len());
        for message in messages {
            let (key, exchange) = message.topic();
            let properties = match properties(message) {
                Ok(properties) => properties,
                Err(why) => {
                    confirms.push(Err(why));
                    continue;
                }
            };
            confirms.push(Ok(channel
                .basic_publish(
                    ShortString::from(exchange.unwrap_or_default()),
                    ShortString::from(key),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &message.body,
                    properties,
                )
                .await?));
        }
        let mut answers = Vec::with_capacity(confirms.len());
        for (message, confirm) in messages.iter().zip(confirms) {
            answers.push(match confirm {
                Ok(confirm) => answer(name, message, confirm.await),
                Err(why) => Err(why),
            });
        }
        Ok::<_, lapin::Error>(answers)
    }
    .await;
    let _ = connection.close(200, ShortString::from("OK")).await;
    answers.unwrap_or_else(|error| all(format!("broker {name} refused the message: {error}")))
}

/// What RabbitMQ's confirm says of one message.
fn answer(
    name: &str,
    message: &Outbound,
    confirmation: Result<Confirmation, lapin::Error>,
) -> super::Answer {
    let shown = match message.topic() {
        (key, Some(exchange)) => format!("exchange {exchange} with routing key {key}"),
        (queue, None) => format!("queue {queue}"),
    };
    match confirmation {
        // Sent to a queue, it waits there for the service; what an
        // exchange routes cannot be followed without the management API.
        Ok(Confirmation::Ack(None) | Confirmation::NotRequested) => Ok(match message.topic() {
            (queue, None) => Some(Backlog::Queue {
                queue: queue.to_string(),
            }),
            (_, Some(_)) => None,
        }),
        Ok(Confirmation::Ack(Some(_))) => Err(format!(
            "broker {name} routed the message to no queue ({shown}): nothing would consume it; is the consumer's queue declared and bound?"
        )),
        Ok(Confirmation::Nack(_)) => Err(format!("broker {name} refused the message ({shown})")),
        Err(error) => Err(format!(
            "broker {name} refused the message ({shown}): {error}"
        )),
    }
}

/// A message's AMQP properties: persistent, its content type, and its
/// headers — as the property they name, or in the headers table.
fn properties(message: &Outbound) -> Result<BasicProperties, String> {
    let mut properties = BasicProperties::default()
        .with_content_type(ShortString::from(message.content_type()))
        .with_delivery_mode(2);
    let mut table = FieldTable::default();
    for (name, value) in &message.headers {
        let text = || ShortString::from(value.as_str());
        properties = match name.to_ascii_lowercase().as_str() {
            "content-type" => properties,
            "content-encoding" => properties.with_content_encoding(text()),
            "message-id" => properties.with_message_id(text()),
            "correlation-id" => properties.with_correlation_id(text()),
            "reply-to" => properties.with_reply_to(text()),
            "type" => properties.with_type(text()),
            "app-id" => properties.with_app_id(text()),
            "user-id" => properties.with_user_id(text()),
            "expiration" => properties.with_expiration(text()),
            "priority" => properties.with_priority(value.parse().map_err(|_| {
                format!("header priority: `{value}` is not a priority from 0 to 255")
            })?),
            "delivery-mode" => properties.with_delivery_mode(match value.as_str() {
                "1" => 1,
                "2" => 2,
                _ => return Err(format!("header delivery-mode: `{value}` is neither 1 (transient) nor 2 (persistent)")),
            }),
            _ => {
                table.insert(
                    ShortString::from(name.as_str()),
                    AMQPValue::LongString(LongString::from(value.as_str())),
                );
                properties
            }
        };
    }
    if !table.inner().is_empty() {
        properties = properties.with_headers(table);
    }
    Ok(properties)
}
