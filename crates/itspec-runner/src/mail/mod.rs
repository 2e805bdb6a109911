//! The SMTP server itspec runs on loopback for the service (CHANNELS.md
//! §2): plain SMTP (RFC 5321) with `AUTH PLAIN`/`LOGIN` taken for any
//! credentials, every message kept whole and answered 250 — or, while a
//! case's `mail -> CODE` fault holds, answered with that code. Each worker
//! has its own server on a port of its own, so the service of each worker
//! is pointed at it through `{{mail.host}}`, `{{mail.port}}` and
//! `{{mail.url}}`.

mod mailbox;
mod parse;
mod session;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use mailbox::{Mailbox, Sent, record};

/// What a case's `mail -> CODE ["TEXT"]` line makes the server answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// The reply code, 400 to 599.
    pub code: u16,
    /// The reply's text.
    pub text: String,
}

/// What the server's connections share with the run.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    mailbox: Mailbox,
    fault: Mutex<Option<Fault>>,
}

impl Shared {
    fn fault(&self) -> Option<Fault> {
        crate::broker::lock(&self.fault).clone()
    }
}

/// The running server; it stops when dropped.
#[derive(Debug)]
pub struct Mail {
    address: SocketAddr,
    shared: Arc<Shared>,
    accepting: tokio::task::JoinHandle<()>,
}

/// The server could not start.
#[derive(Debug, thiserror::Error)]
#[error("[mail]: cannot listen on 127.0.0.1:{port}: {source}")]
pub struct MailError {
    port: u16,
    source: std::io::Error,
}

impl Mail {
    /// Listens on `port` of 127.0.0.1 (`0`: a free one).
    pub async fn start(port: u16) -> Result<Mail, MailError> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| MailError { port, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| MailError { port, source })?;
        let shared = Arc::new(Shared::default());
        let accepting = tokio::spawn(accept(listener, shared.clone()));
        Ok(Mail {
            address,
            shared,
            accepting,
        })
    }

    /// `{{mail.host}}`, `{{mail.port}}`, `{{mail.url}}`.
    pub fn variables(&self) -> Value {
        let (host, port) = (self.address.ip().to_string(), self.address.port());
        json!({ "host": host, "port": port, "url": format!("smtp://{host}:{port}") })
    }

    /// What it took in during the case going on.
    pub fn mailbox(&self) -> &Mailbox {
        &self.shared.mailbox
    }

    /// From now on every message is answered with `fault` (`None`: 250).
    pub fn set_fault(&self, fault: Option<Fault>) {
        *crate::broker::lock(&self.shared.fault) = fault;
    }
}

impl Drop for Mail {
    fn drop(&mut self) {
        // Its connections are in the task's set, and end with it.
        self.accepting.abort();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, peer)) = accepted {
                    connections.spawn(session::serve(stream, peer.ip(), shared.clone()));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
