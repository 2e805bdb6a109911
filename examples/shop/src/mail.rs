//! The confirmation e-mail a reservation sends, through the SMTP server
//! at `SMTP_URL` (`smtp://host:port`, plain SMTP), with lettre.

use lettre::message::MultiPart;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Who the shop's e-mail comes from.
const FROM: &str = "Shop <shop@example.com>";

/// The shop's mailer.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    /// A mailer for `smtp://host:port`.
    pub fn new(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("SMTP_URL `{url}` is not smtp://host:port"))?;
        let (host, port) = rest
            .trim_end_matches('/')
            .rsplit_once(':')
            .ok_or_else(|| format!("SMTP_URL `{url}` has no port"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("SMTP_URL `{url}`: `{port}` is not a port"))?;
        // Plain SMTP: a relay on the same machine, as in tests.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .build();
        Ok(Self { transport })
    }

    /// Tells `to` that reservation `id` of `quantity` × `sku` is confirmed.
    pub async fn confirm(
        &self,
        to: &str,
        id: &str,
        sku: &str,
        quantity: i64,
    ) -> Result<(), String> {
        let text = format!("Your reservation {id} of {quantity} × {sku} is confirmed.\n\nThe shop");
        let html = format!(
            "<p>Your reservation <b>{id}</b> of {quantity} × {sku} is confirmed.</p><p>The shop</p>"
        );
        let message = Message::builder()
            .from(FROM.parse().map_err(|e| format!("{e}"))?)
            .to(to
                .parse()
                .map_err(|e| format!("`{to}` is not an address: {e}"))?)
            .subject(format!("Reservation {id} confirmed"))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| format!("cannot build the e-mail: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| format!("the confirmation to {to} was not sent: {error}"))
    }
}
