//! NATS as a broker: the watched subjects, observed through core
//! subscriptions of itspec's own. A subscription takes a copy of every
//! message on its subjects — JetStream streams included, as a stream
//! stores what is published on its subjects — and consumes nothing from
//! the service's subscriptions, queue groups or stream consumers. It ends
//! with its connection, so a killed itspec leaves nothing behind.
//!
//! Settling: a marker itspec publishes to an inbox subject of its own
//! comes back on the same connection after every message NATS routed to
//! it before. A connection that breaks loses the broker: NATS does not
//! keep what was published while a client was away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::{Client, ConnectOptions, Event, Message};
use futures_util::stream::{BoxStream, SelectAll};
use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::{mpsc, oneshot};

use super::{BrokerSettings, Inbox, Observer, Received};

/// The prefix of itspec's own inbox subjects (settling markers, and the
/// replies and markers of a publish): never a message of the service,
/// even when a watched subject (`>`) covers it.
pub(super) const INBOX: &str = "_ITSPEC_INBOX";

/// How long connecting and subscribing may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a settling marker may take before the broker counts as lost.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

/// Each subscription's messages, tagged with the watch entry they came
/// through (`None`: itspec's settling markers).
type Subscriptions = SelectAll<BoxStream<'static, (Option<usize>, Message)>>;

/// Whether a message is itspec's own: on one of its inbox subjects, or a
/// question to the JetStream API it asked (which streams keep a subject,
/// which consumers a stream has) with its answer to come to its inbox.
fn own(subject: &str, reply: Option<&str>) -> bool {
    let inbox = |subject: &str| {
        subject
            .strip_prefix(INBOX)
            .is_some_and(|rest| rest.starts_with('.'))
    };
    inbox(subject) || (subject.starts_with("$JS.API.") && reply.is_some_and(inbox))
}

/// Connects to a NATS server, with itspec's connect timeout; `events`
/// hears of the connection breaking.
pub(super) async fn connect(
    url: &str,
    events: impl Fn(Event) + Send + Sync + 'static,
) -> Result<Client, String> {
    let events = Arc::new(events);
    let options = ConnectOptions::new()
        .connection_timeout(CONNECT_TIMEOUT)
        .custom_inbox_prefix(INBOX)
        .event_callback(move |event| {
            let events = events.clone();
            async move { events(event) }
        });
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect(url)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(error)) => Err(format!("cannot connect: {error}")),
        Err(_) => Err(format!(
            "no answer within {} s: is NATS running there?",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// Subscribes to `broker`'s watched subjects and starts the task that
/// puts what they carry into `inbox`.
pub(super) async fn observe(
    name: &str,
    broker: &BrokerSettings,
    inbox: Arc<Inbox>,
) -> Result<Observer, String> {
    let lost = {
        let name = name.to_string();
        move |why: &str| format!("broker {name}: {why}, so messages published since are not seen")
    };
    let client = {
        let inbox = inbox.clone();
        let lost = lost.clone();
        connect(&broker.url, move |event| match event {
            Event::Disconnected => inbox.lose(lost("the connection to NATS broke")),
            Event::SlowConsumer(_) => {
                inbox.lose(lost("NATS dropped messages itspec read too slowly"))
            }
            Event::Closed => inbox.lose(lost("the connection to NATS closed")),
            _ => {}
        })
        .await?
    };
    let marker_subject = client.new_inbox();
    let subscribe = async {
        let mut subscriptions = Subscriptions::new();
        for (index, subject) in broker.watch.iter().enumerate() {
            let subscriber = client
                .subscribe(subject.clone())
                .await
                .map_err(|e| format!("cannot subscribe to {subject}: {e}"))?;
            subscriptions.push(subscriber.map(move |m| (Some(index), m)).boxed());
        }
        let markers = client
            .subscribe(marker_subject.clone())
            .await
            .map_err(|e| format!("cannot subscribe to {marker_subject}: {e}"))?;
        subscriptions.push(markers.map(|m| (None, m)).boxed());
        Ok::<_, String>(subscriptions)
    };
    let mut subscriptions = match tokio::time::timeout(CONNECT_TIMEOUT, subscribe).await {
        Ok(subscriptions) => subscriptions?,
        Err(_) => {
            return Err(format!(
                "subscribing took more than {} s",
                CONNECT_TIMEOUT.as_secs()
            ));
        }
    };
    let name = name.to_string();
    let watch = broker.watch.clone();
    let take = {
        let inbox = inbox.clone();
        move |index: usize, message: Message| {
            // A message comes once through each watched subject it
            // matches: the first one's copy is the message.
            let subject = message.subject.to_string();
            if own(&subject, message.reply.as_deref()) {
                return;
            }
            let first = watch
                .iter()
                .position(|w| itspec_spec::topics::TopicRules::Nats.matches(w, &subject));
            if first != Some(index) {
                return;
            }
            inbox.push(Received {
                broker: name.clone(),
                topic: subject,
                headers: headers(&message),
                body: message.payload.to_vec(),
                at: Instant::now(),
            });
        }
    };
    let mut markers = 0u64;
    // The subscriptions are in place once a marker sent after them is back.
    settle(
        &client,
        &marker_subject,
        &mut subscriptions,
        &mut markers,
        &take,
    )
    .await?;
    let (settle_requests, mut requests) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                message = subscriptions.next() => match message {
                    Some((Some(index), message)) => take(index, message),
                    Some((None, _)) => {}
                    None => {
                        inbox.lose(lost("NATS closed itspec's subscriptions"));
                        return;
                    }
                },
                request = requests.recv() => {
                    let Some(reply) = request else { return };
                    if let Err(why) = settle(&client, &marker_subject, &mut subscriptions, &mut markers, &take).await {
                        inbox.lose(lost(&why));
                        return;
                    }
                    let _ = reply.send(());
                }
            }
        }
    });
    Ok(Observer {
        task,
        settle: settle_requests,
    })
}

/// Sends a marker to itspec's own inbox subject and takes in every
/// message until it is back, then every message already delivered.
async fn settle(
    client: &Client,
    marker_subject: &str,
    subscriptions: &mut Subscriptions,
    markers: &mut u64,
    take: &impl Fn(usize, Message),
) -> Result<(), String> {
    *markers += 1;
    let marker = markers.to_string();
    let settled = async {
        client
            .publish(marker_subject.to_string(), marker.clone().into())
            .await
            .map_err(|e| format!("NATS refused a settling marker ({e})"))?;
        client
            .flush()
            .await
            .map_err(|e| format!("a settling marker could not be sent ({e})"))?;
        while let Some((index, message)) = subscriptions.next().await {
            match index {
                Some(index) => take(index, message),
                None if message.payload.as_ref() == marker.as_bytes() => {
                    // What came before the marker on other subscriptions
                    // is already delivered. Unconstrained: tokio's budget
                    // would otherwise say "not ready" after 128 messages.
                    tokio::task::unconstrained(async {
                        while let Some(Some((index, message))) = subscriptions.next().now_or_never()
                        {
                            if let Some(index) = index {
                                take(index, message);
                            }
                        }
                    })
                    .await;
                    return Ok(());
                }
                None => {}
            }
        }
        Err("NATS closed itspec's subscriptions".to_string())
    };
    match tokio::time::timeout(SETTLE_TIMEOUT, settled).await {
        Ok(settled) => settled,
        Err(_) => Err(format!(
            "a settling marker did not come back within {} s",
            SETTLE_TIMEOUT.as_secs()
        )),
    }
}

/// A message's NATS headers, every value of each, by name.
fn headers(message: &Message) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = message
        .headers
        .iter()
        .flat_map(|map| map.iter())
        .flat_map(|(name, values)| {
            values
                .iter()
                .map(move |value| (name.to_string(), value.to_string()))
        })
        .collect();
    // A hash map's order is no order: by name, each name's values as sent.
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    headers
}

#[cfg(test)]
mod tests {
    use super::own;

    #[test]
    fn itspec_s_inbox_and_its_jetstream_questions_are_its_own() {
        assert!(own("_ITSPEC_INBOX.abc.1", None));
        assert!(own("$JS.API.STREAM.NAMES", Some("_ITSPEC_INBOX.x.y")));
        // The service's own questions and messages are the service's.
        assert!(!own("$JS.API.STREAM.NAMES", Some("_INBOX.x.y")));
        assert!(!own("$JS.API.STREAM.NAMES", None));
        assert!(!own("_ITSPEC_INBOXES.1", None));
        assert!(!own("orders.created", Some("_ITSPEC_INBOX.x.0")));
    }
}
