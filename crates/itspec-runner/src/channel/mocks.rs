//! The mocks of the service's HTTP dependencies as a side-effect channel:
//! observing starts the case on every mock (the spec's routes with the
//! case's overrides, an empty journal), collecting reads the journals, and
//! nothing happened when no call reached any mock.

use futures_util::future::LocalBoxFuture;
use itspec_spec::model::Spec;

use super::{Channel, ChannelError, Journal};
use crate::assert::{Failure, none_in};
use crate::mock::{Journals, Mocks, Override};
use crate::vars::Scope;

/// The mocks, for one case.
pub(crate) struct MockChannel<'a> {
    mocks: &'a Mocks,
    spec: &'a Spec,
    /// The case's overrides (`mock NAME METHOD /path -> …` setup lines).
    overrides: Vec<(String, Override<'a>)>,
    /// The variables after Setup, for the routes' templates.
    scope: Scope,
    /// What the mocks received, once collected.
    journals: Option<Journals>,
    /// `itspec mutate`: the change to one answer, and whether it found
    /// its route.
    mutant: Option<(&'a crate::mutate::MockMutant, bool)>,
}

impl<'a> MockChannel<'a> {
    /// The channel of a run's mocks; `None` when it has none.
    pub fn new(
        mocks: &'a Mocks,
        spec: &'a Spec,
        overrides: Vec<(String, Override<'a>)>,
        scope: Scope,
        mutant: Option<&'a crate::mutate::MockMutant>,
    ) -> Option<Self> {
        (!mocks.is_empty()).then_some(Self {
            mocks,
            spec,
            overrides,
            scope,
            journals: None,
            mutant: mutant.map(|m| (m, false)),
        })
    }

    /// `Some(false)`: the mutant of a mock's answer found no such route.
    pub fn mutant_applied(&self) -> Option<bool> {
        self.mutant.map(|(_, applied)| applied)
    }

    /// What the mocks received during the attempt, once collected.
    pub fn journals(&self) -> Option<&Journals> {
        self.journals.as_ref()
    }

    fn begin(&mut self) -> Result<(), ChannelError> {
        self.journals = None;
        let mutant = self.mutant.map(|(m, _)| m);
        let change = |routes: &mut crate::mock::RouteTable| mutant.is_some_and(|m| m.apply(routes));
        let applied = self
            .mocks
            .begin_case(
                self.spec,
                &self.overrides,
                &self.scope,
                mutant.map(|m| (m.mock.as_str(), &change as &dyn Fn(&mut _) -> bool)),
            )
            .map_err(|error| ChannelError {
                what: "mocks",
                message: error.to_string(),
            })?;
        if let Some((_, found)) = &mut self.mutant {
            *found = applied;
        }
        Ok(())
    }
}

impl Channel for MockChannel<'_> {
    fn observe(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        let begun = self.begin();
        Box::pin(async move { begun })
    }

    fn reset(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        let begun = self.begin();
        Box::pin(async move { begun })
    }

    fn collect(&mut self) -> LocalBoxFuture<'_, Result<(), ChannelError>> {
        self.journals = Some(self.mocks.journals());
        Box::pin(async { Ok(()) })
    }

    fn nothing_happened(&self) -> Result<(), Failure> {
        self.journals.as_ref().map_or(Ok(()), none_in)
    }

    /// Read again: a call that came while the checks waited (`within`)
    /// is part of what the case shows and is judged.
    fn journal(&self, journal: &mut Journal) {
        if self.journals.is_some() {
            journal.mock_calls = self.mocks.journals();
        }
    }
}
