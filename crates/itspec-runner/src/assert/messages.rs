//! Assertions on what the brokers carried (CHANNELS.md §3, §5):
//! `message NAME [TOPIC] received JSON`, `messages NAME [TOPIC] count OP
//! N` and `no messages [on NAME [TOPIC]]`. Messages come after the
//! response, so each waits — counted from the case's last step — and ends
//! as soon as its answer is known: a message that makes it hold, or one
//! that makes it fail.

use std::time::Instant;

use itspec_spec::Spanned;
use itspec_spec::model::{CmpOp, Predicate, Subject, SubjectKind};
use serde_json::Value;

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
    /// `[channels] wait` and `quiet`.
    pub waits: Waits,
    /// When the case's last step ended: waits count from here.
    pub last_step: Instant,
}

/// Which messages an assertion is about: a broker's, on a topic.
struct On<'s> {
    broker: &'s Spanned<String>,
    topic: Option<&'s Spanned<String>>,
    kind: BrokerKind,
}

impl On<'_> {
    fn holds(&self, message: &Received) -> bool {
        message.broker == self.broker.value
            && self
                .topic
                .is_none_or(|topic| self.kind.rules().matches(&topic.value, &message.topic))
    }

    fn of<'m>(&self, messages: &'m [Received]) -> Vec<&'m Received> {
        messages.iter().filter(|m| self.holds(m)).collect()
    }

    /// ` on orders.created`, or nothing.
    fn topic_text(&self) -> String {
        self.topic
            .map(|topic| format!(" on {}", topic.value))
            .unwrap_or_default()
    }
}

fn context<'c>(cx: &'c Context<'_>) -> Result<&'c MessageContext<'c>, Failure> {
    cx.messages.ok_or_else(|| {
        Failure::error("this run observes no broker: add [brokers.NAME] to itspec.toml")
    })
}

fn on<'s>(
    messages: &MessageContext<'_>,
    broker: &'s Spanned<String>,
    topic: Option<&'s Spanned<String>>,
) -> Result<On<'s>, Failure> {
    let kind = messages
        .brokers
        .kinds()
        .get(&broker.value)
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = messages
                .brokers
                .kinds()
                .keys()
                .map(String::as_str)
                .collect();
            Failure::error(format!(
                "no broker is named `{}`: the brokers are {}",
                broker.value,
                known.join(", ")
            ))
        })?;
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
        (SubjectKind::Message { broker, topic }, Predicate::Received { body }) => {
            let expected = interpolate_json(body, cx.scope)?;
            received(messages, &on(messages, broker, topic.as_ref())?, &expected).await
        }
        (SubjectKind::Messages { broker, topic }, Predicate::Count { op, value }) => {
            let wanted = operand_value(value, cx.scope)?;
            let Some(wanted) = wanted.as_u64() else {
                return Err(Failure::new(format!(
                    "`count {} {wanted}` needs a whole number",
                    op.as_str()
                )));
            };
            count(
                messages,
                &on(messages, broker, topic.as_ref())?,
                *op,
                wanted,
            )
            .await
        }
        _ => Err(Failure::error(
            "a message subject takes `received JSON`, a messages subject `count OP N`",
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
    let inbox = messages.brokers.inbox();
    let deadline = after(messages.last_step, messages.waits.wait);
    let contains = |m: &Received| {
        let json = serde_json::from_slice::<Value>(&m.body).ok();
        match_body(expected, json.as_ref()).0.is_empty()
    };
    let seen = inbox
        .wait_until(deadline, |all| {
            all.iter().any(|m| on.holds(m) && contains(m))
        })
        .await;
    if seen.iter().any(|m| on.holds(m) && contains(m)) {
        return Ok(());
    }
    let (_, since) = inbox.snapshot();
    let candidates = on.of(&seen);
    let waited = wait_text(messages.waits.wait);
    let closest = candidates
        .iter()
        .map(|m| {
            let json = serde_json::from_slice::<Value>(&m.body).ok();
            (match_body(expected, json.as_ref()).0, *m)
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

/// `messages … count OP N`. A count that can only grow is known as soon as
/// it holds (`>=`, `>`) or exceeds what `==`, `<=`, `<` allow; otherwise it
/// is read once no message has come for `[channels] quiet`, and at the
/// latest at `[channels] wait`.
async fn count(
    messages: &MessageContext<'_>,
    on: &On<'_>,
    op: CmpOp,
    wanted: u64,
) -> Result<(), Failure> {
    let inbox = messages.brokers.inbox();
    let wait_deadline = after(messages.last_step, messages.waits.wait);
    let count_of = |all: &[Received]| all.iter().filter(|m| on.holds(m)).count() as u64;
    let holds = |n: u64| match op {
        CmpOp::Eq => n == wanted,
        CmpOp::Ne => n != wanted,
        CmpOp::Lt => n < wanted,
        CmpOp::Le => n <= wanted,
        CmpOp::Gt => n > wanted,
        CmpOp::Ge => n >= wanted,
    };
    // Known for good: it holds and more cannot undo it, or it failed and
    // more cannot mend it.
    let settled = |n: u64| match op {
        CmpOp::Gt | CmpOp::Ge => holds(n),
        CmpOp::Eq | CmpOp::Le => n > wanted,
        CmpOp::Lt => n >= wanted,
        CmpOp::Ne => false,
    };
    let mut seen = inbox
        .wait_until(wait_deadline, |all| {
            let n = count_of(all);
            settled(n) || (matches!(op, CmpOp::Eq) && n == wanted)
        })
        .await;
    // What may still change: wait until no message has come for `quiet`.
    while !settled(count_of(&seen)) && Instant::now() < wait_deadline {
        let last = seen
            .iter()
            .filter(|m| on.holds(m))
            .map(|m| m.at)
            .max()
            .unwrap_or(messages.last_step)
            .max(messages.last_step);
        let quiet_end = after(last, messages.waits.quiet).min(wait_deadline);
        if Instant::now() >= quiet_end {
            break;
        }
        let before = count_of(&seen);
        seen = inbox
            .wait_until(quiet_end, |all| count_of(all) != before)
            .await;
    }
    let n = count_of(&seen);
    if holds(n) {
        return Ok(());
    }
    let (_, since) = inbox.snapshot();
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
/// for `[channels] quiet` after the last step.
pub(super) async fn none(
    broker: Option<&Spanned<String>>,
    topic: Option<&Spanned<String>>,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let messages = context(cx)?;
    let on = match broker {
        Some(broker) => Some(on(messages, broker, topic)?),
        None => None,
    };
    let holds = |m: &Received| on.as_ref().is_none_or(|on| on.holds(m));
    let inbox = messages.brokers.inbox();
    let seen = inbox
        .wait_until(after(messages.last_step, messages.waits.quiet), |all| {
            all.iter().any(holds)
        })
        .await;
    let found: Vec<Received> = seen.iter().filter(|m| holds(m)).cloned().collect();
    if found.is_empty() {
        return Ok(());
    }
    let (_, since) = inbox.snapshot();
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

fn wait_text(wait: std::time::Duration) -> String {
    let ms = wait.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}
