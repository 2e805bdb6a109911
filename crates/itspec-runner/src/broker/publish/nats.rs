//! Publishing on NATS: every message sent with a reply subject of
//! itspec's own, so that NATS answers "no responders" when nothing — no
//! subscriber, no stream — has its subject; a marker sent after them to
//! the same inbox tells when those answers would have come. The service
//! may answer a reply subject, or a stream acknowledge a message: both
//! are ignored — except that a message on a subject a JetStream stream
//! keeps waits for the stream's acknowledgement: its sequence number lets
//! the end of the case ask whether a consumer took it (`backlog.rs`).
//! Headers written under a message are its NATS headers.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::Value;

use super::{Answer, Outbound};
use crate::broker::backlog::Backlog;

/// The marker's body.
const MARKER: &[u8] = b"itspec.published";
/// How long a stream's acknowledgement may take after the marker, and a
/// JetStream question its answer.
const STREAM_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) async fn publish(name: &str, url: &str, messages: &[&Outbound]) -> Vec<Answer> {
    let all = |why: String| messages.iter().map(|_| Err(why.clone())).collect();
    let client = match crate::broker::nats::connect(url, |_| {}).await {
        Ok(client) => client,
        Err(e) => return all(format!("broker {name}: {e}")),
    };
    // The stream that keeps each message's subject, if one does.
    let mut kept: HashMap<&str, Option<String>> = HashMap::new();
    let mut streams = Vec::with_capacity(messages.len());
    for message in messages {
        let subject = message.topic().0;
        if !kept.contains_key(subject) {
            kept.insert(subject, stream_of(&client, subject).await);
        }
        streams.push(kept.get(subject).cloned().flatten());
    }
    let inbox = client.new_inbox();
    let mut answers = match client.subscribe(format!("{inbox}.*")).await {
        Ok(answers) => answers,
        Err(e) => return all(format!("broker {name}: cannot subscribe to {inbox}.*: {e}")),
    };
    let sent = async {
        for (index, message) in messages.iter().enumerate() {
            let mut headers = async_nats::HeaderMap::new();
            for (name, value) in &message.headers {
                headers.append(name.as_str(), value.as_str());
            }
            client
                .publish_with_reply_and_headers(
                    message.topic().0.to_string(),
                    format!("{inbox}.{index}"),
                    headers,
                    message.body.clone().into(),
                )
                .await?;
        }
        client
            .publish(format!("{inbox}.marker"), MARKER.to_vec().into())
            .await?;
        client.flush().await?;
        Ok::<_, async_nats::Error>(())
    };
    if let Err(e) = sent.await {
        return all(format!("broker {name} refused the message: {e}"));
    }
    // Each message's answer: `None` until one comes; a message no stream
    // keeps needs none.
    let mut heard: Vec<Option<Answer>> = streams
        .iter()
        .map(|stream| stream.is_none().then_some(Ok(None)))
        .collect();
    let mut marked = false;
    while !marked || heard.iter().any(Option::is_none) {
        let next = match marked {
            false => answers.next().await,
            true => match tokio::time::timeout(STREAM_TIMEOUT, answers.next()).await {
                Ok(next) => next,
                Err(_) => break,
            },
        };
        let Some(answer) = next else {
            return all(format!(
                "broker {name} closed the connection before the message was confirmed"
            ));
        };
        let to = answer.subject.rsplit('.').next().unwrap_or_default();
        if to == "marker" && answer.status.is_none() && answer.payload.as_ref() == MARKER {
            marked = true;
            continue;
        }
        let Some(index) = to.parse::<usize>().ok() else {
            continue;
        };
        let (Some(slot), Some(message)) = (heard.get_mut(index), messages.get(index)) else {
            continue;
        };
        if answer.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            *slot = Some(Err(format!(
                "no subscriber or stream of the service has subject {} (broker {name}): nothing would consume the message; is the consumer subscribed?",
                message.topic().0
            )));
        } else if let Some(stream) = streams.get(index).cloned().flatten()
            && let Some(acknowledged) = acknowledgement(name, &stream, &answer.payload)
        {
            *slot = Some(acknowledged.map(|seq| {
                Some(Backlog::Stream {
                    stream,
                    seq,
                    subject: message.topic().0.to_string(),
                })
            }));
        }
    }
    heard
        .into_iter()
        .zip(streams)
        .map(|(answer, stream)| {
            answer.unwrap_or_else(|| {
                Err(format!(
                    "stream {} (broker {name}) did not acknowledge the message within {} s",
                    stream.unwrap_or_default(),
                    STREAM_TIMEOUT.as_secs()
                ))
            })
        })
        .collect()
}

/// The JetStream stream whose subjects take `subject`, if JetStream is on
/// and one does.
async fn stream_of(client: &async_nats::Client, subject: &str) -> Option<String> {
    let question = serde_json::json!({ "subject": subject }).to_string();
    let asked = client.request("$JS.API.STREAM.NAMES", question.into());
    let answer = tokio::time::timeout(STREAM_TIMEOUT, asked)
        .await
        .ok()?
        .ok()?;
    let answer: Value = serde_json::from_slice(&answer.payload).ok()?;
    answer
        .get("streams")?
        .as_array()?
        .first()?
        .as_str()
        .map(str::to_string)
}

/// What a reply from stream `stream` says of a message: its sequence
/// number, or the stream's refusal. `None`: not the stream's reply (the
/// service answered the reply subject).
fn acknowledgement(name: &str, stream: &str, payload: &[u8]) -> Option<Result<u64, String>> {
    let reply: Value = serde_json::from_slice(payload).ok()?;
    if let Some(error) = reply.get("error") {
        let description = error
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        return Some(Err(format!(
            "stream {stream} (broker {name}) refused the message: {description}"
        )));
    }
    (reply.get("stream")?.as_str()? == stream).then_some(())?;
    Some(Ok(reply.get("seq")?.as_u64()?))
}
