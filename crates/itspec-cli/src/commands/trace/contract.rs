//! `itspec trace --contract`: each OpenAPI contract — the configured one
//! and those specs name — with the cases of the specs that answer to it;
//! itspec-report renders the coverage.

use std::sync::Arc;

use anyhow::{Result, bail};
use itspec_contract::{Contract, Contracts, Coverage};
use itspec_results::SpecResult;
use itspec_spec::Spec;

use crate::cli::TraceFormat;
use crate::output::eprint;

/// The coverage of every contract, as Markdown, JSON or HTML.
pub(super) fn render(
    contracts: &Contracts,
    specs: &[(String, Spec)],
    results: &[SpecResult],
    format: TraceFormat,
) -> Result<String> {
    let coverages = cover(contracts, specs);
    if coverages.is_empty() {
        bail!(
            "no OpenAPI contract to trace: set [contract] openapi in itspec.toml, or name one in a spec's Related (`openapi.yaml#operationId`)"
        );
    }
    Ok(itspec_report::trace::contract::render(
        &coverages,
        specs,
        results,
        format.into(),
    )?)
}

/// The configured contract first, then each one a spec names, each with
/// the cases of the specs that answer to it.
fn cover(contracts: &Contracts, specs: &[(String, Spec)]) -> Vec<Coverage> {
    let mut covered: Vec<(Arc<Contract>, Coverage)> = contracts
        .configured()
        .map(|contract| {
            let coverage = Coverage::new(&contract);
            (contract, coverage)
        })
        .into_iter()
        .collect();
    for (path, spec) in specs {
        match contracts.of(spec) {
            Ok((Some(contract), related)) => {
                let at = match covered.iter().position(|(c, _)| Arc::ptr_eq(c, &contract)) {
                    Some(at) => at,
                    None => {
                        let coverage = Coverage::new(&contract);
                        covered.push((Arc::clone(&contract), coverage));
                        covered.len() - 1
                    }
                };
                if let Some((_, coverage)) = covered.get_mut(at) {
                    coverage.add(path, spec, related.as_ref(), &contract);
                }
            }
            Ok((None, _)) => {}
            Err(error) => eprint(&format!("warning: {path}: the API contract: {error}")),
        }
    }
    covered.into_iter().map(|(_, coverage)| coverage).collect()
}
