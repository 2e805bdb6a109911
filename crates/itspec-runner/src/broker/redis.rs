//! Redis as a broker: the watched channel patterns, observed through a
//! PSUBSCRIBE of itspec's own. A subscription consumes nothing — every
//! subscriber gets its own copy — and ends with its connection, so a
//! killed itspec leaves nothing behind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use super::{BrokerSettings, Inbox, Received};

/// How long connecting and subscribing may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Subscribes to `broker`'s watched patterns and starts the task that
/// puts what they carry into `inbox`.
pub(super) async fn observe(
    name: &str,
    broker: &BrokerSettings,
    inbox: Arc<Inbox>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let client =
        ::redis::Client::open(broker.url.as_str()).map_err(|e| format!("not a Redis URL: {e}"))?;
    let subscribe = async {
        let mut pubsub = client.get_async_pubsub().await?;
        for pattern in &broker.watch {
            pubsub.psubscribe(pattern).await?;
        }
        Ok::<_, ::redis::RedisError>(pubsub)
    };
    let pubsub = match tokio::time::timeout(CONNECT_TIMEOUT, subscribe).await {
        Ok(Ok(pubsub)) => pubsub,
        Ok(Err(error)) => return Err(format!("cannot subscribe: {error}")),
        Err(_) => {
            return Err(format!(
                "no answer within {} s: is Redis running there?",
                CONNECT_TIMEOUT.as_secs()
            ));
        }
    };
    let name = name.to_string();
    let mut messages = pubsub.into_on_message();
    Ok(tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            inbox.push(Received {
                broker: name.clone(),
                topic: message.get_channel_name().to_string(),
                headers: Vec::new(),
                body: message.get_payload_bytes().to_vec(),
                at: Instant::now(),
            });
        }
    }))
}
