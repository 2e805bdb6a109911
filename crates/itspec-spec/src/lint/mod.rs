//! Lint rules: problems visible in a parsed [`Spec`] as a whole.
//!
//! Each rule is a file with one job. Syntax problems are found while
//! parsing; these rules look across the document: unfilled placeholders,
//! case ids, variables, references between parts, and the header against
//! the sections.

mod case_ids;
mod definitions;
mod mail;
mod placeholders;
mod publish;
mod references;
mod related;
mod topics;
mod variables;
mod weak;

use crate::diagnostic::Diagnostic;
use crate::model::Spec;

/// What the lint knows beyond the spec itself.
#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    /// Variables defined outside the spec: `[vars]` of the config and
    /// `--var` flags.
    pub vars: Vec<String>,
    /// Mocks defined outside the spec: `[mocks.NAME]` of the config.
    pub mocks: Vec<String>,
    /// Brokers of the config (`[brokers.NAME]`).
    pub brokers: Vec<KnownBroker>,
    /// The config has `[mail]`: itspec runs an SMTP server.
    pub mail: bool,
    /// The config has `[database]`: error cases can prove they changed
    /// nothing.
    pub database: bool,
    /// Prose assertions are errors, not warnings.
    pub strict: bool,
}

/// A broker of the config, as the lint knows it.
#[derive(Clone, Debug, Default)]
pub struct KnownBroker {
    /// Its name.
    pub name: String,
    /// Its wildcards (`None`: its URL names no broker, which the run
    /// reports).
    pub rules: Option<crate::topics::TopicRules>,
    /// What it watches.
    pub watch: Vec<String>,
}

/// Runs every rule.
pub fn lint(spec: &Spec, options: &LintOptions) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    placeholders::check(spec, options, &mut diagnostics);
    case_ids::check(spec, &mut diagnostics);
    definitions::check(spec, &mut diagnostics);
    variables::check(spec, options, &mut diagnostics);
    references::check(spec, options, &mut diagnostics);
    topics::check(spec, options, &mut diagnostics);
    mail::check(spec, options, &mut diagnostics);
    publish::check(spec, &mut diagnostics);
    related::check(spec, options, &mut diagnostics);
    weak::check(spec, options, &mut diagnostics);
    diagnostics
}

/// Names the spec defines as variables: fixtures, Setup fixtures, captures.
pub(crate) fn defined_names(spec: &Spec) -> impl Iterator<Item = &str> {
    let fixtures = spec
        .fixtures
        .iter()
        .filter_map(|f| f.name.as_ref())
        .map(|n| n.value.as_str());
    let setups = spec
        .cases
        .iter()
        .filter_map(|c| c.setup.as_ref())
        .flat_map(|s| &s.fixtures)
        .filter_map(|f| f.name.as_ref())
        .map(|n| n.value.as_str());
    let captures = spec
        .cases
        .iter()
        .flat_map(|c| &c.captures)
        .map(|c| c.name.value.as_str());
    fixtures.chain(setups).chain(captures)
}
