//! The fault matrix: each fault end to end with the real binary, the shop
//! as the service and a database that holds the user's rows — on SQLite,
//! PostgreSQL and MySQL/MariaDB. Every run must end with its documented
//! exit code and a clear message, with the service and everything it
//! started gone, and with every table, row for row and by checksum, as it
//! was before the run.

mod common;
#[path = "../../itspec-runner/tests/databases/mod.rs"]
mod databases;

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{Output, REPO, Test, USER_ROWS, processes_with, shop};
use databases::{Backend, TestDb, block_on, fresh_db, sql, state};
use nix::sys::signal::Signal;

on_every_database!(
    the_service_never_gets_ready,
    the_service_crashes_mid_case,
    the_service_hangs,
    the_database_is_unreachable_at_start,
    a_mock_port_is_taken,
    sigint_mid_case,
    sigterm_mid_case,
    sigint_mid_burst,
    sigterm_mid_burst,
    the_report_path_is_not_writable,
);

on_every_database!(
    servers:
    the_database_dies_mid_case_and_comes_back,
    the_database_dies_mid_case_and_stays_down,
    a_second_ctrl_c_does_not_wait_for_the_database,
);

const SPEC: &str = r#"# Integration Test Spec: Faults

**Related:** POST /reservations
**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: A reservation waits for the gateway

**Setup:**
- row inventory: sku = "FIX-1", stock = 1, price_cents = 5
- sql "DELETE FROM sessions"

**Input:**
```json
{ "sku": "KEEP-1", "quantity": 2 }
```

**Assertions:**
- status == 201

---

### TC-INT-002: Eight reservations wait for the gateway at once

**Setup:**
- row inventory: sku = "FIX-1", stock = 1, price_cents = 5
- sql "DELETE FROM sessions"

**Actions:**
1. Request A (concurrent, x8): POST /reservations {"sku": "KEEP-1", "quantity": 1}

**Assertions:**
- count(status == 201) == 8

## Mocks

```yaml
payments:
  - when: POST /charges
    then: { status: 201, body: { id: ch_1 } }
```
"#;

/// One fault's world: the database with the user's rows, a project whose
/// service is the shop (its payment gateway accepts connections and never
/// answers, so a reservation waits after it took the stock), and what the
/// tables held before.
struct World {
    backend: Backend,
    db: TestDb,
    project: Test,
    /// On the shop's command line, to find its processes.
    tag: String,
    before: Vec<(String, String, Vec<String>)>,
    _gateway: TcpListener,
}

impl World {
    fn new(backend: Backend, name: &str) -> Option<World> {
        Self::with_database_url(backend, name, |url| url.to_string())
    }

    /// A world whose runs reach the database at `through(url)`.
    fn with_database_url(
        backend: Backend,
        name: &str,
        through: impl FnOnce(&str) -> String,
    ) -> Option<World> {
        let db = fresh_db(backend, &format!("itspec_fault_{name}"))?;
        let schema = std::fs::read_to_string(format!("{REPO}/examples/shop/schema.sql")).unwrap();
        block_on(sql(&db, &schema));
        block_on(sql(&db, USER_ROWS));
        let before = block_on(state(&db));
        let gateway = TcpListener::bind("127.0.0.1:0").unwrap();
        let tag = format!("itspec-fault-{name}-{backend:?}-{}", std::process::id());
        let config = format!(
            "specs = [\"specs\"]\n\n[target]\ntimeout = \"60s\"\n\n\
             [service]\ncommand = \"{shop} {tag}\"\nport = \"auto\"\nready = \"GET /health\"\nready_timeout = \"60s\"\n\
             env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\", PAYMENTS_URL = \"http://{gateway}\", PAYMENTS_TIMEOUT_MS = \"60000\" }}\n\n\
             [database]\nurl = \"{url}\"\nexclude = [\"audit\"]\n",
            shop = shop().display(),
            gateway = gateway.local_addr().unwrap(),
            url = through(&db.url),
        );
        let project = Test::new()
            .file("itspec.toml", config)
            .file("specs/faults.md", SPEC);
        Some(World {
            backend,
            db,
            project,
            tag,
            before,
            _gateway: gateway,
        })
    }

    /// `itspec run` with these arguments, to the end.
    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        self.project.run_with(&all)
    }

    /// `itspec run` with these arguments, in the background.
    fn start(&self, args: &[&str]) -> Child {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        self.project
            .command(&all)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Waits until the shop has taken stock of `KEEP-1` (its 10 units),
    /// and so waits for the gateway; panics if `run` ends first.
    fn wait_until_stock_is_taken(&self, run: &mut Child) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let stock = block_on(async {
                let db = itspec_runner::db::Database::connect(&self.db.url, self.db.dir.path())
                    .await
                    .ok()?;
                let value = itspec_runner::db::first_value(
                    &db,
                    "SELECT stock FROM inventory WHERE sku = 'KEEP-1'",
                    &Default::default(),
                )
                .await
                .ok()
                .flatten();
                db.close().await;
                value?.as_i64()
            });
            if stock.is_some_and(|stock| stock < 10) {
                return;
            }
            if let Some(status) = run.try_wait().unwrap() {
                panic!(
                    "{:?}: the run ended ({status}) before the shop took stock",
                    self.backend
                );
            }
            assert!(
                Instant::now() < deadline,
                "{:?}: the shop never took stock",
                self.backend
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The shop's processes.
    fn service_pids(&self) -> Vec<i32> {
        processes_with(&self.tag)
    }

    /// The run ended with `code` and said `message`; nothing it started is
    /// left; every table is as it was before the run.
    fn ended_cleanly(&self, output: &Output, code: i32, message: &str) {
        let said = format!("{}{}", output.stdout, output.stderr);
        assert_eq!(output.code, code, "{:?}\n{said}", self.backend);
        assert!(
            said.contains(message),
            "{:?}: `{message}` in\n{said}",
            self.backend
        );
        let left = self.service_pids();
        assert!(
            left.is_empty(),
            "{:?}: left running: {left:?}",
            self.backend
        );
        assert_eq!(
            block_on(state(&self.db)),
            self.before,
            "{:?}: the tables after the run",
            self.backend
        );
    }
}

/// What a background run printed, once it ended.
fn finish(child: Child) -> Output {
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn signal(child: &Child, signal: Signal) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        signal,
    )
    .unwrap();
}

fn the_service_never_gets_ready(backend: Backend) {
    let Some(world) = World::new(backend, "never_ready") else {
        return;
    };
    let output = world.run(&[
        "--set",
        "service.ready=GET /never",
        "--set",
        "service.ready_timeout=1s",
    ]);
    world.ended_cleanly(&output, 3, "was not ready within 1 s");
}

fn the_service_crashes_mid_case(backend: Backend) {
    let Some(world) = World::new(backend, "crash") else {
        return;
    };
    let mut run = world.start(&["--filter", "TC-INT-001"]);
    world.wait_until_stock_is_taken(&mut run);
    for pid in world.service_pids() {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    }
    world.ended_cleanly(&finish(run), 3, "the service exited during the run");
}

fn the_service_hangs(backend: Backend) {
    let Some(world) = World::new(backend, "hang") else {
        return;
    };
    let output = world.run(&["--filter", "TC-INT-001", "--set", "target.timeout=1s"]);
    world.ended_cleanly(&output, 1, "within 1000 ms (the request timeout)");
}

fn the_database_is_unreachable_at_start(backend: Backend) {
    let Some(world) = World::new(backend, "unreachable") else {
        return;
    };
    let (url, message) = match backend {
        Backend::Sqlite => (
            // A folder that cannot be made: its parent is a file.
            format!(
                "sqlite:///{}/specs/faults.md/db/app.db",
                world.project.root().display()
            ),
            "cannot connect to the database",
        ),
        Backend::Postgres => (
            "postgres://postgres@127.0.0.1:9/app".to_string(),
            "cannot connect to the database postgres://postgres@127.0.0.1:9/app",
        ),
        Backend::MySql => (
            "mysql://root@127.0.0.1:9/app".to_string(),
            "cannot connect to the database mysql://root@127.0.0.1:9/app",
        ),
    };
    let output = world.run(&["--set", &format!("database.url={url}")]);
    world.ended_cleanly(&output, 3, message);
    assert!(
        !output.stdout.contains("TC-INT-001"),
        "no case ran: {}",
        output.stdout
    );
}

fn a_mock_port_is_taken(backend: Backend) {
    let Some(world) = World::new(backend, "mock_port") else {
        return;
    };
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = world.run(&["--set", &format!("mocks.payments.port={port}")]);
    world.ended_cleanly(
        &output,
        3,
        &format!("mock `payments` cannot listen on 127.0.0.1:{port}"),
    );
}

fn interrupted(backend: Backend, name: &str, case: &str, with: Signal) {
    let Some(world) = World::new(backend, name) else {
        return;
    };
    let mut run = world.start(&["--filter", case]);
    world.wait_until_stock_is_taken(&mut run);
    let sent = Instant::now();
    signal(&run, with);
    let output = finish(run);
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "{backend:?}: the run took {:?} to stop",
        sent.elapsed()
    );
    world.ended_cleanly(&output, 130, "interrupted: the service was stopped");
}

fn sigint_mid_case(backend: Backend) {
    interrupted(backend, "sigint_case", "TC-INT-001", Signal::SIGINT);
}

fn sigterm_mid_case(backend: Backend) {
    interrupted(backend, "sigterm_case", "TC-INT-001", Signal::SIGTERM);
}

fn sigint_mid_burst(backend: Backend) {
    interrupted(backend, "sigint_burst", "TC-INT-002", Signal::SIGINT);
}

fn sigterm_mid_burst(backend: Backend) {
    interrupted(backend, "sigterm_burst", "TC-INT-002", Signal::SIGTERM);
}

fn the_report_path_is_not_writable(backend: Backend) {
    let Some(world) = World::new(backend, "report_path") else {
        return;
    };
    let output = world.run(&["--report", "junit=specs/faults.md/report.xml"]);
    world.ended_cleanly(
        &output,
        2,
        "cannot write the report specs/faults.md/report.xml",
    );
}

/// The database's port, served through a proxy the test can cut.
fn through_proxy(url: &str, proxy: &Proxy) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"));
    format!(
        "{scheme}://{}127.0.0.1:{}{path}",
        user.unwrap_or_default(),
        proxy.port
    )
}

fn server_addr(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let host_port = authority.rsplit('@').next().unwrap();
    std::net::ToSocketAddrs::to_socket_addrs(host_port)
        .unwrap()
        .next()
        .unwrap()
}

/// A world whose database is reached through a proxy.
fn world_behind_proxy(backend: Backend, name: &str) -> Option<(World, Proxy)> {
    let mut proxy = None;
    let world = World::with_database_url(backend, name, |url| {
        let started = Proxy::start(server_addr(url));
        let through = through_proxy(url, &started);
        proxy = Some(started);
        through
    })?;
    Some((world, proxy.unwrap()))
}

/// A run of TC-INT-001 (2 s request timeout) whose database server goes
/// away once the shop took stock; restores wait `reconnect` for it.
fn cut_mid_case(backend: Backend, name: &str, reconnect: &str) -> Option<(World, Proxy, Child)> {
    let (world, proxy) = world_behind_proxy(backend, name)?;
    let mut run = world.start(&[
        "--filter",
        "TC-INT-001",
        "--set",
        "target.timeout=2s",
        "--set",
        &format!("database.reconnect_timeout={reconnect}"),
    ]);
    world.wait_until_stock_is_taken(&mut run);
    // The stock is taken as soon as the server committed it, which can be
    // before the shop has read the server's answer through the proxy: a
    // cut then fails that statement (a 500) instead of the wait for the
    // gateway. The shop reaches that wait (a minute long) at once.
    std::thread::sleep(Duration::from_millis(300));
    proxy.cut();
    Some((world, proxy, run))
}

/// The server goes away while the service waits for the gateway (after it
/// took stock through the same connection) and is back a second later:
/// the restore waits for it and the run goes on.
fn the_database_dies_mid_case_and_comes_back(backend: Backend) {
    let Some((world, proxy, run)) = cut_mid_case(backend, "back", "30s") else {
        return;
    };
    std::thread::sleep(Duration::from_secs(3));
    proxy.restart();
    world.ended_cleanly(&finish(run), 1, "within 2000 ms (the request timeout)");
}

/// Ctrl-C while the server is away: the restore waits for it; a second
/// Ctrl-C ends the run at once (130), saying where the recorded rows are,
/// and `itspec restore` puts them back once the server is back.
fn a_second_ctrl_c_does_not_wait_for_the_database(backend: Backend) {
    let Some((world, proxy, run)) = cut_mid_case(backend, "twice", "120s") else {
        return;
    };
    signal(&run, Signal::SIGINT);
    // The shop is stopped, then the restore waits for the server.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !world.service_pids().is_empty() {
        assert!(Instant::now() < deadline, "{backend:?}: the shop stops");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let second = Instant::now();
    signal(&run, Signal::SIGINT);
    let output = finish(run);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(
        second.elapsed() < Duration::from_secs(10),
        "{backend:?}: at once, not after the reconnect wait\n{said}"
    );
    assert_eq!(output.code, 130, "{backend:?}\n{said}");
    assert!(
        said.contains("interrupted again before the database was put back")
            && said.contains("itspec restore"),
        "{backend:?}\n{said}"
    );
    let saved: Vec<_> = std::fs::read_dir(world.project.path("target/itspec"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("recorded-rows-"))
        .collect();
    assert_eq!(saved.len(), 1, "{backend:?}: {saved:?}");
    proxy.restart();
    let restored = world
        .project
        .run_with(&["restore", saved[0].to_str().unwrap()]);
    assert_eq!(
        restored.code, 0,
        "{backend:?}\n{}\n{}",
        restored.stdout, restored.stderr
    );
    assert_eq!(
        block_on(state(&world.db)),
        world.before,
        "{backend:?}: every table is back"
    );
}

/// The server goes away and is not back in time: the run stops, saying
/// where the recorded rows are; once the server is back, `itspec restore`
/// puts them back.
fn the_database_dies_mid_case_and_stays_down(backend: Backend) {
    let Some((world, proxy, run)) = cut_mid_case(backend, "down", "1s") else {
        return;
    };
    let output = finish(run);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert_eq!(output.code, 3, "{backend:?}\n{said}");
    assert!(
        said.contains("the database stopped answering") && said.contains("itspec restore"),
        "{backend:?}\n{said}"
    );
    assert!(
        world.service_pids().is_empty(),
        "{backend:?}: the shop is stopped"
    );
    let saved: Vec<_> = std::fs::read_dir(world.project.path("target/itspec"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("recorded-rows-"))
        .collect();
    assert_eq!(
        saved.len(),
        1,
        "{backend:?}: one file of recorded rows: {saved:?}"
    );
    assert_ne!(
        block_on(state(&world.db)),
        world.before,
        "{backend:?}: the case's rows are still there while the server is away"
    );

    // A new run warns of the file (and undoes only its own case); then
    // the rows are put back.
    proxy.restart();
    let file = saved[0].to_str().unwrap();
    let warned = world.run(&["--filter", "TC-INT-001", "--set", "target.timeout=1s"]);
    assert_eq!(warned.code, 1, "{backend:?}\n{}", warned.stdout);
    assert!(
        warned
            .stderr
            .contains("holds the rows recorded by an earlier run that did not finish"),
        "{backend:?}\n{}",
        warned.stderr
    );
    let restored = world.project.run_with(&["restore", file]);
    assert_eq!(
        restored.code, 0,
        "{backend:?}\n{}\n{}",
        restored.stdout, restored.stderr
    );
    assert!(
        restored.stdout.contains("put back `inventory`")
            && restored.stdout.contains("before the run"),
        "{backend:?}\n{}",
        restored.stdout
    );
    assert!(!saved[0].exists(), "{backend:?}: the file is removed");
    assert_eq!(
        block_on(state(&world.db)),
        world.before,
        "{backend:?}: after itspec restore"
    );
}

/// A TCP proxy to a database server that a test can cut (connections
/// reset, the port refusing) and start again on the same port.
struct Proxy {
    port: u16,
    target: SocketAddr,
    running: Mutex<Option<Listening>>,
}

struct Listening {
    stop: Arc<AtomicBool>,
    accepting: JoinHandle<()>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            target,
            running: Mutex::new(None),
        };
        proxy.listen(listener);
        proxy
    }

    fn listen(&self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (target, flag, open) = (self.target, Arc::clone(&stop), Arc::clone(&connections));
        let accepting = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(target) else {
                            continue;
                        };
                        let mut open = open.lock().unwrap();
                        open.push(client.try_clone().unwrap());
                        open.push(server.try_clone().unwrap());
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pipe(server, client);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        *self.running.lock().unwrap() = Some(Listening {
            stop,
            accepting,
            connections,
        });
    }

    /// The server is gone: the port refuses, open connections are reset.
    fn cut(&self) {
        if let Some(listening) = self.running.lock().unwrap().take() {
            listening.stop.store(true, Ordering::SeqCst);
            listening.accepting.join().unwrap();
            for stream in listening.connections.lock().unwrap().drain(..) {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    /// The server is back, on the same port.
    fn restart(&self) {
        self.listen(TcpListener::bind(("127.0.0.1", self.port)).unwrap());
    }
}

/// Copies `from` to `to` until either end closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if std::io::Write::write_all(&mut to, &buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
        let _ = from.shutdown(std::net::Shutdown::Both);
    });
}
