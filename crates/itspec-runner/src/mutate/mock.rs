//! Mock mutants: a route a case's service called answers otherwise — its
//! status moved within its class and across classes, a value of its JSON
//! body changed — so the service sees something else. They are made from
//! the routes the case's first run called, as the mock answered them then.

use serde_json::Value;

use super::Mutant;
use super::response::{Change, body_changes, change_json, other_statuses};
use crate::mock::{Journals, Mocks, RouteTable};

/// The most mock mutants of one case.
pub const MAX_PER_CASE: usize = 16;

/// The most body changes of one route's answer.
const MAX_PER_ROUTE: usize = 8;

/// One change to a mock's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct MockMutant {
    /// The mock.
    pub mock: String,
    /// The route, as the journal names it (`POST /charges`).
    pub route: String,
    /// What changes in its answer: its status, or its JSON body.
    pub change: Change,
    /// What it does, as the report says it.
    pub description: String,
}

/// The mutants of the routes the journals say were called: each route
/// once, in the order of the first call to it.
pub fn mutants_of(mocks: &Mocks, journals: &Journals) -> Vec<Mutant> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (name, calls) in journals {
        let Some(table) = mocks.get(name).map(|m| m.routes()) else {
            continue;
        };
        for route in calls.iter().filter_map(|c| c.route.as_deref()) {
            if !seen.insert((name.clone(), route.to_string())) {
                continue;
            }
            let Some(answer) = table.routes.iter().find(|r| r.label() == route) else {
                continue;
            };
            if answer.answer.fault.is_some() {
                continue;
            }
            let status = answer.answer.status;
            let mut changes: Vec<(Change, String)> = other_statuses(status)
                .into_iter()
                .map(|to| (Change::Status(to), format!("status {status} → {to}")))
                .collect();
            if let Some(body @ (Value::Object(_) | Value::Array(_))) = &answer.answer.body {
                changes.extend(body_changes(body, MAX_PER_ROUTE));
            }
            out.extend(changes.into_iter().map(|(change, what)| {
                Mutant::Mock(MockMutant {
                    mock: name.clone(),
                    route: route.to_string(),
                    change,
                    description: format!("mock {name} `{route}` answers: {what}"),
                })
            }));
        }
    }
    out.truncate(MAX_PER_CASE);
    out
}

impl MockMutant {
    /// Changes the answer of its route in `table`; `false` when the table
    /// has no such route, or its answer no such place.
    pub fn apply(&self, table: &mut RouteTable) -> bool {
        let Some(route) = table.routes.iter_mut().find(|r| r.label() == self.route) else {
            return false;
        };
        match &self.change {
            Change::Status(to) => {
                route.answer.status = *to;
                true
            }
            change => route
                .answer
                .body
                .as_mut()
                .is_some_and(|body| change_json(body, change)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{Answer, Route};
    use serde_json::json;

    fn table() -> RouteTable {
        RouteTable {
            routes: vec![Route {
                method: "POST".to_string(),
                path: "/charges".to_string(),
                body: None,
                answer: Answer {
                    status: 201,
                    body: Some(json!({"status": "captured"})),
                    ..Answer::default()
                },
            }],
        }
    }

    #[test]
    fn a_mutant_changes_its_route_s_answer_and_no_other() {
        let status = MockMutant {
            mock: "payments".to_string(),
            route: "POST /charges".to_string(),
            change: Change::Status(500),
            description: String::new(),
        };
        let mut routes = table();
        assert!(status.apply(&mut routes));
        assert_eq!(routes.routes[0].answer.status, 500);
        let field = MockMutant {
            change: Change::Set(
                vec![super::super::response::Step::Key("status".to_string())],
                json!("deruptac"),
            ),
            ..status.clone()
        };
        let mut routes = table();
        assert!(field.apply(&mut routes));
        assert_eq!(
            routes.routes[0].answer.body,
            Some(json!({"status": "deruptac"}))
        );
        let elsewhere = MockMutant {
            route: "GET /charges".to_string(),
            ..status
        };
        let mut routes = table();
        assert!(!elsewhere.apply(&mut routes));
        assert_eq!(routes, table());
    }
}
