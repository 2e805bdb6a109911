//! The environment of a run: the database (connected, checked and given
//! its schema before anything else), the mocks and the SMTP server
//! (listening before the service starts, so its env can carry their
//! addresses), the service (started
//! here or already running), and the base URL requests go to. Cleanup runs
//! on every exit path: stop, failure, Ctrl-C, and (as a last resort) drop.

mod database;
mod service;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

pub use database::{check_local, prepare as prepare_database};
pub use service::Service;

use crate::broker::Brokers;
use crate::db::Database;
use crate::mail::Mail;
use crate::mock::Mocks;
use crate::settings::Settings;
use crate::vars::{Scope, interpolate_text, to_text};

/// Why the environment could not be set up: the command exits 3.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct EnvError(pub String);

/// A running environment.
pub struct Environment {
    /// The database, when `[database]` is configured.
    pub database: Option<Database>,
    /// The mock servers.
    pub mocks: Mocks,
    /// The brokers, observed since before the service started.
    pub brokers: Brokers,
    /// The SMTP server, when `[mail]` is configured.
    pub mail: Option<Mail>,
    /// Where requests go.
    pub base_url: String,
    /// `[target] headers`, variables replaced.
    pub headers: Vec<(String, String)>,
    /// The service, when itspec started it.
    pub service: Option<Service>,
    /// How long the service took to become ready.
    pub ready_after: Option<Duration>,
    /// What the run should be told (a service an earlier run left behind).
    pub notices: Vec<String>,
}

impl Environment {
    /// Starts what the settings ask for and waits until it is ready.
    /// `mocks` names the mocks the specs define; `worker` (from 1) names
    /// the service's log.
    pub async fn start(
        settings: &Settings,
        mocks: &BTreeSet<String>,
        worker: usize,
    ) -> Result<Environment, EnvError> {
        let database = match &settings.database {
            Some(database) => Some(database::prepare(database, &settings.dir).await?),
            None => None,
        };
        let mocks = Mocks::start(mocks, &settings.mocks).map_err(|e| EnvError(e.to_string()))?;
        // Subscribed before the service starts, so nothing it publishes
        // is missed.
        // Each worker's own topics and keys, where `{{worker}}` names them.
        let brokers: std::collections::BTreeMap<_, _> = settings
            .brokers
            .iter()
            .map(|(name, broker)| (name.clone(), broker.for_worker(worker)))
            .collect();
        let brokers = Brokers::start(&brokers)
            .await
            .map_err(|e| EnvError(e.to_string()))?;
        let mail = match settings.mail {
            Some(port) => Some(
                Mail::start(match port {
                    itspec_config::Port::Fixed(port) => port,
                    itspec_config::Port::Auto => 0,
                })
                .await
                .map_err(|e| EnvError(e.to_string()))?,
            ),
            None => None,
        };
        let Some(service_settings) = &settings.service else {
            let scope = template_scope(settings, None, &mocks, mail.as_ref(), worker);
            let headers = headers(settings, &scope)?;
            let base_url = match &settings.base_url {
                Some(url) => interpolate_text(url, &scope)
                    .map_err(|e| EnvError(format!("target.base_url: {e}")))?,
                None => {
                    return Err(EnvError(
                        "nothing to test: set target.base_url in itspec.toml (or --base-url), or add [service] so itspec starts the service".to_string(),
                    ));
                }
            };
            answers(&base_url).await?;
            return Ok(Environment {
                database,
                mocks,
                brokers,
                mail,
                base_url,
                headers,
                service: None,
                ready_after: None,
                notices: Vec::new(),
            });
        };
        let port = match service_settings.port {
            itspec_config::Port::Fixed(port) => port,
            itspec_config::Port::Auto => free_port()?,
        };
        let scope = template_scope(settings, Some(port), &mocks, mail.as_ref(), worker);
        let base_url = interpolate_text(
            settings
                .base_url
                .as_deref()
                .unwrap_or("http://127.0.0.1:{{service.port}}"),
            &scope,
        )
        .map_err(|e| EnvError(format!("target.base_url: {e}")))?;
        let headers = headers(settings, &scope)?;
        // Each value shell-quoted for where it lands in the command.
        let command = itspec_config::interpolate::substitute(
            &service_settings.command,
            itspec_config::interpolate::Quoting::Shell,
            |name| Some(scope.lookup(name).map(|value| to_text(&value))),
        )
        .map_err(|e| EnvError(format!("[service] command: {e}")))?;
        let mut env = Vec::with_capacity(service_settings.env.len());
        for (name, value) in &service_settings.env {
            let value = interpolate_text(value, &scope)
                .map_err(|e| EnvError(format!("[service] env {name}: {e}")))?;
            env.push((name.clone(), value));
        }
        let log_dir = settings.dir.join("target").join("itspec");
        let notices: Vec<String> = service::left_behind(&log_dir, worker).into_iter().collect();
        let mut service = Service::start(&command, &env, &settings.dir, &log_dir, worker).await?;
        let ready_after = match service
            .wait_ready(
                &base_url,
                service_settings.ready.as_ref(),
                service_settings.ready_timeout,
            )
            .await
        {
            Ok(ready_after) => ready_after,
            Err(error) => {
                // Stopped and waited for, not just killed on drop.
                service.stop(service_settings.stop_timeout).await;
                return Err(error);
            }
        };
        Ok(Environment {
            database,
            mocks,
            brokers,
            mail,
            base_url,
            headers,
            service: Some(service),
            ready_after: Some(ready_after),
            notices,
        })
    }

    /// Stops the service, if itspec started it, then the mocks.
    pub async fn stop(&mut self, grace: Duration) {
        if let Some(service) = self.service.take() {
            service.stop(grace).await;
        }
        self.mocks.stop();
    }

    /// Like [`Environment::check_alive`], giving a service that may be
    /// dying (a request to it just failed) up to `wait` to be seen exiting.
    pub async fn check_alive_within(&mut self, wait: Duration) -> Result<(), EnvError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            self.check_alive()?;
            if self.service.is_none() || std::time::Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// When the service has died: what happened, with its last log lines.
    pub fn check_alive(&mut self) -> Result<(), EnvError> {
        match &mut self.service {
            Some(service) => match service.exited() {
                Some(status) => Err(EnvError(format!(
                    "the service exited during the run ({status})\n{}",
                    service.log_tail(20)
                ))),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }
}

/// `[target] headers`, variables replaced.
fn headers(settings: &Settings, scope: &Scope) -> Result<Vec<(String, String)>, EnvError> {
    settings
        .headers
        .iter()
        .map(|(name, value)| {
            interpolate_text(value, scope)
                .map(|value| (name.clone(), value))
                .map_err(|e| EnvError(format!("[target] headers {name}: {e}")))
        })
        .collect()
}

/// The variables of `[service] command`, `[service] env`,
/// `target.base_url` and `[target] headers`.
fn template_scope(
    settings: &Settings,
    port: Option<u16>,
    mocks: &Mocks,
    mail: Option<&Mail>,
    worker: usize,
) -> Scope {
    let mut scope = Scope::new();
    scope.set("worker", json!(worker));
    if let Some(port) = port {
        scope.set(
            "service",
            json!({ "port": port, "url": format!("http://127.0.0.1:{port}") }),
        );
    }
    if let Some(database) = &settings.database {
        scope.set("database", json!({ "url": database.url }));
    }
    scope.set("mocks", mocks.variables());
    let brokers: serde_json::Map<String, Value> = settings
        .brokers
        .iter()
        .map(|(name, broker)| (name.clone(), json!({ "url": broker.url })))
        .collect();
    scope.set("brokers", Value::Object(brokers));
    if let Some(mail) = mail {
        scope.set("mail", mail.variables());
    }
    scope.set("vars", Value::Object(settings.vars.clone()));
    scope
}

/// A free port on the loopback interface for a service to listen on, never
/// one already handed to another worker of this run: the OS may give the
/// same free port twice, and a second service that cannot bind it would
/// leave its worker talking to the first one's.
fn free_port() -> Result<u16, EnvError> {
    static HANDED_OUT: std::sync::Mutex<BTreeSet<u16>> = std::sync::Mutex::new(BTreeSet::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    distinct_port(&mut handed_out, || {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        Ok(listener.local_addr()?.port())
    })
    .map_err(|error| EnvError(format!("cannot find a free port: {error}")))
}

/// A port from `bind` that is not in `handed_out`, which then holds it.
fn distinct_port(
    handed_out: &mut BTreeSet<u16>,
    mut bind: impl FnMut() -> std::io::Result<u16>,
) -> std::io::Result<u16> {
    for _ in 0..100 {
        let port = bind()?;
        if handed_out.insert(port) {
            return Ok(port);
        }
    }
    Err(std::io::Error::other(
        "the system kept giving ports already in use by this run",
    ))
}

/// Whether something listens at the base URL's host and port.
async fn answers(base_url: &str) -> Result<(), EnvError> {
    let url = reqwest::Url::parse(base_url).map_err(|error| {
        EnvError(format!(
            "target.base_url `{base_url}` is not a URL: {error}"
        ))
    })?;
    let host = url.host_str().unwrap_or("127.0.0.1").to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(Duration::from_secs(3), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(EnvError(format!(
            "nothing answers at {base_url} ({error}): start the service, or add [service] to itspec.toml so itspec starts it"
        ))),
        Err(_) => Err(EnvError(format!(
            "nothing answers at {base_url} within 3 s: start the service, or add [service] to itspec.toml so itspec starts it"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_handed_to_one_worker_only() {
        let mut handed_out = BTreeSet::new();
        let mut offered = [40_001, 40_001, 40_001, 40_002].into_iter();
        let mut bind = || Ok(offered.next().unwrap_or(40_009));
        assert_eq!(distinct_port(&mut handed_out, &mut bind).ok(), Some(40_001));
        // The OS offers the same port again: the next worker gets another.
        assert_eq!(distinct_port(&mut handed_out, &mut bind).ok(), Some(40_002));
        let mut same = || Ok(40_001);
        assert!(distinct_port(&mut handed_out, &mut same).is_err());
    }
}
