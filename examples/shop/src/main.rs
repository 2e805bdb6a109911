//! The shop: a small real service for itspec's examples and tests.
//!
//! Inventory, reservations that charge a deposit through an external
//! payment gateway (`PAYMENTS_URL`), are announced on RabbitMQ
//! (`EVENTS_URL`) and confirmed by e-mail (`SMTP_URL`), customers who
//! sign in. SQLite by
//! default, PostgreSQL or MySQL/MariaDB when `DATABASE_URL` says so.
//! Settings come from the environment:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `PORT` | port on 127.0.0.1 | 8080 |
//! | `DATABASE_URL` | `sqlite://file.db`, `postgres://…` or `mysql://…` | `sqlite://shop.db` |
//! | `PAYMENTS_URL` | the payment gateway; unset: no deposit is charged | — |
//! | `PAYMENTS_TIMEOUT_MS` | how long a charge may take | 2000 |
//! | `SHOP_STOCK_UPDATE` | `atomic` (a guarded decrement) or `racy` (read, then write back) | `atomic` |
//! | `EVENTS_URL` | the RabbitMQ (`amqp://…`) that `reservation.created` and `reservation.cancelled` go to; unset: none are published | — |
//! | `EVENTS_EXCHANGE` | the topic exchange they go to | `shop` |
//! | `SMTP_URL` | the SMTP server (`smtp://host:port`) that confirmations go through; unset: none is sent | — |

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a service answers errors, it does not crash"
)]
#![allow(clippy::print_stderr, reason = "the service logs to standard error")]

mod db;
mod error;
mod events;
mod mail;
mod payments;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

/// How stock is taken when a reservation is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockUpdate {
    /// `UPDATE … SET stock = stock - q WHERE stock >= q`: correct under concurrency.
    Atomic,
    /// Read the stock, charge the deposit, write the new stock back: a lost
    /// update when two reservations race.
    Racy,
}

/// What every handler shares.
pub struct App {
    /// The database.
    pub db: db::Db,
    /// The payment gateway, when configured.
    pub payments: Option<payments::Payments>,
    /// How stock is taken.
    pub stock_update: StockUpdate,
    /// Where reservations are announced, when configured.
    pub events: Option<events::Events>,
    /// How confirmations are mailed, when configured.
    pub mailer: Option<mail::Mailer>,
}

#[tokio::main]
async fn main() {
    if let Err(error) = serve().await {
        eprintln!("shop: {error}");
        std::process::exit(1);
    }
}

async fn serve() -> Result<(), String> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .map(|p| p.parse().map_err(|_| format!("PORT `{p}` is not a port")))
        .transpose()?
        .unwrap_or(8080);
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://shop.db".to_string());
    let db = db::Db::connect(&database_url).await?;
    let payments = match std::env::var("PAYMENTS_URL") {
        Ok(url) if !url.is_empty() => {
            let timeout = std::env::var("PAYMENTS_TIMEOUT_MS")
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(2000);
            Some(payments::Payments::new(
                &url,
                std::time::Duration::from_millis(timeout),
            )?)
        }
        _ => None,
    };
    let stock_update = match std::env::var("SHOP_STOCK_UPDATE").as_deref() {
        Ok("racy") => StockUpdate::Racy,
        Ok("atomic") | Err(_) => StockUpdate::Atomic,
        Ok(other) => {
            return Err(format!(
                "SHOP_STOCK_UPDATE `{other}` is neither `atomic` nor `racy`"
            ));
        }
    };
    let events = match std::env::var("EVENTS_URL") {
        Ok(url) if !url.is_empty() => {
            let exchange = std::env::var("EVENTS_EXCHANGE").unwrap_or_else(|_| "shop".to_string());
            Some(events::Events::connect(&url, &exchange).await?)
        }
        _ => None,
    };
    let mailer = match std::env::var("SMTP_URL") {
        Ok(url) if !url.is_empty() => Some(mail::Mailer::new(&url)?),
        _ => None,
    };
    let app = Arc::new(App {
        db,
        payments,
        stock_update,
        events,
        mailer,
    });
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))?;
    eprintln!(
        "shop: listening on http://{address} (database {database_url}, stock update {stock_update:?})"
    );
    axum::serve(listener, routes::router(app))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|error| format!("server error: {error}"))
}

async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    eprintln!("shop: shutting down");
}
