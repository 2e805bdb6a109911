//! The mutants of `itspec mutate`: small changes, made by itspec, to what
//! a case sees — the response it received ([`response`]), a row the
//! service wrote ([`database`]), a fixture value before the case
//! ([`fixture`]), a mock's answer ([`mock`]). A case that still passes
//! with a mutant checks too little. The service's code is never touched,
//! and every mutant's run is recorded and restored as any run.

pub mod database;
pub mod fixture;
pub mod mock;
pub mod response;

pub use database::DbMutant;
pub use fixture::FixtureMutant;
pub use mock::MockMutant;
pub use response::{ResponseMutant, mutants_of};

/// The text of the step that says a mutant found no place to change in
/// its run.
pub const NOT_APPLIED: &str = "mutant not applied";

/// One change to what a case sees.
#[derive(Clone, Debug, PartialEq)]
pub enum Mutant {
    /// To the case's last response, before its checks read it.
    Response(ResponseMutant),
    /// To a row in the database, after the case's requests.
    Database(DbMutant),
    /// To a fixture value, before the case's Setup inserts it.
    Fixture(FixtureMutant),
    /// To a mock's answer, before the case's requests.
    Mock(MockMutant),
}

impl Mutant {
    /// What it changes, as the report says it.
    pub fn description(&self) -> &str {
        match self {
            Mutant::Response(m) => &m.description,
            Mutant::Database(m) => &m.description,
            Mutant::Fixture(m) => &m.description,
            Mutant::Mock(m) => &m.description,
        }
    }

    /// The response mutant, when it is one.
    pub fn response(&self) -> Option<&ResponseMutant> {
        match self {
            Mutant::Response(m) => Some(m),
            _ => None,
        }
    }

    /// The database mutant, when it is one.
    pub fn database(&self) -> Option<&DbMutant> {
        match self {
            Mutant::Database(m) => Some(m),
            _ => None,
        }
    }

    /// The fixture mutant, when it is one.
    pub fn fixture(&self) -> Option<&FixtureMutant> {
        match self {
            Mutant::Fixture(m) => Some(m),
            _ => None,
        }
    }

    /// The mock mutant, when it is one.
    pub fn mock(&self) -> Option<&MockMutant> {
        match self {
            Mutant::Mock(m) => Some(m),
            _ => None,
        }
    }
}

/// The step that says a mutant found no place in its run: told apart from
/// a mutant the checks let through.
pub(crate) fn not_applied(reason: String) -> itspec_results::StepResult {
    itspec_results::StepResult {
        kind: itspec_results::StepKind::Setup,
        span: itspec_spec::Span::default(),
        text: NOT_APPLIED.to_string(),
        verdict: itspec_results::Verdict::Unverified { reason },
    }
}
