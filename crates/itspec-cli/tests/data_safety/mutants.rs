//! `itspec mutate`'s database mutants on every engine: a typed UPDATE of
//! each column of a row the case wrote — text, integer, decimal, boolean,
//! date, timestamp — is applied on each (none "found no place"), a case
//! that checks the row kills every one, a case that checks only its status
//! lets each through by name, an error case that asserts `database
//! unchanged` kills the change to a row the table held, and the
//! database's dump is what it was after all of it.

use super::databases::{self, Backend};
use super::{World, client_sql};
use crate::on_every_database;

on_every_database!(database_mutants_are_typed_and_leave_nothing_behind);

const SCHEMA: &str = "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, \
     qty INTEGER NOT NULL, price DECIMAL(8,2) NOT NULL, active BOOLEAN NOT NULL, \
     day DATE NOT NULL, at TIMESTAMP NOT NULL); \
     INSERT INTO items VALUES (1, 'mug', 3, 4.50, TRUE, '2026-01-02', '2026-01-02 10:00:00');";

/// The row a case inserts, with key `id`.
fn insert(id: u32) -> String {
    serde_json::json!({
        "sql": format!(
            "INSERT INTO items VALUES ({id}, 'plate', 5, 9.99, FALSE, '2026-02-03', '2026-02-03 11:00:00')"
        )
    })
    .to_string()
}

fn spec() -> String {
    let refused = serde_json::json!({"sql": "INSERT INTO nowhere VALUES (1)"}).to_string();
    format!(
        "# Integration Test Spec: Items\n\n**Related:** POST /sql\n**Priority:** Critical\n**Status:** Ready\n\n## Test Cases\n\n\
         ### TC-INT-001: Only the status is checked\n\n**Request:** POST /sql\n\n**Input:**\n```json\n{}\n```\n\n\
         **Assertions:**\n- status == 200\n\n---\n\n\
         ### TC-INT-002: The row is checked\n\n**Request:** POST /sql\n\n**Input:**\n```json\n{}\n```\n\n\
         **Assertions:**\n- status == 200\n- body.ok == true\n\
         - sql \"SELECT COUNT(*) FROM items WHERE id = 3 AND name = 'plate' AND qty = 5 AND price = 9.99 AND active = FALSE AND day = '2026-02-03' AND at = '2026-02-03 11:00:00'\" == 1\n\n---\n\n\
         ### TC-INT-003: A refusal that checks nothing of the database\n\n**Request:** POST /sql\n\n**Input:**\n```json\n{refused}\n```\n\n\
         **Assertions:**\n- status == 400\n\n---\n\n\
         ### TC-INT-004: A refusal that changes nothing\n\n**Request:** POST /sql\n\n**Input:**\n```json\n{refused}\n```\n\n\
         **Assertions:**\n- status == 400\n- database unchanged\n",
        insert(2),
        insert(3),
    )
}

fn database_mutants_are_typed_and_leave_nothing_behind(backend: Backend) {
    let Some(world) = World::new(backend, "mutants", SCHEMA, Vec::new(), "") else {
        return;
    };
    std::fs::write(world.project.path("specs/safety.md"), spec()).unwrap();
    let output = world.project.run_with(&["mutate"]);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert_eq!(output.code, 1, "{backend:?}: survivors\n{said}");
    assert!(
        !said.contains("no place"),
        "{backend:?}: every change applied\n{said}"
    );
    for (column, change) in [
        ("name", "`\"plate\"` → `\"etalp\"`"),
        ("qty", "`5` → `6`"),
        ("price", "→ `10.99`"),
        ("active", "→ `true`"),
        ("day", "→ a day later"),
        ("at", "→ a day later"),
    ] {
        let survivor = format!("`items.{column}` of the row id 2 (written): ");
        let line = said
            .lines()
            .find(|l| l.contains("specs/safety.md:9  ") && l.contains(&survivor))
            .unwrap_or_else(|| panic!("{backend:?}: {survivor} survives\n{said}"));
        assert!(line.contains(change), "{backend:?}: {change} in {line}");
    }
    // Only what the case wrote: the world's own row is not its.
    assert!(
        !said.contains("of the row id 1 (written)"),
        "{backend:?}\n{said}"
    );
    // 2 status mutants, 3 of `$.ok`, 6 of the row.
    assert!(
        said.contains("TC-INT-002  The row is checked  11/11 killed"),
        "{backend:?}\n{said}"
    );
    assert!(
        said.contains(
            "specs/safety.md:39  `items.name` of the row id 1 (held before the requests)"
        ),
        "{backend:?}: the refusal that checks nothing lets a changed row through\n{said}"
    );
    assert!(
        !said.contains("safety.md:53  `items."),
        "{backend:?}: `database unchanged` kills it\n{said}"
    );
    world.intact(&said);
    // The world's own row is still there, as it was.
    client_sql(
        &world.db,
        "SELECT 1 FROM items WHERE id = 1 AND name = 'mug'",
    );
}
