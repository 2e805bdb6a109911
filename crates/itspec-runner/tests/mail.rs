//! The SMTP server itspec runs for the service (`[mail]`): a case's
//! e-mails are taken in whole and asserted on — recipient, subject, body
//! parts, sender, headers, attachments, counts — `no emails` and `no side
//! effects` see one that was sent, `mail -> 550` refuses a case's e-mail
//! (and only that case's), and the journal keeps each e-mail with its
//! answer. The service here is the test API, which speaks SMTP to
//! `{{mail.host}}:{{mail.port}}`.

mod support;

use itspec_results::{Outcome, RunOutcome};
use itspec_runner::{RunOptions, Settings};
use support::{HEAD, api, cases, channel_settings, run_with, serve, verdicts};

fn settings(base: &str) -> Settings {
    let config = itspec_config::Config {
        mail: Some(itspec_config::Mail::default()),
        ..Default::default()
    };
    channel_settings(base, config)
}

/// A confirmation with a text part, an HTML part and a PDF attachment.
const CONFIRMATION: &str = r#"["From: Shop <shop@example.com>", "To: Ana <ana@example.com>", "Subject: Reservation R-7 confirmed", "X-Order: 7", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b1\"", "", "--b1", "Content-Type: multipart/alternative; boundary=\"b2\"", "", "--b2", "Content-Type: text/plain; charset=utf-8", "", "Your reservation R-7 is confirmed.", ".A line that starts with a dot.", "--b2", "Content-Type: text/html; charset=utf-8", "", "<p>Reservation <b>R-7</b></p>", "--b2--", "--b1", "Content-Type: application/pdf", "Content-Disposition: attachment; filename=\"invoice.pdf\"", "Content-Transfer-Encoding: base64", "", "JVBERi0xLjQK", "--b1--"]"#;

/// A case whose request has the service send `message` to `to`.
fn sends(id: u32, name: &str, setup: &str, to: &str, message: &str, assertions: &str) -> String {
    format!(
        "### TC-INT-{id:03}: {name}\n\n{setup}**Request:** POST /send-mail\n\n**Input:**\n```json\n\
         {{\"host\": \"{{{{mail.host}}}}\", \"port\": {{{{mail.port}}}}, \"auth\": true, \"from\": \"shop@example.com\", \
         \"to\": {to}, \"message\": {message}}}\n```\n\n**Assertions:**\n{assertions}\n\n---\n\n"
    )
}

#[test]
fn a_cases_emails_are_asserted_on_refused_by_a_fault_and_kept_in_its_journal() {
    let base = serve(api());
    let text = format!(
        "{HEAD}{}{}{}{}{}",
        sends(
            1,
            "Sends a confirmation",
            "",
            r#"["ana@example.com", "audit@example.com"]"#,
            CONFIRMATION,
            "- status == 200\n\
             - email to \"ana@example.com\" received\n\
             - email to \"AUDIT@example.com\" received\n\
             - email to \"ana@example.com\" subject contains \"R-7 confirmed\"\n\
             - email subject == \"Reservation R-7 confirmed\"\n\
             - email body contains \"<b>R-7</b>\"\n\
             - email body contains \"A line that starts with a dot.\"\n\
             - email body not contains \"password\"\n\
             - email from == \"shop@example.com\"\n\
             - email header X-Order == \"7\"\n\
             - email attachment \"invoice.pdf\" exists\n\
             - email attachment \"terms.pdf\" not exists\n\
             - email to \"bob@example.com\" not received\n\
             - emails count == 1\n\
             - emails to \"ana@example.com\" count >= 1"
        ),
        sends(
            2,
            "Expects what was not sent",
            "",
            r#"["ana@example.com"]"#,
            CONFIRMATION,
            "- email to \"bob@example.com\" received\n\
             - email subject contains \"cancelled\"\n\
             - email body not contains \"R-7\"\n\
             - emails count == 2\n\
             - no emails\n\
             - no emails to \"ana@example.com\"\n\
             - no side effects"
        ),
        sends(
            3,
            "The mail server refuses",
            "**Setup:**\n- `mail -> 550 \"mailbox full\"`\n\n",
            r#"["ana@example.com"]"#,
            CONFIRMATION,
            "- status == 502\n- body.code == 550\n- body.reply contains \"mailbox full\"\n- body.quit == 221\n- no emails\n- no side effects"
        ),
        sends(
            4,
            "The next case is answered 250 again",
            "",
            r#"["ana@example.com"]"#,
            CONFIRMATION,
            "- status == 200\n- body.quit == 221\n- emails count == 1"
        ),
        "### TC-INT-005: Sends nothing\n\n**Request:** GET /status/200\n\n**Assertions:**\n\
         - no emails\n- no side effects\n- email received\n\n---\n\n",
    );
    let result = run_with(&settings(&base), &text, &RunOptions::default());
    assert_eq!(result.outcome, RunOutcome::Completed);
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
    let journal = all[0]
        .emails
        .as_ref()
        .expect("a run with [mail] keeps a journal");
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].subject, "Reservation R-7 confirmed");
    assert_eq!(journal[0].to, ["ana@example.com", "audit@example.com"]);
    assert_eq!(journal[0].attachments, ["invoice.pdf"]);
    assert_eq!(journal[0].answered, 250);

    // Every wrong expectation fails, each on its own line.
    let failed: Vec<String> = verdicts(all[1])
        .into_iter()
        .filter(|(_, verdict, _)| *verdict != "passed")
        .map(|(text, _, _)| text)
        .collect();
    assert_eq!(
        failed,
        [
            "email to \"bob@example.com\" received",
            "email subject contains \"cancelled\"",
            "email body not contains \"R-7\"",
            "emails count == 2",
            "no emails",
            "no emails to \"ana@example.com\"",
            "no side effects",
        ],
        "{:#?}",
        verdicts(all[1])
    );
    let said = format!("{:?}", all[1].checks);
    assert!(
        said.contains("no e-mail to bob@example.com was sent"),
        "{said}"
    );
    assert!(said.contains("1 e-mail was sent, expected == 2"), "{said}");
    assert!(
        said.contains("1 e-mail to ana@example.com was sent"),
        "{said}"
    );
    // What the server took in is the evidence.
    assert!(
        said.contains(r#"mail took in: shop@example.com → ana@example.com \"Reservation R-7 confirmed\" [invoice.pdf]"#),
        "{said}"
    );

    // Refused: the service saw the code, the e-mail is no side effect,
    // and the journal shows it refused.
    assert_eq!(all[2].outcome, Outcome::Passed, "{:#?}", verdicts(all[2]));
    let refused = all[2].emails.as_ref().unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].answered, 550);
    assert_eq!(all[3].outcome, Outcome::Passed, "{:#?}", verdicts(all[3]));

    let nothing = verdicts(all[4]);
    assert_eq!(all[4].outcome, Outcome::Failed, "{nothing:#?}");
    assert_eq!(
        nothing.iter().map(|(_, v, _)| *v).collect::<Vec<_>>(),
        ["pass", "pass", "fail"],
        "{nothing:#?}"
    );
    assert!(all[4].emails.as_ref().is_some_and(Vec::is_empty));
}

#[test]
fn an_email_that_comes_late_is_waited_for_and_within_sets_the_wait() {
    // The test API sends 1.2 s after its answer: past `[channels] wait`
    // (800 ms here), within the assertion's own 3 s.
    let base = serve(api());
    let text = format!(
        "{HEAD}### TC-INT-001: Waits\n\n**Actions:**\n\
         1. Request A: POST /send-mail-later {{\"delay_ms\": 1200, \"host\": \"{{{{mail.host}}}}\", \"port\": {{{{mail.port}}}}, \"from\": \"a@example.com\", \"to\": [\"b@example.com\"], \"message\": [\"Subject: late\", \"\", \"hi\"]}}\n\n\
         **Assertions:**\n- A.status == 202\n- within 3s: email to \"b@example.com\" subject == \"late\"\n\n---\n\n"
    );
    let result = run_with(&settings(&base), &text, &RunOptions::default());
    let all = cases(&result);
    assert_eq!(all[0].outcome, Outcome::Passed, "{:#?}", verdicts(all[0]));
}
