//! Message brokers the service publishes to (CHANNELS.md): which kinds
//! there are, and observing the watched topics of each for a worker's
//! whole life, through itspec's own subscriptions, into one [`Inbox`].
//! Each kind is a file; `channel/messages.rs` makes them a side-effect
//! channel of every case.

mod amqp;
mod backlog;
mod inbox;
mod journal;
mod keys;
mod mqtt;
mod nats;
mod publish;
mod read_key;
mod redis;
mod redis_streams;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub use amqp::Watched as AmqpWatched;
pub use backlog::Backlog;
pub use inbox::{Inbox, Received, after};
use itspec_spec::topics::TopicRules;
pub use journal::{brokers_of, notes, record};
pub use publish::{Answer, Outbound};

/// The kinds of broker, by their URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerKind {
    /// `redis://`: pub/sub channels.
    Redis,
    /// `amqp://`: RabbitMQ.
    Amqp,
    /// `nats://`.
    Nats,
    /// `mqtt://`.
    Mqtt,
}

impl BrokerKind {
    /// The kind a URL names, from its scheme.
    pub fn of_url(url: &str) -> Option<BrokerKind> {
        let scheme = url.split_once("://")?.0.to_ascii_lowercase();
        Some(match scheme.as_str() {
            "redis" => BrokerKind::Redis,
            "amqp" => BrokerKind::Amqp,
            "nats" => BrokerKind::Nats,
            "mqtt" => BrokerKind::Mqtt,
            _ => return None,
        })
    }

    /// Its name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            BrokerKind::Redis => "Redis",
            BrokerKind::Amqp => "RabbitMQ",
            BrokerKind::Nats => "NATS",
            BrokerKind::Mqtt => "MQTT",
        }
    }

    /// Its wildcards.
    pub fn rules(self) -> TopicRules {
        match self {
            BrokerKind::Redis => TopicRules::Redis,
            BrokerKind::Amqp => TopicRules::Amqp,
            BrokerKind::Nats => TopicRules::Nats,
            BrokerKind::Mqtt => TopicRules::Mqtt,
        }
    }
}

/// A lock whose holder panicked still guards whole data here (maps of
/// records and waiters): it is taken as it is.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `[channels]`: how long assertions on messages wait (CHANNELS.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waits {
    /// For a message that makes `message … received` or `messages …
    /// count` hold.
    pub wait: Duration,
    /// After the case's last step, for messages that come late, before
    /// `no messages` and `no side effects` hold.
    pub quiet: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(2),
            quiet: Duration::from_millis(200),
        }
    }
}

/// `[brokers.NAME]`.
#[derive(Clone, Debug)]
pub struct BrokerSettings {
    /// Which broker.
    pub kind: BrokerKind,
    /// Where it is.
    pub url: String,
    /// The topics observed.
    pub watch: Vec<String>,
    /// Publishing to a broker on another host is allowed.
    pub allow_remote: bool,
    /// Redis key patterns recorded before each case and put back after.
    pub keys: Vec<String>,
}

impl BrokerSettings {
    /// Its settings for worker `worker` (from 1): `{{worker}}` replaced
    /// in what it watches and tracks.
    pub fn for_worker(&self, worker: usize) -> BrokerSettings {
        let mine = |patterns: &[String]| -> Vec<String> {
            patterns
                .iter()
                .map(|pattern| with_worker(pattern, &worker.to_string()))
                .collect()
        };
        BrokerSettings {
            watch: mine(&self.watch),
            keys: mine(&self.keys),
            ..self.clone()
        }
    }

    /// Whether every topic it watches and every key it tracks names the
    /// worker, so no two workers observe the same.
    pub fn split_per_worker(&self) -> bool {
        self.watch
            .iter()
            .chain(&self.keys)
            .all(|pattern| with_worker(pattern, "") != *pattern)
    }
}

/// `pattern` with every `{{worker}}` (spaces inside the braces allowed)
/// replaced by `worker`.
pub fn with_worker(pattern: &str, worker: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some((before, after)) = rest.split_once("{{") {
        let Some((inner, tail)) = after.split_once("}}") else {
            break;
        };
        out.push_str(before);
        if inner.trim() == "worker" {
            out.push_str(worker);
        } else {
            out.push_str("{{");
            out.push_str(inner);
            out.push_str("}}");
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// A broker that cannot be observed: the environment fails (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("[brokers.{name}] {url}: {message}")]
pub struct BrokerError {
    /// The broker.
    pub name: String,
    /// Where it is, credentials hidden.
    pub url: String,
    /// Why.
    pub message: String,
}

/// One broker's observer: its task, and how to ask it to settle.
pub(crate) struct Observer {
    task: tokio::task::JoinHandle<()>,
    /// Each request is answered once every message the broker sent
    /// before it is in the inbox.
    settle: tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>,
}

/// The brokers of a worker, observed from start to stop.
pub struct Brokers {
    inbox: Arc<Inbox>,
    settings: BTreeMap<String, BrokerSettings>,
    kinds: BTreeMap<String, BrokerKind>,
    watch: BTreeMap<String, Vec<String>>,
    observers: Vec<Observer>,
    keys: Vec<keys::TrackedKeys>,
}

impl std::fmt::Debug for Brokers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brokers")
            .field("kinds", &self.kinds)
            .finish()
    }
}

impl Brokers {
    /// Connects to every broker and subscribes to its watched topics; an
    /// observer then runs for each until [`Brokers`] is dropped. Returns
    /// only once every subscription is in place, so nothing published
    /// after it is missed.
    pub async fn start(
        settings: &BTreeMap<String, BrokerSettings>,
    ) -> Result<Brokers, BrokerError> {
        let inbox = Arc::new(Inbox::default());
        let mut brokers = Brokers::none();
        brokers.inbox = inbox.clone();
        brokers.settings = settings.clone();
        for (name, broker) in settings {
            let fail = |message: String| BrokerError {
                name: name.clone(),
                url: crate::redact::url::hide_credentials(&broker.url, "***"),
                message,
            };
            // A Redis broker that only tracks keys has nothing to observe.
            let observer = match broker.kind {
                _ if broker.watch.is_empty() => None,
                BrokerKind::Redis => Some(
                    redis::observe(name, broker, inbox.clone())
                        .await
                        .map_err(fail)?,
                ),
                BrokerKind::Amqp => Some(
                    amqp::observe(name, broker, inbox.clone())
                        .await
                        .map_err(fail)?,
                ),
                BrokerKind::Nats => Some(
                    nats::observe(name, broker, inbox.clone())
                        .await
                        .map_err(fail)?,
                ),
                BrokerKind::Mqtt => Some(
                    mqtt::observe(name, broker, inbox.clone())
                        .await
                        .map_err(fail)?,
                ),
            };
            if !broker.keys.is_empty() {
                if !broker.allow_remote
                    && let Some(reason) = publish::remote_reason(&broker.url).await
                {
                    return Err(fail(format!(
                        "refusing to record and put back keys: it may not be on this machine ({reason}); if it is a disposable test Redis, set `allow_remote = true`"
                    )));
                }
                brokers.keys.push(
                    keys::TrackedKeys::open(name, &broker.url, &broker.keys)
                        .await
                        .map_err(fail)?,
                );
            }
            brokers.kinds.insert(name.clone(), broker.kind);
            brokers.watch.insert(name.clone(), broker.watch.clone());
            brokers.observers.extend(observer);
        }
        Ok(brokers)
    }

    /// No brokers.
    pub fn none() -> Brokers {
        Brokers {
            inbox: Arc::new(Inbox::default()),
            settings: BTreeMap::new(),
            kinds: BTreeMap::new(),
            watch: BTreeMap::new(),
            observers: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// Records the tracked keys of every broker (before a case).
    pub async fn record_keys(&self) -> Result<(), String> {
        for tracked in &self.keys {
            tracked.record().await?;
        }
        Ok(())
    }

    /// Puts every tracked key back as last recorded (after a case, before
    /// a further iteration, and when the run stops).
    pub async fn restore_keys(&self) -> Result<(), String> {
        for tracked in &self.keys {
            tracked.restore().await?;
        }
        Ok(())
    }

    /// The value of Redis key `key` on broker `name` (or the seconds it
    /// has left, with `ttl`); `None` when it is not there.
    pub async fn read_key(
        &self,
        name: &str,
        key: &str,
        ttl: bool,
    ) -> Result<Option<serde_json::Value>, String> {
        let settings = self.settings.get(name).ok_or_else(|| self.unknown(name))?;
        if settings.kind != BrokerKind::Redis {
            return Err(format!(
                "broker {name} is {}: only Redis has keys",
                settings.kind.name()
            ));
        }
        let client = ::redis::Client::open(settings.url.as_str())
            .map_err(|e| format!("not a Redis URL: {e}"))?;
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| format!("cannot connect to broker {name}: {e}"))?;
        read_key::value(&mut connection, key, ttl).await
    }

    /// How the tracked keys differ from the record, one line per key.
    pub async fn key_changes(&self) -> Result<Vec<String>, String> {
        let mut changes = Vec::new();
        for tracked in &self.keys {
            changes.extend(tracked.changes().await?);
        }
        Ok(changes)
    }

    /// Waits until every message each broker sent so far is in the inbox
    /// (a broker that does not answer is lost: see [`Inbox::lost`]).
    pub async fn settle(&self) {
        let mut replies = Vec::with_capacity(self.observers.len());
        for observer in &self.observers {
            let (reply, answered) = tokio::sync::oneshot::channel();
            // An observer that is gone has marked its broker lost.
            if observer.settle.send(reply).is_ok() {
                replies.push(answered);
            }
        }
        for answered in replies {
            let _ = answered.await;
        }
    }

    /// What of a message broker `name` keeps in `backlog` the service
    /// has not taken, in words (`None`: it took it).
    pub async fn left(&self, name: &str, backlog: &Backlog) -> Result<Option<String>, String> {
        match self.settings.get(name) {
            Some(settings) => backlog::left(&settings.url, backlog).await,
            None => Err(self.unknown(name)),
        }
    }

    /// Publishes messages (the input of a case, or one group of its
    /// Actions), each broker's together on one connection, the brokers at
    /// once; one answer for each message, in order.
    pub async fn publish(&self, messages: &[Outbound]) -> Vec<Answer> {
        // A broker that blocks publishers (a memory alarm) fails the step
        // rather than hang the case.
        const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
        let mut by_broker: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, message) in messages.iter().enumerate() {
            by_broker.entry(&message.broker).or_default().push(index);
        }
        let batches = by_broker.into_iter().map(|(name, indexes)| async move {
            let batch: Vec<&Outbound> = indexes.iter().filter_map(|i| messages.get(*i)).collect();
            let answers = match self.settings.get(name) {
                None => {
                    let why = self.unknown(name);
                    batch.iter().map(|_| Err(why.clone())).collect()
                }
                Some(settings) => {
                    match tokio::time::timeout(
                        PUBLISH_TIMEOUT,
                        publish::publish(name, settings, &batch),
                    )
                    .await
                    {
                        Ok(answers) => answers,
                        Err(_) => {
                            let why = format!(
                                "broker {name} did not take the message within {} s",
                                PUBLISH_TIMEOUT.as_secs()
                            );
                            batch.iter().map(|_| Err(why.clone())).collect()
                        }
                    }
                }
            };
            indexes.into_iter().zip(answers).collect::<Vec<_>>()
        });
        let mut answers: Vec<Answer> = messages
            .iter()
            .map(|_| Err("not published".to_string()))
            .collect();
        for (index, answer) in futures_util::future::join_all(batches)
            .await
            .into_iter()
            .flatten()
        {
            if let Some(slot) = answers.get_mut(index) {
                *slot = answer;
            }
        }
        // Watched, a message comes back through itspec's own subscription:
        // it is the case's input, not something the service published.
        let watched: Vec<&Outbound> = messages
            .iter()
            .zip(&answers)
            .filter(|(message, answer)| answer.is_ok() && self.watches(message))
            .map(|(message, _)| message)
            .collect();
        if !watched.is_empty() {
            self.settle().await;
            for message in watched {
                let (topic, exchange) = message.topic();
                self.inbox.forget(|m| {
                    m.broker == message.broker
                        && m.topic == topic
                        && m.body == message.body
                        && exchange.is_none_or(|exchange| {
                            m.headers
                                .first()
                                .is_some_and(|(h, v)| h == "exchange" && v == exchange)
                        })
                });
            }
        }
        answers
    }

    /// Whether a published message comes back through itspec's own
    /// subscriptions.
    fn watches(&self, message: &Outbound) -> bool {
        let Some(settings) = self.settings.get(&message.broker) else {
            return false;
        };
        let (topic, exchange) = message.topic();
        match settings.kind {
            // Sent straight to a queue, it passes no watched exchange.
            BrokerKind::Amqp => exchange.is_some_and(|exchange| {
                settings.watch.iter().any(|w| {
                    amqp::Watched::parse(w).is_ok_and(|w| {
                        w.exchange == exchange
                            && w.key
                                .as_deref()
                                .is_none_or(|k| TopicRules::Amqp.matches(k, topic))
                    })
                })
            }),
            kind => settings
                .watch
                .iter()
                .any(|w| kind.rules().matches(w, topic)),
        }
    }

    /// Why broker `name` cannot be used: there is none by that name.
    pub fn unknown(&self, name: &str) -> String {
        let known: Vec<&str> = self.settings.keys().map(String::as_str).collect();
        format!(
            "no broker is named `{name}`: the brokers are {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )
    }

    /// What broker `name` watches.
    pub fn watch(&self, name: &str) -> &[String] {
        self.watch.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether there are any.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// What they carry.
    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// Each broker's kind, by name.
    pub fn kinds(&self) -> &BTreeMap<String, BrokerKind> {
        &self.kinds
    }
}

impl Drop for Brokers {
    fn drop(&mut self) {
        // The subscriptions end with their connections.
        for observer in &self.observers {
            observer.task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_placeholders_give_each_worker_its_own_topics_and_keys() {
        assert_eq!(with_worker("orders.w{{worker}}.>", "2"), "orders.w2.>");
        assert_eq!(
            with_worker("a{{ worker }}b{{other}}c{{", "3"),
            "a3b{{other}}c{{"
        );
        let split = BrokerSettings {
            kind: BrokerKind::Redis,
            url: "redis://127.0.0.1:6379/0".into(),
            watch: vec!["w{{worker}}:events:*".into()],
            allow_remote: false,
            keys: vec!["w{{worker}}:cart:*".into()],
        };
        assert!(split.split_per_worker());
        let mine = split.for_worker(2);
        assert_eq!(
            (mine.watch[0].as_str(), mine.keys[0].as_str()),
            ("w2:events:*", "w2:cart:*")
        );
        // One shared pattern is enough to share the broker.
        let shared = BrokerSettings {
            keys: vec!["cart:*".into()],
            ..split
        };
        assert!(!shared.split_per_worker());
    }
}
