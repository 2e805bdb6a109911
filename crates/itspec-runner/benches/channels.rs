//! What a message broker costs each case when nothing is published: a
//! case observes (the broker settled — a PING answered after every message
//! owed, or a marker back through itspec's own queue, subject or topic —
//! and the inbox emptied) and collects (settled again), on Redis,
//! RabbitMQ, NATS and MQTT; the SMTP server of `[mail]` (its mailbox
//! emptied and read); and
//! how long `no messages` and `no side effects` wait before they hold
//! (`[channels] quiet`, then a settle).
//!
//! Run with `ITSPEC_TEST_REDIS_URL=redis://127.0.0.1:6379/0
//! ITSPEC_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f
//! ITSPEC_TEST_NATS_URL=nats://127.0.0.1:4222
//! ITSPEC_TEST_MQTT_URL=mqtt://127.0.0.1:1883 cargo bench
//! -p itspec-runner --bench channels` (a broker whose variable is not set
//! is left out, and said so); `ITSPEC_BENCH_CASES` changes how many
//! cases (default 2,000).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use itspec_runner::broker::{BrokerKind, BrokerSettings, Brokers, after};

fn main() {
    let cases: usize = std::env::var("ITSPEC_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let own = format!("itspec-bench-{}", std::process::id());
    let brokers = [
        (
            "Redis",
            "ITSPEC_TEST_REDIS_URL",
            BrokerKind::Redis,
            format!("{own}:*"),
        ),
        // RabbitMQ's own topic exchange, on a binding key of the bench's.
        (
            "RabbitMQ",
            "ITSPEC_TEST_AMQP_URL",
            BrokerKind::Amqp,
            format!("amq.topic {own}.#"),
        ),
        (
            "NATS",
            "ITSPEC_TEST_NATS_URL",
            BrokerKind::Nats,
            format!("{own}.>"),
        ),
        (
            "MQTT",
            "ITSPEC_TEST_MQTT_URL",
            BrokerKind::Mqtt,
            format!("{own}/#"),
        ),
    ];
    // As the runner: one thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("| channel | cases | observe + collect per case (median) | (p99) | (max) |");
    println!("|---|---|---|---|---|");
    let mut quiet_waits = Vec::new();
    for (name, variable, kind, watch) in brokers {
        let Ok(url) = std::env::var(variable) else {
            println!("| {name} broker: not measured ({variable} is not set) | | | | |");
            continue;
        };
        runtime.block_on(async {
            let settings = BTreeMap::from([(
                "events".to_string(),
                BrokerSettings {
                    kind,
                    url,
                    watch: vec![watch],
                    allow_remote: false,
                    keys: Vec::new(),
                },
            )]);
            let brokers = Brokers::start(&settings).await.unwrap();
            let mut per_case = Vec::with_capacity(cases);
            for _ in 0..cases {
                let started = Instant::now();
                // observe
                brokers.settle().await;
                brokers.inbox().begin();
                // collect
                brokers.settle().await;
                per_case.push(started.elapsed());
            }
            assert!(brokers.inbox().lost().is_none());
            row(&format!("{name} broker, nothing published"), per_case, 3);
            let quiet = itspec_runner::Waits::default().quiet;
            let mut waits = Vec::new();
            for _ in 0..20 {
                let last_step = Instant::now();
                brokers
                    .inbox()
                    .wait_until(after(last_step, quiet), |all| !all.is_empty())
                    .await;
                brokers.settle().await;
                waits.push(last_step.elapsed());
            }
            waits.sort();
            quiet_waits.push(format!(
                "`no messages` on {name} with nothing published holds after {:.1} ms (median of 20; `[channels] quiet` = {} ms, then a settle)",
                ms(waits[waits.len() / 2]),
                quiet.as_millis()
            ));
        });
    }
    runtime.block_on(mail(cases));
    if let Ok(url) = std::env::var("ITSPEC_TEST_REDIS_URL") {
        for count in [10, 100, 1000] {
            runtime.block_on(tracked_keys(&url, &own, cases.min(500), count));
        }
    }
    for line in quiet_waits {
        println!("\n{line}");
    }
}

/// What the SMTP server of `[mail]` costs a case that sends nothing:
/// observe (the case's fault set, the mailbox emptied) and collect (the
/// journal taken).
async fn mail(cases: usize) {
    let mail = itspec_runner::mail::Mail::start(0).await.unwrap();
    let mut per_case = Vec::with_capacity(cases);
    for _ in 0..cases {
        let started = Instant::now();
        mail.set_fault(None);
        mail.mailbox().begin();
        assert!(mail.mailbox().journal().is_empty());
        per_case.push(started.elapsed());
    }
    row("SMTP server (`[mail]`), nothing sent", per_case, 4);
}

/// What tracked Redis keys cost a case that changes none of them:
/// recorded before it, compared for `no side effects`, put back after.
async fn tracked_keys(url: &str, own: &str, cases: usize, count: usize) {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let prefix = format!("{own}:keys{count}");
    let mut pipe = redis::pipe();
    for n in 0..count {
        pipe.cmd("SET").arg(format!("{prefix}:{n}")).arg(n).ignore();
    }
    pipe.query_async::<()>(&mut connection).await.unwrap();
    let settings = BTreeMap::from([(
        "cache".to_string(),
        BrokerSettings {
            kind: BrokerKind::Redis,
            url: url.to_string(),
            watch: vec![format!("{own}:events:*")],
            allow_remote: false,
            keys: vec![format!("{prefix}:*")],
        },
    )]);
    let brokers = Brokers::start(&settings).await.unwrap();
    let mut per_case = Vec::with_capacity(cases);
    for _ in 0..cases {
        let started = Instant::now();
        brokers.record_keys().await.unwrap();
        assert!(brokers.key_changes().await.unwrap().is_empty());
        brokers.restore_keys().await.unwrap();
        per_case.push(started.elapsed());
    }
    drop(brokers);
    let mut pipe = redis::pipe();
    for n in 0..count {
        pipe.cmd("DEL").arg(format!("{prefix}:{n}")).ignore();
    }
    pipe.query_async::<()>(&mut connection).await.unwrap();
    row(
        &format!("Redis, {count} tracked keys unchanged (record, compare, put back)"),
        per_case,
        3,
    );
}

/// A table row: the cases' median, p99 and slowest, to `decimals` places
/// of a millisecond.
fn row(what: &str, mut per_case: Vec<Duration>, decimals: usize) {
    per_case.sort();
    let at = |q: f64| per_case[((per_case.len() - 1) as f64 * q) as usize];
    println!(
        "| {what} | {} | {:.decimals$} ms | {:.decimals$} ms | {:.decimals$} ms |",
        per_case.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(per_case[per_case.len() - 1])
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
