//! What the SMTP server itspec runs for the service took in during a case:
//! every e-mail, in arrival order, with what it was answered
//! (CHANNELS.md §7).

use serde::{Deserialize, Serialize};

/// One e-mail the service sent.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Email {
    /// The envelope sender (`MAIL FROM`), or the `From` header when the
    /// envelope's is empty.
    pub from: String,
    /// Every recipient: the envelope's (`RCPT TO`, Bcc included), then
    /// any `To`/`Cc` address the envelope lacks.
    pub to: Vec<String>,
    /// The `Subject` header, decoded.
    #[serde(default)]
    pub subject: String,
    /// The headers, decoded, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The text parts, joined.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The HTML parts, joined.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub html: String,
    /// The attachments' file names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    /// What the server answered the message: 250, or the fault's code
    /// (the e-mail was then refused, and is no effect of the case).
    pub answered: u16,
    /// When it came, in milliseconds since the case's Setup ended.
    pub at_ms: f64,
    /// Bytes of the text and HTML parts that reports leave out (see
    /// [`crate::display::DISPLAY_BODY`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<u64>,
}

impl Email {
    /// Whether the server took it (a refused e-mail was not sent).
    pub fn accepted(&self) -> bool {
        self.answered < 400
    }

    /// One line for reports: `shop@example.com → ana@example.com "Your
    /// reservation" [invoice.pdf]`, and the answer when it was refused.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} → {} {:?}",
            if self.from.is_empty() {
                "<>"
            } else {
                &self.from
            },
            self.to.join(", "),
            self.subject
        );
        if !self.attachments.is_empty() {
            line.push_str(&format!(" [{}]", self.attachments.join(", ")));
        }
        if !self.accepted() {
            line.push_str(&format!(" (refused: {})", self.answered));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_sender_recipients_subject_attachments_and_a_refusal() {
        let mut email = Email {
            from: "shop@example.com".into(),
            to: vec!["ana@example.com".into()],
            subject: "Your reservation".into(),
            attachments: vec!["invoice.pdf".into()],
            answered: 250,
            ..Email::default()
        };
        assert_eq!(
            email.summary(),
            r#"shop@example.com → ana@example.com "Your reservation" [invoice.pdf]"#
        );
        assert!(email.accepted());
        email.answered = 550;
        assert!(!email.accepted());
        assert!(email.summary().ends_with("(refused: 550)"));
    }
}
