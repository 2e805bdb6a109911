//! What the SMTP server took in during the case going on: filled by the
//! connections as each message ends, emptied when a case begins, waited
//! on by the assertions that wait for an e-mail.

use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::Notify;

use itspec_results::Email;

/// One e-mail as it came.
#[derive(Clone, Debug)]
pub struct Sent {
    /// What it was.
    pub email: Email,
    /// When its last byte came.
    pub at: Instant,
}

/// The most e-mails one case keeps.
pub const MAX_EMAILS: usize = 10_000;

/// The e-mails of the case going on.
#[derive(Debug)]
pub struct Mailbox {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    sent: Vec<Sent>,
    since: Instant,
    /// The case brought more than [`MAX_EMAILS`].
    overflowed: bool,
}

impl Default for Mailbox {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                sent: Vec::new(),
                since: Instant::now(),
                overflowed: false,
            }),
            changed: Notify::new(),
        }
    }
}

impl Mailbox {
    /// Takes in an e-mail (a connection calls it before it answers).
    pub fn push(&self, email: Email) {
        {
            let mut state = self.lock();
            if state.sent.len() >= MAX_EMAILS {
                state.overflowed = true;
            } else {
                state.sent.push(Sent {
                    email,
                    at: Instant::now(),
                });
            }
        }
        self.changed.notify_waiters();
    }

    /// Starts a case (or an iteration): what came before is no part of it.
    pub fn begin(&self) {
        let mut state = self.lock();
        state.sent.clear();
        state.overflowed = false;
        state.since = Instant::now();
    }

    /// Why what the case sent cannot be judged, if so.
    pub fn lost(&self) -> Option<String> {
        self.lock().overflowed.then(|| {
            format!("more than {MAX_EMAILS} e-mails came during the case: itspec keeps no more, so what it would say of them is not known")
        })
    }

    /// The e-mails since [`Mailbox::begin`], and when it was.
    pub fn snapshot(&self) -> (Vec<Sent>, Instant) {
        let state = self.lock();
        (state.sent.clone(), state.since)
    }

    /// The e-mails as reports show them, their times counted from
    /// [`Mailbox::begin`].
    pub fn journal(&self) -> Vec<Email> {
        let (sent, since) = self.snapshot();
        sent.into_iter().map(|sent| record(sent, since)).collect()
    }

    /// Waits until `holds` is true of the e-mails, or `deadline` passes;
    /// returns the e-mails then. Woken by each e-mail, it answers as soon
    /// as the answer is known.
    pub async fn wait_until(
        &self,
        deadline: Instant,
        mut holds: impl FnMut(&[Sent]) -> bool,
    ) -> Vec<Sent> {
        loop {
            // Registered before looking, so an e-mail between the look
            // and the wait still wakes it.
            let changed = self.changed.notified();
            let sent = self.snapshot().0;
            if holds(&sent) || Instant::now() >= deadline {
                return sent;
            }
            let _ = tokio::time::timeout_at(deadline.into(), changed).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::broker::lock(&self.state)
    }
}

/// An e-mail with its time since the case began.
pub fn record(sent: Sent, since: Instant) -> Email {
    let at_ms = sent
        .at
        .checked_duration_since(since)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0;
    Email {
        at_ms: (at_ms * 10.0).round() / 10.0,
        ..sent.email
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn email(subject: &str) -> Email {
        Email {
            subject: subject.into(),
            answered: 250,
            ..Email::default()
        }
    }

    #[tokio::test]
    async fn a_wait_ends_with_the_email_it_waits_for_and_a_new_case_starts_empty() {
        let mailbox = std::sync::Arc::new(Mailbox::default());
        let sender = mailbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            sender.push(email("first"));
        });
        let got = mailbox
            .wait_until(Instant::now() + Duration::from_secs(5), |sent| {
                !sent.is_empty()
            })
            .await;
        assert_eq!(got.len(), 1);
        assert_eq!(mailbox.journal()[0].subject, "first");
        mailbox.begin();
        assert!(mailbox.journal().is_empty());
        // Nothing comes: the wait ends at its deadline, empty.
        let none = mailbox
            .wait_until(Instant::now() + Duration::from_millis(30), |sent| {
                !sent.is_empty()
            })
            .await;
        assert!(none.is_empty());
    }
}
