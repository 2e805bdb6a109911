//! The brokers as a side-effect channel: a case observes from the end of
//! Setup (its messages start there); for `no side effects` it waits
//! `[channels] quiet` after the last step for messages that come late;
//! what the brokers carried is the case's message journal. Nothing is
//! consumed from the service's own queues: itspec only reads its own
//! subscriptions. The tracked Redis keys are part of it: a further
//! iteration starts from their record, and a key that changed is a side
//! effect.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::future::LocalBoxFuture;

use super::{Channel, ChannelError, Journal};
use crate::assert::Failure;
use crate::broker::{Brokers, Received, after, brokers_of, notes, record};
use itspec_results::Message;

/// The brokers of a case.
pub(crate) struct MessageChannel<'a> {
    brokers: &'a Brokers,
    /// Wait this long after the last step before `nothing_happened`
    /// answers (the case asks `no side effects`).
    quiet: Option<Duration>,
    /// How the tracked keys differ from their record, once collected (or
    /// why that could not be read).
    key_changes: Result<Vec<String>, String>,
}

impl<'a> MessageChannel<'a> {
    /// The channel of a run's brokers; `None` when it has none.
    pub fn new(brokers: &'a Brokers, quiet: Option<Duration>) -> Option<Self> {
        (!brokers.is_empty()).then_some(Self {
            brokers,
            quiet,
            key_changes: Ok(Vec::new()),
        })
    }
}

impl MessageChannel<'_> {
    /// An error when a broker is no longer observed.
    fn lost(&self) -> Result<(), ChannelError> {
        match self.brokers.inbox().lost() {
            Some(message) => Err(ChannelError {
                what: "messages",
                message,
            }),
            None => Ok(()),
        }
    }
}

impl Channel for MessageChannel<'_> {
    fn observe(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            // What was sent before now is in, and no part of the case.
            self.brokers.settle().await;
            self.brokers.inbox().begin();
            self.lost()
        })
    }

    fn reset(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            self.brokers
                .restore_keys()
                .await
                .map_err(|message| ChannelError {
                    what: "tracked keys",
                    message,
                })?;
            self.observe().await
        })
    }

    fn collect(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            if let Some(quiet) = self.quiet {
                // A message ends the wait: the answer is known.
                self.brokers
                    .inbox()
                    .wait_until(after(Instant::now(), quiet), |messages| {
                        !messages.is_empty()
                    })
                    .await;
            }
            // Everything sent so far is in: the journal and `no side
            // effects` read all of it.
            self.brokers.settle().await;
            self.key_changes = self.brokers.key_changes().await;
            self.lost()
        })
    }

    fn nothing_happened(&self) -> Result<(), Failure> {
        if let Some(why) = self.brokers.inbox().lost() {
            return Err(Failure::error(why));
        }
        let changed = match &self.key_changes {
            Ok(changed) => changed,
            Err(why) => return Err(Failure::error(why.clone())),
        };
        if !changed.is_empty() {
            let mut failure = Failure::new(format!(
                "{} tracked key{} changed",
                changed.len(),
                if changed.len() == 1 { "" } else { "s" }
            ));
            failure.evidence.notes = changed.clone();
            return Err(failure);
        }
        let (messages, since) = self.brokers.inbox().snapshot();
        if messages.is_empty() {
            return Ok(());
        }
        let mut failure = Failure::new(format!(
            "{} message{} published ({})",
            messages.len(),
            if messages.len() == 1 {
                " was"
            } else {
                "s were"
            },
            brokers_of(&messages).join(", ")
        ));
        failure.evidence.notes = notes(&messages, since);
        Err(failure)
    }

    fn journal(&self, journal: &mut Journal) {
        let (messages, since) = self.brokers.inbox().snapshot();
        journal.messages = by_broker(&messages, since);
        // Every watched broker shows, the quiet ones too.
        for name in self.brokers.kinds().keys() {
            journal.messages.entry(name.clone()).or_default();
        }
    }
}

/// The messages by broker.
fn by_broker(messages: &[Received], since: Instant) -> BTreeMap<String, Vec<Message>> {
    let mut journal: BTreeMap<String, Vec<Message>> = BTreeMap::new();
    for received in messages {
        journal
            .entry(received.broker.clone())
            .or_default()
            .push(record(received, since));
    }
    journal
}
