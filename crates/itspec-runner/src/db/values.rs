//! Rows as JSON objects, for what specs assert and fixtures return:
//! numbers as numbers, JSON columns as JSON, bytes as hex. Isolation never
//! reads through here — its rows are lossless ([`super::record`]); these
//! are the values a spec compares with.

use serde_json::Value;

use super::schema::Table;
use super::{Database, DbError, Kind, Param};

/// The expression that renders a row of `table` as one JSON text; columns
/// are read through `prefix` (`alias.`, or nothing in a RETURNING clause),
/// and PostgreSQL's whole row through `alias`.
pub(super) fn json_expression(
    db: &Database,
    table: &Table,
    alias: &str,
    prefix: &str,
) -> (String, Vec<Param>) {
    let function = match db.kind {
        Kind::Postgres => return (format!("row_to_json({alias})::text"), Vec::new()),
        Kind::MySql => "JSON_OBJECT",
        Kind::Sqlite => "json_object",
    };
    // Column names are bound; each value is rendered so JSON stays JSON
    // and bytes become hex.
    let mut params = Vec::with_capacity(table.columns.len());
    let parts: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            params.push(Param::Text(c.name.clone()));
            let column = format!("{prefix}{}", db.quote(&c.name));
            match db.kind {
                Kind::MySql if c.json => format!("?, JSON_EXTRACT({column}, '$')"),
                Kind::MySql if c.binary => format!("?, HEX({column})"),
                Kind::MySql if c.data_type.starts_with("bit") => {
                    format!("?, CAST({column} AS UNSIGNED)")
                }
                Kind::Sqlite => format!(
                    "?, CASE WHEN typeof({column}) = 'blob' THEN hex({column}) ELSE {column} END"
                ),
                _ => format!("?, {column}"),
            }
        })
        .collect();
    (format!("{function}({})", parts.join(", ")), params)
}

/// Every row of a table as a JSON object, in no particular order.
pub async fn fetch_objects(db: &Database, table: &Table) -> Result<Vec<Value>, DbError> {
    let alias = super::record::alias(table);
    let (expression, params) = json_expression(db, table, &alias, &format!("{alias}."));
    let sql = format!("SELECT {expression} FROM {} {alias}", db.quote(&table.name));
    db.fetch_text(&sql, &params)
        .await?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| DbError(format!("a row of {} is not JSON: {e}", table.name)))
        })
        .collect()
}
