//! Redis as a broker: the watched channel patterns, observed through a
//! PSUBSCRIBE of itspec's own, and the watched names that are streams,
//! read with XREAD (`redis_streams.rs`). A subscription consumes nothing — every
//! subscriber gets its own copy — and ends with its connection, so a
//! killed itspec leaves nothing behind.
//!
//! Settling: a PING on the subscription is answered after every message
//! Redis already owed it, so once its PONG is in, everything published
//! before is in the inbox. A PING that goes unanswered — Redis stopped,
//! the network froze — loses the broker, as a closed connection does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::{mpsc, oneshot};

use super::{BrokerSettings, Inbox, Observer, Received};

/// How long connecting and subscribing may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a settling PING may take before the broker counts as lost.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

/// Subscribes to `broker`'s watched patterns and starts the task that
/// puts what they carry into `inbox`.
pub(super) async fn observe(
    name: &str,
    broker: &BrokerSettings,
    inbox: Arc<Inbox>,
) -> Result<Observer, String> {
    let client =
        ::redis::Client::open(broker.url.as_str()).map_err(|e| format!("not a Redis URL: {e}"))?;
    let subscribe = async {
        let (mut sink, stream) = client.get_async_pubsub().await?.split();
        for pattern in &broker.watch {
            sink.psubscribe(pattern).await?;
        }
        Ok::<_, ::redis::RedisError>((sink, stream))
    };
    let (mut sink, mut stream) = match tokio::time::timeout(CONNECT_TIMEOUT, subscribe).await {
        Ok(Ok(pubsub)) => pubsub,
        Ok(Err(error)) => return Err(format!("cannot subscribe: {error}")),
        Err(_) => {
            return Err(format!(
                "no answer within {} s: is Redis running there?",
                CONNECT_TIMEOUT.as_secs()
            ));
        }
    };
    let names: Vec<String> = broker
        .watch
        .iter()
        .filter(|w| !itspec_spec::topics::TopicRules::Redis.has_wildcards(w))
        .cloned()
        .collect();
    let streams = match tokio::time::timeout(
        CONNECT_TIMEOUT,
        super::redis_streams::Streams::open(name, &broker.url, names, inbox.clone()),
    )
    .await
    {
        Ok(streams) => streams?,
        Err(_) => return Err("reading the watched streams took too long".to_string()),
    };
    let (settle, mut requests) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let name = name.to_string();
    let watch = broker.watch.clone();
    let take = {
        let inbox = inbox.clone();
        let name = name.clone();
        move |message: ::redis::Msg| {
            // One pmessage comes for each watched pattern a channel
            // matches: the first pattern's copy is the message.
            let pattern: Option<String> = message.get_pattern().ok().flatten();
            let channel = itspec_results::message::text(
                &message.get_channel::<Vec<u8>>().unwrap_or_default(),
            );
            let first = watch
                .iter()
                .find(|w| itspec_spec::topics::TopicRules::Redis.matches(w, &channel));
            if pattern.is_some() && first != pattern.as_ref() {
                return;
            }
            inbox.push(Received {
                broker: name.clone(),
                topic: channel,
                headers: Vec::new(),
                body: message.get_payload_bytes().to_vec(),
                at: Instant::now(),
            });
        }
    };
    let lost =
        move |why: &str| format!("broker {name}: {why}, so messages published since are not seen");
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                message = stream.next() => match message {
                    Some(message) => take(message),
                    None => {
                        inbox.lose(lost("Redis closed itspec's subscription"));
                        return;
                    }
                },
                request = requests.recv() => {
                    let Some(reply) = request else { return };
                    match tokio::time::timeout(SETTLE_TIMEOUT, sink.ping::<::redis::Value>()).await {
                        // Unconstrained: tokio's budget would otherwise say
                        // "not ready" after 128 messages.
                        Ok(Ok(_)) => {
                            let closed = tokio::task::unconstrained(async {
                                loop {
                                    match stream.next().now_or_never() {
                                        Some(Some(message)) => take(message),
                                        Some(None) => break true,
                                        None => break false,
                                    }
                                }
                            })
                            .await;
                            if closed {
                                inbox.lose(lost("Redis closed itspec's subscription"));
                                return;
                            }
                        }
                        Ok(Err(error)) => {
                            inbox.lose(lost(&format!("Redis refused a PING on itspec's subscription ({error})")));
                            return;
                        }
                        Err(_) => {
                            inbox.lose(lost(&format!(
                                "Redis did not answer a PING on itspec's subscription within {} s",
                                SETTLE_TIMEOUT.as_secs()
                            )));
                            return;
                        }
                    }
                    if let Some(streams) = &streams
                        && let Err(why) = streams.catch_up().await
                    {
                        inbox.lose(lost(&why));
                        return;
                    }
                    let _ = reply.send(());
                }
            }
        }
    });
    Ok(Observer { task, settle })
}
