//! What a case sends, seen from its contract: each request — the Request
//! line (or, without one, the operation Related names), or each Actions
//! item — with the operation it reaches, the statuses the case expects of
//! its response and the bodies the case writes for it. `itspec check`
//! lints these; `itspec trace --contract` counts them.

use itspec_spec::Span;
use itspec_spec::model::{
    ActionBody, AssertionKind, CmpOp, ExpectedOutput, Operand, OperandKind, Predicate,
    ResponsePart, SubjectKind, TestCase, Value, ValueKind,
};

use crate::{Contract, Operation};

/// One request of a case.
pub(crate) struct Sent<'s, 'c> {
    /// The operation it reaches, or where the request the contract does not
    /// know is written.
    pub reached: Result<&'c Operation, Unrouted<'s>>,
    /// The statuses the case expects of its response, where each is written.
    pub statuses: Vec<(u16, Span)>,
    /// The status classes it expects (`4xx` → 4).
    pub classes: Vec<u16>,
    /// The JSON body the case sends: its Input, or the action's JSON.
    pub body: Option<&'s Value>,
    /// How messages name the body: `the Input`, `the body of Request A`.
    pub body_name: String,
    /// The Expected Output, held against the case's last response.
    pub expected_output: Option<&'s ExpectedOutput>,
}

impl Sent<'_, '_> {
    /// Whether the case expects the request to be refused (a 4xx or 5xx),
    /// so its body may break the request schema.
    pub fn refused(&self) -> bool {
        self.statuses.iter().any(|(status, _)| *status >= 400)
            || self.classes.iter().any(|c| *c >= 4)
    }
}

/// A request the contract has no operation for.
pub(crate) struct Unrouted<'s> {
    pub span: Span,
    pub method: &'s str,
    pub target: &'s str,
}

/// Whose response a status expectation is about.
#[derive(PartialEq, Eq)]
enum Whose<'s> {
    /// `status`: the case's (last) response.
    Last,
    /// `A.status`.
    Labelled(&'s str),
    /// `statuses`, `count(status == N)`: the concurrent group's.
    Group,
}

struct Expectation<'s> {
    whose: Whose<'s>,
    statuses: Vec<(u16, Span)>,
    classes: Vec<u16>,
}

/// Every request `case` sends, in order. A case without a Request line or
/// Actions sends the operation `related` names; without one, nothing.
pub(crate) fn sent<'s, 'c>(
    case: &'s TestCase,
    related: Option<&'c Operation>,
    contract: &'c Contract,
) -> Vec<Sent<'s, 'c>> {
    let expectations = expectations(case);
    if case.actions.is_empty() {
        let reached = match &case.request {
            Some(request) => route(
                contract,
                request.target.span,
                &request.method.value,
                &request.target.value,
            ),
            None => match related {
                Some(operation) => Ok(operation),
                None => return Vec::new(),
            },
        };
        let mut one = Sent {
            reached,
            statuses: Vec::new(),
            classes: Vec::new(),
            body: case.input.as_ref().and_then(|input| input.json.as_ref()),
            body_name: "the Input".to_string(),
            expected_output: case.expected_output.as_ref(),
        };
        for expectation in expectations.iter().filter(|e| e.whose == Whose::Last) {
            take(&mut one, expectation);
        }
        return vec![one];
    }
    let in_groups: Vec<bool> = case
        .groups()
        .iter()
        .flat_map(|group| {
            let concurrent = group.size() > 1;
            group.actions.iter().map(move |_| concurrent)
        })
        .collect();
    // A published message reaches a broker, not the service's HTTP API:
    // the last response is the last request's.
    let last = case
        .actions
        .iter()
        .rposition(|a| a.request().is_some())
        .unwrap_or_default();
    case.actions
        .iter()
        .enumerate()
        .filter_map(|(i, action)| action.request().map(|request| (i, action, request)))
        .map(|(i, action, (method, target))| {
            let labels = action.labels();
            let mut one = Sent {
                reached: route(contract, target.span, &method.value, &target.value),
                statuses: Vec::new(),
                classes: Vec::new(),
                body: match &action.body {
                    Some(ActionBody::Json(value)) => Some(value),
                    _ => None,
                },
                body_name: format!("the body of Request {}", action.label.value),
                expected_output: (i == last)
                    .then_some(case.expected_output.as_ref())
                    .flatten(),
            };
            for expectation in &expectations {
                let about_this = match expectation.whose {
                    Whose::Last => i == last,
                    Whose::Labelled(label) => {
                        label == action.label.value || labels.iter().any(|l| l == label)
                    }
                    Whose::Group => in_groups.get(i).copied().unwrap_or(false),
                };
                if about_this {
                    take(&mut one, expectation);
                }
            }
            one
        })
        .collect()
}

fn take(sent: &mut Sent<'_, '_>, expectation: &Expectation<'_>) {
    sent.statuses.extend(expectation.statuses.iter().copied());
    sent.classes.extend(expectation.classes.iter().copied());
}

fn route<'s, 'c>(
    contract: &'c Contract,
    span: Span,
    method: &'s str,
    target: &'s str,
) -> Result<&'c Operation, Unrouted<'s>> {
    contract
        .route(method, &placeholders(target))
        .ok_or(Unrouted {
            span,
            method,
            target,
        })
}

/// The statuses a case's assertions expect: `status == N` (and `Status:
/// N`), `status in [N, …]`, `A.status == N`, `statuses == [N, …]` (in any
/// order, or `contains N`) and `count(status == N)`.
fn expectations(case: &TestCase) -> Vec<Expectation<'_>> {
    let mut found = Vec::new();
    for assertion in case.all_assertions() {
        let AssertionKind::Check { subject, predicate } = &assertion.kind else {
            continue;
        };
        let (whose, operands): (Whose<'_>, Vec<&Operand>) = match &subject.kind {
            SubjectKind::Response {
                label,
                part: ResponsePart::Status,
            } => (
                label
                    .as_ref()
                    .map_or(Whose::Last, |l| Whose::Labelled(l.value.as_str())),
                expected_operands(predicate),
            ),
            SubjectKind::Statuses => (Whose::Group, expected_operands(predicate)),
            SubjectKind::CountStatus {
                op: CmpOp::Eq,
                value,
            } => (Whose::Group, vec![value]),
            _ => continue,
        };
        let mut expectation = Expectation {
            whose,
            statuses: Vec::new(),
            classes: Vec::new(),
        };
        for operand in operands {
            match &operand.kind {
                OperandKind::Value(value) => numbers(value, &mut expectation.statuses),
                OperandKind::StatusClass(class) => expectation.classes.push(*class),
                _ => {}
            }
        }
        found.push(expectation);
    }
    found
}

/// The operands a predicate says the value is (or holds).
fn expected_operands(predicate: &Predicate) -> Vec<&Operand> {
    match predicate {
        Predicate::Compare {
            op: CmpOp::Eq,
            value,
        }
        | Predicate::Contains {
            value,
            negated: false,
        } => vec![value],
        Predicate::In { values } | Predicate::InAnyOrder { values } => values.iter().collect(),
        _ => Vec::new(),
    }
}

/// The statuses in a value: a number, or the numbers of an array.
fn numbers(value: &Value, out: &mut Vec<(u16, Span)>) {
    match &value.kind {
        ValueKind::Number(number) => {
            if let Some(status) = number.as_u64().and_then(|n| u16::try_from(n).ok()) {
                out.push((status, value.span));
            }
        }
        ValueKind::Array(items) => items.iter().for_each(|item| numbers(item, out)),
        _ => {}
    }
}

/// `/inventory/{{sku}}` → `/inventory/x`: a variable stands for a segment.
pub(crate) fn placeholders(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find("{{") {
        out.push_str(rest.get(..start).unwrap_or_default());
        match rest.get(start..).and_then(|r| r.find("}}")) {
            Some(end) => {
                out.push('x');
                rest = rest.get(start + end + 2..).unwrap_or_default();
            }
            None => {
                rest = rest.get(start..).unwrap_or_default();
                break;
            }
        }
    }
    out.push_str(rest);
    out
}
