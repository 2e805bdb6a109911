//! Releasing a group of requests at once (FORMAT §8): every request gets a
//! connection of its own, opened and ready (TCP connected, HTTP/1.1
//! handshake done) before the release; one barrier lets them all go; each
//! request's start and end are timed from the release, so the group's start
//! skew is measured, not assumed.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Barrier;

use super::{BodyError, Http, HttpError, Outgoing};
use itspec_results::{RequestRecord, ResponseRecord};

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
}

/// Opens the connection of a request and builds the request.
async fn prepare(
    http: &Http,
    outgoing: &Outgoing,
    headers: &[(String, String)],
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
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
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
    Ok(Ready { sender, request })
}

/// Sends a request on its ready connection; the response as recorded.
async fn exchange(ready: Ready, http: &Http, url: &str) -> Result<ResponseRecord, HttpError> {
    let timeout = http.timeout;
    let Ready {
        mut sender,
        request,
    } = ready;
    let started = Instant::now();
    let answer = async {
        let response = sender
            .send_request(request)
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
    let (status, headers, bytes) =
        tokio::time::timeout(timeout, answer)
            .await
            .map_err(|_| HttpError::Timeout {
                url: url.to_string(),
                ms: timeout.as_millis(),
            })??;
    Ok(super::response_record(status, headers, &bytes, started))
}

/// Sends every request at once and returns them in the order given, timed
/// from the first request's start.
pub async fn burst(http: &Http, requests: Vec<Outgoing>) -> Vec<Timed> {
    let count = requests.len();
    let barrier = Arc::new(Barrier::new(count));
    let mut tasks = Vec::with_capacity(count);
    for outgoing in requests {
        let (record, headers) = http.record(&outgoing);
        let http = http.clone();
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            let ready = prepare(&http, &outgoing, &headers).await;
            // Everyone waits here, ready or not, so the release is one instant.
            barrier.wait().await;
            let started = Instant::now();
            let result = match ready {
                Ok(ready) => exchange(ready, &http, &outgoing.url).await,
                Err(message) => Err(message),
            };
            (record, result, started, Instant::now())
        }));
    }
    let mut done = Vec::with_capacity(count);
    for task in tasks {
        done.push(
            task.await
                .map_err(|e| HttpError::Failed(format!("the request's task failed: {e}"))),
        );
    }
    let origin = done
        .iter()
        .filter_map(|d| d.as_ref().ok().map(|d| d.2))
        .min();
    let since = |instant: Instant| {
        origin.map_or(0.0, |o| {
            instant.saturating_duration_since(o).as_secs_f64() * 1000.0
        })
    };
    done.into_iter()
        .map(|d| match d {
            Ok((record, result, started, ended)) => Timed {
                record,
                result,
                start_ms: since(started),
                end_ms: since(ended),
            },
            Err(message) => Timed {
                record: RequestRecord {
                    method: String::new(),
                    url: String::new(),
                    headers: Vec::new(),
                    body: None,
                    body_omitted: None,
                },
                result: Err(message),
                start_ms: 0.0,
                end_ms: 0.0,
            },
        })
        .collect()
}

/// The spread of the starts of a burst: the latest start minus the
/// earliest, in milliseconds.
pub fn start_skew(timed: &[Timed]) -> f64 {
    timed.iter().map(|t| t.start_ms).fold(0.0, f64::max)
}
