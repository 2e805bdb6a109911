//! itspec against the same cases hand-written in pytest: a workload like a
//! real team's — the shop, started by the run, on SQLite; 8 cases, of
//! which 2 are races of 6 requests × 10 iterations, with fixtures,
//! `database unchanged` and a payment-gateway mock — run by `itspec run`
//! and by pytest with requests, threads and a `threading.Barrier`
//! (`benches/pytest_twin.py`), alternating, whole processes timed, the
//! shop's start included in both. First both must reach the same verdicts:
//! every case passes on the atomic shop, and the same two races fail on the
//! racy one.
//!
//! Run with `cargo bench -p itspec --bench pytest`. `ITSPEC_BENCH_RUNS`
//! (default 7) sets the pairs; pytest and requests are installed into a
//! virtualenv under `target/bench-venv` on the first run.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on standard output and stops on any error"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod support;

use support::REPO;

const SPEC: &str = r#"# Integration Test Spec: Shop bench

**Related:** POST /reservations
**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: Put a SKU

**Request:** PUT /inventory/SKU-NEW

**Input:**
```json
{ "stock": 5, "price_cents": 250 }
```

**Assertions:**
- status == 200
- body.stock == 5
- row inventory where sku = "SKU-NEW" has stock = 5

### TC-INT-002: Read a SKU

**Setup:**
- row inventory: sku = "SKU-1", stock = 5, price_cents = 250

**Request:** GET /inventory/SKU-1

**Assertions:**
- status == 200
- body.stock == 5
- database unchanged

### TC-INT-003: An unknown SKU

**Request:** GET /inventory/NOPE

**Assertions:**
- status == 404
- database unchanged

### TC-INT-004: A non-positive quantity

**Setup:**
- row inventory: sku = "SKU-1", stock = 5, price_cents = 250

**Request:** POST /reservations

**Input:**
```json
{ "sku": "SKU-1", "quantity": 0 }
```

**Assertions:**
- status == 422
- database unchanged
- no mock calls

### TC-INT-005: Reserve

**Setup:**
- row inventory: sku = "SKU-1", stock = 5, price_cents = 250

**Request:** POST /reservations

**Input:**
```json
{ "sku": "SKU-1", "quantity": 2 }
```

**Assertions:**
- status == 201
- body.status == "confirmed"
- row inventory where sku = "SKU-1" has stock = 3
- rows reservations where sku = "SKU-1" count == 1
- mock payments calls == 1

### TC-INT-006: More than in stock

**Setup:**
- row inventory: sku = "SKU-1", stock = 5, price_cents = 250

**Request:** POST /reservations

**Input:**
```json
{ "sku": "SKU-1", "quantity": 6 }
```

**Assertions:**
- status == 409
- database unchanged

### TC-INT-007: Six race for the last unit

**Setup:**
- row inventory: sku = "SKU-LAST", stock = 1, price_cents = 250

**Repeat:** 10

**Actions:**
1. Request A: POST /reservations {"sku": "SKU-LAST", "quantity": 1}
2. Request B (concurrent, x5): POST /reservations {"sku": "SKU-LAST", "quantity": 1}

**Assertions:**
- count(status == 201) == 1
- count(status == 409) == 5
- row inventory where sku = "SKU-LAST" has stock = 0
- rows reservations where sku = "SKU-LAST" count == 1

### TC-INT-008: Six reserve six units

**Setup:**
- row inventory: sku = "SKU-SIX", stock = 6, price_cents = 250

**Repeat:** 10

**Actions:**
1. Request A: POST /reservations {"sku": "SKU-SIX", "quantity": 1}
2. Request B (concurrent, x5): POST /reservations {"sku": "SKU-SIX", "quantity": 1}

**Assertions:**
- count(status == 201) == 6
- row inventory where sku = "SKU-SIX" has stock = 0
- rows reservations where sku = "SKU-SIX" count == 6

## Mocks

```yaml
payments:
  - when: POST /charges
    then: { status: 200, body: { id: ch_1, status: succeeded } }
```
"#;

fn config(shop: &Path, dir: &Path) -> String {
    format!(
        "specs = [\"specs\"]\n\n[target]\nheaders = {{ Accept = \"application/json\" }}\n\n[service]\ncommand = \"{}\"\nready = \"GET /health\"\n\
         env = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"{{{{database.url}}}}\", PAYMENTS_URL = \"{{{{mocks.payments.url}}}}\", SHOP_STOCK_UPDATE = \"{{{{vars.stock_update}}}}\" }}\n\n\
         [database]\nurl = \"sqlite:///{}/itspec.db\"\nschema = \"{REPO}/examples/shop/schema.sql\"\n\n[mocks.payments]\nport = \"auto\"\n\n[vars]\nstock_update = \"atomic\"\n",
        shop.display(),
        dir.display()
    )
}

/// A virtualenv with pytest and requests; its Python.
fn venv() -> PathBuf {
    let venv = Path::new(REPO).join("target/bench-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(made.success(), "python3 -m venv");
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "pytest", "requests"])
            .status()
            .unwrap();
        assert!(installed.success(), "pip install pytest requests");
    }
    python
}

/// Runs itspec: its wall time and each case's verdict, in order.
fn itspec(dir: &Path, stock_update: &str) -> (Duration, Vec<bool>) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_itspec"))
        .args(["run", "--color", "never", "--set"])
        .arg(format!("vars.stock_update={stock_update}"))
        .current_dir(dir)
        .env_remove("ITSPEC_CONFIG")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verdicts: Vec<bool> = stdout
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            if line.starts_with("PASS ") && line.contains("TC-INT-") {
                Some(true)
            } else if line.starts_with("FAIL ") && line.contains("TC-INT-") {
                Some(false)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(verdicts.len(), 8, "{stdout}");
    (elapsed, verdicts)
}

/// Runs pytest: its wall time and each test's verdict, in order.
fn pytest(python: &Path, shop: &Path, dir: &Path, stock_update: &str) -> (Duration, Vec<bool>) {
    let database = dir.join("pytest.db");
    let started = Instant::now();
    let output = Command::new(python)
        .args(["-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"])
        .arg(Path::new(REPO).join("crates/itspec-cli/benches/pytest_twin.py"))
        .env("BENCH_DB", &database)
        .env("BENCH_SHOP", shop)
        .env("BENCH_STOCK_UPDATE", stock_update)
        .current_dir(dir)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verdicts: Vec<bool> = stdout
        .lines()
        .filter_map(|line| {
            if line.starts_with("PASSED ") {
                Some(true)
            } else if line.starts_with("FAILED ") {
                Some(false)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(verdicts.len(), 8, "{stdout}");
    (elapsed, verdicts)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let shop = support::release_shop();
    let python = venv();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("specs")).unwrap();
    std::fs::write(dir.path().join("specs/bench.md"), SPEC).unwrap();
    std::fs::write(dir.path().join("itspec.toml"), config(&shop, dir.path())).unwrap();
    // The same verdicts, on the atomic shop and on the racy one.
    for (stock_update, expected) in [
        ("atomic", [true; 8]),
        ("racy", [true, true, true, true, true, true, false, false]),
    ] {
        let (_, ours) = itspec(dir.path(), stock_update);
        let (_, theirs) = pytest(&python, &shop, dir.path(), stock_update);
        assert_eq!(
            ours, expected,
            "itspec's verdicts on the {stock_update} shop"
        );
        assert_eq!(
            theirs, expected,
            "pytest's verdicts on the {stock_update} shop"
        );
    }
    let pairs = support::runs(7);
    let mut ours = Vec::with_capacity(pairs);
    let mut theirs = Vec::with_capacity(pairs);
    let mut ratios = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let (a, _) = itspec(dir.path(), "atomic");
        let (b, _) = pytest(&python, &shop, dir.path(), "atomic");
        ours.push(a.as_secs_f64() * 1000.0);
        theirs.push(b.as_secs_f64() * 1000.0);
        ratios.push(a.as_secs_f64() / b.as_secs_f64());
    }
    let (low, high) = ratios
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), r| (l.min(*r), h.max(*r)));
    println!(
        "8 cases (2 races of 6 requests × 10 iterations) against the shop on SQLite; {pairs} alternating pairs, medians"
    );
    println!("| itspec | pytest + requests + threads | itspec ÷ pytest (median of pairs, range) |");
    println!("|---|---|---|");
    println!(
        "| {:.0} ms | {:.0} ms | {:.2} ({low:.2}–{high:.2}) |",
        median(ours),
        median(theirs),
        median(ratios)
    );
}
