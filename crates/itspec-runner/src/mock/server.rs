//! A mock's HTTP server: a loopback listener with a deep backlog, a task
//! per connection (HTTP/1.1 through hyper), every request recorded, and
//! the faults — a delay, a reset (the connection is closed with a TCP RST,
//! no answer), a timeout (no answer until the case ends).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use itspec_spec::model::Fault;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use super::routes::{Answer, RouteTable};
use crate::http::{BodyError, BodyLimit};
use itspec_results::Call;

/// The listen backlog: a burst of this many connections is never dropped
/// (the kernel may lower it to `net.core.somaxconn`).
const BACKLOG: u32 = 1024;

/// What the server's tasks share with the run.
pub(super) struct State {
    /// The mock's name, for messages.
    pub name: String,
    /// The routes of the current case.
    pub table: RwLock<Arc<RouteTable>>,
    /// The requests of the current case.
    pub journal: Mutex<Vec<Call>>,
    /// Moves on when a case ends: requests held by a fault let go.
    pub epoch: watch::Sender<u64>,
    /// When the current case began.
    pub started: Mutex<Instant>,
    /// The largest request body read.
    pub max_body: RwLock<BodyLimit>,
}

impl State {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            table: RwLock::new(Arc::new(RouteTable::default())),
            journal: Mutex::new(Vec::new()),
            epoch: watch::Sender::new(0),
            started: Mutex::new(Instant::now()),
            max_body: RwLock::new(BodyLimit::default()),
        }
    }
}

/// A listener on `127.0.0.1:port` (0: any free port).
pub(super) fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(BACKLOG)
}

/// Accepts connections until the task is aborted; aborting it ends every
/// connection too.
pub(super) async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                while connections.try_join_next().is_some() {}
                connections.spawn(connection(stream, Arc::clone(&state)));
            }
            // Out of file descriptors, say: let the others finish.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn connection(stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let reset = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(Connection {
        stream,
        reset: Arc::clone(&reset),
    });
    let service = hyper::service::service_fn(move |request| {
        handle(Arc::clone(&state), request, Arc::clone(&reset))
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

/// A connection that closes with a TCP reset once `reset` is set.
struct Connection {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reset.load(Ordering::SeqCst) {
            // No FIN: the drop sends the reset.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

/// Until the case that is running ends.
async fn case_over(mut epoch: watch::Receiver<u64>) {
    let _ = epoch.changed().await;
}

fn fault(reset: &AtomicBool) -> io::Error {
    reset.store(true, Ordering::SeqCst);
    io::Error::new(io::ErrorKind::ConnectionReset, "fault injected by the mock")
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
    reset: Arc<AtomicBool>,
) -> Result<Response<Full<Bytes>>, io::Error> {
    let epoch = state.epoch.subscribe();
    let (parts, body) = request.into_parts();
    let limit = state
        .max_body
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let (bytes, refused) = match limit.read(body).await {
        Ok(bytes) => (bytes, None),
        Err(BodyError::TooLarge) => (Bytes::new(), Some(limit.exceeded("the request body"))),
        Err(BodyError::Failed(_)) => (Bytes::new(), None),
    };
    let json: Option<Value> = if bytes.is_empty() {
        None
    } else {
        serde_json::from_slice(&bytes).ok()
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let table = Arc::clone(&state.table.read().unwrap_or_else(PoisonError::into_inner));
    let route = match refused {
        Some(_) => None,
        None => table.find(&method, &path, json.as_ref()).cloned(),
    };
    let closest = if route.is_none() && refused.is_none() {
        table.closest(&method, &path)
    } else {
        None
    };
    let answer = match &route {
        None if refused.is_some() => "413 (the body is over max_body)".to_string(),
        None => match &closest {
            Some(closest) => format!("404 (no route; the closest is {closest})"),
            None => "404 (no route)".to_string(),
        },
        Some(route) => match route.answer.fault {
            Some(Fault::Reset) => "reset".to_string(),
            Some(Fault::Timeout) => "timeout".to_string(),
            None => route.answer.status.to_string(),
        },
    };
    let call = Call {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        json,
        at_ms: state
            .started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
            .as_secs_f64()
            * 1000.0,
        route: route.as_ref().map(|r| r.label()),
        answer,
        refused: refused.clone(),
        body_omitted: None,
    };
    state
        .journal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(call);
    if let Some(reason) = refused {
        return Ok(respond(&Answer {
            status: 413,
            body: Some(json!({
                "error": { "code": "BODY_TOO_LARGE", "message": format!("mock `{}`: {reason}", state.name) }
            })),
            ..Answer::default()
        }));
    }
    let Some(route) = route else {
        let body = json!({
            "error": {
                "code": "NO_MOCK_ROUTE",
                "message": format!("mock `{}` has no route for {method} {path}", state.name),
                "closest": closest,
            }
        });
        return Ok(respond(&Answer {
            status: 404,
            body: Some(body),
            ..Answer::default()
        }));
    };
    if let Some(delay) = route.answer.delay {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = case_over(epoch.clone()) => return Err(fault(&reset)),
        }
    }
    match route.answer.fault {
        Some(Fault::Reset) => Err(fault(&reset)),
        Some(Fault::Timeout) => {
            case_over(epoch).await;
            Err(fault(&reset))
        }
        None => Ok(respond(&route.answer)),
    }
}

/// The HTTP response of an answer: JSON, or text for a string body.
fn respond(answer: &Answer) -> Response<Full<Bytes>> {
    let (content_type, body) = match &answer.body {
        None => (None, Bytes::new()),
        Some(Value::String(text)) => (Some("text/plain; charset=utf-8"), Bytes::from(text.clone())),
        Some(value) => (Some("application/json"), Bytes::from(value.to_string())),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.insert(name, value);
        }
    }
    response
}
