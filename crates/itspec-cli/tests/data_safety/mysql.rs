//! MySQL/MariaDB's scenarios: `BIT(8)`, `FLOAT` and `DOUBLE` to the last
//! bit, `JSON` with duplicate keys and spacing, `POINT`, bytes, date-times
//! with microseconds, `ENUM`, `DECIMAL`, `AUTO_INCREMENT` and generated
//! columns, duplicates without a key, a composite key, a view, 100,000
//! rows, a child re-parented under `ON DELETE CASCADE`, triggers (which
//! MySQL cannot switch off) that write an audit row and stamp the row they
//! fire on — and a database whose name holds a dot.

use super::databases::{Backend, TestDb};
use super::{Case, World};

const SCHEMA: &str = r#"
CREATE TABLE typed (id INT PRIMARY KEY, b BIT(8), f FLOAT, d DOUBLE, j JSON, p POINT, bl BLOB, dt DATETIME(6),
  e ENUM('x', 'y'), dec1 DECIMAL(30, 10), y YEAR, tm TIME(3), t TEXT);
INSERT INTO typed VALUES
  (1, b'10100101', 0.1234567, 1.0000000000000002, '{"a":1,  "a":2 }', POINT(1.5, 2.25), x'00ff', '2026-01-01 10:00:00.123456',
   'y', 12.3456789012, 2026, '-12:34:56.789', 'text'),
  (2, b'00000000', 3.4028234e38, 1.7976931348623157e308, '[ 1 ,2 ]', POINT(-1, 0), x'', '1970-01-01 00:00:01.000001',
   'x', -0.0000000001, 1901, '838:59:59', ''),
  (3, NULL, 1e-45, 4.9e-324, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE counted (id INT AUTO_INCREMENT PRIMARY KEY, x INT, doubled INT AS (x * 2) STORED, tripled INT AS (x * 3) VIRTUAL);
INSERT INTO counted (x) VALUES (1), (2), (3);
DELETE FROM counted WHERE id = 3;
CREATE TABLE dupes (a VARCHAR(10), n INT);
INSERT INTO dupes VALUES ('x', 1), ('x', 1), ('X', 1), ('y', 2), (NULL, NULL);
CREATE TABLE pairs (a INT, b VARCHAR(10), v TEXT, PRIMARY KEY (a, b));
INSERT INTO pairs VALUES (1, 'one', 'v1'), (1, 'two', 'v2'), (2, 'one', 'v3');
CREATE TABLE big (id INT PRIMARY KEY, payload TEXT);
INSERT INTO big SELECT seq, CONCAT('row ', seq) FROM seq_1_to_100000;
CREATE VIEW big_count AS SELECT count(*) AS n FROM big;
CREATE TABLE parent (id INT PRIMARY KEY, name TEXT);
CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'first');
INSERT INTO child VALUES (1, 1), (2, 1);
CREATE TABLE audited (id INT PRIMARY KEY, v TEXT, stamp TEXT);
CREATE TABLE audit_log (what TEXT);
INSERT INTO audited VALUES (1, 'original', 'as recorded'), (2, 'other', 'as recorded');
CREATE TRIGGER audited_log AFTER UPDATE ON audited FOR EACH ROW INSERT INTO audit_log VALUES (CONCAT('updated ', NEW.id));
CREATE TRIGGER audited_stamp BEFORE UPDATE ON audited FOR EACH ROW SET NEW.stamp = 'stamped';
"#;

fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "A FLOAT changed past its sixth digit is a change",
            "UPDATE typed SET f = 0.12345671 WHERE id = 1",
        )
        .asserting("- table typed unchanged")
        .failing(),
        Case::new(
            "Every type",
            "UPDATE typed SET b = b'1', f = 2, d = 3, j = '{}', p = POINT(0, 0), bl = x'01', dt = NOW(6), e = 'x', dec1 = 1, y = 2000, tm = '00:00:01', t = 'changed' WHERE id = 1; DELETE FROM typed WHERE id IN (2, 3)",
        ),
        Case::new(
            "AUTO_INCREMENT and generated columns",
            "INSERT INTO counted (x) VALUES (10), (20); UPDATE counted SET x = 7 WHERE id = 1; DELETE FROM counted WHERE id = 2",
        ),
        Case::new(
            "Duplicates without a key, differing only in case",
            "DELETE FROM dupes WHERE BINARY a = 'x' LIMIT 1; INSERT INTO dupes VALUES ('y', 2), (NULL, NULL), ('x', 1)",
        ),
        Case::new(
            "A composite key",
            "UPDATE pairs SET v = 'changed' WHERE a = 1 AND b = 'one'; DELETE FROM pairs WHERE a = 2; INSERT INTO pairs VALUES (3, 'one', 'new')",
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
        .asserting("- row audited where id = 1 has stamp = \"stamped\"\n- rows audit_log count == 1"),
    ]
}

const LATE: &str =
    "INSERT INTO dupes VALUES ('late', 9); UPDATE parent SET name = 'late' WHERE id = 1";

/// The world of MySQL's scenarios, on a database whose name holds a dot.
pub fn world() -> Option<World> {
    let test = super::fresh_db(Backend::MySql, "itspec_safety_mysql")?;
    let dotted = dotted(&test);
    Some(World::with_db(dotted, "matrix", SCHEMA, cases(), LATE))
}

/// A database named `itspec.safety.dotted` on the server of `test`.
fn dotted(test: &TestDb) -> TestDb {
    let name = "itspec.safety.dotted";
    super::client_sql(
        test,
        &format!("DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"),
    );
    let (server, _) = test.url.rsplit_once('/').unwrap();
    TestDb {
        url: format!("{server}/{name}"),
        backend: Backend::MySql,
        dir: tempfile::tempdir().unwrap(),
    }
}
