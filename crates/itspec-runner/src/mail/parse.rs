//! One message as the SMTP server took it in, read with mail-parser into
//! what assertions and reports look at: sender, recipients, subject,
//! headers, the text and HTML parts and the attachments' names.

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

use itspec_results::Email;

/// The e-mail in `raw`, sent from `envelope_from` to `envelope_to` and
/// answered `answered`. A message mail-parser cannot read is kept as text.
pub fn email(envelope_from: &str, envelope_to: &[String], raw: &[u8], answered: u16) -> Email {
    let mut email = Email {
        from: envelope_from.to_string(),
        to: envelope_to.iter().map(|to| bare(to)).collect(),
        answered,
        ..Email::default()
    };
    let Some(message) = MessageParser::default().parse(raw) else {
        email.text = itspec_results::message::text(raw);
        return email;
    };
    if email.from.is_empty()
        && let Some(from) = message
            .from()
            .and_then(|from| addresses(from).into_iter().next())
    {
        email.from = from;
    }
    // Bcc recipients are only in the envelope; To and Cc should be there
    // too, and any that is not is kept.
    for address in [message.to(), message.cc()]
        .into_iter()
        .flatten()
        .flat_map(addresses)
    {
        if !email.to.iter().any(|to| to.eq_ignore_ascii_case(&address)) {
            email.to.push(address);
        }
    }
    email.subject = message.subject().unwrap_or_default().to_string();
    let raw_values: Vec<&str> = message.headers_raw().map(|(_, value)| value).collect();
    email.headers = message
        .headers()
        .iter()
        .enumerate()
        .map(|(at, header)| {
            let raw = raw_values.get(at).map_or("", |value| value.trim());
            (header.name().to_string(), header_text(header.value(), raw))
        })
        .collect();
    let mut texts = Vec::new();
    let mut htmls = Vec::new();
    for (id, part) in message.parts.iter().enumerate() {
        let attachment = message
            .attachments
            .iter()
            .any(|&a| usize::try_from(a).is_ok_and(|a| a == id));
        if attachment {
            email.attachments.push(
                part.attachment_name()
                    .map_or_else(|| "(no name)".to_string(), str::to_string),
            );
            continue;
        }
        match &part.body {
            PartType::Text(text) => texts.push(text.to_string()),
            PartType::Html(html) => htmls.push(html.to_string()),
            _ => {}
        }
    }
    email.text = texts.join("\n");
    email.html = htmls.join("\n");
    email
}

/// `<ana@example.com>` → `ana@example.com`.
fn bare(address: &str) -> String {
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

fn addresses(address: &Address<'_>) -> Vec<String> {
    address
        .iter()
        .filter_map(|addr| addr.address())
        .map(str::to_string)
        .collect()
}

/// A header's value as text: decoded where mail-parser decodes it, else
/// as written.
fn header_text(value: &HeaderValue<'_>, raw: &str) -> String {
    match value {
        HeaderValue::Text(text) => text.to_string(),
        HeaderValue::TextList(list) => list.join(", "),
        HeaderValue::Address(address) => address
            .iter()
            .map(|addr| match (addr.name(), addr.address()) {
                (Some(name), Some(address)) => format!("{name} <{address}>"),
                (None, Some(address)) => address.to_string(),
                (Some(name), None) => name.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => unfold(raw),
    }
}

/// A header value as written, its folded lines joined (RFC 5322 §2.2.3).
fn unfold(raw: &str) -> String {
    raw.replace("\r\n", "").replace('\n', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTIPART: &str = "From: Shop <shop@example.com>\r\n\
To: Ana <ana@example.com>\r\n\
Cc: audit@example.com\r\n\
Subject: =?utf-8?q?R=C3=A9servation_confirm=C3=A9e?=\r\n\
X-Order: 7\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed;\r\n boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"inner\"\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Your reservation R-7 is confirmed.\r\n\
--inner\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Your reservation <b>R-7</b> is confirmed.</p>\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--outer--\r\n";

    #[test]
    fn a_multipart_message_gives_its_parts_attachments_and_decoded_headers() {
        let email = email(
            "shop@example.com",
            &["<ana@example.com>".into(), "bcc@example.com".into()],
            MULTIPART.as_bytes(),
            250,
        );
        assert_eq!(email.from, "shop@example.com");
        // The envelope's recipients (Bcc included), then Cc from the headers.
        assert_eq!(
            email.to,
            ["ana@example.com", "bcc@example.com", "audit@example.com"]
        );
        assert_eq!(email.subject, "Réservation confirmée");
        assert_eq!(email.text.trim(), "Your reservation R-7 is confirmed.");
        assert!(email.html.contains("<b>R-7</b>"), "{}", email.html);
        assert_eq!(email.attachments, ["invoice.pdf"]);
        let header = |name: &str| {
            email
                .headers
                .iter()
                .find(|(header, _)| header == name)
                .map(|(_, value)| value.as_str())
        };
        // A folded header reads as one line.
        assert!(
            header("Content-Type").is_some_and(|v| v.starts_with("multipart/mixed; boundary=")),
            "{:?}",
            email.headers
        );
        assert_eq!(header("X-Order"), Some("7"));
        assert_eq!(header("To"), Some("Ana <ana@example.com>"));
    }

    #[test]
    fn an_empty_envelope_sender_takes_the_from_header_and_garbage_is_kept_as_text() {
        let plain = email(
            "",
            &["a@example.com".into()],
            b"From: b@example.com\r\nSubject: hi\r\n\r\nbody\r\n",
            550,
        );
        assert_eq!(
            (plain.from.as_str(), plain.subject.as_str()),
            ("b@example.com", "hi")
        );
        assert_eq!(plain.text.trim(), "body");
        assert!(!plain.accepted());
        let garbage = email("x@example.com", &[], b"", 250);
        assert_eq!(garbage.from, "x@example.com");
    }
}
