//! A mock's routes for one case (FORMAT §6): the spec's definition with
//! its variables replaced, the case's overrides (§5.3) in front, and how a
//! request finds its route — method, path pattern (`{id}` is one segment,
//! a final `*` the rest) and an optional body matched with the §4.2
//! markers.

use std::time::Duration;

use itspec_spec::model::{Fault, Mock, MockKind, MockOverride, MockResponse};
use serde_json::Value;

use crate::matching::body::match_body;
use crate::vars::{Scope, VarError, interpolate_json, interpolate_text};

/// What a route answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body: JSON, or text when a string.
    pub body: Option<Value>,
    /// Wait this long first.
    pub delay: Option<Duration>,
    /// A fault instead of an answer.
    pub fault: Option<Fault>,
}

impl Default for Answer {
    fn default() -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: None,
            delay: None,
            fault: None,
        }
    }
}

/// A route, ready to match.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// The method, uppercase, or `*`.
    pub method: String,
    /// The path pattern.
    pub path: String,
    /// The request body must match this.
    pub body: Option<Value>,
    /// The answer.
    pub answer: Answer,
}

impl Route {
    /// `POST /charges`; `any request` for a mock that answers everything.
    pub fn label(&self) -> String {
        if self.method == "*" && self.path == "*" {
            return "any request".to_string();
        }
        format!("{} {}", self.method, self.path)
    }

    /// Whether a request takes this route.
    pub fn matches(&self, method: &str, path: &str, body: Option<&Value>) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
            && self
                .body
                .as_ref()
                .is_none_or(|expected| body.is_some() && match_body(expected, body).0.is_empty())
    }
}

/// The routes of a mock for one case.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteTable {
    /// Tried in order.
    pub routes: Vec<Route>,
}

impl RouteTable {
    /// The route a request takes.
    pub fn find(&self, method: &str, path: &str, body: Option<&Value>) -> Option<&Route> {
        self.routes.iter().find(|r| r.matches(method, path, body))
    }

    /// The route most like a request, to name when none matches
    /// ([`itspec_spec::suggest::closest`]).
    pub fn closest(&self, method: &str, path: &str) -> Option<String> {
        let wanted = format!("{method} {path}");
        let labels: Vec<String> = self.routes.iter().map(Route::label).collect();
        itspec_spec::suggest::closest(&wanted, labels.iter().map(String::as_str))
            .map(str::to_string)
    }
}

/// Whether a path matches a pattern: `{name}` is one segment, a final `*`
/// any rest (none included), `*` elsewhere one segment. The query string is
/// not part of the path.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    if pattern == "*" || pattern == "/*" {
        return true;
    }
    let wanted: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (i, segment) in wanted.iter().enumerate() {
        let last = i + 1 == wanted.len();
        match (*segment, got.get(i)) {
            ("*", _) if last => return true,
            ("*", Some(_)) => {}
            (s, Some(g)) if s.starts_with('{') && s.ends_with('}') && !g.is_empty() => {}
            (s, Some(g)) if s == *g => {}
            _ => return false,
        }
    }
    wanted.len() == got.len()
}

/// A spec's answer with its variables replaced.
fn answer(response: &MockResponse, scope: &Scope) -> Result<Answer, VarError> {
    Ok(Answer {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(name, value)| Ok((name.clone(), interpolate_text(value, scope)?)))
            .collect::<Result<_, VarError>>()?,
        body: response
            .body
            .as_ref()
            .map(|b| interpolate_json(b, scope))
            .transpose()?,
        delay: response.delay_ms.map(Duration::from_millis),
        fault: response.fault,
    })
}

/// An override setup line: `mock NAME METHOD PATH -> …`.
#[derive(Clone, Debug)]
pub struct Override<'a> {
    /// The method, uppercase, or `*`.
    pub method: &'a str,
    /// The path pattern.
    pub path: &'a str,
    /// What changes.
    pub change: &'a MockOverride,
}

/// The routes of a mock for a case: the case's overrides first (each one
/// the route it overrides, changed), then the spec's routes. `mock` is
/// `None` when the spec being run does not define this mock.
pub fn table(
    mock: Option<&Mock>,
    overrides: &[Override<'_>],
    scope: &Scope,
) -> Result<RouteTable, VarError> {
    let mut routes = Vec::new();
    match mock.map(|m| &m.kind) {
        Some(MockKind::Patch { return_value, .. }) => routes.push(Route {
            method: "*".to_string(),
            path: "*".to_string(),
            body: None,
            answer: Answer {
                body: Some(interpolate_json(return_value, scope)?),
                ..Answer::default()
            },
        }),
        Some(MockKind::Routes { routes: defined }) => {
            for route in defined {
                routes.push(Route {
                    method: route.method.value.clone(),
                    path: route.path.value.clone(),
                    body: route
                        .body
                        .as_ref()
                        .map(|b| interpolate_json(b, scope))
                        .transpose()?,
                    answer: answer(&route.response, scope)?,
                });
            }
        }
        None => {}
    }
    let mut front = Vec::with_capacity(overrides.len());
    for o in overrides {
        let base = routes
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case(o.method) && r.path == o.path)
            .or_else(|| {
                routes.iter().find(|r| {
                    r.matches(o.method, o.path, None) || (r.method == "*" && r.path == "*")
                })
            });
        let mut route = match base {
            Some(base) => Route {
                method: o.method.to_string(),
                path: o.path.to_string(),
                ..base.clone()
            },
            None => Route {
                method: o.method.to_string(),
                path: o.path.to_string(),
                body: None,
                answer: Answer::default(),
            },
        };
        if let Some(status) = o.change.status {
            route.answer.status = status;
        }
        if let Some(body) = &o.change.body {
            route.answer.body = Some(interpolate_json(body, scope)?);
        }
        if let Some(delay) = o.change.delay_ms {
            route.answer.delay = Some(Duration::from_millis(delay));
        }
        if let Some(fault) = o.change.fault {
            route.answer.fault = Some(fault);
        }
        front.push(route);
    }
    front.extend(routes);
    Ok(RouteTable { routes: front })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(path_matches("/charges", "/charges"));
        assert!(path_matches("/charges", "/charges?x=1"));
        assert!(!path_matches("/charges", "/charges/1"));
        assert!(path_matches("/charges/{id}", "/charges/ch_1"));
        assert!(!path_matches("/charges/{id}", "/charges"));
        assert!(!path_matches("/charges/{id}", "/charges/1/refund"));
        assert!(path_matches("/slow/*", "/slow/a/b"));
        assert!(path_matches("/slow/*", "/slow"));
        assert!(path_matches("/*/refunds", "/ch_1/refunds"));
        assert!(path_matches("*", "/anything/at/all"));
        assert!(!path_matches("/a", "/b"));
    }

    #[test]
    fn a_catch_all_route_is_labelled_any_request() {
        let route = |method: &str, path: &str| Route {
            method: method.to_string(),
            path: path.to_string(),
            body: None,
            answer: Answer::default(),
        };
        assert_eq!(route("*", "*").label(), "any request");
        assert_eq!(route("POST", "/charges").label(), "POST /charges");
        assert_eq!(route("*", "/slow/*").label(), "* /slow/*");
    }
}
