//! PostgreSQL's scenarios: `json` with duplicate keys and spacing, arrays
//! with lower bounds, `numeric` above 1e308, floats to the last bit and
//! their infinities, a column named `t`, a partitioned table without a key
//! whose partitions share row places, sequences no column owns, bytea,
//! enum, jsonb, timestamptz, interval, identity and generated columns,
//! duplicates without a key, a composite key, a view, 100,000 rows, a
//! child re-parented under `ON DELETE CASCADE`, and triggers — one of them
//! `ENABLE ALWAYS`, which fires even for a replica.

use super::databases::Backend;
use super::{Case, World};

pub const SCHEMA: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE typed (id int PRIMARY KEY, j json, jb jsonb, a int[], n numeric, f float8, r real, b bytea,
  ts timestamptz, m mood, iv interval, t text);
INSERT INTO typed VALUES
  (1, '{"a":1,  "a":2 }', '{"b": [1, 2]}', '[0:1]={1,2}', '1e400', 1.0000000000000002, 0.1, '\x00ff',
   '2026-01-01 10:00:00.123456+02', 'happy', '1 day 02:00:00.5', 'a column named t'),
  (2, '[ 1 ,2 ]', 'null', '{{1,2},{3,4}}', '-0.000000000000000000000000000001', 'Infinity', '-Infinity', '\x',
   'infinity', 'sad', '-3 mons', NULL),
  (3, NULL, NULL, '{}', 'NaN', 'NaN', 3.4028235e38, NULL, '-infinity', NULL, NULL, '');
CREATE TABLE measurements (city text, at date, v float8) PARTITION BY RANGE (at);
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO measurements VALUES ('Oslo', '2025-02-01', 1.5), ('Oslo', '2025-03-01', 2.5), ('Oslo', '2025-04-01', 3.5),
  ('Rome', '2026-02-01', 10.5), ('Rome', '2026-03-01', 11.5);
CREATE SEQUENCE order_numbers;
SELECT nextval('order_numbers');
CREATE SEQUENCE ticket_numbers;
CREATE TABLE tickets (id bigint PRIMARY KEY DEFAULT nextval('ticket_numbers'), v text);
INSERT INTO tickets (v) VALUES ('first');
CREATE TABLE counted (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, x int, doubled int GENERATED ALWAYS AS (x * 2) STORED);
INSERT INTO counted (x) VALUES (1), (2);
CREATE TABLE dupes (a text, n int);
INSERT INTO dupes VALUES ('x', 1), ('x', 1), ('y', 2), (NULL, NULL);
CREATE TABLE pairs (a int, b text, v text, PRIMARY KEY (a, b));
INSERT INTO pairs VALUES (1, 'one', 'v1'), (1, 'two', 'v2'), (2, 'one', 'v3');
CREATE TABLE big (id int PRIMARY KEY, payload text);
INSERT INTO big SELECT i, 'row ' || i FROM generate_series(1, 100000) i;
CREATE VIEW big_count AS SELECT count(*) AS n FROM big;
CREATE TABLE parent (id int PRIMARY KEY, name text);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'first');
INSERT INTO child VALUES (1, 1), (2, 1);
CREATE TABLE audited (id int PRIMARY KEY, v text, stamp text);
CREATE TABLE audit_log (what text);
INSERT INTO audited VALUES (1, 'original', 'as recorded'), (2, 'other', 'as recorded');
CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN INSERT INTO audit_log VALUES (TG_OP || ' ' || coalesce(NEW.id, OLD.id)); RETURN NULL; END $$;
CREATE FUNCTION stamp_row() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN NEW.stamp := 'stamped'; RETURN NEW; END $$;
CREATE TRIGGER audited_log AFTER INSERT OR UPDATE OR DELETE ON audited FOR EACH ROW EXECUTE FUNCTION log_change();
CREATE TRIGGER audited_stamp BEFORE INSERT OR UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION stamp_row();
ALTER TABLE audited ENABLE ALWAYS TRIGGER audited_log;
CREATE TRIGGER audited_idle AFTER DELETE ON audited FOR EACH ROW EXECUTE FUNCTION log_change();
ALTER TABLE audited DISABLE TRIGGER audited_idle;
"#;

/// The cases, shared by the superuser's world and the owner's.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "A float changed past its fifteenth digit is a change",
            "UPDATE typed SET f = 1.0000000000000004 WHERE id = 1",
        )
        .asserting("- table typed unchanged")
        .failing(),
        Case::new(
            "Every type, and a column named t",
            "UPDATE typed SET j = '{\"a\":2}', jb = '{}', a = '{9}', n = 1, f = 2, r = 3, b = '\\x01', ts = now(), m = 'ok', iv = '1 s', t = 'changed'; DELETE FROM typed WHERE id = 3",
        )
        // A query whose column is named like itspec's own alias.
        .asserting("- sql \"SELECT t AS q FROM typed WHERE id = 1\" == \"changed\""),
        Case::new(
            "A partitioned table without a key",
            "INSERT INTO measurements VALUES ('Rome', '2026-04-01', 12.5); DELETE FROM measurements WHERE at = '2025-02-01'",
        ),
        Case::new(
            "Sequences no column owns",
            "SELECT nextval('order_numbers'); INSERT INTO tickets (v) VALUES ('second'); INSERT INTO counted (x) VALUES (5)",
        ),
        Case::new(
            "Duplicates without a key",
            "DELETE FROM dupes WHERE ctid = (SELECT min(ctid) FROM dupes WHERE a = 'x'); INSERT INTO dupes VALUES ('y', 2), (NULL, NULL)",
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
            "UPDATE audited SET v = 'changed' WHERE id = 1; DELETE FROM audited WHERE id = 2",
        )
        .asserting("- row audited where id = 1 has stamp = \"stamped\"\n- rows audit_log count == 2"),
    ]
}

/// The world of PostgreSQL's scenarios, run as the superuser the test
/// server gives.
pub fn world() -> Option<World> {
    World::new(
        Backend::Postgres,
        "matrix",
        SCHEMA,
        cases(),
        "INSERT INTO dupes VALUES ('late', 9); UPDATE parent SET name = 'late' WHERE id = 1",
    )
}
