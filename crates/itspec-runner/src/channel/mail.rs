//! The SMTP server as a side-effect channel: a case's e-mails are those
//! the server took in from the end of Setup; while the case runs, a `mail
//! -> CODE` setup line makes the server refuse them with that code; for
//! `no side effects` it waits `[channels] quiet` after the last step for an
//! e-mail that comes late. A refused e-mail is in the journal, marked so,
//! and is no side effect: it was not sent.

use std::time::{Duration, Instant};

use futures_util::future::LocalBoxFuture;
use itspec_spec::model::{SetupLineKind, TestCase};

use super::{Channel, ChannelError, Journal};
use crate::assert::Failure;
use crate::broker::after;
use crate::mail::{Fault, Mail};

/// The SMTP server of a case.
pub(crate) struct MailChannel<'a> {
    mail: &'a Mail,
    /// What the case's `mail -> CODE` line answers instead of 250.
    fault: Option<Fault>,
    /// Wait this long after the last step before `nothing_happened`
    /// answers (the case asks `no side effects`).
    quiet: Option<Duration>,
}

impl<'a> MailChannel<'a> {
    /// The channel of a run's SMTP server; `None` when it has none.
    pub fn new(mail: Option<&'a Mail>, case: &TestCase, quiet: Option<Duration>) -> Option<Self> {
        Some(Self {
            mail: mail?,
            fault: fault_of(case),
            quiet,
        })
    }
}

/// The case's last `mail -> CODE ["TEXT"]` line.
fn fault_of(case: &TestCase) -> Option<Fault> {
    case.setup
        .iter()
        .flat_map(|setup| &setup.lines)
        .filter_map(|line| match &line.kind {
            SetupLineKind::Mail { code, text } => Some(Fault {
                code: code.value,
                text: text.as_ref().map_or_else(
                    || default_text(code.value).to_string(),
                    |text| text.value.clone(),
                ),
            }),
            _ => None,
        })
        .next_back()
}

fn default_text(code: u16) -> &'static str {
    match code {
        421 => "Service not available",
        450 => "Mailbox unavailable, try again later",
        451 => "Local error in processing",
        452 => "Insufficient system storage",
        550 => "Mailbox unavailable",
        552 => "Exceeded storage allocation",
        553 => "Mailbox name not allowed",
        554 => "Transaction failed",
        _ if code < 500 => "Temporary failure",
        _ => "Refused",
    }
}

impl Drop for MailChannel<'_> {
    fn drop(&mut self) {
        // The fault is the case's own: the next one starts with 250.
        if self.fault.is_some() {
            self.mail.set_fault(None);
        }
    }
}

impl Channel for MailChannel<'_> {
    fn observe(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            self.mail.set_fault(self.fault.clone());
            self.mail.mailbox().begin();
            Ok(())
        })
    }

    fn reset(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        self.observe()
    }

    fn collect(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async move {
            if let Some(quiet) = self.quiet {
                // An e-mail ends the wait: the answer is known.
                self.mail
                    .mailbox()
                    .wait_until(after(Instant::now(), quiet), |sent| {
                        sent.iter().any(|s| s.email.accepted())
                    })
                    .await;
            }
            match self.mail.mailbox().lost() {
                Some(message) => Err(ChannelError {
                    what: "e-mails",
                    message,
                }),
                None => Ok(()),
            }
        })
    }

    fn nothing_happened(&self) -> Result<(), Failure> {
        if let Some(why) = self.mail.mailbox().lost() {
            return Err(Failure::error(why));
        }
        let sent: Vec<_> = self
            .mail
            .mailbox()
            .journal()
            .into_iter()
            .filter(itspec_results::Email::accepted)
            .collect();
        if sent.is_empty() {
            return Ok(());
        }
        let mut failure = Failure::new(format!(
            "{} e-mail{} sent",
            sent.len(),
            if sent.len() == 1 { " was" } else { "s were" }
        ));
        failure.evidence.notes = sent
            .iter()
            .map(|email| format!("sent: {}", email.summary()))
            .collect();
        Err(failure)
    }

    fn journal(&self, journal: &mut Journal) {
        journal.emails = Some(self.mail.mailbox().journal());
    }
}
