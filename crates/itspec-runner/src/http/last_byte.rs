//! Last-byte synchronisation of a burst: a connection that writes its
//! request all but the final byte and holds that byte back until the burst
//! is released. The server has then read and parsed every request of the
//! group but one byte each, and the release is one small write per
//! connection, made back to back from one loop — what is left for the
//! server to do per request is the least it can be.
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

/// A connection's state, shared by hyper's side and the burst's.
struct Line {
    stream: TcpStream,
    /// The final byte is still held back at the next flush.
    holding: bool,
    /// The byte held back from what hyper wrote so far.
    held: Option<u8>,
    /// Everything but `held` has been written and hyper flushed.
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

/// A connection over `stream` whose final byte is held back until
/// released when `hold`, or written as hyper writes it when not (then the
/// gate only tells when the request went out).
pub fn connection(stream: TcpStream, hold: bool) -> (HeldBack, Gate) {
    let shared = Arc::new(Mutex::new(Line {
        stream,
        holding: hold,
        held: None,
        primed: false,
        closed: false,
        sent_at: None,
        primed_waker: None,
        release_waker: None,
    }));
    (HeldBack(Arc::clone(&shared)), Gate(shared))
}

impl Line {
    /// Writes the held byte, if any; ready when there is none left.
    fn poll_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(byte) = self.held {
            let written = ready!(Pin::new(&mut self.stream).poll_write(cx, &[byte]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.held = None;
            self.sent_at = Some(Instant::now());
        }
        Poll::Ready(Ok(()))
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
        let Some((&last, before)) = buf.split_last() else {
            return Poll::Ready(Ok(0));
        };
        ready!(line.poll_held(cx))?;
        if !line.holding {
            let written = ready!(Pin::new(&mut line.stream).poll_write(cx, buf))?;
            line.sent_at = Some(Instant::now());
            return Poll::Ready(Ok(written));
        }
        if !before.is_empty() {
            let written = ready!(Pin::new(&mut line.stream).poll_write(cx, before))?;
            if written < before.len() {
                return Poll::Ready(Ok(written));
            }
        }
        line.held = Some(last);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut line = lock(&self.0);
        if line.holding && line.held.is_some() {
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
    /// Resolves once the request is written but its final byte — or at
    /// once when nothing is held back or the connection closed.
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

    /// Lets the final byte go: written here and now when the socket takes
    /// it (it nearly always does: one byte), else by the connection's own
    /// task, which is woken either way.
    pub fn release(&self) {
        let mut line = lock(&self.0);
        line.holding = false;
        if let Some(byte) = line.held
            && let Ok(1) = line.stream.try_write(&[byte])
        {
            line.held = None;
            line.sent_at = Some(Instant::now());
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
        // …with the request primed, and all of it but its last byte at the server.
        tokio::time::timeout(Duration::from_secs(1), gate.primed())
            .await
            .unwrap();
        assert_eq!(arrived(&mut server).await, REQUEST[..REQUEST.len() - 1]);
        assert_eq!(gate.sent_at(), None);
        gate.release();
        assert_eq!(arrived(&mut server).await, b"}");
        let before = Instant::now();
        let _io = flush.await;
        assert!(gate.sent_at().is_some_and(|sent| sent <= before));
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
