//! What the brokers of a worker carried, as it arrives: one buffer for
//! every broker, filled by their observers, emptied when a case begins,
//! and waited on by the assertions that wait for a message.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// One message as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    /// The broker's name (`[brokers.NAME]`).
    pub broker: String,
    /// Its topic.
    pub topic: String,
    /// Its headers or properties.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

/// The most messages one case keeps.
pub const MAX_MESSAGES: usize = 10_000;

/// The messages of the case going on.
#[derive(Debug)]
pub struct Inbox {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    messages: Vec<Received>,
    /// When the case (or the iteration) began observing.
    since: Instant,
    /// Why a broker is no longer observed: from then on nothing about
    /// messages can be answered.
    lost: Option<String>,
    /// Watched topics that do not exist on their broker, so nothing on
    /// them is seen: set and cleared by the observers as each case begins.
    missing: Option<String>,
    /// The case brought more than [`MAX_MESSAGES`].
    overflowed: bool,
}

impl Default for Inbox {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                messages: Vec::new(),
                since: Instant::now(),
                lost: None,
                missing: None,
                overflowed: false,
            }),
            changed: Notify::new(),
        }
    }
}

impl Inbox {
    /// Takes in a message (an observer calls it). Past [`MAX_MESSAGES`] in
    /// one case the brokers count as lost: a case cannot be judged on part
    /// of what it caused.
    pub fn push(&self, message: Received) {
        {
            let mut state = self.lock();
            if state.messages.len() >= MAX_MESSAGES {
                state.overflowed = true;
            } else {
                state.messages.push(message);
            }
        }
        self.changed.notify_waiters();
    }

    /// A broker's subscription ended (an observer calls it): every later
    /// answer about messages is an error, never a pass.
    pub fn lose(&self, why: String) {
        self.lock().lost.get_or_insert(why);
        self.changed.notify_waiters();
    }

    /// Watched topics are missing (`Some`), or no longer (`None`): while
    /// they are, every answer about messages is an error.
    pub fn set_missing(&self, why: Option<String>) {
        self.lock().missing = why;
        self.changed.notify_waiters();
    }

    /// Why a broker is no longer observed, or the case's messages are
    /// not all seen or kept, if so.
    pub fn lost(&self) -> Option<String> {
        let state = self.lock();
        state
            .lost
            .clone()
            .or_else(|| state.missing.clone())
            .or_else(|| {
            state.overflowed.then(|| {
                format!(
                    "more than {MAX_MESSAGES} messages came during the case: itspec keeps no more, so what it would say of them is not known"
                )
            })
        })
    }

    /// Takes out the first message `is` picks (the case's own input,
    /// which the service did not publish); whether there was one.
    pub fn forget(&self, is: impl Fn(&Received) -> bool) -> bool {
        let mut state = self.lock();
        match state.messages.iter().position(is) {
            Some(at) => {
                state.messages.remove(at);
                true
            }
            None => false,
        }
    }

    /// Starts a case (or an iteration): what came before is no part of it.
    pub fn begin(&self) {
        let mut state = self.lock();
        state.messages.clear();
        state.overflowed = false;
        state.since = Instant::now();
    }

    /// The messages since [`Inbox::begin`], and when it was.
    pub fn snapshot(&self) -> (Vec<Received>, Instant) {
        let state = self.lock();
        (state.messages.clone(), state.since)
    }

    /// Waits until `holds` is true of the messages, or `deadline` passes;
    /// returns the messages then. Woken by each message, it answers as
    /// soon as the answer is known.
    pub async fn wait_until(
        &self,
        deadline: Instant,
        mut holds: impl FnMut(&[Received]) -> bool,
    ) -> Vec<Received> {
        loop {
            // Registered before looking, so a message between the look
            // and the wait still wakes it.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let (messages, _) = self.snapshot();
            if holds(&messages) || Instant::now() >= deadline || self.lost().is_some() {
                return messages;
            }
            let _ = tokio::time::timeout_at(deadline.into(), changed).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means an observer panicked mid-push; the
        // messages are still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The point `wait` after `from`.
pub fn after(from: Instant, wait: Duration) -> Instant {
    from.checked_add(wait).unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: &str) -> Received {
        Received {
            broker: "events".into(),
            topic: topic.into(),
            headers: Vec::new(),
            body: b"{}".to_vec(),
            at: Instant::now(),
        }
    }

    #[tokio::test]
    async fn a_wait_ends_with_the_message_that_answers_it() {
        let inbox = std::sync::Arc::new(Inbox::default());
        let pusher = inbox.clone();
        let started = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            pusher.push(message("a"));
        });
        let seen = inbox
            .wait_until(after(started, Duration::from_secs(20)), |m| !m.is_empty())
            .await;
        assert_eq!(seen.len(), 1);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_lost_subscription_ends_every_wait_at_once_and_stays_lost() {
        let inbox = std::sync::Arc::new(Inbox::default());
        let loser = inbox.clone();
        let started = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            loser.lose("the connection closed".into());
        });
        let seen = inbox
            .wait_until(after(started, Duration::from_secs(20)), |m| !m.is_empty())
            .await;
        assert!(seen.is_empty());
        assert!(started.elapsed() < Duration::from_secs(10));
        inbox.begin();
        assert_eq!(inbox.lost().as_deref(), Some("the connection closed"));
    }

    #[tokio::test]
    async fn a_wait_that_is_never_answered_ends_at_its_deadline() {
        let inbox = Inbox::default();
        inbox.push(message("old"));
        inbox.begin();
        let started = Instant::now();
        let seen = inbox
            .wait_until(after(started, Duration::from_millis(50)), |m| !m.is_empty())
            .await;
        assert!(
            seen.is_empty(),
            "a message before begin is no part of the case"
        );
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
