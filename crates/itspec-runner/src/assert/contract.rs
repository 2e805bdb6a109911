//! Every response checked against the OpenAPI operation its request
//! reached: the status must be documented, and a JSON body must fit the
//! schema documented for it. Requests the contract does not know are not
//! checked here (`itspec check` reports them).

use itspec_contract::{Contract, ResponseCheck};

use itspec_results::{Evidence, Exchange, StepKind, StepResult, Verdict};

/// A check per answered exchange whose request the contract knows. With
/// `undocumented_warns` (`[contract] undocumented_status = "warn"`), a
/// status the contract does not document is a warning: shown with the
/// case, failing nothing.
pub(crate) fn contract(
    contract: &Contract,
    exchanges: &[Exchange],
    undocumented_warns: bool,
    checks: &mut Vec<StepResult>,
) {
    for exchange in exchanges {
        let Some(response) = &exchange.response else {
            continue;
        };
        let path = path_of(&exchange.request.url);
        let Some(operation) = contract.route(&exchange.request.method, path) else {
            continue;
        };
        let text = format!("the response of {} ({})", operation.name(), contract.file);
        let failed = |message: String, evidence: Evidence| {
            StepResult::failed(StepKind::Contract, exchange.span, &text, message, evidence)
        };
        checks.push(
            match contract.check_response(operation, response.status, response.json.as_ref()) {
                Ok(ResponseCheck::Valid) => {
                    StepResult::passed(StepKind::Contract, exchange.span, &text)
                }
                Ok(ResponseCheck::Undocumented { documented }) if undocumented_warns => {
                    StepResult {
                        kind: StepKind::Contract,
                        span: exchange.span,
                        text: text.clone(),
                        verdict: Verdict::Unverified {
                            reason: format!(
                                "warning: status {} is not documented for {} in {} (it documents {}); \
                                 [contract] undocumented_status = \"warn\" lets it pass",
                                response.status,
                                operation.name(),
                                contract.file,
                                documented.join(", ")
                            ),
                        },
                    }
                }
                Ok(ResponseCheck::Undocumented { documented }) => failed(
                    format!(
                        "status {} is not documented for {} in {} (document it, or set [contract] undocumented_status = \"warn\" in itspec.toml)",
                        response.status,
                        operation.name(),
                        contract.file
                    ),
                    Evidence {
                        expected: Some(format!("one of {}", documented.join(", "))),
                        actual: Some(response.status.to_string()),
                        ..Evidence::default()
                    },
                ),
                Ok(ResponseCheck::Invalid { documented, errors }) => failed(
                    format!(
                        "the body breaks the schema of {}'s {documented} response: {}",
                        operation.name(),
                        errors.first().map(ToString::to_string).unwrap_or_default()
                    ),
                    Evidence {
                        notes: errors.iter().map(ToString::to_string).collect(),
                        ..Evidence::default()
                    },
                ),
                Err(error) => failed(
                    format!("cannot check the response against the contract: {error}"),
                    Evidence::default(),
                ),
            },
        );
    }
}

/// The path and query of a URL: `http://host:1/a?b` → `/a?b`.
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .and_then(|i| after_scheme.get(i..))
        .unwrap_or("/")
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn paths_are_cut_from_urls() {
        assert_eq!(
            path_of("http://127.0.0.1:8080/orders/7?x=1"),
            "/orders/7?x=1"
        );
        assert_eq!(path_of("http://127.0.0.1:8080"), "/");
    }
}
