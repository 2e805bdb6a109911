//! Publishing messages as the input of a case (CHANNELS.md §4): a case's
//! `**Publish:**`, or the `Publish` steps of one group of its Actions,
//! sent together on one short connection and confirmed by the broker
//! before the case goes on, so the assertions that follow wait for what
//! the messages caused, never for the messages themselves. A message that
//! reaches nothing of the service is an error: nothing would consume it.
//! A broker on another host is refused unless `allow_remote` says it is
//! a disposable one. Each kind is a file. Where the broker keeps a
//! message until a consumer takes it (a RabbitMQ queue, a JetStream
//! stream), the answer says where, so the end of the case can tell
//! whether the service took it (`backlog.rs`).

mod amqp;
mod mqtt;
mod nats;
mod redis;

use super::backlog::Backlog;
use super::{BrokerKind, BrokerSettings};

/// What a broker answers of one message: taken, and where it waits for a
/// consumer when the broker keeps it; or why not.
pub type Answer = Result<Option<Backlog>, String>;

/// A message to publish.
#[derive(Clone, Debug)]
pub struct Outbound {
    /// The broker's name (`[brokers.NAME]`).
    pub broker: String,
    /// Where, as the broker has it: a Redis channel; a RabbitMQ exchange
    /// and routing key, or a queue alone (the default exchange); a NATS
    /// subject; an MQTT topic.
    pub destination: Vec<String>,
    /// The body.
    pub body: Vec<u8>,
    /// Its content type, for brokers that carry one (a `content-type`
    /// header wins).
    pub content_type: &'static str,
    /// Its headers or properties, as written: RabbitMQ properties by
    /// their AMQP names and the headers table, NATS headers, MQTT 5
    /// properties and user properties.
    pub headers: Vec<(String, String)>,
}

impl Outbound {
    /// Its content type: a `content-type` header's, else the body's.
    pub(super) fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or(self.content_type)
    }

    /// The value of header `name` (any case), if it has one.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The topic it is published on (the RabbitMQ routing key), and the
    /// exchange on RabbitMQ.
    pub(super) fn topic(&self) -> (&str, Option<&str>) {
        match self.destination.as_slice() {
            [exchange, key] => (key.as_str(), Some(exchange.as_str())),
            [topic] => (topic.as_str(), None),
            _ => ("", None),
        }
    }
}

/// Publishes `messages`, all on broker `name`, as close together as the
/// broker allows; one answer for each, in order.
pub async fn publish(name: &str, settings: &BrokerSettings, messages: &[&Outbound]) -> Vec<Answer> {
    let all = |why: String| messages.iter().map(|_| Err(why.clone())).collect();
    if !settings.allow_remote
        && let Some(reason) = remote_reason(&settings.url).await
    {
        return all(format!(
            "refusing to publish to broker {name}: it may not be on this machine ({reason}); if it is a disposable test broker, set `allow_remote = true` under [brokers.{name}]"
        ));
    }
    // Each message's destination, as its broker has them.
    let mut answers: Vec<Option<Answer>> = messages
        .iter()
        .map(|m| destination_error(name, settings.kind, m).map(Err))
        .collect();
    let valid: Vec<&Outbound> = messages
        .iter()
        .zip(&answers)
        .filter(|(_, answer)| answer.is_none())
        .map(|(m, _)| *m)
        .collect();
    if !valid.is_empty() {
        let url = settings.url.as_str();
        let sent = match settings.kind {
            BrokerKind::Redis => redis::publish(name, settings, &valid).await,
            BrokerKind::Amqp => amqp::publish(name, url, &valid).await,
            BrokerKind::Nats => nats::publish(name, url, &valid).await,
            BrokerKind::Mqtt => mqtt::publish(name, url, &valid).await,
        };
        let mut sent = sent.into_iter();
        for answer in answers.iter_mut().filter(|a| a.is_none()) {
            *answer = sent.next();
        }
    }
    answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| Err(format!("broker {name} gave no answer"))))
        .collect()
}

/// Why a message cannot go to broker `name` as written, if it cannot:
/// its destination is not one of the broker's, or it has headers the
/// broker cannot carry.
fn destination_error(name: &str, kind: BrokerKind, message: &Outbound) -> Option<String> {
    if kind == BrokerKind::Redis && !message.headers.is_empty() {
        return Some(format!(
            "broker {name} is Redis, whose pub/sub messages carry no headers: put what they say in the body"
        ));
    }
    let destination = &message.destination;
    let fits = match kind {
        BrokerKind::Amqp => matches!(destination.len(), 1 | 2),
        _ => destination.len() == 1,
    };
    (!fits).then(|| match kind {
        BrokerKind::Redis => format!(
            "broker {name} is Redis: name one channel, like `**Publish:** {name} orders:created`"
        ),
        BrokerKind::Amqp => format!(
            "broker {name} is RabbitMQ: name an exchange and a routing key (`{name} orders order.created`), or a queue alone (`{name} tasks`)"
        ),
        BrokerKind::Nats => format!(
            "broker {name} is NATS: name one subject, like `**Publish:** {name} orders.created`"
        ),
        BrokerKind::Mqtt => format!(
            "broker {name} is MQTT: name one topic, like `**Publish:** {name} devices/7/commands`"
        ),
    })
}

/// Why the broker at `url` may not be this machine.
pub(super) async fn remote_reason(url: &str) -> Option<String> {
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
