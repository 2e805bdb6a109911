//! One SMTP connection: lines in, mailin's state machine deciding the
//! answers, each message read and put in the mailbox before it is
//! answered — so an e-mail the service was told is sent is already there
//! when the case's checks look.

use std::net::IpAddr;
use std::sync::Arc;

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::Shared;

/// The longest line taken: RFC 5321's 1,000 octets with room to spare.
const MAX_LINE: u64 = 64 * 1024;
/// The largest message taken (answered 552 beyond it).
pub const MAX_MESSAGE: usize = 32 * 1024 * 1024;

/// Serves one connection until the client quits or goes.
pub async fn serve(stream: TcpStream, peer: IpAddr, shared: Arc<Shared>) {
    // AUTH is answered here, not by mailin, which would then require it:
    // a service that sends without logging in is served too.
    // A refusal goes to the client from here: mailin, told of an error at
    // the end of DATA, would stay in its DATA state and read the client's
    // next command (RSET, QUIT) as message text.
    let refused = Arc::new(std::sync::Mutex::new(None));
    let mut session =
        SessionBuilder::new("itspec").build(peer, Receiver::new(shared, refused.clone()));
    let (read, mut write) = stream.into_split();
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

type Reader = BufReader<tokio::net::tcp::OwnedReadHalf>;
type Writer = tokio::net::tcp::OwnedWriteHalf;

/// The next line into `line`, ending in CRLF (a bare LF ends a line as
/// CRLF does); `None` when the client is gone or sent a line too long.
async fn read_line(reader: &mut Reader, line: &mut Vec<u8>, write: &mut Writer) -> Option<()> {
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

async fn send(write: &mut Writer, response: &Response) -> std::io::Result<()> {
    let bytes = response.buffer()?;
    write.write_all(&bytes).await
}

async fn send_text(write: &mut Writer, text: &str) -> std::io::Result<()> {
    write.write_all(text.as_bytes()).await
}

fn is_ehlo(line: &[u8]) -> bool {
    line.get(..5)
        .is_some_and(|word| word.eq_ignore_ascii_case(b"EHLO "))
}

/// The EHLO reply with `AUTH PLAIN LOGIN` as its last line.
async fn send_with_auth(write: &mut Writer, response: &Response) -> std::io::Result<()> {
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
    reader: &mut Reader,
    line: &mut Vec<u8>,
    write: &mut Writer,
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
}

impl Receiver {
    fn new(shared: Arc<Shared>, refused: Arc<std::sync::Mutex<Option<super::Fault>>>) -> Self {
        Self {
            shared,
            refused,
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
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
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.data.len() + buf.len() > MAX_MESSAGE {
            return Err(std::io::Error::other("the message is too large"));
        }
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let raw = std::mem::take(&mut self.data);
        let fault = self.shared.fault();
        let answered = fault.as_ref().map_or(250, |fault| fault.code);
        self.shared
            .mailbox
            .push(super::parse::email(&self.from, &self.to, &raw, answered));
        *crate::broker::lock(&self.refused) = fault;
        mailin::response::OK
    }
}
