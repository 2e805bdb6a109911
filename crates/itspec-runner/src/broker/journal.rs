//! What brokers carried, as the result tree and failures show it.

use std::time::Instant;

use super::Received;
use itspec_results::Message;

/// The brokers that carried `messages`, each once, in order.
pub fn brokers_of(messages: &[Received]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for message in messages {
        if !names.contains(&message.broker) {
            names.push(message.broker.clone());
        }
    }
    names
}

/// Each message as it is shown: broker, topic and body.
pub fn notes(messages: &[Received], since: Instant) -> Vec<String> {
    messages
        .iter()
        .map(|received| {
            format!(
                "{} carried: {}",
                received.broker,
                record(received, since).summary()
            )
        })
        .collect()
}

/// A message as the result tree holds it.
pub fn record(received: &Received, since: Instant) -> Message {
    let at_ms = received
        .at
        .checked_duration_since(since)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0;
    Message::new(
        received.topic.clone(),
        received.headers.clone(),
        &received.body,
        (at_ms * 10.0).round() / 10.0,
    )
}
