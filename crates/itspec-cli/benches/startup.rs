//! Start-up, in two figures:
//!
//! - from `itspec run` starting to its first request, against a service
//!   that is already up (`--no-service`), for a project of 10 specs: the
//!   server, in the bench, notes when the first request's connection
//!   arrives;
//! - how long after a service is up `itspec run` notices it: a Python
//!   service waits 300 ms, starts listening and notes when, and notes when
//!   the first `GET /health` arrives.
//!
//! Run with `cargo bench -p itspec --bench startup`. `ITSPEC_BENCH_RUNS`
//! (default 10) sets the runs of each; the median and the range are
//! reported. `ITSPEC_BENCH_BIN` runs another `itspec` binary (an earlier
//! build, for a before-and-after).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

mod support;

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A service that is up only after a while, and says when it was up and
/// when `/health` was first asked.
const LATE_SERVICE: &str = r#"
import os, socket, sys, time
time.sleep(0.3)
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(os.environ["PORT"])))
server.listen(64)
up = time.time()
first = None
while True:
    connection, _ = server.accept()
    request = connection.recv(65536).decode("latin-1")
    if first is None and request.startswith("GET /health"):
        first = time.time()
        with open(sys.argv[1], "w") as out:
            out.write(f"{up} {first}\n")
    body = b'{"ok": true}'
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    connection.close()
"#;

/// The binary measured.
fn itspec() -> Command {
    Command::new(
        std::env::var("ITSPEC_BENCH_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_itspec").to_string()),
    )
}

fn median_and_range(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "{:.1} ms (range {:.1}–{:.1})",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    )
}

/// Spawn of `itspec run` to the first request's arrival, against a
/// server that is up.
fn to_first_request(dir: &std::path::Path) -> Duration {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let arrived = std::thread::spawn(move || {
        let mut first = None;
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            first.get_or_insert_with(Instant::now);
            let mut buffer = [0u8; 65536];
            let _ = stream.read(&mut buffer);
            let body = br#"{"ok": true}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
            if buffer.starts_with(b"GET /last") {
                return first.unwrap();
            }
        }
        unreachable!()
    });
    let started = Instant::now();
    let status = itspec()
        .args(["run", "--no-service", "--base-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the run passes");
    arrived.join().unwrap() - started
}

fn main() {
    let runs = support::runs(10);
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("up");
    std::fs::create_dir_all(project.join("specs")).unwrap();
    std::fs::write(project.join("itspec.toml"), "specs = [\"specs\"]\n").unwrap();
    for n in 0..10 {
        let path = if n == 9 {
            "/last".to_string()
        } else {
            format!("/items/{n}")
        };
        std::fs::write(
            project.join(format!("specs/s{n:02}.md")),
            format!(
                "# Integration Test Spec: S{n}\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Up\n\n**Request:** GET {path}\n\n**Assertions:**\n- status == 200\n- body.ok == true\n"
            ),
        )
        .unwrap();
    }
    let firsts: Vec<Duration> = (0..runs).map(|_| to_first_request(&project)).collect();
    println!(
        "10 specs, a service already up: `itspec run` to its first request: {}",
        median_and_range(firsts)
    );

    let late = dir.path().join("late");
    std::fs::create_dir_all(late.join("specs")).unwrap();
    std::fs::write(late.join("service.py"), LATE_SERVICE).unwrap();
    std::fs::write(
        late.join("itspec.toml"),
        "specs = [\"specs\"]\n\n[service]\ncommand = \"exec python3 service.py times.txt\"\nport = \"auto\"\nready = \"GET /health\"\nenv = { PORT = \"{{service.port}}\" }\n",
    )
    .unwrap();
    std::fs::write(
        late.join("specs/late.md"),
        "# Integration Test Spec: Late\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Up\n\n**Request:** GET /items/1\n\n**Assertions:**\n- status == 200\n",
    )
    .unwrap();
    let mut noticed = Vec::with_capacity(runs);
    for _ in 0..runs {
        let _ = std::fs::remove_file(late.join("times.txt"));
        let status = itspec()
            .arg("run")
            .current_dir(&late)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "the run passes");
        let times = std::fs::read_to_string(late.join("times.txt")).unwrap();
        let [up, first]: [f64; 2] = times
            .split_whitespace()
            .map(|t| t.parse().unwrap())
            .collect::<Vec<f64>>()
            .try_into()
            .unwrap();
        noticed.push(Duration::from_secs_f64((first - up).max(0.0)));
    }
    println!(
        "a service up after 300 ms: noticed {} after it was up",
        median_and_range(noticed)
    );
}
