//! What a case published that the service left where the broker keeps it
//! (CHANNELS.md §6): at the end of the case, a RabbitMQ queue a message
//! was sent to should hold nothing ready, and a JetStream stream that
//! stored a message should have a consumer that took it. What is left is
//! a warning on the case, never drained: the queues and streams are the
//! service's. A Redis or MQTT message is the broker's no longer once it
//! is delivered, and what a RabbitMQ exchange routed cannot be followed
//! without the management API; those are not looked at.

use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::{FieldTable, ShortString};
use lapin::{Connection, ConnectionProperties};
use serde_json::Value;

/// Where the broker keeps a message until a consumer takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backlog {
    /// A RabbitMQ queue it was sent to through the default exchange.
    Queue {
        /// The queue's name.
        queue: String,
    },
    /// A JetStream stream that stored it.
    Stream {
        /// The stream's name.
        stream: String,
        /// The message's sequence number in the stream.
        seq: u64,
        /// The subject it was published on.
        subject: String,
    },
}

/// How long one question to the broker may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// What is still waiting in `backlog` for the service, in words; `None`
/// when the service took it.
pub(super) async fn left(url: &str, backlog: &Backlog) -> Result<Option<String>, String> {
    let asked = async {
        match backlog {
            Backlog::Queue { queue } => queue_left(url, queue).await,
            Backlog::Stream {
                stream,
                seq,
                subject,
            } => stream_left(url, stream, *seq, subject).await,
        }
    };
    tokio::time::timeout(TIMEOUT, asked)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())))
}

/// The ready messages of RabbitMQ queue `queue`, asked by a passive
/// declare (which changes nothing, and fails when the queue is gone).
async fn queue_left(url: &str, queue: &str) -> Result<Option<String>, String> {
    let connection = Connection::connect(url, ConnectionProperties::default())
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let declared = async {
        let channel = connection.create_channel().await?;
        channel
            .queue_declare(
                ShortString::from(queue),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
    }
    .await;
    let _ = connection.close(200, ShortString::from("OK")).await;
    // A queue deleted since (an auto-delete queue whose consumer left)
    // holds nothing.
    let Ok(declared) = declared else {
        return Ok(None);
    };
    let ready = declared.message_count();
    Ok((ready > 0).then(|| {
        let consumers = match declared.consumer_count() {
            0 => "no consumer".to_string(),
            1 => "1 consumer".to_string(),
            n => format!("{n} consumers"),
        };
        format!(
            "queue {queue} still holds {ready} ready message{} at the end of the case, with {consumers}: the service did not consume what the case published; is its consumer running?",
            if ready == 1 { "" } else { "s" }
        )
    }))
}

/// Whether a consumer of JetStream stream `stream` was delivered message
/// `seq` (on `subject`).
async fn stream_left(
    url: &str,
    stream: &str,
    seq: u64,
    subject: &str,
) -> Result<Option<String>, String> {
    let client = super::nats::connect(url, |_| {}).await?;
    let mut offset = 0;
    let mut consumers = 0;
    loop {
        let question = serde_json::json!({ "offset": offset }).to_string();
        let answer = client
            .request(format!("$JS.API.CONSUMER.LIST.{stream}"), question.into())
            .await
            .map_err(|e| format!("cannot list the consumers of stream {stream}: {e}"))?;
        let answer: Value = serde_json::from_slice(&answer.payload)
            .map_err(|e| format!("the consumers of stream {stream} cannot be read: {e}"))?;
        if let Some(error) = answer.get("error") {
            return Err(format!(
                "cannot list the consumers of stream {stream}: {error}"
            ));
        }
        let page = answer
            .get("consumers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let delivered = |consumer: &Value| {
            consumer
                .pointer("/delivered/stream_seq")
                .and_then(Value::as_u64)
                .is_some_and(|last| last >= seq)
        };
        if page.iter().any(delivered) {
            return Ok(None);
        }
        consumers += page.len();
        offset += page.len();
        let total = answer.get("total").and_then(Value::as_u64).unwrap_or(0);
        if page.is_empty() || offset as u64 >= total {
            break;
        }
    }
    let consumers = match consumers {
        0 => "it has no consumer".to_string(),
        1 => "its 1 consumer was not delivered it".to_string(),
        n => format!("none of its {n} consumers was delivered it"),
    };
    Ok(Some(format!(
        "stream {stream} still holds message {seq} on {subject} at the end of the case, and {consumers}: the service did not consume what the case published; is its consumer running?"
    )))
}
