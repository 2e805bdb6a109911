//! Last-byte synchronisation of a burst: a connection that writes its
//! request up to the final byte of its head — the last `\n` of the blank
//! line — and holds that byte, and the body after it, until the burst is
//! released. The server has then read all of every request's head but one
//! byte, and no server can start on a request before the release: not one
//! that hands a request to its handler as soon as the head is in, nor a
//! handler that never reads the body. The release is one small write per
//! connection, made back to back from one loop.
//!
//! hyper drives the connection ([`HeldBack`], its I/O); the burst holds the
//! other end ([`Gate`]): it waits until the request is [`Gate::primed`],
//! then [`Gate::release`]s it.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The end of a request's head.
const HEAD_END: &[u8] = b"\r\n\r\n";

/// A connection's state, shared by hyper's side and the burst's.
struct Line {
    stream: TcpStream,
    /// What comes from the head's final byte on is held back.
    holding: bool,
    /// The last bytes written, up to three: where the head's end may begin.
    tail: Vec<u8>,
    /// The head's final byte was reached: from it on, everything is held.
    cut: bool,
    /// What is held back.
    held: Vec<u8>,
    /// Everything before `held` has been written and hyper flushed.
    primed: bool,
    /// hyper dropped the connection.
    closed: bool,
    /// When the request's last byte went out.
    sent_at: Option<Instant>,
    /// The burst, waiting for `primed`.
    primed_waker: Option<Waker>,
    /// hyper, waiting for the release at its flush.
    release_waker: Option<Waker>,
}

type Shared = Arc<Mutex<Line>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Line> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// hyper's side of a connection: its I/O.
pub struct HeldBack(Shared);

/// The burst's side of a connection.
#[derive(Clone)]
pub struct Gate(Shared);

/// A connection over `stream` whose request is held back from its head's
/// final byte until released when `hold`, or written as hyper writes it
/// when not (then the gate only tells when the request went out).
pub fn connection(stream: TcpStream, hold: bool) -> (HeldBack, Gate) {
    let shared = Arc::new(Mutex::new(Line {
        stream,
        holding: hold,
        tail: Vec::with_capacity(HEAD_END.len()),
        cut: false,
        held: Vec::new(),
        primed: false,
        closed: false,
        sent_at: None,
        primed_waker: None,
        release_waker: None,
    }));
    (HeldBack(Arc::clone(&shared)), Gate(shared))
}

/// Where in `buf` the head's final byte is, given the `tail` written
/// before it.
fn head_end(tail: &[u8], buf: &[u8]) -> Option<usize> {
    let mut joined = Vec::with_capacity(tail.len() + HEAD_END.len());
    joined.extend_from_slice(tail);
    joined.extend(buf.iter().take(HEAD_END.len()));
    if let Some(at) = joined.windows(HEAD_END.len()).position(|w| w == HEAD_END) {
        return Some(at + HEAD_END.len() - 1 - tail.len());
    }
    buf.windows(HEAD_END.len())
        .position(|w| w == HEAD_END)
        .map(|at| at + HEAD_END.len() - 1)
}

impl Line {
    /// Writes what is held, if anything; ready when nothing is left.
    fn poll_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.held.is_empty() {
            let written = ready!(Pin::new(&mut self.stream).poll_write(cx, &self.held))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.held.drain(..written);
            if self.held.is_empty() {
                self.sent_at = Some(Instant::now());
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Remembers the last bytes written, where a head's end may begin.
    fn wrote(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
        let keep = HEAD_END.len() - 1;
        if self.tail.len() > keep {
            self.tail.drain(..self.tail.len() - keep);
        }
    }
}

impl AsyncRead for HeldBack {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut lock(&self.0).stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for HeldBack {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut line = lock(&self.0);
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if !line.holding {
            ready!(line.poll_held(cx))?;
            let written = ready!(Pin::new(&mut line.stream).poll_write(cx, buf))?;
            line.sent_at = Some(Instant::now());
            return Poll::Ready(Ok(written));
        }
        if line.cut {
            line.held.extend_from_slice(buf);
            return Poll::Ready(Ok(buf.len()));
        }
        let end = head_end(&line.tail, buf);
        let (before, after) = buf
            .split_at_checked(end.unwrap_or(buf.len()))
            .unwrap_or((buf, &[]));
        if !before.is_empty() {
            let written = ready!(Pin::new(&mut line.stream).poll_write(cx, before))?;
            line.wrote(before.get(..written).unwrap_or(before));
            if written < before.len() {
                return Poll::Ready(Ok(written));
            }
        }
        if end.is_some() {
            line.cut = true;
            line.held.extend_from_slice(after);
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut line = lock(&self.0);
        if line.holding && line.cut {
            line.primed = true;
            if let Some(waker) = line.primed_waker.take() {
                waker.wake();
            }
            line.release_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        ready!(line.poll_held(cx))?;
        Pin::new(&mut line.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut line = lock(&self.0);
        line.holding = false;
        ready!(line.poll_held(cx))?;
        Pin::new(&mut line.stream).poll_shutdown(cx)
    }
}

impl Drop for HeldBack {
    fn drop(&mut self) {
        let mut line = lock(&self.0);
        line.closed = true;
        if let Some(waker) = line.primed_waker.take() {
            waker.wake();
        }
    }
}

impl Gate {
    /// Resolves once the request is written up to its head's final byte —
    /// or at once when nothing is held back or the connection closed.
    pub async fn primed(&self) {
        std::future::poll_fn(|cx| {
            let mut line = lock(&self.0);
            if line.primed || line.closed || !line.holding {
                Poll::Ready(())
            } else {
                line.primed_waker = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }

    /// Lets the rest go: written here and now as far as the socket takes
    /// it (all of it, nearly always: a byte and a small body), the rest by
    /// the connection's own task, which is woken either way.
    pub fn release(&self) {
        let mut line = lock(&self.0);
        line.holding = false;
        if !line.held.is_empty()
            && let Ok(written) = line.stream.try_write(&line.held)
        {
            line.held.drain(..written);
            if line.held.is_empty() {
                line.sent_at = Some(Instant::now());
            }
        }
        if let Some(waker) = line.release_waker.take() {
            waker.wake();
        }
    }

    /// When the request's last byte went out, once it has.
    pub fn sent_at(&self) -> Option<Instant> {
        lock(&self.0).sent_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const REQUEST: &[u8] = b"POST /race HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}";

    /// A connection and the server's end of it.
    async fn pair(hold: bool) -> (HeldBack, Gate, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (io, gate) = connection(client, hold);
        (io, gate, server)
    }

    /// Reads what arrives until nothing more does for 100 ms.
    async fn arrived(server: &mut TcpStream) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(read) =
            tokio::time::timeout(Duration::from_millis(100), server.read(&mut buf)).await
        {
            let read = read.unwrap();
            if read == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..read]);
        }
        bytes
    }

    #[tokio::test]
    async fn the_final_byte_waits_for_the_release() {
        let (mut io, gate, mut server) = pair(true).await;
        io.write_all(REQUEST).await.unwrap();
        let mut flush = Box::pin(async move {
            io.flush().await.unwrap();
            io
        });
        // The flush waits for the release…
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut flush)
                .await
                .is_err()
        );
        // …with the request primed, and its head but its final byte at the
        // server; the body waits with that byte.
        tokio::time::timeout(Duration::from_secs(1), gate.primed())
            .await
            .unwrap();
        let head = REQUEST.len() - 2;
        assert_eq!(arrived(&mut server).await, REQUEST[..head - 1]);
        assert_eq!(gate.sent_at(), None);
        gate.release();
        assert_eq!(arrived(&mut server).await, b"\n{}");
        let before = Instant::now();
        let _io = flush.await;
        assert!(gate.sent_at().is_some_and(|sent| sent <= before));
    }

    #[tokio::test]
    async fn a_head_written_in_pieces_is_cut_where_it_ends() {
        let (mut io, gate, mut server) = pair(true).await;
        // The blank line split across three writes.
        for piece in [&REQUEST[..38], &REQUEST[38..40], &REQUEST[40..]] {
            io.write_all(piece).await.unwrap();
        }
        let flush = tokio::spawn(async move { io.flush().await.unwrap() });
        tokio::time::timeout(Duration::from_secs(1), gate.primed())
            .await
            .unwrap();
        assert_eq!(arrived(&mut server).await, REQUEST[..REQUEST.len() - 3]);
        gate.release();
        flush.await.unwrap();
        assert_eq!(arrived(&mut server).await, b"\n{}");
    }

    #[test]
    fn the_head_ends_at_the_blank_lines_last_byte() {
        assert_eq!(head_end(b"", b"GET / HTTP/1.1\r\n\r\n"), Some(17));
        assert_eq!(head_end(b"\r\n\r", b"\nbody"), Some(0));
        assert_eq!(head_end(b"1\r\n", b"\r\n"), Some(1));
        assert_eq!(head_end(b"", b"a: b\r\n"), None);
        // A blank line in the body after the head is not the head's end.
        assert_eq!(head_end(b"", b"x\r\n\r\n\r\n\r\n"), Some(4));
    }

    #[tokio::test]
    async fn what_is_written_after_the_release_goes_out_at_once() {
        let (mut io, gate, mut server) = pair(true).await;
        io.write_all(&REQUEST[..10]).await.unwrap();
        gate.release();
        io.write_all(&REQUEST[10..]).await.unwrap();
        io.flush().await.unwrap();
        assert_eq!(arrived(&mut server).await, REQUEST);
    }

    #[tokio::test]
    async fn without_holding_a_request_goes_out_whole() {
        let (mut io, gate, mut server) = pair(false).await;
        // Nothing to wait for.
        tokio::time::timeout(Duration::from_millis(50), gate.primed())
            .await
            .unwrap();
        io.write_all(REQUEST).await.unwrap();
        io.flush().await.unwrap();
        assert_eq!(arrived(&mut server).await, REQUEST);
        assert!(gate.sent_at().is_some());
    }

    #[tokio::test]
    async fn a_dropped_connection_is_never_waited_for() {
        let (io, gate, _server) = pair(true).await;
        drop(io);
        tokio::time::timeout(Duration::from_millis(50), gate.primed())
            .await
            .unwrap();
    }
}
