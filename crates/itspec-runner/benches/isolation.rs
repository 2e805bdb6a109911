//! What isolation costs per case: recording the tracked tables before a
//! case, inserting a fixture row, and restoring the tables after it (and
//! verifying every tracked table), on a database of 20 tables × 2,000 rows
//! where the service also changes two rows of one table; and what writing
//! the record to disk before the first case adds to the first record (a
//! case adds nothing: the record it starts from does not change); and what
//! a case that writes nothing — a GET, a refused request — costs, record
//! and restore, which the database's write marker can prove unwritten.
//!
//! Run with `cargo bench -p itspec-runner --bench isolation`. SQLite always;
//! PostgreSQL and MySQL/MariaDB when `ITSPEC_TEST_POSTGRES_URL` /
//! `ITSPEC_TEST_MYSQL_URL` name a server (a database `itspec_bench` is
//! created there). `ITSPEC_BENCH_TABLES`, `ITSPEC_BENCH_ROWS` and
//! `ITSPEC_BENCH_CASES` change the sizes.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

use std::time::{Duration, Instant};

use itspec_runner::db::{self, Database};
use itspec_runner::isolation::Isolation;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let tables = setting("ITSPEC_BENCH_TABLES", 20);
    let rows = setting("ITSPEC_BENCH_ROWS", 2_000);
    let cases = setting("ITSPEC_BENCH_CASES", 50);
    let dir = tempfile::tempdir().unwrap();
    let mut servers = vec![(
        "SQLite",
        format!("sqlite:///{}/server.db", dir.path().display()),
    )];
    for (label, variable) in [
        ("PostgreSQL", "ITSPEC_TEST_POSTGRES_URL"),
        ("MySQL", "ITSPEC_TEST_MYSQL_URL"),
    ] {
        match std::env::var(variable) {
            Ok(url) if !url.is_empty() => servers.push((label, url)),
            _ => println!("{label}: not measured ({variable} is not set)"),
        }
    }
    // As the runner: one thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{tables} tables × {rows} rows; each case inserts a fixture row, the service inserts a row and changes a row of one table; {cases} cases"
    );
    println!(
        "| database | first record | of it, the record written to disk | record + fixture + restore per case (median) | (max) | a case that writes nothing (median) | (max) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (label, server) in servers {
        runtime.block_on(async {
            let url = db::recreate_database(&server, "itspec_bench", dir.path()).await.unwrap();
            let database = Database::connect(&url, dir.path()).await.unwrap();
            for t in 0..tables {
                let table = database.quote(&format!("t{t:02}"));
                database
                    .execute(&format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, qty BIGINT NOT NULL, note TEXT)"), &[])
                    .await
                    .unwrap();
                for chunk in (0..rows).collect::<Vec<_>>().chunks(500) {
                    let values: Vec<String> = chunk.iter().map(|i| format!("({i}, 'row {i}', {}, 'a note about row {i}')", i % 97)).collect();
                    database.execute(&format!("INSERT INTO {table} (id, name, qty, note) VALUES {}", values.join(", ")), &[]).await.unwrap();
                }
            }
            let started = Instant::now();
            let mut isolation = Isolation::open(database.clone(), &[], Default::default(), dir.path(), true).await.unwrap();
            let first = started.elapsed();
            // What writing the record to disk (synced) took of it.
            let schema = isolation.tracked.clone();
            let record = db::Snapshot::full(&database, &schema).await.unwrap();
            let started = Instant::now();
            let file = db::Rescue::of(&record, &schema, database.kind, &url, "the bench").save(dir.path()).unwrap();
            let on_disk = started.elapsed();
            file.remove().unwrap();
            let mut times: Vec<Duration> = Vec::with_capacity(cases);
            for case in 0..cases {
                let table = database.quote(&format!("t{:02}", case % tables));
                let started = Instant::now();
                isolation.begin("TC-BENCH").await.unwrap();
                let fixture = serde_json::json!({ "id": rows * 2 + case, "name": "fixture", "qty": 3 });
                let schema = &isolation.tracked;
                let name = format!("t{:02}", case % tables);
                db::insert_fixture(&database, &schema.tables[&name], fixture.as_object().unwrap()).await.unwrap();
                let begun = started.elapsed();
                // What the service does during the case (not timed).
                database.execute(&format!("INSERT INTO {table} (id, name, qty) VALUES ({}, 'new', 1)", rows + case), &[]).await.unwrap();
                database.execute(&format!("UPDATE {table} SET qty = qty + 1 WHERE id = 7"), &[]).await.unwrap();
                let started = Instant::now();
                isolation.restore().await.unwrap();
                times.push(begun + started.elapsed());
            }
            times.sort();
            let median = times[times.len() / 2];
            let max = times[times.len() - 1];
            // Cases that write nothing: begin, then restore.
            let mut idle: Vec<Duration> = Vec::with_capacity(cases);
            for _ in 0..cases {
                let started = Instant::now();
                isolation.begin("TC-BENCH-READ").await.unwrap();
                isolation.restore().await.unwrap();
                idle.push(started.elapsed());
            }
            idle.sort();
            println!(
                "| {label} | {:.0} ms | {:.0} ms | {:.1} ms | {:.1} ms | {:.2} ms | {:.2} ms |",
                first.as_secs_f64() * 1e3,
                on_disk.as_secs_f64() * 1e3,
                median.as_secs_f64() * 1e3,
                max.as_secs_f64() * 1e3,
                idle[idle.len() / 2].as_secs_f64() * 1e3,
                idle[idle.len() - 1].as_secs_f64() * 1e3
            );
            isolation.finish().await.unwrap();
            isolation.close().await;
        });
    }
}
