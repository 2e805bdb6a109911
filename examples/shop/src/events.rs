//! What the shop announces: `reservation.created` and
//! `reservation.cancelled` on a topic exchange (`EVENTS_EXCHANGE`, `shop`
//! by default) of the RabbitMQ at `EVENTS_URL`, as persistent JSON
//! messages, each confirmed by the broker. The exchange is the example's
//! own: declared auto-delete, it goes once nothing is bound to it.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use serde_json::Value;

/// A channel to the broker, in confirm mode, with the exchange declared.
pub struct Events {
    // Kept open for the channel's life.
    _connection: Connection,
    channel: Channel,
    exchange: String,
}

impl Events {
    /// Connects and declares the exchange.
    pub async fn connect(url: &str, exchange: &str) -> Result<Self, String> {
        let failed = |error: lapin::Error| format!("events at {url}: {error}");
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .map_err(failed)?;
        let channel = connection.create_channel().await.map_err(failed)?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(failed)?;
        channel
            .exchange_declare(
                exchange.into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    auto_delete: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(failed)?;
        Ok(Self {
            _connection: connection,
            channel,
            exchange: exchange.to_string(),
        })
    }

    /// Publishes `event` with routing key `key` and waits for the broker's
    /// confirm.
    pub async fn publish(&self, key: &str, event: &Value) -> Result<(), String> {
        let body = serde_json::to_vec(event).map_err(|error| error.to_string())?;
        let confirm = self
            .channel
            .basic_publish(
                self.exchange.as_str().into(),
                key.into(),
                BasicPublishOptions::default(),
                &body,
                BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2),
            )
            .await
            .map_err(|error| format!("cannot publish {key}: {error}"))?;
        confirm
            .await
            .map(|_| ())
            .map_err(|error| format!("{key} was not confirmed: {error}"))
    }
}
