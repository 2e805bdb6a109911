//! Publishing on RabbitMQ: every message persistent and *mandatory* on one
//! channel in confirm mode, all sent before the first confirm is awaited.
//! A message no queue takes comes back (basic.return) and is an error.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::ShortString;
use lapin::{BasicProperties, Confirmation, Connection, ConnectionProperties};

use super::Outbound;

pub(super) async fn publish(
    name: &str,
    url: &str,
    messages: &[&Outbound],
) -> Vec<Result<(), String>> {
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
            confirms.push(
                channel
                    .basic_publish(
                        ShortString::from(exchange.unwrap_or_default()),
                        ShortString::from(key),
                        BasicPublishOptions {
                            mandatory: true,
                            ..BasicPublishOptions::default()
                        },
                        &message.body,
                        BasicProperties::default()
                            .with_content_type(ShortString::from(message.content_type))
                            .with_delivery_mode(2),
                    )
                    .await?,
            );
        }
        let mut answers = Vec::with_capacity(confirms.len());
        for (message, confirm) in messages.iter().zip(confirms) {
            answers.push(answer(name, message, confirm.await));
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
) -> Result<(), String> {
    let shown = match message.topic() {
        (key, Some(exchange)) => format!("exchange {exchange} with routing key {key}"),
        (queue, None) => format!("queue {queue}"),
    };
    match confirmation {
        Ok(Confirmation::Ack(None) | Confirmation::NotRequested) => Ok(()),
        Ok(Confirmation::Ack(Some(_))) => Err(format!(
            "broker {name} routed the message to no queue ({shown}): nothing would consume it; is the consumer's queue declared and bound?"
        )),
        Ok(Confirmation::Nack(_)) => Err(format!("broker {name} refused the message ({shown})")),
        Err(error) => Err(format!(
            "broker {name} refused the message ({shown}): {error}"
        )),
    }
}
