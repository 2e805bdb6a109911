//! One SMTP connection: lines in, mailin's state machine deciding the
//! answers, each message read and put in the mailbox before it is
//! answered — so an e-mail the service was told is sent is already there
//! when the case's checks look.

use std::net::IpAddr;
use std::sync::Arc;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::TcpStream;

use super::Shared;

/// The longest line taken: RFC 5321's 1,000 octets with room to spare.
const MAX_LINE: u64 = 64 * 1024;
/// The largest message taken (answered 552 beyond it).
pub const MAX_MESSAGE: usize = 32 * 1024 * 1024;

/// Serves one connection until the client quits or goes.
pub async fn serve(stream: TcpStream, peer: IpAddr, shared: Arc<Shared>) {
    let (read, write) = stream.into_split();
    converse(read, write, peer, shared).await;
}

/// The conversation with one client, on any pair of streams.
pub(crate) async fn converse<R, W>(read: R, mut write: W, peer: IpAddr, shared: Arc<Shared>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // AUTH is answered here, not by mailin, which would then require it:
    // a service that sends without logging in is served too.
    // A refusal goes to the client from here: mailin, told of an error at
    // the end of DATA, would stay in its DATA state and read the client's
    // next command (RSET, QUIT) as message text.
    let refused = Arc::new(std::sync::Mutex::new(None));
    let mut session =
        SessionBuilder::new("itspec").build(peer, Receiver::new(shared, refused.clone()));
    let mut reader = BufReader::new(read);
    if send(&mut write, &session.greeting()).await.is_err() {
        return;
    }
    let mut line = Vec::with_capacity(1024);
    // Between DATA's 354 and the lone dot, lines are the message's.
    let mut in_data = false;
    loop {
        if read_line(&mut reader, &mut line, &mut write)
            .await
            .is_none()
        {
            return;
        }
        if in_data {
            in_data = line != b".\r\n";
        } else if let Some(mechanism) = auth(&line) {
            if login(mechanism, &mut reader, &mut line, &mut write)
                .await
                .is_none()
            {
                return;
            }
            continue;
        }
        let mut response = session.process(&line);
        if let Some(fault) = crate::broker::lock(&refused).take() {
            response = Response::custom(fault.code, fault.text);
        }
        match response.action {
            Action::NoReply => {}
            Action::Reply => {
                in_data = response.code == 354;
                let sent = if is_ehlo(&line) && response.code == 250 {
                    send_with_auth(&mut write, &response).await
                } else {
                    send(&mut write, &response).await
                };
                if sent.is_err() {
                    return;
                }
            }
            Action::Close => {
                let _ = send(&mut write, &response).await;
                return;
            }
            Action::UpgradeTls => {
                // STARTTLS is not offered; a client that asks anyway is told so.
                let refused = Response::custom(454, "TLS not available".to_string());
                if send(&mut write, &refused).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The next line into `line`, ending in CRLF (a bare LF ends a line as
/// CRLF does); `None` when the client is gone or sent a line too long.
async fn read_line(
    reader: &mut (impl AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
    write: &mut (impl AsyncWrite + Unpin),
) -> Option<()> {
    line.clear();
    match reader.take(MAX_LINE).read_until(b'\n', line).await {
        Ok(0) | Err(_) => return None,
        Ok(_) => {}
    }
    if !line.ends_with(b"\n") {
        if line.len() as u64 >= MAX_LINE {
            let too_long = Response::custom(500, "Line too long".to_string());
            let _ = send(write, &too_long).await;
        }
        return None;
    }
    if !line.ends_with(b"\r\n") {
        line.pop();
        line.extend_from_slice(b"\r\n");
    }
    Some(())
}

async fn send(write: &mut (impl AsyncWrite + Unpin), response: &Response) -> std::io::Result<()> {
    let bytes = response.buffer()?;
    write.write_all(&bytes).await
}

async fn send_text(write: &mut (impl AsyncWrite + Unpin), text: &str) -> std::io::Result<()> {
    write.write_all(text.as_bytes()).await
}

fn is_ehlo(line: &[u8]) -> bool {
    line.get(..5)
        .is_some_and(|word| word.eq_ignore_ascii_case(b"EHLO "))
}

/// The EHLO reply with `AUTH PLAIN LOGIN` as its last line.
async fn send_with_auth(
    write: &mut (impl AsyncWrite + Unpin),
    response: &Response,
) -> std::io::Result<()> {
    let reply = String::from_utf8_lossy(&response.buffer()?).into_owned();
    let mut lines: Vec<String> = reply
        .lines()
        .map(|line| line.replacen("250 ", "250-", 1))
        .collect();
    lines.push("250 AUTH PLAIN LOGIN".to_string());
    send_text(write, &format!("{}\r\n", lines.join("\r\n"))).await
}

/// `AUTH PLAIN …` / `AUTH LOGIN …`: the mechanism and what follows it.
fn auth(line: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let (verb, rest) = text.split_once(' ')?;
    if !verb.eq_ignore_ascii_case("AUTH") {
        return None;
    }
    let (mechanism, initial) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
    Some((mechanism.to_ascii_uppercase(), initial.trim().to_string()))
}

/// Takes any credentials, as a mail catcher does: PLAIN (with its
/// response on the line or after a 334) and LOGIN; other mechanisms are
/// refused with 504, so a client falls back to these.
async fn login(
    (mechanism, initial): (String, String),
    reader: &mut (impl AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
    write: &mut (impl AsyncWrite + Unpin),
) -> Option<()> {
    // 334 and the client's next line, `count` times.
    let prompts: &[&str] = match (mechanism.as_str(), initial.is_empty()) {
        ("PLAIN", true) => &["334 \r\n"],
        ("PLAIN", false) => &[],
        // "Username:" and "Password:", base64.
        ("LOGIN", true) => &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n"],
        ("LOGIN", false) => &["334 UGFzc3dvcmQ6\r\n"],
        _ => {
            return send_text(write, "504 Unrecognized authentication type\r\n")
                .await
                .ok();
        }
    };
    for prompt in prompts {
        send_text(write, prompt).await.ok()?;
        read_line(reader, line, write).await?;
        if line.as_slice() == b"*\r\n" {
            return send_text(write, "501 Authentication cancelled\r\n")
                .await
                .ok();
        }
    }
    send_text(write, "235 Authentication succeeded\r\n")
        .await
        .ok()
}

/// What one connection's transaction holds, and what decides its answers.
struct Receiver {
    shared: Arc<Shared>,
    /// The fault the message just ended was answered with, for the loop.
    refused: Arc<std::sync::Mutex<Option<super::Fault>>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
    /// The message went past [`MAX_MESSAGE`]: the rest is dropped, and it
    /// is refused at its end.
    too_big: bool,
}

impl Receiver {
    fn new(shared: Arc<Shared>, refused: Arc<std::sync::Mutex<Option<super::Fault>>>) -> Self {
        Self {
            shared,
            refused,
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
            too_big: false,
        }
    }
}

impl Handler for Receiver {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        self.to = to.to_vec();
        self.data.clear();
        self.too_big = false;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        // An error here would be answered at once, in the middle of the
        // client's DATA; it is answered at the end instead.
        if self.too_big || self.data.len() + buf.len() > MAX_MESSAGE {
            self.too_big = true;
        } else {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let raw = std::mem::take(&mut self.data);
        let fault = if self.too_big {
            Some(super::Fault {
                code: 552,
                text: format!("Message exceeds {} MB", MAX_MESSAGE / (1024 * 1024)),
            })
        } else {
            self.shared.fault()
        };
        let answered = fault.as_ref().map_or(250, |fault| fault.code);
        self.shared
            .mailbox
            .push(super::parse::email(&self.from, &self.to, &raw, answered));
        *crate::broker::lock(&self.refused) = fault;
        mailin::response::OK
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use proptest::prelude::*;

    use super::*;

    /// The codes the server answered `input` with, and what it kept.
    fn converse_with(input: &[u8]) -> (Vec<u16>, Arc<Shared>) {
        let shared = Arc::new(Shared::default());
        let mut output = Vec::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(converse(
            input,
            &mut output,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            shared.clone(),
        ));
        let codes = String::from_utf8_lossy(&output)
            .lines()
            // The last line of each reply.
            .filter(|line| line.as_bytes().get(3) != Some(&b'-'))
            .filter_map(|line| line.get(..3)?.parse().ok())
            .collect();
        (codes, shared)
    }

    #[test]
    fn a_whole_transaction_with_auth_login_bare_lf_and_dot_stuffing() {
        let input = b"EHLO client.test\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\n\
MAIL FROM:<shop@example.com>\r\nRCPT TO:<ana@example.com>\r\nDATA\r\n\
Subject: Hello\r\n\r\n..A dotted line\nlast line\r\n.\r\nQUIT\r\n";
        let (codes, shared) = converse_with(input);
        assert_eq!(codes, [220, 250, 334, 334, 235, 250, 250, 354, 250, 221]);
        let kept = shared.mailbox.journal();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].subject, "Hello");
        assert_eq!(kept[0].to, ["ana@example.com"]);
        assert!(
            kept[0].text.contains(".A dotted line"),
            "{:?}",
            kept[0].text
        );
        assert!(!kept[0].text.contains(".."), "{:?}", kept[0].text);
    }

    #[test]
    fn a_refusal_leaves_the_session_ready_for_the_next_message() {
        let shared = Arc::new(Shared::default());
        *crate::broker::lock(&shared.fault) = Some(super::super::Fault {
            code: 550,
            text: "no".into(),
        });
        let input = b"HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nhi\r\n.\r\n\
RSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nagain\r\n.\r\nQUIT\r\n";
        let mut output = Vec::new();
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(converse(
                &input[..],
                &mut output,
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                shared.clone(),
            ));
        let replies = String::from_utf8_lossy(&output).into_owned();
        let codes: Vec<&str> = replies.lines().filter_map(|l| l.get(..3)).collect();
        assert_eq!(
            codes,
            [
                "220", "250", "250", "250", "354", "550", "250", "250", "250", "354", "550", "221"
            ],
            "{replies}"
        );
        let kept = shared.mailbox.journal();
        assert_eq!(
            kept.iter().map(|e| e.answered).collect::<Vec<_>>(),
            [550, 550]
        );
    }

    #[test]
    fn an_unknown_auth_mechanism_and_a_cancelled_login_are_refused() {
        let (codes, _) = converse_with(
            b"EHLO c\r\nAUTH CRAM-MD5\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN AGEAYg==\r\nQUIT\r\n",
        );
        assert_eq!(codes, [220, 250, 504, 334, 501, 235, 221]);
    }

    /// Lines a client might send, and some it should not.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"EHLO x\r\n".to_vec()),
            Just(b"HELO x\r\n".to_vec()),
            Just(b"MAIL FROM:<a@b>\r\n".to_vec()),
            Just(b"RCPT TO:<c@d>\r\n".to_vec()),
            Just(b"DATA\r\n".to_vec()),
            Just(b".\r\n".to_vec()),
            Just(b"RSET\r\n".to_vec()),
            Just(b"STARTTLS\r\n".to_vec()),
            Just(b"AUTH PLAIN\r\n".to_vec()),
            Just(b"AUTH LOGIN\r\n".to_vec()),
            Just(b"QUIT\r\n".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..200),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever a client sends, the server answers or hangs up —
        /// never panics — and every e-mail it kept came whole.
        #[test]
        fn any_conversation_ends_without_a_panic(lines in proptest::collection::vec(line(), 0..40)) {
            let input: Vec<u8> = lines.concat();
            let (codes, shared) = converse_with(&input);
            prop_assert_eq!(codes.first(), Some(&220));
            for email in shared.mailbox.journal() {
                prop_assert!(email.answered == 250 || email.answered == 552);
            }
        }
    }
}
