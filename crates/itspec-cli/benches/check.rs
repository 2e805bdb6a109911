//! `itspec check` on a generated corpus: 10,000 specs of about 5 KB each.
//!
//! Run with `cargo bench -p itspec --bench check`. The corpus is written to
//! a temporary folder; the release binary checks it several times and the
//! minimum and median wall times are printed. Every spec is valid, so the
//! run also proves that realistic specs lint clean. `ITSPEC_BENCH_SPECS`
//! and `ITSPEC_BENCH_RUNS` change the corpus size and the number of runs;
//! `ITSPEC_BENCH_DIR` keeps the corpus in that folder (for profiling).

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports on standard output"
)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let specs: usize = env_number("ITSPEC_BENCH_SPECS", 10_000);
    let runs: usize = env_number("ITSPEC_BENCH_RUNS", 5);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root =
        std::env::var_os("ITSPEC_BENCH_DIR").map_or_else(|| dir.path().to_path_buf(), Into::into);
    let bytes = write_corpus(&root, specs);
    println!(
        "corpus: {specs} specs, {:.1} MB (about {} bytes each)",
        bytes as f64 / 1e6,
        bytes / specs.max(1)
    );
    let mut times: Vec<Duration> = (0..runs + 1).map(|_| check(&root)).collect();
    times.remove(0); // the first run warms the page cache
    times.sort();
    let min = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    println!(
        "itspec check: min {:.3} s, median {:.3} s over {runs} runs ({:.0} specs/s, {:.1} MB/s at the median)",
        min.as_secs_f64(),
        median.as_secs_f64(),
        specs as f64 / median.as_secs_f64(),
        bytes as f64 / 1e6 / median.as_secs_f64()
    );
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn check(dir: &Path) -> Duration {
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_itspec"))
        .args(["check", "--color", "never", "specs"])
        .current_dir(dir)
        .output()
        .expect("itspec runs");
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("no problems"),
        "the generated corpus must check clean:\n{}\n{}",
        stdout.lines().take(40).collect::<Vec<_>>().join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// Writes `count` specs in 100 folders; returns their total size.
fn write_corpus(dir: &Path, count: usize) -> usize {
    let mut total = 0;
    for i in 0..count {
        let folder = dir.join("specs").join(format!("area-{:02}", i % 100));
        std::fs::create_dir_all(&folder).expect("a folder");
        let text = spec(i);
        total += text.len();
        std::fs::write(folder.join(format!("component-{i}.md")), text).expect("a spec");
    }
    total
}

/// One realistic spec: five cases (single, error, concurrent, sequence,
/// lookup), Python and YAML fixtures, both mock forms and a check.
fn spec(i: usize) -> String {
    let mut s = String::with_capacity(5_200);
    let entity = ["Inventory", "Order", "Invoice", "Shipment", "Account"][i % 5];
    let table = ["inventory", "orders", "invoices", "shipments", "accounts"][i % 5];
    let path = format!("/{table}");
    let _ = write!(
        s,
        "# Integration Test Spec: {entity} Service {i}

**Related:** US-{i}, US-{j}, POST {path}
**Priority:** {priority}
**Status:** Ready

## Overview

Creating {table} through the REST API writes a row, updates stock and charges
the payment gateway. This spec covers the happy path, validation, a race for
the last unit, a login-then-act flow and the lookup of what was created.

Every case runs against the real service and its database; the payment
gateway and the ledger are mock servers started by itspec for this spec.

## Dependencies

- Database: tables `{table}`, `stock`
- Mock: `payments`, the payment gateway (the service reads `PAYMENTS_URL`)
- Mock: `ledger`, the accounting ledger

## Test Cases

### TC-INT-001: Create a record with stock available

**Description:** A valid request is stored, stock is decremented and the deposit is charged.

**Setup:**
```python
@pytest.fixture
def create_request():
    return {{
        \"sku\": \"SKU-{i}\",
        \"quantity\": 2,
        \"note\": \"first order\",
        \"tags\": [\"a\", \"b\"]
    }}
```

**Input:**
```json
{{ \"sku\": \"{{{{create_request.sku}}}}\", \"quantity\": {{{{create_request.quantity}}}}, \"note\": \"{{{{create_request.note}}}}\" }}
```

**Expected Output:**
```json
{{ \"id\": \"#uuid\", \"sku\": \"SKU-{i}\", \"quantity\": 2, \"status\": \"confirmed\", \"created_at\": \"#datetime\", \"tags\": \"#[] #string\" }}
```

**Assertions:**
- status == 201
- header Location matches \"^{path}/.+\"
- row {table} where id = {{{{body.id}}}} has status = \"confirmed\", quantity = 2
- row stock where sku = \"SKU-{i}\" has units = 3
- mock payments POST /charges received {{\"amount\": 200}}
- assert_created(create_request)

**Capture:**
- record_id = body.id

---

### TC-INT-002: Reject a non-positive quantity

**Description:** A quantity of zero is rejected without touching stock or charging.

**Input:**
```json
{{ \"sku\": \"SKU-{i}\", \"quantity\": 0 }}
```

**Expected:**
- Status: 422
- Error code: INVALID_QUANTITY
- Message contains: \"quantity must be positive\"

**Assertions:**
- no side effects
- database unchanged

---

### TC-INT-003: Two requests race for the last unit

**Description:** When two clients take the last unit at once, exactly one wins.

**Setup:**
- row stock: sku = \"SKU-LAST-{i}\", units = 1
- mock payments POST /charges -> 201 {{\"id\": \"ch_{i}\"}}

**Actions:**
1. Request A: POST {path} {{\"sku\": \"SKU-LAST-{i}\", \"quantity\": 1}}
2. Request B (concurrent): POST {path} {{\"sku\": \"SKU-LAST-{i}\", \"quantity\": 1}}

**Expected:**
- statuses == [201, 409] in any order
- row stock where sku = \"SKU-LAST-{i}\" has units = 0
- rows {table} where sku = \"SKU-LAST-{i}\" count == 1
- no race conditions

**Repeat:** 20

---

### TC-INT-004: Log in, then act

**Actions:**
1. Request Login: POST /login {{\"user\": \"alice\", \"password\": \"{{{{env.ALICE_PASSWORD}}}}\"}}
2. Request Act: GET {path}/{{{{record_id}}}}
   - Authorization: Bearer {{{{Login.body.token}}}}

**Assertions:**
- Login.status == 200
- Act.status == 200
- Act.body.sku == \"SKU-{i}\"
- Act.duration < 500ms

**Tags:** auth, smoke

---

### TC-INT-005: Look up the record

**Request:** GET {path}/{{{{record_id}}}}
- Accept: application/json

**Assertions:**
- status == 200
- body.quantity >= 1
- $.tags[0] is string
- duration < 2s

---

### TC-INT-006: Update the quantity

**Description:** Changing the quantity updates the row and books the difference in the ledger.

**Request:** PATCH {path}/{{{{record_id}}}}
- Content-Type: application/json

**Input:**
```json
{{ \"quantity\": 3 }}
```

**Assertions:**
- status == 200
- body.quantity == 3
- row {table} where id = {{{{record_id}}}} has quantity = 3
- mock ledger POST /entries received {{\"amount\": 100}}
- header Content-Type contains \"json\"

## Data Fixtures

```python
@pytest.fixture
def stock_on_hand(db_session):
    \"\"\"Five units of SKU-{i} on hand.\"\"\"
    entity = Stock(
        sku=\"SKU-{i}\",
        units=5
    )
    db_session.add(entity)
    db_session.commit()
    yield entity
    db_session.delete(entity)
    db_session.commit()
```

```yaml extra_stock
stock:
  - {{ sku: SKU-X-{i}, units: 7 }}
  - {{ sku: SKU-Y-{i}, units: 0 }}
```

## Mocks

```python
@pytest.fixture
def payments(mocker):
    \"\"\"The payment gateway is external; it approves every charge.\"\"\"
    return mocker.patch(
        \"shop.payments.client.charge\",
        return_value={{\"id\": \"ch_1\", \"status\": \"succeeded\"}}
    )
```

```yaml
ledger:
  - when: POST /entries
    body: {{ \"amount\": \"#number\" }}
    then: {{ status: 201, body: {{ id: e_{i} }} }}
  - when: GET /entries/{{id}}
    then: {{ status: 200, delay: 50ms }}
```

## Database State Verification

```python
def assert_created(db_session, expected):
    result = db_session.query({entity}).filter_by(
        sku=expected[\"sku\"]
    ).first()
    assert result is not None
    assert result.quantity == expected[\"quantity\"]
```

## Related

- **Stories:** US-{i}, US-{j}
- **API Contract:** POST {path}
- **Unit Tests:** {table}-unit-tests.md
",
        j = i + 10_000,
        priority = ["Critical", "High", "Medium", "Low"][i % 4],
    );
    s
}
