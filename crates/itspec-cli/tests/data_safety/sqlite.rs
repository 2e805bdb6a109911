//! SQLite's scenarios: REALs to the last bit (`0.1 + 0.2`,
//! `1.0000000000000002`, ±Inf, DBL_MAX, the smallest subnormal), a BLOB in
//! an untyped and in a TEXT column, text in a BLOB column, a `WITHOUT
//! ROWID` table, a user column named `rowid`, duplicates without a key,
//! composite keys, generated columns, `AUTOINCREMENT`, a view, 100,000
//! rows, a child re-parented under `ON DELETE CASCADE`, and triggers that
//! write an audit row and stamp the row they fire on.

use super::databases::Backend;
use super::{Case, World};

const SCHEMA: &str = "
CREATE TABLE reals (id INTEGER PRIMARY KEY, r REAL, u);
INSERT INTO reals VALUES (1, 0.1 + 0.2, 1.0000000000000002), (2, 9e999, -9e999),
  (3, 1.7976931348623157e308, 4.9e-324), (4, 1.0000000000000002, 0.30000000000000004);
CREATE TABLE blobs (id INTEGER PRIMARY KEY, untyped, t TEXT, b BLOB);
INSERT INTO blobs VALUES (1, x'00ff10', x'deadbeef', 'text in a blob column'), (2, 'plain', x'00', x''),
  (3, 12, '12', 12.5);
CREATE TABLE rowless (k TEXT PRIMARY KEY, v REAL) WITHOUT ROWID;
INSERT INTO rowless VALUES ('a', 0.1), ('b', 0.2);
CREATE TABLE shadow (rowid INTEGER, note TEXT);
INSERT INTO shadow VALUES (1, 'one'), (1, 'one again'), (2, 'two');
CREATE TABLE dupes (a TEXT, n INTEGER);
INSERT INTO dupes VALUES ('x', 1), ('x', 1), ('y', 2), (NULL, NULL);
CREATE TABLE pairs (a INTEGER, b TEXT, v TEXT, PRIMARY KEY (a, b));
INSERT INTO pairs VALUES (1, 'one', 'v1'), (1, 'two', 'v2'), (2, 'one', 'v3');
CREATE TABLE counted (id INTEGER PRIMARY KEY AUTOINCREMENT, x INTEGER, doubled INTEGER GENERATED ALWAYS AS (x * 2) STORED,
  tripled INTEGER GENERATED ALWAYS AS (x * 3) VIRTUAL);
INSERT INTO counted (x) VALUES (1), (2), (3);
DELETE FROM counted WHERE id = 3;
CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
  INSERT INTO big (id, payload) SELECT i, 'row ' || i FROM n;
CREATE VIEW big_count AS SELECT count(*) AS n FROM big;
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'first');
INSERT INTO child VALUES (1, 1), (2, 1);
CREATE TABLE audited (id INTEGER PRIMARY KEY, v TEXT, stamp TEXT);
CREATE TABLE audit_log (what TEXT);
INSERT INTO audited VALUES (1, 'original', 'as recorded'), (2, 'other', 'as recorded');
CREATE TRIGGER audited_log AFTER UPDATE ON audited BEGIN INSERT INTO audit_log VALUES ('updated ' || NEW.id); END;
CREATE TRIGGER audited_stamp AFTER UPDATE OF v ON audited BEGIN UPDATE audited SET stamp = 'stamped' WHERE id = NEW.id; END;
";

/// The world of SQLite's scenarios.
pub fn world() -> Option<World> {
    let cases = vec![
        Case::new(
            "A REAL changed past its fifteenth digit is a change",
            "UPDATE reals SET r = 0.30000000000000009 WHERE id = 1",
        )
        .asserting("- database unchanged")
        .failing(),
        Case::new(
            "REALs to the last bit, infinities and the extremes",
            "UPDATE reals SET r = 1, u = 2; DELETE FROM reals WHERE id IN (2, 3); INSERT INTO reals VALUES (5, 0.5, 'x')",
        ),
        Case::new(
            "Bytes in untyped and TEXT columns, text in a BLOB column",
            "UPDATE blobs SET untyped = 'changed', t = 'x', b = NULL WHERE id = 1; DELETE FROM blobs WHERE id IN (2, 3)",
        ),
        Case::new(
            "A WITHOUT ROWID table",
            "DELETE FROM rowless WHERE k = 'a'; INSERT INTO rowless VALUES ('c', 0.3); UPDATE rowless SET v = 0.7 WHERE k = 'b'",
        ),
        Case::new(
            "A column of the user's named rowid",
            "INSERT INTO shadow VALUES (1, 'new one'); DELETE FROM shadow WHERE note = 'two'; UPDATE shadow SET note = 'changed' WHERE note = 'one again'",
        ),
        Case::new(
            "Duplicates without a key",
            "DELETE FROM dupes WHERE rowid = (SELECT min(rowid) FROM dupes WHERE a = 'x'); INSERT INTO dupes VALUES ('y', 2), (NULL, NULL)",
        ),
        Case::new(
            "A composite key",
            "UPDATE pairs SET v = 'changed' WHERE a = 1 AND b = 'one'; DELETE FROM pairs WHERE a = 2; INSERT INTO pairs VALUES (3, 'one', 'new')",
        ),
        Case::new(
            "AUTOINCREMENT and generated columns",
            "INSERT INTO counted (x) VALUES (10), (20); UPDATE counted SET x = 7 WHERE id = 1; DELETE FROM counted WHERE id = 2",
        ),
        Case::new(
            "100,000 rows",
            "UPDATE big SET payload = 'changed' WHERE id % 1000 = 0; DELETE FROM big WHERE id > 99990; INSERT INTO big VALUES (200000, 'new')",
        )
        .asserting("- sql \"SELECT n FROM big_count\" == 99991"),
        Case::new(
            "A child re-parented under ON DELETE CASCADE",
            "INSERT INTO parent VALUES (2, 'second'); UPDATE child SET parent_id = 2 WHERE id = 1",
        ),
        Case::new(
            "Triggers write an audit row and stamp the row they fire on",
            "UPDATE audited SET v = 'changed' WHERE id = 1",
        )
        .asserting("- row audited where id = 1 has stamp = \"stamped\"\n- rows audit_log count >= 1"),
    ];
    World::new(
        Backend::Sqlite,
        "matrix",
        SCHEMA,
        cases,
        "INSERT INTO dupes VALUES ('late', 9); UPDATE parent SET name = 'late' WHERE id = 1",
    )
}
