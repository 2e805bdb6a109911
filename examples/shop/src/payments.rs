//! The client of the external payment gateway.

use std::time::Duration;

use serde_json::{Value, json};

/// Why a charge did not go through.
#[derive(Debug)]
pub enum ChargeError {
    /// The gateway declined it (402).
    Declined(String),
    /// The gateway did not answer in time.
    Timeout,
    /// Anything else: a reset connection, a 5xx.
    Failed(String),
}

/// The payment gateway at `PAYMENTS_URL`.
pub struct Payments {
    client: reqwest::Client,
    base: String,
}

impl Payments {
    /// A client for the gateway.
    pub fn new(base: &str, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()
            .map_err(|error| format!("cannot create the payments client: {error}"))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// Charges `amount` cents; the charge id on success.
    pub async fn charge(&self, amount: i64, reference: &str) -> Result<String, ChargeError> {
        let response = self
            .client
            .post(format!("{}/charges", self.base))
            .json(&json!({ "amount": amount, "currency": "EUR", "reference": reference }))
            .send()
            .await
            .map_err(|error| {
                if error.is_timeout() {
                    ChargeError::Timeout
                } else {
                    ChargeError::Failed(error.to_string())
                }
            })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.as_u16() == 402 {
            let reason = body
                .pointer("/error")
                .and_then(Value::as_str)
                .unwrap_or("declined")
                .to_string();
            return Err(ChargeError::Declined(reason));
        }
        if !status.is_success() {
            return Err(ChargeError::Failed(format!(
                "the gateway answered {status}"
            )));
        }
        Ok(body
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string())
    }
}
