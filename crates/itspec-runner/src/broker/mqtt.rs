//! MQTT as a broker: the watched topic filters, observed through an MQTT 5
//! session of itspec's own — a clean start that expires with its
//! connection, so a killed itspec leaves no session, subscription or
//! queued message on the broker. A subscription takes a copy of every
//! message on its filters and nothing from the service's (shared
//! subscriptions give each message to one member of a group; itspec joins
//! none).
//!
//! Each filter is subscribed with its own subscription identifier, which
//! the broker puts on every message it delivers through it: a message two
//! filters match counts once whether the broker sends it once or twice.
//!
//! Settling: a marker itspec publishes to a topic of its own comes back
//! after every message the broker routed to the session before it (QoS 0
//! subscriptions, so nothing waits in an in-flight window).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{
    Packet, Publish, PublishProperties, SubscribeProperties, SubscribeReasonCode,
};
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use tokio::sync::{mpsc, oneshot};

use super::{BrokerSettings, Inbox, Observer, Received, lock};

/// Where itspec's settling markers go: never a message of the service,
/// even when a watched filter (`#`) covers it.
const MARKERS: &str = "itspec/settle/";

/// How long connecting and subscribing may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a settling marker may take before the broker counts as lost.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

/// A session of itspec's own on the broker at `url` (`mqtt://[USER[:PASSWORD]@]HOST[:PORT]`).
pub(super) fn session(
    url: &str,
    role: &str,
    requests: usize,
) -> Result<(AsyncClient, EventLoop), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not an MQTT URL: {e}"))?;
    let host = parsed
        .host_str()
        .ok_or("an MQTT URL names a host: mqtt://HOST:PORT")?;
    let id = format!("itspec-{role}-{}", uuid::Uuid::new_v4().simple());
    let mut options = MqttOptions::new(id, host, parsed.port().unwrap_or(1883));
    // No session outlives the connection: nothing is kept for itspec.
    options
        .set_clean_start(true)
        .set_session_expiry_interval(None)
        .set_keep_alive(Duration::from_secs(5))
        .set_connection_timeout(CONNECT_TIMEOUT.as_secs());
    if !parsed.username().is_empty() {
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        options.set_credentials(
            decode(parsed.username()),
            decode(parsed.password().unwrap_or_default()),
        );
    }
    // Room for every request made before the event loop runs.
    Ok(AsyncClient::new(options, requests.max(64)))
}

/// Subscribes to `broker`'s watched filters and starts the task that puts
/// what they carry into `inbox`.
pub(super) async fn observe(
    name: &str,
    broker: &BrokerSettings,
    inbox: Arc<Inbox>,
) -> Result<Observer, String> {
    let (client, mut eventloop) = session(&broker.url, "observer", broker.watch.len() + 8)?;
    let marker_topic = format!("{MARKERS}{}", uuid::Uuid::new_v4().simple());
    let mut filters = broker.watch.clone();
    filters.push(marker_topic.clone());
    for (index, filter) in filters.iter().enumerate() {
        client
            .subscribe_with_properties(
                filter.clone(),
                QoS::AtMostOnce,
                SubscribeProperties {
                    id: Some(index + 1),
                    user_properties: Vec::new(),
                },
            )
            .await
            .map_err(|e| format!("cannot subscribe to {filter}: {e}"))?;
    }
    let subscribed = async {
        let mut acknowledged = 0;
        while acknowledged < filters.len() {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    for code in &ack.return_codes {
                        let filter = filters.get(acknowledged).map_or("?", String::as_str);
                        if !matches!(code, SubscribeReasonCode::Success(_)) {
                            return Err(format!(
                                "the broker refused a subscription to {filter} ({code:?})"
                            ));
                        }
                        acknowledged += 1;
                    }
                }
                Ok(_) => {}
                Err(error) => return Err(format!("cannot subscribe: {error}")),
            }
        }
        Ok(())
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, subscribed).await {
        Ok(subscribed) => subscribed?,
        Err(_) => {
            return Err(format!(
                "no answer within {} s: is an MQTT broker running there?",
                CONNECT_TIMEOUT.as_secs()
            ));
        }
    }
    let lost = {
        let name = name.to_string();
        move |why: &str| format!("broker {name}: {why}, so messages published since are not seen")
    };
    let watch = broker.watch.clone();
    let name = name.to_string();
    // Settling markers sent and not yet back, by their number.
    let awaited: Mutex<BTreeMap<u64, oneshot::Sender<()>>> = Mutex::new(BTreeMap::new());
    let (settle, mut requests) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let task = tokio::spawn(async move {
        let take = |publish: Publish| {
            let properties = publish.properties.clone().unwrap_or_default();
            let ids = &properties.subscription_identifiers;
            let topic = String::from_utf8_lossy(&publish.topic).into_owned();
            if topic.starts_with(MARKERS) {
                // One copy answers; others (through a watched `#`) are dropped.
                let number = std::str::from_utf8(&publish.payload)
                    .ok()
                    .and_then(|n| n.parse::<u64>().ok());
                if topic == marker_topic
                    && let Some(back) = number.and_then(|n| lock(&awaited).remove(&n))
                {
                    let _ = back.send(());
                }
                return;
            }
            // A message comes once through each watched filter it matches
            // (or once with each one's identifier): the first one's is it.
            let first = watch
                .iter()
                .position(|w| itspec_spec::topics::TopicRules::Mqtt.matches(w, &topic));
            if first.is_none_or(|first| !ids.is_empty() && !ids.contains(&(first + 1))) {
                return;
            }
            inbox.push(Received {
                broker: name.clone(),
                topic,
                headers: headers(&properties),
                body: publish.payload.to_vec(),
                at: Instant::now(),
            });
        };
        let observing = async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(publish))) => take(publish),
                    Ok(Event::Incoming(Packet::Disconnect(disconnect))) => {
                        return format!(
                            "the broker ended itspec's session ({:?})",
                            disconnect.reason_code
                        );
                    }
                    Ok(_) => {}
                    Err(error) => return format!("the connection to the broker broke ({error})"),
                }
            }
        };
        let settling = async {
            let mut markers = 0u64;
            while let Some(reply) = requests.recv().await {
                markers += 1;
                let (back, came) = oneshot::channel();
                lock(&awaited).insert(markers, back);
                if let Err(error) = client
                    .publish(
                        marker_topic.clone(),
                        QoS::AtMostOnce,
                        false,
                        markers.to_string(),
                    )
                    .await
                {
                    return format!("a settling marker could not be sent ({error})");
                }
                match tokio::time::timeout(SETTLE_TIMEOUT, came).await {
                    Ok(Ok(())) => {
                        let _ = reply.send(());
                    }
                    Ok(Err(_)) => return "the session ended".to_string(),
                    Err(_) => {
                        return format!(
                            "a settling marker did not come back within {} s",
                            SETTLE_TIMEOUT.as_secs()
                        );
                    }
                }
            }
            String::new()
        };
        let why = tokio::select! {
            why = observing => why,
            why = settling => why,
        };
        // An empty reason: the worker is done with its brokers.
        if !why.is_empty() {
            inbox.lose(lost(&why));
        }
    });
    Ok(Observer { task, settle })
}

/// A message's MQTT 5 properties: its user properties, and the others
/// under their names in the specification.
fn headers(properties: &PublishProperties) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            headers.push((name.to_string(), value));
        }
    };
    add("content-type", properties.content_type.clone());
    add("response-topic", properties.response_topic.clone());
    add(
        "correlation-data",
        properties
            .correlation_data
            .as_ref()
            .map(|data| itspec_results::message::text(data)),
    );
    add(
        "payload-format-indicator",
        properties.payload_format_indicator.map(|v| v.to_string()),
    );
    add(
        "message-expiry-interval",
        properties.message_expiry_interval.map(|v| v.to_string()),
    );
    headers.extend(properties.user_properties.iter().cloned());
    headers
}
