//! Publishing over MQTT: every message at QoS 1 on one MQTT 5 session of
//! itspec's own. The broker's PUBACK says whether any subscription matched
//! ("no matching subscribers"), so a message nothing would consume is an
//! error. Headers written under a message are its MQTT 5 properties where
//! they name one (`response-topic`, `correlation-data`, …) and user
//! properties otherwise.

use std::collections::BTreeMap;
use std::time::Duration;

use rumqttc::Outgoing;
use rumqttc::v5::Event;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, PublishProperties};

use super::Outbound;

pub(super) async fn publish(name: &str, url: &str, messages: &[&Outbound]) -> Vec<super::Answer> {
    let all = |why: String| messages.iter().map(|_| Err(why.clone())).collect();
    let (client, mut eventloop) =
        match crate::broker::mqtt::session(url, "publisher", messages.len() + 8) {
            Ok(session) => session,
            Err(e) => return all(format!("broker {name}: {e}")),
        };
    let mut properties = Vec::with_capacity(messages.len());
    for message in messages {
        match self::properties(message) {
            Ok(p) => properties.push(p),
            Err(why) => {
                // Nothing is sent when one message cannot be.
                return messages
                    .iter()
                    .map(|m| {
                        Err(if std::ptr::eq(*m, *message) {
                            why.clone()
                        } else {
                            "not published: another message of its group could not be".to_string()
                        })
                    })
                    .collect();
            }
        }
    }
    // The client's queue holds 64 requests; the event loop drains it.
    let queue = async {
        for (message, properties) in messages.iter().zip(properties) {
            client
                .publish_with_properties(
                    message.topic().0.to_string(),
                    QoS::AtLeastOnce,
                    false,
                    message.body.clone(),
                    properties,
                )
                .await?;
        }
        Ok::<_, rumqttc::v5::ClientError>(())
    };
    // Packet ids are handed out in the order the messages go out.
    let mut ids: BTreeMap<u16, usize> = BTreeMap::new();
    let mut acknowledged: Vec<Option<PubAckReason>> = vec![None; messages.len()];
    let mut queued = false;
    let receive = async {
        let mut sent = 0;
        while acknowledged.iter().any(Option::is_none) {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Publish(id))) => {
                    ids.insert(id, sent);
                    sent += 1;
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    if let Some(slot) = ids.get(&ack.pkid).and_then(|i| acknowledged.get_mut(*i)) {
                        *slot = Some(ack.reason);
                    }
                }
                Ok(Event::Incoming(Packet::Disconnect(disconnect))) => {
                    return Err(format!(
                        "broker {name} ended the session before taking the message ({:?})",
                        disconnect.reason_code
                    ));
                }
                Ok(_) => {}
                Err(error) => {
                    return Err(format!("broker {name} did not take the message: {error}"));
                }
            }
        }
        Ok(())
    };
    let received = {
        tokio::pin!(queue);
        tokio::pin!(receive);
        loop {
            tokio::select! {
                done = &mut queue, if !queued => {
                    if let Err(e) = done {
                        break Err(format!("broker {name} refused the message: {e}"));
                    }
                    queued = true;
                }
                done = &mut receive => break done,
            }
        }
    };
    if let Err(why) = received {
        return all(why);
    }
    let _ = client.disconnect().await;
    // Sends the DISCONNECT, briefly.
    let _ = tokio::time::timeout(Duration::from_millis(200), eventloop.poll()).await;
    messages
        .iter()
        .zip(acknowledged)
        .map(|(message, reason)| {
            let topic = message.topic().0;
            match reason {
                Some(PubAckReason::Success) => Ok(None),
                Some(PubAckReason::NoMatchingSubscribers) => Err(format!(
                    "no subscriber of the service has topic {topic} (broker {name}): nothing would consume the message; is the consumer subscribed?"
                )),
                other => Err(format!("broker {name} refused the message on {topic} ({other:?})")),
            }
        })
        .collect()
}

/// A message's MQTT 5 properties: its content type, and its headers — as
/// the property they name, or as user properties.
fn properties(message: &Outbound) -> Result<PublishProperties, String> {
    let mut properties = PublishProperties {
        content_type: Some(message.content_type().to_string()),
        ..PublishProperties::default()
    };
    for (name, value) in &message.headers {
        match name.to_ascii_lowercase().as_str() {
            "content-type" => {}
            "response-topic" => properties.response_topic = Some(value.clone()),
            "correlation-data" => {
                properties.correlation_data = Some(value.clone().into_bytes().into());
            }
            "message-expiry-interval" => {
                properties.message_expiry_interval = Some(value.parse().map_err(|_| {
                    format!("header message-expiry-interval: `{value}` is not a number of seconds")
                })?);
            }
            "payload-format-indicator" => {
                properties.payload_format_indicator = Some(match value.as_str() {
                    "0" => 0,
                    "1" => 1,
                    _ => {
                        return Err(format!(
                            "header payload-format-indicator: `{value}` is neither 0 (bytes) nor 1 (UTF-8)"
                        ));
                    }
                });
            }
            _ => properties
                .user_properties
                .push((name.clone(), value.clone())),
        }
    }
    Ok(properties)
}
