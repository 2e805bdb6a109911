//! Assertions on the e-mails the service sent (CHANNELS.md §3, §5):
//! `email [to "ADDR"] received`, `… subject|body|from|header H PREDICATE`,
//! `… attachment "NAME" exists`, `emails [to "ADDR"] count OP N` and `no
//! emails [to "ADDR"]`. Only e-mails the server took count: one a `mail ->
//! CODE` fault refused was not sent.
//!
//! A positive check holds when some e-mail satisfies it, and waits up to
//! `[channels] wait` for one. A negative one (`!=`, `not contains`, `not
//! exists`, `not received`, `no emails`) must hold of every e-mail, and is
//! judged once nothing has come for `[channels] quiet` after the case's
//! last request; a negative check on a part needs at least one e-mail to
//! look at, so it never passes on nothing.

use std::time::Instant;

use itspec_spec::Spanned;
use itspec_spec::model::{CmpOp, EmailPart, Predicate, Subject, SubjectKind};
use serde_json::Value;

use super::messages::wait_text;
use super::predicate::GrowingCount;
use super::{Context, Failure, operand_value, predicate};
use crate::broker::{Waits, after};
use crate::mail::{Mail, Sent, record};
use crate::vars::interpolate_text;
use itspec_results::Email;

/// What e-mail assertions look at.
pub(crate) struct MailContext<'a> {
    /// The SMTP server and what it took in.
    pub mail: &'a Mail,
    /// `[channels] wait` and `quiet` (`within` sets both to its own).
    pub waits: Waits,
    /// When the case's last request ended: waits count from here.
    pub last_step: Instant,
}

/// Which e-mails an assertion is about.
struct To(Option<String>);

impl To {
    fn holds(&self, sent: &Sent) -> bool {
        sent.email.accepted()
            && self.0.as_ref().is_none_or(|address| {
                sent.email
                    .to
                    .iter()
                    .any(|to| to.eq_ignore_ascii_case(address))
            })
    }

    fn of<'s>(&self, sent: &'s [Sent]) -> Vec<&'s Sent> {
        sent.iter().filter(|s| self.holds(s)).collect()
    }

    /// ` to ana@example.com`, or nothing.
    fn text(&self) -> String {
        self.0
            .as_ref()
            .map(|address| format!(" to {address}"))
            .unwrap_or_default()
    }
}

fn context<'c>(cx: &'c Context<'_>) -> Result<&'c MailContext<'c>, Failure> {
    let mail = cx.mail.ok_or_else(|| {
        Failure::error(
            "this run has no SMTP server: add [mail] to itspec.toml and point the service at {{mail.host}}:{{mail.port}}",
        )
    })?;
    if let Some(why) = mail.mail.mailbox().lost() {
        return Err(Failure::error(why));
    }
    Ok(mail)
}

fn to(address: Option<&Spanned<String>>, cx: &Context<'_>) -> Result<To, Failure> {
    address
        .map(|address| interpolate_text(&address.value, cx.scope))
        .transpose()
        .map(To)
        .map_err(Failure::from)
}

/// `email …` and `emails …` lines.
pub(super) async fn check(
    subject: &Subject,
    predicate: &Predicate,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let mail = context(cx)?;
    match &subject.kind {
        SubjectKind::Emails { to: address } => {
            let Predicate::Count { op, value } = predicate else {
                return Err(Failure::error("an `emails` subject takes `count OP N`"));
            };
            let wanted = operand_value(value, cx.scope)?;
            let Some(wanted) = wanted.as_u64() else {
                return Err(Failure::error(format!(
                    "`count {} {wanted}` needs a whole number",
                    op.as_str()
                )));
            };
            count(mail, &to(address.as_ref(), cx)?, *op, wanted).await
        }
        SubjectKind::Email {
            to: address,
            part: EmailPart::Received,
        } => {
            let to = to(address.as_ref(), cx)?;
            match predicate {
                Predicate::NotExists => none(mail, &to).await,
                _ => received(mail, &to).await,
            }
        }
        SubjectKind::Email { to: address, part } => {
            let to = to(address.as_ref(), cx)?;
            on_part(mail, &to, part, subject, predicate, cx).await
        }
        _ => Err(Failure::error("not an e-mail assertion")),
    }
}

/// `no emails [to "ADDR"]`.
pub(super) async fn none_to(
    address: Option<&Spanned<String>>,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let mail = context(cx)?;
    none(mail, &to(address, cx)?).await
}

/// Some e-mail went to the address: waits `[channels] wait` for one.
async fn received(mail: &MailContext<'_>, to: &To) -> Result<(), Failure> {
    let mailbox = mail.mail.mailbox();
    let deadline = after(mail.last_step, mail.waits.wait);
    let sent = mailbox
        .wait_until(deadline, |sent| sent.iter().any(|s| to.holds(s)))
        .await;
    if sent.iter().any(|s| to.holds(s)) {
        return Ok(());
    }
    let mut failure = Failure::with(
        format!(
            "no e-mail{} was sent within {}",
            to.text(),
            wait_text(mail.waits.wait)
        ),
        format!("an e-mail{}", to.text()),
        "none",
    );
    failure.evidence.notes = taken_in(mail);
    Err(failure)
}

/// Nothing went to the address, and nothing for `[channels] quiet` after
/// the last request.
async fn none(mail: &MailContext<'_>, to: &To) -> Result<(), Failure> {
    let mailbox = mail.mail.mailbox();
    let sent = mailbox
        .wait_until(after(mail.last_step, mail.waits.quiet), |sent| {
            sent.iter().any(|s| to.holds(s))
        })
        .await;
    let found = to.of(&sent);
    if found.is_empty() {
        return Ok(());
    }
    let mut failure = Failure::new(format!(
        "{} e-mail{}{} {} sent",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        to.text(),
        if found.len() == 1 { "was" } else { "were" },
    ));
    failure.evidence.notes = taken_in(mail);
    Err(failure)
}

/// Whether a predicate asks something of every e-mail rather than of one.
pub(super) fn negative(predicate: &Predicate) -> bool {
    matches!(
        predicate,
        Predicate::Compare { op: CmpOp::Ne, .. }
            | Predicate::Contains { negated: true, .. }
            | Predicate::NotExists
    )
}

/// The values of a part of an e-mail: the text and the HTML parts for
/// `body`, each value of a header (none: absent).
fn values(email: &Email, part: &EmailPart) -> Vec<Option<Value>> {
    let text = |s: &str| Some(Value::String(s.to_string()));
    match part {
        EmailPart::Subject => vec![text(&email.subject)],
        EmailPart::From => vec![text(&email.from)],
        EmailPart::Body => {
            let parts: Vec<Option<Value>> = [&email.text, &email.html]
                .into_iter()
                .filter(|part| !part.is_empty())
                .map(|part| text(part))
                .collect();
            if parts.is_empty() {
                vec![text("")]
            } else {
                parts
            }
        }
        EmailPart::Header(name) => {
            let found: Vec<Option<Value>> = email
                .headers
                .iter()
                .filter(|(header, _)| header.eq_ignore_ascii_case(&name.value))
                .map(|(_, value)| text(value))
                .collect();
            if found.is_empty() { vec![None] } else { found }
        }
        EmailPart::Attachment(name) => vec![
            email
                .attachments
                .iter()
                .any(|attachment| attachment == &name.value)
                .then(|| Value::String(name.value.clone())),
        ],
        EmailPart::Received => vec![Some(Value::Bool(true))],
    }
}

/// Whether an e-mail satisfies the predicate: one of its values does (a
/// negative predicate: every one does). An error stops the check.
fn satisfies(
    email: &Email,
    part: &EmailPart,
    subject: &Subject,
    predicate: &Predicate,
    cx: &Context<'_>,
) -> Result<bool, Failure> {
    let mut results = Vec::new();
    for value in values(email, part) {
        match predicate::apply(predicate, subject, value, cx) {
            Ok(()) => results.push(true),
            Err(failure) if failure.error => return Err(failure),
            Err(_) => results.push(false),
        }
    }
    Ok(if negative(predicate) {
        results.iter().all(|&holds| holds)
    } else {
        results.iter().any(|&holds| holds)
    })
}

/// `email [to "ADDR"] PART PREDICATE`.
async fn on_part(
    mail: &MailContext<'_>,
    to: &To,
    part: &EmailPart,
    subject: &Subject,
    predicate: &Predicate,
    cx: &Context<'_>,
) -> Result<(), Failure> {
    let mailbox = mail.mail.mailbox();
    let error = std::cell::RefCell::new(None);
    let holds = |sent: &[Sent]| -> bool {
        let mut any = false;
        for s in sent.iter().filter(|s| to.holds(s)) {
            match satisfies(&s.email, part, subject, predicate, cx) {
                Ok(true) => any = true,
                Ok(false) => {}
                Err(failure) => {
                    *error.borrow_mut() = Some(failure);
                    return true;
                }
            }
        }
        any
    };
    let verdict = if negative(predicate) {
        // Every e-mail, once no more is coming.
        let sent = mailbox
            .wait_until(after(mail.last_step, mail.waits.quiet), |_| false)
            .await;
        let mine = to.of(&sent);
        let mut all = !mine.is_empty();
        for s in &mine {
            all &= satisfies(&s.email, part, subject, predicate, cx)?;
        }
        all
    } else {
        let sent = mailbox
            .wait_until(after(mail.last_step, mail.waits.wait), holds)
            .await;
        let found = holds(&sent);
        if let Some(failure) = error.take() {
            return Err(failure);
        }
        found
    };
    if verdict {
        return Ok(());
    }
    let sent = mailbox.snapshot().0;
    let mine = to.of(&sent);
    let mut failure = if mine.is_empty() {
        Failure::with(
            format!(
                "no e-mail{} was sent within {}",
                to.text(),
                wait_text(if negative(predicate) {
                    mail.waits.quiet
                } else {
                    mail.waits.wait
                })
            ),
            format!("an e-mail{}", to.text()),
            "none",
        )
    } else {
        let seen: Vec<String> = mine
            .iter()
            .flat_map(|s| values(&s.email, part))
            .map(|value| match value {
                Some(Value::String(text)) => format!("{text:?}"),
                Some(other) => other.to_string(),
                None => "absent".to_string(),
            })
            .collect();
        let mut failure = Failure::new(if negative(predicate) {
            format!(
                "an e-mail{} breaks the assertion on its {}",
                to.text(),
                part_text(part)
            )
        } else {
            format!(
                "no e-mail{} satisfies the assertion on its {}",
                to.text(),
                part_text(part)
            )
        });
        failure.evidence.actual = Some(seen.join("\n"));
        failure
    };
    failure.evidence.notes = taken_in(mail);
    Err(failure)
}

fn part_text(part: &EmailPart) -> String {
    match part {
        EmailPart::Received => "received".to_string(),
        EmailPart::Subject => "subject".to_string(),
        EmailPart::Body => "body".to_string(),
        EmailPart::From => "from".to_string(),
        EmailPart::Header(name) => format!("header {}", name.value),
        EmailPart::Attachment(name) => format!("attachment {:?}", name.value),
    }
}

/// `emails [to "ADDR"] count OP N`: as for messages, a count only grows,
/// so `>=` and `>` hold as soon as they do and `==`, `<=`, `<` fail as soon
/// as the count is past them; otherwise it is read once nothing has come
/// for `[channels] quiet`, `==` first waiting up to `wait` for N.
async fn count(mail: &MailContext<'_>, to: &To, op: CmpOp, wanted: u64) -> Result<(), Failure> {
    let mailbox = mail.mail.mailbox();
    let n_of = |sent: &[Sent]| sent.iter().filter(|s| to.holds(s)).count() as u64;
    let count = GrowingCount { op, wanted };
    if count.waits_for_more() {
        mailbox
            .wait_until(after(mail.last_step, mail.waits.wait), |sent| {
                count.reached(n_of(sent))
            })
            .await;
    }
    loop {
        let sent = mailbox.snapshot().0;
        let n = n_of(&sent);
        if count.settled(n) {
            break;
        }
        let last = to
            .of(&sent)
            .iter()
            .map(|s| s.at)
            .max()
            .unwrap_or(mail.last_step)
            .max(mail.last_step);
        let quiet_end = after(last, mail.waits.quiet);
        if Instant::now() >= quiet_end {
            break;
        }
        mailbox.wait_until(quiet_end, |sent| n_of(sent) != n).await;
    }
    let n = n_of(&mailbox.snapshot().0);
    if count.holds(n) {
        return Ok(());
    }
    let mut failure = Failure::with(
        format!(
            "{n} e-mail{}{} {} sent, expected {} {wanted}",
            if n == 1 { "" } else { "s" },
            to.text(),
            if n == 1 { "was" } else { "were" },
            op.as_str()
        ),
        format!("{} {wanted}", op.as_str()),
        n.to_string(),
    );
    failure.evidence.notes = taken_in(mail);
    Err(failure)
}

/// What the server took in during the case, for a failure's evidence.
fn taken_in(mail: &MailContext<'_>) -> Vec<String> {
    let (sent, since) = mail.mail.mailbox().snapshot();
    if sent.is_empty() {
        return vec!["the SMTP server took in no e-mail during the case".to_string()];
    }
    sent.into_iter()
        .map(|s| format!("mail took in: {}", record(s, since).summary()))
        .collect()
}
