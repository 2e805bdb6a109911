//! Publishing on NATS: every message sent with a reply subject of
//! itspec's own, so that NATS answers "no responders" when nothing — no
//! subscriber, no stream — has its subject; a marker sent after them to
//! the same inbox tells when those answers would have come. The service
//! may answer a reply subject, or a stream acknowledge a message: both
//! are ignored. Headers written under a message are its NATS headers.

use futures_util::StreamExt as _;

use super::Outbound;

/// The marker's body.
const MARKER: &[u8] = b"itspec.published";

pub(super) async fn publish(
    name: &str,
    url: &str,
    messages: &[&Outbound],
) -> Vec<Result<(), String>> {
    let all = |why: String| messages.iter().map(|_| Err(why.clone())).collect();
    let client = match crate::broker::nats::connect(url, |_| {}).await {
        Ok(client) => client,
        Err(e) => return all(format!("broker {name}: {e}")),
    };
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
    let mut unheard = vec![false; messages.len()];
    loop {
        let Some(answer) = answers.next().await else {
            return all(format!(
                "broker {name} closed the connection before the message was confirmed"
            ));
        };
        let to = answer.subject.rsplit('.').next().unwrap_or_default();
        if to == "marker" && answer.status.is_none() && answer.payload.as_ref() == MARKER {
            break;
        }
        if answer.status == Some(async_nats::StatusCode::NO_RESPONDERS)
            && let Some(flag) = to.parse::<usize>().ok().and_then(|i| unheard.get_mut(i))
        {
            *flag = true;
        }
    }
    messages
        .iter()
        .zip(unheard)
        .map(|(message, unheard)| {
            if unheard {
                Err(format!(
                    "no subscriber or stream of the service has subject {} (broker {name}): nothing would consume the message; is the consumer subscribed?",
                    message.topic().0
                ))
            } else {
                Ok(())
            }
        })
        .collect()
}
