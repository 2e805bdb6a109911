//! The key generators of the tracked tables — PostgreSQL sequences,
//! MySQL `AUTO_INCREMENT`, SQLite `AUTOINCREMENT` — recorded and put back
//! with the rows, so a key the database generates is the same in every
//! case and every run, and never runs into a row that was there before.

use std::collections::BTreeMap;

use super::schema::Schema;
use super::{Database, DbError, Kind, Param, Pool};

/// A generator's state: its table and its value as text (`None`: never
/// used).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sequence {
    /// The table whose key it generates.
    pub table: String,
    /// Its value.
    pub value: Option<String>,
}

/// Every generator of a tracked table, by name.
pub type Sequences = BTreeMap<String, Sequence>;

/// PostgreSQL: every sequence of the current schema, as (qualified,
/// quoted name; the table whose column owns it — serial, identity — or
/// takes its next value by default, else empty). A sequence the service
/// calls by name, owned by no column, is put back too.
pub(super) async fn of_schema(db: &Database) -> Result<Vec<(String, String)>, DbError> {
    let rows = db
        .fetch_text(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(seq.relname), coalesce( \
               (SELECT tbl.relname::text FROM pg_depend d JOIN pg_class tbl ON tbl.oid = d.refobjid \
                WHERE d.objid = seq.oid AND d.classid = 'pg_class'::regclass \
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1), \
               (SELECT tbl.relname::text FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid \
                JOIN pg_class tbl ON tbl.oid = ad.adrelid \
                WHERE d.refobjid = seq.oid AND d.classid = 'pg_attrdef'::regclass LIMIT 1), '') \
             FROM pg_class seq JOIN pg_namespace n ON n.oid = seq.relnamespace \
             WHERE seq.relkind = 'S' AND n.nspname = current_schema() ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut values = row.into_iter();
            Some((
                values.next().flatten()?,
                values.next().flatten().unwrap_or_default(),
            ))
        })
        .collect())
}

/// Reads the generators of the tracked tables.
pub async fn read(db: &Database, schema: &Schema) -> Result<Sequences, DbError> {
    let sql = match db.kind {
        Kind::Postgres => {
            // Straight from the sequences found with the schema, in one
            // query; a sequence never used has no value.
            if schema.sequences.is_empty() {
                return Ok(Sequences::new());
            }
            let parts: Vec<String> = schema
                .sequences
                .iter()
                .enumerate()
                .map(|(i, (name, _))| {
                    format!(
                        "SELECT '{i}', CASE WHEN is_called THEN last_value::text END FROM {name}"
                    )
                })
                .collect();
            let mut sequences = Sequences::new();
            for row in db.fetch_text(&parts.join(" UNION ALL "), &[]).await? {
                let mut values = row.into_iter();
                let (Some(Some(index)), value) = (values.next(), values.next().flatten()) else {
                    continue;
                };
                if let Some((name, table)) = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| schema.sequences.get(i))
                {
                    sequences.insert(
                        name.clone(),
                        Sequence {
                            table: table.clone(),
                            value,
                        },
                    );
                }
            }
            return Ok(sequences);
        }
        Kind::MySql => {
            // MySQL 8 caches these figures unless told not to; MariaDB has
            // no such setting.
            if let Pool::MySql(pool) = &db.pool {
                let mut connection = pool.acquire().await?;
                let _ = sqlx::query("SET SESSION information_schema_stats_expiry = 0")
                    .execute(&mut *connection)
                    .await;
                let rows: Vec<(String, Option<u64>)> = sqlx::query_as(
                    "SELECT table_name, CAST(auto_increment AS UNSIGNED) FROM information_schema.tables \
                     WHERE table_schema = DATABASE() AND auto_increment IS NOT NULL",
                )
                .fetch_all(&mut *connection)
                .await?;
                return Ok(rows
                    .into_iter()
                    .filter(|(table, _)| schema.tables.contains_key(table))
                    .map(|(table, value)| {
                        let sequence = Sequence {
                            table: table.clone(),
                            value: value.map(|v| v.to_string()),
                        };
                        (table, sequence)
                    })
                    .collect());
            }
            return Ok(Sequences::new());
        }
        Kind::Sqlite => {
            let exists = db
                .fetch_text(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'",
                    &[],
                )
                .await?;
            if exists
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .as_deref()
                != Some("1")
            {
                return Ok(Sequences::new());
            }
            "SELECT name, name, CAST(seq AS TEXT) FROM sqlite_sequence"
        }
    };
    let mut sequences = Sequences::new();
    for row in db.fetch_text(sql, &[]).await? {
        let mut values = row.into_iter();
        let (Some(Some(name)), Some(Some(table)), value) =
            (values.next(), values.next(), values.next().flatten())
        else {
            continue;
        };
        if schema.tables.contains_key(&table) {
            sequences.insert(name, Sequence { table, value });
        }
    }
    Ok(sequences)
}

/// Puts back every generator whose state differs from `recorded`.
pub async fn reset(
    db: &Database,
    recorded: &Sequences,
    current: &Sequences,
) -> Result<(), DbError> {
    for (name, current_state) in current {
        let want = recorded.get(name);
        if want == Some(current_state) {
            continue;
        }
        let value = want.and_then(|w| w.value.clone());
        match db.kind {
            Kind::Postgres => {
                match value {
                    Some(value) => {
                        db.execute(
                            "SELECT setval($1::regclass, $2::bigint, true)",
                            &[Param::Text(name.clone()), Param::Text(value)],
                        )
                        .await?
                    }
                    // Never used before: back to its start.
                    None => {
                        db.execute(&format!("ALTER SEQUENCE {name} RESTART"), &[])
                            .await?
                    }
                };
            }
            Kind::MySql => {
                // InnoDB takes the larger of this and the highest key + 1.
                let next = value.unwrap_or_else(|| "1".to_string());
                if next.chars().all(|c| c.is_ascii_digit()) {
                    db.execute(
                        &format!(
                            "ALTER TABLE {} AUTO_INCREMENT = {next}",
                            db.quote(&current_state.table)
                        ),
                        &[],
                    )
                    .await?;
                }
            }
            Kind::Sqlite => {
                db.execute(
                    "DELETE FROM sqlite_sequence WHERE name = ?",
                    &[Param::Text(name.clone())],
                )
                .await?;
                if let Some(value) = value {
                    db.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (?, CAST(? AS INTEGER))",
                        &[Param::Text(name.clone()), Param::Text(value)],
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}
