//! Releasing a group of requests at once (FORMAT §8): every request gets a
//! connection of its own, opened and ready (TCP connected, HTTP/1.1
//! handshake done) before the release; by default every request is then
//! written up to its head's final byte ([`last_byte`](super::last_byte)),
//! and the release writes the rest back to back. Each request's start (its
//! last byte out) and end are timed, so the group's start skew is measured,
//! not assumed.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::last_byte::{self, Gate};
use super::{BodyError, Http, HttpError, Outgoing, Release};
use itspec_results::{RequestRecord, ResponseRecord};

/// How long a burst waits for its requests to be written up to their
/// heads' final bytes before it lets them go anyway: a head larger than
/// the socket's buffers, to a server that reads nothing until it has
/// answered another connection, is never written that far.
const PRIMING_LIMIT: Duration = Duration::from_secs(2);

/// One request of a burst: what was sent, what came back, and when.
#[derive(Debug)]
pub struct Timed {
    /// What was sent.
    pub record: RequestRecord,
    /// The response, or why there is none.
    pub result: Result<ResponseRecord, HttpError>,
    /// When it was sent, in milliseconds after the first request of the
    /// burst was.
    pub start_ms: f64,
    /// When its response had fully arrived (or it failed).
    pub end_ms: f64,
}

/// A connection ready to send one request.
struct Ready {
    sender: http1::SendRequest<Full<Bytes>>,
    request: hyper::Request<Full<Bytes>>,
    gate: Gate,
}

/// Opens the connection of a request and builds the request. With `hold`,
/// the connection holds back the request from its head's final byte until released.
async fn prepare(
    http: &Http,
    outgoing: &Outgoing,
    headers: &[(String, String)],
    hold: bool,
) -> Result<Ready, HttpError> {
    let url = reqwest::Url::parse(&outgoing.url).map_err(|e| HttpError::Url {
        url: outgoing.url.clone(),
        reason: e.to_string(),
    })?;
    if url.scheme() != "http" {
        return Err(HttpError::Scheme(outgoing.url.clone()));
    }
    let host = url.host_str().unwrap_or("127.0.0.1").to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let connect = tokio::time::timeout(http.timeout, TcpStream::connect((host.as_str(), port)));
    let stream = match connect.await {
        Ok(Ok(stream)) => stream,
        Ok(Err(_)) => return Err(HttpError::Refused(outgoing.url.clone())),
        Err(_) => {
            return Err(HttpError::ConnectTimeout {
                url: outgoing.url.clone(),
                ms: http.timeout.as_millis(),
            });
        }
    };
    let _ = stream.set_nodelay(true);
    let (io, gate) = last_byte::connection(stream, hold);
    let (mut sender, connection) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| HttpError::Failed(format!("cannot talk HTTP to {}: {e}", outgoing.url)))?;
    tokio::spawn(connection);
    sender.ready().await.map_err(|e| {
        HttpError::Failed(format!("the connection to {} closed: {e}", outgoing.url))
    })?;
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    let mut builder = hyper::Request::builder()
        .method(outgoing.method.as_str())
        .uri(target)
        .header("host", authority);
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = outgoing
        .body
        .as_ref()
        .map(|(bytes, _)| Bytes::from(bytes.clone()))
        .unwrap_or_default();
    let request = builder.body(Full::new(body)).map_err(|e| {
        HttpError::Failed(format!("cannot build the request to {}: {e}", outgoing.url))
    })?;
    Ok(Ready {
        sender,
        request,
        gate,
    })
}

/// Where a request of a burst is.
enum Waiting {
    /// Handed to its connection; the gate when it is held back.
    Sent(Answer, Option<Gate>),
    /// To be handed to its connection at the release.
    AtRelease(Box<Ready>, String),
    /// Its connection could not be opened.
    Failed(HttpError),
}

/// What a request of a burst is waiting for.
type Answer = tokio::task::JoinHandle<(Result<ResponseRecord, HttpError>, Instant, Instant)>;

/// Sends a request on its ready connection, in a task of its own; the
/// task ends with the response as recorded, when the request's last byte
/// went out, and when the response had fully arrived.
fn send(ready: Ready, http: &Http, url: &str, released: Arc<OnceLock<Instant>>) -> Answer {
    let Ready {
        mut sender,
        request,
        gate,
    } = ready;
    // hyper takes the request now; its connection's task writes it.
    let response = sender.send_request(request);
    let http = http.clone();
    let url = url.to_string();
    tokio::spawn(async move {
        let answer = async {
            let response = response
                .await
                .map_err(|e| HttpError::Failed(format!("{url}: {e}")))?;
            let status = response.status().as_u16();
            let headers = super::header_list(response.headers());
            let bytes = match http.max_body.read(response.into_body()).await {
                Ok(bytes) => bytes,
                Err(BodyError::TooLarge) => return Err(http.too_large()),
                Err(BodyError::Failed(error)) => {
                    return Err(HttpError::Failed(format!("{url}: {error}")));
                }
            };
            Ok::<_, HttpError>((status, headers, bytes))
        };
        let answer = tokio::time::timeout(http.timeout, answer).await;
        let ended = Instant::now();
        let started = gate
            .sent_at()
            .or_else(|| released.get().copied())
            .unwrap_or(ended);
        let result = match answer {
            Ok(Ok((status, headers, bytes))) => {
                Ok(super::response_record(status, headers, &bytes, started))
            }
            Ok(Err(error)) => Err(error),
            Err(_) => Err(HttpError::Timeout {
                url,
                ms: http.timeout.as_millis(),
            }),
        };
        (result, started, ended)
    })
}

/// Sends every request at once and returns them in the order given, timed
/// from the first request's start (when its last byte went out).
///
/// Every connection is opened first. Released by [`Release::LastByte`],
/// every request is then written up to its head's final byte, and those
/// bytes (with the bodies behind them) are written back to back; by
/// [`Release::Whole`], every request is handed to its connection at the
/// release.
pub async fn burst(http: &Http, requests: Vec<Outgoing>) -> Vec<Timed> {
    let hold = http.release == Release::LastByte;
    let prepared = futures_util::future::join_all(requests.into_iter().map(|outgoing| {
        let (record, headers) = http.record(&outgoing);
        async move {
            let ready = prepare(http, &outgoing, &headers, hold).await;
            (record, outgoing.url, ready)
        }
    }))
    .await;
    let released = Arc::new(OnceLock::new());
    // Held back, a request is handed to its connection now; written whole,
    // at the release.
    let waiting: Vec<(RequestRecord, Waiting)> = prepared
        .into_iter()
        .map(|(record, url, ready)| {
            let waiting = match ready {
                Ok(ready) if hold => {
                    let gate = ready.gate.clone();
                    Waiting::Sent(send(ready, http, &url, Arc::clone(&released)), Some(gate))
                }
                Ok(ready) => Waiting::AtRelease(Box::new(ready), url),
                Err(error) => Waiting::Failed(error),
            };
            (record, waiting)
        })
        .collect();
    let gates: Vec<&Gate> = waiting
        .iter()
        .filter_map(|(_, w)| match w {
            Waiting::Sent(_, gate) => gate.as_ref(),
            _ => None,
        })
        .collect();
    if hold {
        // Every request written up to its head's final byte — or, should a server
        // not read before it answers another request, as much as it took.
        let primed = futures_util::future::join_all(gates.iter().map(|gate| gate.primed()));
        let _ = tokio::time::timeout(PRIMING_LIMIT.min(http.timeout), primed).await;
    }
    let _ = released.set(Instant::now());
    for gate in gates {
        gate.release();
    }
    let waiting: Vec<_> = waiting
        .into_iter()
        .map(|(record, waiting)| match waiting {
            Waiting::AtRelease(ready, url) => (
                record,
                Waiting::Sent(send(*ready, http, &url, Arc::clone(&released)), None),
            ),
            other => (record, other),
        })
        .collect();
    let mut done = Vec::with_capacity(waiting.len());
    for (record, waiting) in waiting {
        done.push(match waiting {
            Waiting::Sent(task, _) => match task.await {
                Ok((result, started, ended)) => (record, result, Some((started, ended))),
                Err(error) => (
                    record,
                    Err(HttpError::Failed(format!(
                        "the request's task failed: {error}"
                    ))),
                    None,
                ),
            },
            Waiting::AtRelease(..) => (
                record,
                Err(HttpError::Failed("the request was never sent".to_string())),
                None,
            ),
            Waiting::Failed(error) => (record, Err(error), None),
        });
    }
    let origin = done.iter().filter_map(|d| d.2.map(|t| t.0)).min();
    let since = |instant: Instant| {
        origin.map_or(0.0, |o| {
            instant.saturating_duration_since(o).as_secs_f64() * 1000.0
        })
    };
    done.into_iter()
        .map(|(record, result, times)| Timed {
            record,
            result,
            start_ms: times.map_or(0.0, |t| since(t.0)),
            end_ms: times.map_or(0.0, |t| since(t.1)),
        })
        .collect()
}

/// The spread of the starts of a burst: the latest start minus the
/// earliest, in milliseconds.
pub fn start_skew(timed: &[Timed]) -> f64 {
    timed.iter().map(|t| t.start_ms).fold(0.0, f64::max)
}
