//! Side-effect channels: the places a service writes to besides its
//! response — its database, the HTTP dependencies itspec mocks and the
//! message brokers it publishes to (and the Redis keys it writes), and the
//! SMTP server it sends e-mail through. A case asks each channel the
//! same things at the same moments (docs/architecture.md, "A side-effect
//! channel"):
//!
//! 1. [`Channel::observe`], after Setup: what the channel holds now is what
//!    the case starts from (the database's tracked tables, the mocks'
//!    routes with the case's overrides and an empty journal);
//! 2. [`Channel::reset`], before each further iteration of a concurrency
//!    case: back to what `observe` saw;
//! 3. [`Channel::collect`], after the last request: what happened;
//! 4. the assertions read what was collected, and `no side effects` asks
//!    every channel [`Channel::nothing_happened`];
//! 5. [`Channel::journal`]: what it saw goes into the case's result, for
//!    every report.
//!
//! What a case wrote is put back after it by the worker's record of the
//! database (exec/worker.rs, `Isolation::begin`/`restore`), which also
//! covers Setup; a channel with nothing to put back has nothing to do
//! there.

mod database;
mod mail;
mod messages;
mod mocks;

use futures_util::future::LocalBoxFuture;

pub(crate) use database::DatabaseChannel;
pub(crate) use mail::MailChannel;
pub(crate) use messages::MessageChannel;
pub(crate) use mocks::MockChannel;

use crate::assert::{Failure, SideEffects};
use crate::mock::Journals;

/// One side-effect channel of a case.
pub(crate) trait Channel {
    /// After Setup: starts observing from what is there now.
    fn observe(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>>;

    /// Before a further iteration: back to what [`Channel::observe`] saw.
    fn reset(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>>;

    /// After the last request: takes in what happened during the case.
    fn collect(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>>;

    /// `no side effects`: `Ok` when nothing happened since
    /// [`Channel::observe`], else what did, as a failure with evidence.
    fn nothing_happened(&self) -> Result<(), Failure>;

    /// What it saw, into the attempt's journal.
    fn journal(&self, journal: &mut Journal);
}

/// A channel could not observe, reset or collect: the case errs.
#[derive(Debug)]
pub(crate) struct ChannelError {
    /// What could not be done, as the check's text: `mocks`,
    /// `database snapshot`.
    pub what: &'static str,
    /// Why.
    pub message: String,
}

/// What the channels saw during one attempt of a case.
#[derive(Clone, Debug, Default)]
pub(crate) struct Journal {
    /// What each mock received.
    pub mock_calls: Journals,
    /// What each broker carried.
    pub messages: std::collections::BTreeMap<String, Vec<itspec_results::Message>>,
    /// What the SMTP server took in; `None` when the run has none.
    pub emails: Option<Vec<itspec_results::Email>>,
}

/// The channels of a case. Adding one: a module beside `database` and
/// `mocks`, a field here, and a line in [`Channels::each`] and
/// [`Channels::each_mut`].
#[derive(Default)]
pub(crate) struct Channels<'a> {
    /// The database, when one is configured.
    pub database: Option<DatabaseChannel<'a>>,
    /// The mocks, when the run has any.
    pub mocks: Option<MockChannel<'a>>,
    /// The brokers, when the run has any.
    pub messages: Option<MessageChannel<'a>>,
    /// The SMTP server, when `[mail]` is configured.
    pub mail: Option<MailChannel<'a>>,
}

impl Channels<'_> {
    /// Every channel, in the order they are asked.
    fn each(&self) -> Vec<&dyn Channel> {
        let mut all: Vec<&dyn Channel> = Vec::new();
        if let Some(database) = &self.database {
            all.push(database);
        }
        if let Some(mocks) = &self.mocks {
            all.push(mocks);
        }
        if let Some(messages) = &self.messages {
            all.push(messages);
        }
        if let Some(mail) = &self.mail {
            all.push(mail);
        }
        all
    }

    fn each_mut(&mut self) -> Vec<&mut dyn Channel> {
        let mut all: Vec<&mut dyn Channel> = Vec::new();
        if let Some(database) = &mut self.database {
            all.push(database);
        }
        if let Some(mocks) = &mut self.mocks {
            all.push(mocks);
        }
        if let Some(messages) = &mut self.messages {
            all.push(messages);
        }
        if let Some(mail) = &mut self.mail {
            all.push(mail);
        }
        all
    }

    /// [`Channel::observe`] on every channel; the first error stops.
    pub async fn observe(&mut self) -> Result<(), ChannelError> {
        for channel in self.each_mut() {
            channel.observe().await?;
        }
        Ok(())
    }

    /// [`Channel::reset`] on every channel; the first error stops.
    pub async fn reset(&mut self) -> Result<(), ChannelError> {
        for channel in self.each_mut() {
            channel.reset().await?;
        }
        Ok(())
    }

    /// [`Channel::collect`] on every channel; each error is returned, and
    /// the others still collect.
    pub async fn collect(&mut self) -> Vec<ChannelError> {
        let mut errors = Vec::new();
        for channel in self.each_mut() {
            if let Err(error) = channel.collect().await {
                errors.push(error);
            }
        }
        errors
    }

    /// What every channel saw.
    pub fn journal(&self) -> Journal {
        let mut journal = Journal::default();
        for channel in self.each() {
            channel.journal(&mut journal);
        }
        journal
    }
}

impl SideEffects for Channels<'_> {
    fn none(&self) -> Result<(), Failure> {
        let channels = self.each();
        if channels.is_empty() {
            return Err(Failure::new(
                "`no side effects` compares the database, the mocks' journals, the brokers' messages and the e-mails, and this run has none of them: add [database] (and mocks, brokers or [mail]) to itspec.toml",
            ));
        }
        channels
            .into_iter()
            .try_for_each(|channel| channel.nothing_happened())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_side_effects_without_a_channel_is_refused_not_passed() {
        let Err(failure) = Channels::default().none() else {
            panic!("with nothing to observe, `no side effects` cannot pass");
        };
        assert!(
            failure.message.contains("this run has none of them"),
            "{}",
            failure.message
        );
        assert!(Channels::default().journal().mock_calls.is_empty());
    }
}
