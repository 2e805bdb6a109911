//! What the specs cover of a contract: for each operation, each documented
//! status with the cases that expect it, the cases that reach the
//! operation without saying which status they expect, and the statuses
//! cases expect that it does not document. `itspec trace --contract` shows
//! it; an operation no case reaches is the contract left untested.

use itspec_spec::Spec;

use crate::sent::sent;
use crate::{Contract, Operation};

/// A case, by its spec's path and its id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaseRef {
    /// The spec's path, as shown.
    pub spec: String,
    /// `TC-INT-001`.
    pub case: String,
}

/// A status and the cases that expect it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCoverage {
    /// As documented: `201`, `4XX`, `default` (or, for an undocumented
    /// one, as expected).
    pub status: String,
    /// The cases, in the order they were added.
    pub cases: Vec<CaseRef>,
}

/// One operation and the cases that reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationCoverage {
    /// The operation.
    pub operation: Operation,
    /// Each documented status, in document order.
    pub statuses: Vec<StatusCoverage>,
    /// Cases that send it a request without saying which status they
    /// expect.
    pub unstated: Vec<CaseRef>,
    /// Statuses cases expect that the operation does not document.
    pub undocumented: Vec<StatusCoverage>,
}

impl OperationCoverage {
    /// Whether any case sends it a request.
    pub fn touched(&self) -> bool {
        !self.unstated.is_empty()
            || self
                .statuses
                .iter()
                .chain(&self.undocumented)
                .any(|s| !s.cases.is_empty())
    }

    fn expect(&mut self, documented: Option<&str>, written: String, case: &CaseRef) {
        let cell = match documented {
            Some(documented) => self.statuses.iter_mut().find(|s| s.status == documented),
            None => {
                if !self.undocumented.iter().any(|s| s.status == written) {
                    self.undocumented.push(StatusCoverage {
                        status: written.clone(),
                        cases: Vec::new(),
                    });
                }
                self.undocumented.iter_mut().find(|s| s.status == written)
            }
        };
        if let Some(cell) = cell {
            push_once(&mut cell.cases, case);
        }
    }
}

/// A contract and what the specs cover of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The document, as named.
    pub contract: String,
    /// Every operation, in document order.
    pub operations: Vec<OperationCoverage>,
}

impl Coverage {
    /// A contract no case covers yet.
    pub fn new(contract: &Contract) -> Coverage {
        Coverage {
            contract: contract.file.clone(),
            operations: contract
                .operations()
                .iter()
                .map(|operation| OperationCoverage {
                    operation: operation.clone(),
                    statuses: operation
                        .statuses
                        .iter()
                        .map(|status| StatusCoverage {
                            status: status.clone(),
                            cases: Vec::new(),
                        })
                        .collect(),
                    unstated: Vec::new(),
                    undocumented: Vec::new(),
                })
                .collect(),
        }
    }

    /// Counts the cases of `spec` (shown as `path`), whose Related names
    /// `related`, against `contract` — the document this coverage is of.
    /// Requests the contract has no operation for are not counted.
    pub fn add(
        &mut self,
        path: &str,
        spec: &Spec,
        related: Option<&Operation>,
        contract: &Contract,
    ) {
        for case in &spec.cases {
            let case_ref = CaseRef {
                spec: path.to_string(),
                case: case.id.value.clone(),
            };
            for sent in sent(case, related, contract) {
                let Ok(operation) = sent.reached else {
                    continue;
                };
                let Some(covered) = self
                    .operations
                    .iter_mut()
                    .find(|c| c.operation.pointer == operation.pointer)
                else {
                    continue;
                };
                if sent.statuses.is_empty() && sent.classes.is_empty() {
                    push_once(&mut covered.unstated, &case_ref);
                }
                for (status, _) in &sent.statuses {
                    covered.expect(operation.documented(*status), status.to_string(), &case_ref);
                }
                for class in &sent.classes {
                    let range = format!("{class}XX");
                    let documents_range = operation
                        .statuses
                        .iter()
                        .find(|s| s.eq_ignore_ascii_case(&range))
                        .cloned();
                    let documents_one = operation
                        .statuses
                        .iter()
                        .any(|s| s.starts_with(&class.to_string()));
                    match documents_range {
                        Some(range) => covered.expect(Some(&range), range.clone(), &case_ref),
                        // `4xx` where 404 and 409 are documented: which one
                        // the case means is not written.
                        None if documents_one => push_once(&mut covered.unstated, &case_ref),
                        None => covered.expect(None, format!("{class}xx"), &case_ref),
                    }
                }
            }
        }
    }

    /// How many documented statuses there are, and how many have a case.
    pub fn responses(&self) -> (usize, usize) {
        let cells = self.operations.iter().flat_map(|o| &o.statuses);
        let all = cells.clone().count();
        (all, cells.filter(|s| !s.cases.is_empty()).count())
    }

    /// The operations no case sends a request to.
    pub fn untouched(&self) -> impl Iterator<Item = &OperationCoverage> {
        self.operations.iter().filter(|o| !o.touched())
    }
}

fn push_once(cases: &mut Vec<CaseRef>, case: &CaseRef) {
    if !cases.contains(case) {
        cases.push(case.clone());
    }
}
