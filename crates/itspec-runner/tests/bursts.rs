//! Releasing a concurrent group: last-byte synchronisation, seen from raw
//! TCP servers that look at what has arrived of each request.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use itspec_runner::http::{Http, Outgoing, Release, burst};

/// The requests a server read to their end.
type Seen = Arc<Mutex<usize>>;

/// The `Content-Length` of a request head.
fn body_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .to_ascii_lowercase()
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |value| value.trim().parse().unwrap())
}

/// How many bytes of its request are missing from `bytes`; `None` while
/// its head is incomplete.
fn missing(bytes: &[u8]) -> Option<usize> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some((head_end + body_length(&bytes[..head_end])).saturating_sub(bytes.len()))
}

/// Whether `bytes` hold at least all of a request's head but its final
/// byte.
fn primed(bytes: &[u8]) -> bool {
    missing(bytes).is_some() || bytes.ends_with(b"\r\n\r")
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

/// Reads one request from `stream` to its end, then answers 200.
fn answer(mut stream: TcpStream, seen: &Seen) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 65536];
    while missing(&bytes) != Some(0) {
        let read = stream.read(&mut buf).unwrap();
        assert!(read > 0, "the connection closed mid-request");
        bytes.extend_from_slice(&buf[..read]);
    }
    *seen.lock().unwrap() += 1;
    stream.write_all(OK).unwrap();
}

/// Accepts `count` connections, then reads them all from one thread without
/// blocking. The moment a request's head is first seen whole — when a
/// server could start on it — it reads every connection once more and
/// counts the requests of which more than the head's final byte is still
/// missing: the result. Every request is answered once it is whole.
fn watch_one_burst(count: usize) -> (String, std::thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let watcher = std::thread::spawn(move || {
        let mut connections: Vec<(TcpStream, Vec<u8>, bool)> = (0..count)
            .map(|_| {
                let (stream, _) = listener.accept().unwrap();
                stream.set_nonblocking(true).unwrap();
                (stream, Vec::new(), false)
            })
            .collect();
        let mut buf = [0u8; 65536];
        let mut read_all = |connections: &mut Vec<(TcpStream, Vec<u8>, bool)>| {
            for (stream, bytes, _) in connections.iter_mut() {
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) => break,
                        Ok(read) => bytes.extend_from_slice(&buf[..read]),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        };
        let mut short = None;
        let started = Instant::now();
        while connections.iter().any(|c| !c.2) {
            assert!(started.elapsed() < Duration::from_secs(10), "no burst came");
            read_all(&mut connections);
            if short.is_none() && connections.iter().any(|c| missing(&c.1).is_some()) {
                read_all(&mut connections);
                short = Some(connections.iter().filter(|c| !primed(&c.1)).count());
            }
            for (stream, bytes, answered) in &mut connections {
                if !*answered && missing(bytes) == Some(0) {
                    stream.set_nonblocking(false).unwrap();
                    stream.write_all(OK).unwrap();
                    *answered = true;
                }
            }
        }
        short.unwrap()
    });
    (base, watcher)
}

/// A server answering each connection on a thread of its own; its base URL.
fn serve(seen: Seen) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || answer(stream.unwrap(), &seen));
        }
    });
    base
}

/// A server that takes one connection at a time and reads it to the end
/// before it accepts the next; its base URL.
fn serve_one_at_a_time(seen: Seen) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            answer(stream.unwrap(), &seen);
        }
    });
    base
}

fn requests(base: &str, count: usize, body: usize) -> Vec<Outgoing> {
    (0..count)
        .map(|i| Outgoing {
            method: if i % 3 == 0 { "GET" } else { "POST" }.to_string(),
            url: format!("{base}/race?i={i}"),
            headers: vec![("X-Index".to_string(), i.to_string())],
            body: (i % 3 != 0).then(|| (vec![b'x'; body], "application/octet-stream")),
        })
        .collect()
}

fn run_burst(http: &Http, requests: Vec<Outgoing>) -> Vec<itspec_runner::http::Timed> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(burst(http, requests))
}

#[test]
fn every_head_is_in_but_its_last_byte_before_any_is_complete() {
    let (base, watcher) = watch_one_burst(24);
    let http = Http::new(&base, Duration::from_secs(10), Vec::new()).unwrap();
    let timed = run_burst(&http, requests(&base, 24, 300));
    for t in &timed {
        assert_eq!(t.result.as_ref().unwrap().status, 200, "{:?}", t.record.url);
        // The start of a request is when its last byte went out.
        assert!(t.end_ms >= t.start_ms);
    }
    assert_eq!(
        watcher.join().unwrap(),
        0,
        "when the first head was whole, others lacked more than their head's last byte"
    );
}

#[test]
fn whole_requests_are_written_at_the_release() {
    let seen = Seen::default();
    let base = serve(Arc::clone(&seen));
    let http = Http::new(&base, Duration::from_secs(10), Vec::new())
        .unwrap()
        .with_release(Release::Whole);
    let timed = run_burst(&http, requests(&base, 6, 300));
    assert!(timed.iter().all(|t| {
        t.result
            .as_ref()
            .is_ok_and(|r| r.status == 200 && r.body == "ok")
    }));
    assert_eq!(*seen.lock().unwrap(), 6);
}

#[test]
fn a_server_that_reads_one_connection_at_a_time_still_gets_every_request() {
    // Bodies larger than a loopback socket's buffers, to a server that
    // reads one request to its end before it accepts the next: a body
    // written before the release would wait for the server, and the server
    // for the release. The body is held back with the head's final byte,
    // so nothing waits.
    let seen = Seen::default();
    let base = serve_one_at_a_time(Arc::clone(&seen));
    let http = Http::new(&base, Duration::from_secs(20), Vec::new()).unwrap();
    let requests: Vec<Outgoing> = requests(&base, 3, 16 << 20)
        .into_iter()
        .filter(|r| r.body.is_some())
        .collect();
    let started = Instant::now();
    let timed = run_burst(&http, requests);
    for t in &timed {
        assert_eq!(t.result.as_ref().unwrap().status, 200, "{:?}", t.record.url);
    }
    assert_eq!(*seen.lock().unwrap(), 2);
    assert!(started.elapsed() < Duration::from_secs(2));
}
