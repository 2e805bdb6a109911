//! Mock servers for the service's dependencies (FORMAT §6): one HTTP
//! server per mock name, started on loopback before the service and
//! stopped after it, answering with the routes of the spec being run and
//! the case's overrides, and keeping a journal of every request per case.

mod routes;
mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use itspec_config::Port;
use itspec_results::Call;
use itspec_spec::model::Spec;
use serde_json::{Value, json};

pub use routes::{Answer, Override, Route, RouteTable, path_matches, table};
use server::State;

use crate::http::BodyLimit;
use crate::vars::{Scope, VarError};

/// A change to the routes of one mock, by its name: whether it found what
/// it changes.
pub type RouteChange<'a> = (&'a str, &'a dyn Fn(&mut RouteTable) -> bool);

/// What the journals of a case hold: calls by mock name.
pub type Journals = BTreeMap<String, Vec<Call>>;

/// Why a mock could not start, or not begin a case.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// Its port is taken (or not ours to take).
    #[error("mock `{name}` cannot listen on 127.0.0.1:{port}: {reason}")]
    Listen {
        /// The mock.
        name: String,
        /// The port asked for (0: any).
        port: u16,
        /// Why.
        reason: String,
    },
    /// Its address could not be read back.
    #[error("mock `{name}`: {reason}")]
    Address {
        /// The mock.
        name: String,
        /// Why.
        reason: String,
    },
    /// A route's template names a variable that cannot be read.
    #[error("mock `{mock}`: variable `{{{{{}}}}}`: {}", .error.name, .error.message)]
    Variable {
        /// The mock.
        mock: String,
        /// The variable and what is wrong with it.
        error: VarError,
    },
}

/// One running mock.
pub struct MockServer {
    /// Its name.
    pub name: String,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its port.
    pub port: u16,
    /// Calls no route matches do not fail the case.
    pub allow_unexpected: bool,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Starts a mock on `port` (`Auto`: a free one).
    pub fn start(name: &str, port: Port, allow_unexpected: bool) -> Result<MockServer, MockError> {
        let wanted = match port {
            Port::Fixed(port) => port,
            Port::Auto => 0,
        };
        let listener = server::bind(wanted).map_err(|e| MockError::Listen {
            name: name.to_string(),
            port: wanted,
            reason: e.to_string(),
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| MockError::Address {
                name: name.to_string(),
                reason: e.to_string(),
            })?
            .port();
        let state = Arc::new(State::new(name));
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state)));
        Ok(MockServer {
            name: name.to_string(),
            url: format!("http://127.0.0.1:{port}"),
            port,
            allow_unexpected,
            state,
            task,
        })
    }

    /// Starts a case: the journal is emptied, requests still held by a
    /// fault of the last case let go, and these routes answer.
    pub fn begin_case(&self, table: RouteTable) {
        self.state.epoch.send_modify(|epoch| *epoch += 1);
        *self
            .state
            .journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Vec::new();
        *self
            .state
            .started
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
        *self
            .state
            .table
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(table);
    }

    /// The routes it answers with now: those of the case begun last.
    pub fn routes(&self) -> Arc<RouteTable> {
        self.state
            .table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The requests received since the case began.
    pub fn calls(&self) -> Vec<Call> {
        self.state
            .journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops listening and drops every connection.
    pub fn stop(&self) {
        self.state.epoch.send_modify(|epoch| *epoch += 1);
        self.task.abort();
    }

    /// Caps the request bodies it reads (16 MB until set).
    pub fn set_max_body(&self, limit: &BodyLimit) {
        *self
            .state
            .max_body
            .write()
            .unwrap_or_else(PoisonError::into_inner) = limit.clone();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `[mocks.NAME]` settings.
#[derive(Clone, Debug, Default)]
pub struct MockSettings {
    /// Its port.
    pub port: Port,
    /// Calls no route matches do not fail the case.
    pub allow_unexpected: bool,
}

/// The mocks of a run, by name.
#[derive(Default)]
pub struct Mocks {
    servers: BTreeMap<String, MockServer>,
}

impl Mocks {
    /// Starts a mock for every name: those the specs define and those
    /// `[mocks]` configures.
    pub fn start(
        names: &BTreeSet<String>,
        settings: &BTreeMap<String, MockSettings>,
    ) -> Result<Mocks, MockError> {
        let mut servers = BTreeMap::new();
        for name in names.iter().chain(settings.keys()) {
            if servers.contains_key(name) {
                continue;
            }
            let setting = settings.get(name).cloned().unwrap_or_default();
            servers.insert(
                name.clone(),
                MockServer::start(name, setting.port, setting.allow_unexpected)?,
            );
        }
        Ok(Mocks { servers })
    }

    /// Whether no mock runs.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// A mock by name.
    pub fn get(&self, name: &str) -> Option<&MockServer> {
        self.servers.get(name)
    }

    /// The running mocks.
    pub fn iter(&self) -> impl Iterator<Item = &MockServer> {
        self.servers.values()
    }

    /// `{{mocks.NAME.url}}` and `{{mocks.NAME.port}}`.
    pub fn variables(&self) -> Value {
        Value::Object(
            self.servers
                .values()
                .map(|m| (m.name.clone(), json!({ "url": m.url, "port": m.port })))
                .collect(),
        )
    }

    /// Starts a case on every mock: the spec's routes for it (none when the
    /// spec does not define it) with the case's overrides, and `change`
    /// made to the routes of the mock it names (`itspec mutate`).
    /// `Ok(false)`: the change found nothing to change.
    pub fn begin_case(
        &self,
        spec: &Spec,
        overrides: &[(String, Override<'_>)],
        scope: &Scope,
        change: Option<RouteChange<'_>>,
    ) -> Result<bool, MockError> {
        let mut applied = change.is_none();
        for server in self.servers.values() {
            let defined = spec.mocks.iter().find(|m| m.name.value == server.name);
            let mine: Vec<Override<'_>> = overrides
                .iter()
                .filter(|(name, _)| *name == server.name)
                .map(|(_, o)| o.clone())
                .collect();
            let mut routes = table(defined, &mine, scope).map_err(|error| MockError::Variable {
                mock: server.name.clone(),
                error,
            })?;
            if let Some((_, change)) = change.filter(|(mock, _)| *mock == server.name) {
                applied = change(&mut routes);
            }
            server.begin_case(routes);
        }
        Ok(applied)
    }

    /// Caps the request bodies every mock reads (`[limits] max_body`).
    pub fn set_max_body(&self, limit: &BodyLimit) {
        for server in self.servers.values() {
            server.set_max_body(limit);
        }
    }

    /// What every mock received since the case began.
    pub fn journals(&self) -> Journals {
        self.servers
            .values()
            .map(|m| (m.name.clone(), m.calls()))
            .collect()
    }

    /// Stops every mock.
    pub fn stop(&self) {
        for server in self.servers.values() {
            server.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_with_an_unreadable_variable_names_the_mock_and_the_variable() {
        let error = MockError::Variable {
            mock: "payments".to_string(),
            error: VarError {
                name: "charge.id".to_string(),
                message: "no variable `charge`".to_string(),
            },
        };
        assert_eq!(
            error.to_string(),
            "mock `payments`: variable `{{charge.id}}`: no variable `charge`"
        );
    }
}
