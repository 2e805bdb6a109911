//! Brokers in the fault matrix: a run interrupted (SIGINT, SIGTERM) while
//! its service hangs mid-case, after the service wrote to tracked Redis
//! keys, ends with exit 130 — and one whose service crashes there, with
//! exit 3 — and every tracked key as it was before the
//! run — values, expiries to the millisecond, deleted keys back, created
//! ones gone — with the service and its processes stopped, and nothing of
//! itspec's left on RabbitMQ (its queue went with it), NATS (no
//! subscription of its own still listens) or MQTT (no session of its own
//! is kept for it). Against a real Redis, RabbitMQ, NATS and Mosquitto
//! (`ITSPEC_TEST_REDIS_URL`, `ITSPEC_TEST_AMQP_URL`, `ITSPEC_TEST_NATS_URL`,
//! `ITSPEC_TEST_MQTT_URL`; under CI they must be set). The MQTT broker is a
//! `mosquitto` of the test's own, whose `$SYS` counts are its alone.

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Output, Test, processes_with, server_url};
use nix::sys::signal::Signal;
use redis::Commands as _;

/// A service that, asked to, writes to the cache and then hangs.
const SERVICE: &str = r#"import http.server, os, subprocess, sys, time

URL, PREFIX = os.environ["REDIS_URL"], os.environ["PREFIX"]
WRITES = [
    ["SET", PREFIX + ":cart:1", "changed"],
    ["DEL", PREFIX + ":cart:2"],
    ["PERSIST", PREFIX + ":cart:3"],
    ["SET", PREFIX + ":cart:9", "new"],
]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self):
        for args in WRITES:
            subprocess.run(["redis-cli", "-u", URL] + args, check=True, stdout=subprocess.DEVNULL)
        if os.environ.get("CRASH") == "1":
            # Long enough for the test to see the case running, then gone.
            time.sleep(6)
            os._exit(1)
        time.sleep(120)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"#;

const SPEC: &str = "# Integration Test Spec: Cache faults\n\n**Priority:** High\n**Status:** Ready\n\n\
    ## Test Cases\n\n### TC-INT-001: The cache is written, then the service hangs\n\n\
    **Request:** POST /write\n\n**Assertions:**\n- status == 200\n";

/// Runs `future` on a runtime of its own.
fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Declares `exchange` as an auto-delete fanout exchange (RabbitMQ deletes
/// it once its last binding goes), or says whether it exists (`passive`).
fn exchange(url: &str, exchange: &str, passive: bool) -> bool {
    block_on(async {
        let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        let declared = channel
            .exchange_declare(
                exchange.into(),
                lapin::ExchangeKind::Fanout,
                lapin::options::ExchangeDeclareOptions {
                    passive,
                    auto_delete: true,
                    ..Default::default()
                },
                lapin::types::FieldTable::default(),
            )
            .await
            .is_ok();
        let _ = connection.close(200, "OK".into()).await;
        declared
    })
}

/// Whether someone subscribes to `subject` on NATS: a request to a subject
/// nobody subscribes to is answered "no responders" at once, one with a
/// subscriber that does not answer times out.
fn listened(url: &str, subject: &str) -> bool {
    block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let asked = client
            .send_request(
                subject.to_string(),
                async_nats::Request::new()
                    .payload("is anyone there".into())
                    .timeout(Some(Duration::from_millis(500))),
            )
            .await;
        match asked {
            Err(error) => error.kind() != async_nats::RequestErrorKind::NoResponders,
            Ok(_) => true,
        }
    })
}

/// A Mosquitto of the test's own on a free port, publishing its `$SYS`
/// counts every second; stopped when dropped.
struct Mosquitto {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    fn start() -> Mosquitto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\nsys_interval 1\npersistence false\n"),
        )
        .unwrap();
        let child = std::process::Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto, the MQTT broker these tests start");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto {
            child,
            port,
            _dir: dir,
        }
    }

    /// The `$SYS/broker/clients/COUNT` the broker published last.
    fn clients(&self, count: &str) -> u64 {
        let output = std::process::Command::new("mosquitto_sub")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args([
                "-t",
                &format!("$SYS/broker/clients/{count}"),
                "-C",
                "1",
                "-W",
                "5",
            ])
            .output()
            .expect("mosquitto_sub (Debian's mosquitto-clients)");
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("$SYS/broker/clients/{count}: {output:?}"))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the run ends mid-case.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// itspec gets this signal.
    Signal(Signal),
    /// The service crashes (exits at once, the request unanswered).
    ServiceCrash,
}

fn interrupted(name: &str, fault: Fault) {
    let (Some(url), Some(amqp), Some(nats), Some(_)) = (
        server_url("ITSPEC_TEST_REDIS_URL"),
        server_url("ITSPEC_TEST_AMQP_URL"),
        server_url("ITSPEC_TEST_NATS_URL"),
        server_url("ITSPEC_TEST_MQTT_URL"),
    ) else {
        return;
    };
    let mosquitto = Mosquitto::start();
    let prefix = format!("itspec-fault-{name}-{}", std::process::id());
    let key = |n: &str| format!("{prefix}:cart:{n}");
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis.set(key("1"), "a").unwrap();
    let _: () = redis.pexpire(key("1"), 300_000).unwrap();
    let _: () = redis.hset(key("2"), "sku", "S-1").unwrap();
    let _: () = redis.set(key("3"), "c").unwrap();
    let _: () = redis.pexpire(key("3"), 300_000).unwrap();
    let expiry = |redis: &mut redis::Connection, n: &str| -> i64 {
        redis::cmd("PEXPIRETIME").arg(key(n)).query(redis).unwrap()
    };
    let before = (expiry(&mut redis, "1"), expiry(&mut redis, "3"));
    let tag = format!("itspec-broker-fault-{name}-{}", std::process::id());
    // Bound by itspec's queue only: it goes when that queue does.
    let audit = format!("{tag}-audit");
    assert!(exchange(&amqp, &audit, false));
    let config = format!(
        "specs = [\"specs\"]\n\n[target]\ntimeout = \"60s\"\n\n\
         [service]\ncommand = \"python3 service.py {tag}\"\nport = \"auto\"\nready = \"GET /\"\nready_timeout = \"30s\"\n\
         env = {{ PORT = \"{{{{service.port}}}}\", REDIS_URL = \"{{{{brokers.cache.url}}}}\", PREFIX = \"{prefix}\", CRASH = \"{crash}\" }}\n\n\
         [brokers.cache]\nurl = \"{url}\"\nwatch = [\"{prefix}:events:*\"]\nkeys = [\"{prefix}:cart:*\"]\n\n\
         [brokers.bus]\nurl = \"{amqp}\"\nwatch = [\"{audit}\"]\n\n\
         [brokers.stream]\nurl = \"{nats}\"\nwatch = [\"{prefix}.>\"]\n\n\
         [brokers.devices]\nurl = \"mqtt://127.0.0.1:{}\"\nwatch = [\"{prefix}/#\"]\n",
        mosquitto.port,
        crash = u8::from(matches!(fault, Fault::ServiceCrash)),
    );
    let subject = format!("{prefix}.anyone");
    assert!(
        !listened(&nats, &subject),
        "{subject} is listened to before the run"
    );
    let project = Test::new()
        .file("itspec.toml", config)
        .file("service.py", SERVICE)
        .file("specs/cache.md", SPEC);
    let run = project
        .command(&["run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Mid-case: the service has written the cache and hangs.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let written: bool = redis.exists(key("9")).unwrap();
        if written {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the service never wrote the cache"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        listened(&nats, &subject),
        "itspec observes {subject} while the case runs"
    );
    // The counts come each second: itspec's connection shows within a few.
    let deadline = Instant::now() + Duration::from_secs(5);
    while mosquitto.clients("connected") == 0 {
        assert!(
            Instant::now() < deadline,
            "itspec is connected to MQTT while the case runs"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let sent = Instant::now();
    if let Fault::Signal(with) = fault {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(run.id()).unwrap()),
            with,
        )
        .unwrap();
    }
    let output = finish(run);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "the run took {:?} to stop",
        sent.elapsed()
    );
    match fault {
        Fault::Signal(_) => {
            assert_eq!(output.code, 130, "{said}");
            assert!(said.contains("interrupted"), "{said}");
        }
        Fault::ServiceCrash => {
            assert_eq!(output.code, 3, "{said}");
            assert!(said.contains("the service exited during the run"), "{said}");
        }
    }
    assert!(
        processes_with(&tag).is_empty(),
        "the service is left running"
    );

    let one: String = redis.get(key("1")).unwrap();
    assert_eq!(one, "a", "{said}");
    let sku: String = redis.hget(key("2"), "sku").unwrap();
    assert_eq!(sku, "S-1");
    let three: String = redis.get(key("3")).unwrap();
    assert_eq!(three, "c");
    assert_eq!(
        (expiry(&mut redis, "1"), expiry(&mut redis, "3")),
        before,
        "the expiries"
    );
    let created: bool = redis.exists(key("9")).unwrap();
    assert!(!created, "a key the interrupted case created is left");
    // itspec's queue went with its connection, and so did the exchange
    // only that queue was bound to.
    let deadline = Instant::now() + Duration::from_secs(5);
    while exchange(&amqp, &audit, true) {
        assert!(
            Instant::now() < deadline,
            "itspec's queue is still bound to {audit}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Nor does a subscription of itspec's listen on NATS.
    assert!(
        !listened(&nats, &subject),
        "itspec still subscribes to {subject}"
    );
    // Nor is an MQTT session kept for it: a session that outlived its
    // connection would count as a disconnected client (once the broker
    // has published its counts again, each second).
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        mosquitto.clients("disconnected"),
        0,
        "an MQTT session of itspec's outlived it"
    );
    let _: () = redis.del(&[key("1"), key("2"), key("3")]).unwrap();
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

#[test]
fn sigint_mid_case_puts_the_tracked_keys_back() {
    interrupted("sigint", Fault::Signal(Signal::SIGINT));
}

#[test]
fn sigterm_mid_case_puts_the_tracked_keys_back() {
    interrupted("sigterm", Fault::Signal(Signal::SIGTERM));
}

#[test]
fn a_service_crash_mid_case_puts_the_tracked_keys_back() {
    interrupted("crash", Fault::ServiceCrash);
}
