//! Publishing on Redis: every message a PUBLISH, all in one pipeline on
//! one connection. Redis answers how many subscribers got each; one that
//! only itspec's own patterns got reached nothing of the service.

use super::Outbound;
use crate::broker::BrokerSettings;
use itspec_spec::topics::TopicRules;

pub(super) async fn publish(
    name: &str,
    settings: &BrokerSettings,
    messages: &[&Outbound],
) -> Vec<super::Answer> {
    let all = |why: String| messages.iter().map(|_| Err(why.clone())).collect();
    let client = match ::redis::Client::open(settings.url.as_str()) {
        Ok(client) => client,
        Err(e) => return all(format!("not a Redis URL: {e}")),
    };
    let mut connection = match client.get_multiplexed_async_connection().await {
        Ok(connection) => connection,
        Err(e) => return all(format!("cannot connect to broker {name}: {e}")),
    };
    let mut pipe = ::redis::pipe();
    for message in messages {
        pipe.cmd("PUBLISH")
            .arg(message.topic().0)
            .arg(&message.body);
    }
    let receivers: Vec<i64> = match pipe.query_async(&mut connection).await {
        Ok(receivers) => receivers,
        Err(e) => return all(format!("broker {name} refused the message: {e}")),
    };
    messages
        .iter()
        .zip(receivers)
        .map(|(message, receivers)| {
            let channel = message.topic().0;
            // Each of itspec's own patterns that matches counts once.
            let own = settings
                .watch
                .iter()
                .filter(|w| TopicRules::Redis.matches(w, channel))
                .collect::<std::collections::BTreeSet<_>>()
                .len() as i64;
            if receivers <= own {
                Err(format!(
                    "no subscriber of the service got the message on channel {channel} (broker {name}): nothing would consume it; is the consumer subscribed?"
                ))
            } else {
                Ok(None)
            }
        })
        .collect()
}
