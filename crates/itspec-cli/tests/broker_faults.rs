//! Brokers in the fault matrix: a run interrupted (SIGINT, SIGTERM) while
//! its service hangs mid-case, after the service wrote to tracked Redis
//! keys, ends with exit 130 and every tracked key as it was before the
//! run — values, expiries to the millisecond, deleted keys back, created
//! ones gone — with the service and its processes stopped, and nothing of
//! itspec's left on RabbitMQ (its queue went with it) or NATS (no
//! subscription of its own still listens). Against a real Redis, RabbitMQ
//! and NATS (`ITSPEC_TEST_REDIS_URL`, `ITSPEC_TEST_AMQP_URL`,
//! `ITSPEC_TEST_NATS_URL`; under CI they must be set).

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

fn interrupted(name: &str, with: Signal) {
    let (Some(url), Some(amqp), Some(nats)) = (
        server_url("ITSPEC_TEST_REDIS_URL"),
        server_url("ITSPEC_TEST_AMQP_URL"),
        server_url("ITSPEC_TEST_NATS_URL"),
    ) else {
        return;
    };
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
         env = {{ PORT = \"{{{{service.port}}}}\", REDIS_URL = \"{{{{brokers.cache.url}}}}\", PREFIX = \"{prefix}\" }}\n\n\
         [brokers.cache]\nurl = \"{url}\"\nwatch = [\"{prefix}:events:*\"]\nkeys = [\"{prefix}:cart:*\"]\n\n\
         [brokers.bus]\nurl = \"{amqp}\"\nwatch = [\"{audit}\"]\n\n\
         [brokers.stream]\nurl = \"{nats}\"\nwatch = [\"{prefix}.>\"]\n"
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
    let sent = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(run.id()).unwrap()),
        with,
    )
    .unwrap();
    let output = finish(run);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "the run took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(output.code, 130, "{said}");
    assert!(said.contains("interrupted"), "{said}");
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
    interrupted("sigint", Signal::SIGINT);
}

#[test]
fn sigterm_mid_case_puts_the_tracked_keys_back() {
    interrupted("sigterm", Signal::SIGTERM);
}
