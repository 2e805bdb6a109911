//! Assertions on what the brokers carried (CHANNELS.md §3, §5):
//! `message NAME [TOPIC] received JSON`, `messages NAME [TOPIC] count OP
//! N` and `no messages [on NAME [TOPIC]]`. Messages come after the
//! response, so each waits — counted from the case's last request — and
//! ends as soon as its answer is known. Before a verdict that rests on
//! what did not come, the brokers are settled, so nothing already sent is
//! still on its way; a broker that is no longer observed makes every
//! answer an error, never a pass.

use std::time::Instant;

use itspec_spec::Spanned;
use itspec_spec::model::{CmpOp, Predicate, Subject, SubjectKind};
use serde_json::Value;

use super::predicate::GrowingCount;
use super::{Context, Failure, operand_value};
use crate::broker::{
    BrokerKind, Brokers, Received, Waits, after, brokers_of, notes as message_notes,
    record as message_record,
};
use crate::matching::body::{match_body, render};
use crate::vars::interpolate_json;

/// What message assertions look at.
pub(crate) struct MessageContext<'a> {
    /// The run's brokers and what they carried.
    pub brokers: &'a Brokers,
    /// `[channels] wait` and `quiet` (`within` sets both to its own).
    pub waits: Waits,
    /// When the case's last request ended: waits count from here.
    pub last_step: Instant,
}

impl MessageContext<'_> {
    /// Settles the brokers, and says whether one is lost.
    async fn settled(&self) -> Result<Vec<Received>, Failure> {
        self.brokers.settle().await;
        lost(self)?;
        Ok(self.brokers.inbox().snapshot().0)
    }
}

/// Which messages an assertion is about: a broker's, on a topic.
struct On<'s> {
    broker: &'s Spanned<String>,
    /// The topic, its `{{variables}}` (`{{worker}}`) replaced.
    topic: Option<String>,
    kind: BrokerKind,
}

impl On<'_> {
    fn holds(&self, message: &Received) -> bool {
        message.broker == self.broker.value
            && self
                .topic
                .as_ref()
                .is_none_or(|topic| self.kind.rules().matches(topic, &message.topic))
    }

    fn of<'m>(&self, messages: &'m [Received]) -> Vec<&'m Received> {
        messages.iter().filter(|m| self.holds(m)).collect()
    }

    fn count(&self, messages: &[Received]) -> u64 {
        messages.iter().filter(|m| self.holds(m)).count() as u64
    }

    /// ` on orders.created`, or nothing.
    fn topic_text(&self) -> String {
        self.topic
            .as_ref()
            .map(|topic| format!(" on {topic}"))
            .unwrap_or_default()
    }
}

fn context<'c>(cx: &'c Context<'_>) -> Result<&'c MessageContext<'c>, Failure> {
    let messages = cx.messages.ok_or_else(|| {
        Failure::error("this run observes no broker: add [brokers.NAME] to itspec.toml")
    })?;
    lost(messages)?;
    Ok(messages)
}

/// An error when a broker is no longer observed: nothing about messages
/// can be answered then.
fn lost(messages: &MessageContext<'_>) -> Result<(), Failure> {
    match messages.brokers.inbox().lost() {
        Some(why) => Err(Failure::error(why)),
        None => Ok(()),
    }
}

/// The broker and topic an assertion names; an error when the broker is
/// not configured or does not watch the topic (the lint says so first).
fn on<'s>(
    messages: &MessageContext<'_>,
    broker: &'s Spanned<String>,
    topic: Option<&'s Spanned<String>>,
    scope: &crate::vars::Scope,
) -> Result<On<'s>, Failure> {
    let topic = topic
        .map(|topic| crate::vars::interpolate_text(&topic.value, scope))
        .transpose()?;
    let brokers = messages.brokers;
    let kind = brokers
        .kinds()
        .get(&broker.value)
        .copied()
        .ok_or_else(|| Failure::error(brokers.unknown(&broker.value)))?;
    if let Some(topic) = &topic
        && !kind.rules().covered(brokers.watch(&broker.value), topic)
    {
        return Err(Failure::error(format!(
            "broker {} does not watch `{topic}`: add it to `watch` under [brokers.{}]",
            broker.value, broker.value
        )));
    }
    Ok(On {
        broker,
        topic,
        kind,
    })
}

/// `message …` and `messages …` lines.
pub(super) async fn check(
    subject: &Subject,
    predicate: &Predicate,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let messages = context(cx)?;
    match (&subject.kind, predicate) {
        (
            SubjectKind::Message {
                broker,
                topic,
                header: None,
            },
            Predicate::Received { body },
        ) => {
            let expected = interpolate_json(body, cx.scope)?;
            received(
                messages,
                &on(messages, broker, topic.as_ref(), cx.scope)?,
                &expected,
            )
            .await
        }
        (
            SubjectKind::Message {
                broker,
                topic,
                header: Some(name),
            },
            Predicate::Compare {
                op: CmpOp::Eq,
                value,
            },
        ) => {
            let wanted = match operand_value(value, cx.scope)? {
                Value::String(text) => text,
                other => other.to_string(),
            };
            with_header(
                messages,
                &on(messages, broker, topic.as_ref(), cx.scope)?,
                &name.value,
                &wanted,
            )
            .await
        }
        (SubjectKind::Messages { broker, topic }, Predicate::Count { op, value }) => {
            let wanted = operand_value(value, cx.scope)?;
            let Some(wanted) = wanted.as_u64() else {
                return Err(Failure::error(format!(
                    "`count {} {wanted}` needs a whole number",
                    op.as_str()
                )));
            };
            count(
                messages,
                &on(messages, broker, topic.as_ref(), cx.scope)?,
                *op,
                wanted,
            )
            .await
        }
        _ => Err(Failure::error(
            "a message subject takes `received JSON` or `header H == V`, a messages subject `count OP N`",
        )),
    }
}

/// Some message has a body containing `expected`: waits `[channels]
/// wait` for one.
async fn received(
    messages: &MessageContext<'_>,
    on: &On<'_>,
    expected: &Value,
) -> Result<(), Failure> {
    let contains = |m: &Received| {
        let json = serde_json::from_slice::<Value>(&m.body).ok();
        match_body(expected, json.as_ref()).0.is_empty()
    };
    let found = |all: &[Received]| all.iter().any(|m| on.holds(m) && contains(m));
    let deadline = after(messages.last_step, messages.waits.wait);
    if found(&messages.brokers.inbox().wait_until(deadline, found).await) {
        return Ok(());
    }
    // What was sent before the deadline may still be on its way.
    let seen = messages.settled().await?;
    if found(&seen) {
        return Ok(());
    }
    let since = messages.brokers.inbox().snapshot().1;
    let waited = wait_text(messages.waits.wait);
    let closest = on
        .of(&seen)
        .into_iter()
        .map(|m| {
            let json = serde_json::from_slice::<Value>(&m.body).ok();
            (match_body(expected, json.as_ref()).0, m)
        })
        .min_by_key(|(mismatches, _)| mismatches.len());
    let mut failure = match closest {
        None => Failure::with(
            format!(
                "broker {} carried no message{} within {waited}",
                on.broker.value,
                on.topic_text()
            ),
            format!(
                "a message{} with a body containing {}",
                on.topic_text(),
                render(expected)
            ),
            "none",
        ),
        Some((mismatches, closest)) => {
            let mut failure = Failure::new(format!(
                "no message{} on broker {} has a body containing {}; the closest differs at {} place{}",
                on.topic_text(),
                on.broker.value,
                render(expected),
                mismatches.len(),
                if mismatches.len() == 1 { "" } else { "s" }
            ));
            failure.evidence.mismatches = mismatches;
            failure.evidence.notes.push(format!(
                "closest message: {}",
                message_record(closest, since).summary()
            ));
            failure
        }
    };
    failure.evidence.notes.extend(carried(&seen, since));
    Err(failure)
}

/// Some message carries header (or property) `name` — its name in any
/// case — with the value `wanted`: waits `[channels] wait` for one.
async fn with_header(
    messages: &MessageContext<'_>,
    on: &On<'_>,
    name: &str,
    wanted: &str,
) -> Result<(), Failure> {
    // A header may come more than once (NATS), or as a property and in
    // the headers table (RabbitMQ): any of its values may match.
    let values_of = |m: &Received| -> Vec<String> {
        m.headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| format!("{value:?}"))
            .collect()
    };
    let found = |all: &[Received]| {
        all.iter().any(|m| {
            on.holds(m)
                && m.headers
                    .iter()
                    .any(|(header, value)| header.eq_ignore_ascii_case(name) && value == wanted)
        })
    };
    let deadline = after(messages.last_step, messages.waits.wait);
    if found(&messages.brokers.inbox().wait_until(deadline, found).await) {
        return Ok(());
    }
    let seen = messages.settled().await?;
    if found(&seen) {
        return Ok(());
    }
    let since = messages.brokers.inbox().snapshot().1;
    let values: Vec<String> = on
        .of(&seen)
        .into_iter()
        .map(|m| match values_of(m) {
            values if values.is_empty() => "(none)".to_string(),
            values => values.join(", "),
        })
        .collect();
    let mut failure = Failure::with(
        if values.is_empty() {
            format!(
                "broker {} carried no message{} within {}",
                on.broker.value,
                on.topic_text(),
                wait_text(messages.waits.wait)
            )
        } else {
            format!(
                "no message{} on broker {} has header {name} == {wanted:?}",
                on.topic_text(),
                on.broker.value
            )
        },
        format!("{name}: {wanted:?}"),
        if values.is_empty() {
            "none".to_string()
        } else {
            format!("{name}: {}", values.join(", "))
        },
    );
    failure.evidence.notes.extend(carried(&seen, since));
    Err(failure)
}

/// `messages … count OP N`. A count only grows: `>=` and `>` hold as soon
/// as they do (waiting up to `[channels] wait`), and `==`, `<=`, `<` fail
/// as soon as the count is past them. Otherwise the count is read once no
/// message has come for `[channels] quiet` — after the last request, or
/// after the last message, `==` first waiting up to `wait` for N.
async fn count(
    messages: &MessageContext<'_>,
    on: &On<'_>,
    op: CmpOp,
    wanted: u64,
) -> Result<(), Failure> {
    let inbox = messages.brokers.inbox();
    let count = GrowingCount { op, wanted };
    if count.waits_for_more() {
        let deadline = after(messages.last_step, messages.waits.wait);
        inbox
            .wait_until(deadline, |all| count.reached(on.count(all)))
            .await;
    }
    // Then quiet: until no message on the topic has come for `quiet`.
    loop {
        let seen = messages.settled().await?;
        let n = on.count(&seen);
        if count.settled(n) {
            break;
        }
        let last = on
            .of(&seen)
            .iter()
            .map(|m| m.at)
            .max()
            .unwrap_or(messages.last_step)
            .max(messages.last_step);
        let quiet_end = after(last, messages.waits.quiet);
        if Instant::now() >= quiet_end {
            break;
        }
        inbox.wait_until(quiet_end, |all| on.count(all) != n).await;
    }
    let seen = messages.settled().await?;
    let n = on.count(&seen);
    if count.holds(n) {
        return Ok(());
    }
    let since = inbox.snapshot().1;
    let mut failure = Failure::with(
        format!(
            "broker {} carried {n} message{}{}, expected {} {wanted}",
            on.broker.value,
            if n == 1 { "" } else { "s" },
            on.topic_text(),
            op.as_str()
        ),
        format!("{} {wanted}", op.as_str()),
        n.to_string(),
    );
    failure.evidence.notes.extend(carried(&seen, since));
    Err(failure)
}

/// `no messages [on NAME [TOPIC]]`: nothing published there, and nothing
/// for `[channels] quiet` after the last request.
pub(super) async fn none(
    broker: Option<&Spanned<String>>,
    topic: Option<&Spanned<String>>,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let messages = context(cx)?;
    let on = match broker {
        Some(broker) => Some(on(messages, broker, topic, cx.scope)?),
        None => None,
    };
    let holds = |m: &Received| on.as_ref().is_none_or(|on| on.holds(m));
    let inbox = messages.brokers.inbox();
    inbox
        .wait_until(after(messages.last_step, messages.waits.quiet), |all| {
            all.iter().any(holds)
        })
        .await;
    let seen = messages.settled().await?;
    let found: Vec<Received> = seen.iter().filter(|m| holds(m)).cloned().collect();
    if found.is_empty() {
        return Ok(());
    }
    let since = inbox.snapshot().1;
    let place = match &on {
        Some(on) => format!(" on broker {}{}", on.broker.value, on.topic_text()),
        None => format!(" ({})", brokers_of(&found).join(", ")),
    };
    let mut failure = Failure::new(format!(
        "{} message{} published{place}",
        found.len(),
        if found.len() == 1 { " was" } else { "s were" },
    ));
    failure.evidence.notes = message_notes(&found, since);
    Err(failure)
}

/// What the brokers carried, for a failure's evidence.
fn carried(seen: &[Received], since: Instant) -> Vec<String> {
    if seen.is_empty() {
        return vec!["the brokers carried no message during the case".to_string()];
    }
    message_notes(seen, since)
}

pub(super) fn wait_text(wait: std::time::Duration) -> String {
    let ms = wait.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}
