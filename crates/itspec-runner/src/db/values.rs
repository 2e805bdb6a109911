//! Rows as JSON objects, for what specs assert and fixtures return:
//! numbers as numbers, JSON columns as JSON, bytes as hex. Isolation never
//! reads through here — its rows are lossless ([`super::record`]); these
//! are the values a spec compares with, each engine's expression its
//! dialect's ([`super::dialect::Dialect::json_object`]).

use serde_json::Value;

use super::schema::Table;
use super::{Database, DbError};

/// Every row of a table as a JSON object, in no particular order.
pub async fn fetch_objects(db: &Database, table: &Table) -> Result<Vec<Value>, DbError> {
    let alias = super::record::alias(table);
    let (expression, params) = db
        .dialect()
        .json_object(table, &alias, &format!("{alias}."));
    let sql = format!("SELECT {expression} FROM {} {alias}", db.quote(&table.name));
    db.fetch_text(&sql, &params)
        .await?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| DbError::new(format!("a row of {} is not JSON: {e}", table.name)))
        })
        .collect()
}
