//! The key generators of the tracked tables — PostgreSQL sequences,
//! MySQL `AUTO_INCREMENT`, SQLite `AUTOINCREMENT` — recorded and put back
//! with the rows, so a key the database generates is the same in every
//! case and every run, and never runs into a row that was there before.

use std::collections::BTreeMap;

use super::dialect::SequenceSource;
use super::schema::Schema;
use super::{Database, DbError};

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

/// The schema's own sequences (PostgreSQL), read by the dialect's
/// `query`, as (qualified, quoted name; the table whose column owns it or
/// takes its next value by default, else empty).
pub(super) async fn of_schema(
    db: &Database,
    query: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = db.fetch_text(query, &[]).await?;
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
    let sql = match db.dialect().sequence_source() {
        SequenceSource::Named(query) => {
            // Straight from the sequences found with the schema, in one
            // query; a sequence never used has no value.
            if schema.sequences.is_empty() {
                return Ok(Sequences::new());
            }
            let parts: Vec<String> = schema
                .sequences
                .iter()
                .enumerate()
                .map(|(i, (name, _))| query(i, name))
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
        SequenceSource::Counters(read_counters) => {
            let rows = read_counters(db).await?;
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
        SequenceSource::Table { exists, query } => {
            let exists = db.fetch_text(exists, &[]).await?;
            if exists
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .as_deref()
                != Some("1")
            {
                return Ok(Sequences::new());
            }
            query
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
        for (sql, params) in db
            .dialect()
            .reset_sequence(name, &current_state.table, value)
        {
            db.execute(&sql, &params).await?;
        }
    }
    Ok(())
}
