//! The one lint pipeline of a spec, for `itspec check` and `itspec run`
//! alike: the spec's own lint (itspec-spec), then what its API contract
//! says of it — the operation its Related line names, the statuses and
//! bodies its cases expect.

use itspec_spec::{Code, Diagnostic, LintOptions, Parsed, Severity, Spec};

use crate::{Contracts, lint_with};

/// Parses and lints a spec's text, then lints it against its contract.
/// `undocumented`: the severity of a status the contract does not
/// document (`[contract] undocumented_status`).
pub fn check(
    text: &str,
    options: &LintOptions,
    contracts: &Contracts,
    undocumented: Severity,
) -> Parsed {
    let mut checked = itspec_spec::check(text, options);
    let held = against_contract(&checked.spec, contracts, undocumented);
    if !held.is_empty() {
        checked.diagnostics.extend(held);
        checked
            .diagnostics
            .sort_by_key(|d| (d.span.start, d.span.end, d.code));
    }
    checked
}

/// A spec against its OpenAPI contract, when it has one.
fn against_contract(spec: &Spec, contracts: &Contracts, undocumented: Severity) -> Vec<Diagnostic> {
    match contracts.of(spec) {
        Ok((Some(contract), _)) => lint_with(spec, &contract, undocumented),
        Ok((None, _)) => Vec::new(),
        Err(error) => spec
            .related
            .contract
            .as_ref()
            .map(|named| {
                Diagnostic::error(Code::UnknownOperation, named.span, error).with_help(
                    "name an OpenAPI document beside itspec.toml, or set [contract] openapi",
                )
            })
            .into_iter()
            .collect(),
    }
}
