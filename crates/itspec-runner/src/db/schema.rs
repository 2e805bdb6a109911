//! What the database holds: its tables (the tracked ones), their columns
//! and types, primary keys and foreign keys, read with the queries of
//! the engine's dialect.

use std::collections::{BTreeMap, BTreeSet};

use super::{Database, DbError};

/// Tables itspec never tracks: migration bookkeeping.
pub const MIGRATION_TABLES: &[&str] = &[
    "_sqlx_migrations",
    "schema_migrations",
    "alembic_version",
    "flyway_schema_history",
    "__diesel_schema_migrations",
];

/// A column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type, lowercased (`integer`, `timestamp with time zone`, `json`).
    pub data_type: String,
    /// Computed by the database: never written.
    pub generated: bool,
    /// Filled by the database when omitted (identity, serial, auto-increment).
    pub auto: bool,
    /// Holds JSON.
    pub json: bool,
    /// Holds bytes.
    pub binary: bool,
}

impl Column {
    /// Whether the column holds booleans.
    pub fn is_bool(&self) -> bool {
        matches!(self.data_type.as_str(), "boolean" | "bool")
            || self.data_type.starts_with("tinyint(1)")
    }

    /// Its type's first word, without size or precision: `varchar` of
    /// `varchar(20)`, `timestamp` of `timestamp with time zone`.
    pub fn base_type(&self) -> &str {
        self.data_type.split(['(', ' ']).next().unwrap_or_default()
    }

    /// Whether the column holds numbers (PostgreSQL, MySQL; SQLite's
    /// declared types say little).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self.base_type(),
            "smallint"
                | "integer"
                | "bigint"
                | "int"
                | "tinyint"
                | "mediumint"
                | "numeric"
                | "decimal"
                | "real"
                | "double"
                | "float"
        )
    }

    /// Whether the column holds a date and time.
    pub fn is_datetime(&self) -> bool {
        self.data_type.starts_with("timestamp") || self.data_type.starts_with("datetime")
    }
}

/// A tracked table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// Its primary key columns (empty: none).
    pub primary_key: Vec<String>,
    /// Tables its foreign keys point to.
    pub references: BTreeSet<String>,
    /// PostgreSQL: the schema it is in (its row type is named with it).
    pub schema: Option<String>,
    /// PostgreSQL: a partitioned table, whose partitions each have their
    /// own row places (`ctid`).
    pub partitioned: bool,
    /// SQLite: a `WITHOUT ROWID` table.
    pub without_rowid: bool,
}

impl Table {
    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name).or_else(|| {
            self.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        })
    }

    /// The primary key's columns.
    pub fn key_columns(&self) -> impl Iterator<Item = &Column> {
        self.primary_key.iter().filter_map(|k| self.column(k))
    }

    /// The columns that can be written.
    pub fn writable(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.generated)
    }
}

/// The tracked tables of the database.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// By name.
    pub tables: BTreeMap<String, Table>,
    /// PostgreSQL: the sequences of the schema, as (schema-qualified,
    /// quoted name; the table whose column owns it or takes its default,
    /// else empty), found once so that reading them costs no catalog
    /// query.
    pub sequences: Vec<(String, String)>,
}

impl Schema {
    /// A table by name: exactly, else without regard to case.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name).or_else(|| {
            self.tables
                .values()
                .find(|t| t.name.eq_ignore_ascii_case(name))
        })
    }

    /// The tracked tables (FORMAT §9): all of them, less migration tables
    /// and `exclude`.
    pub fn tracked(&self, exclude: &[String]) -> Schema {
        let excluded = |name: &str| {
            MIGRATION_TABLES
                .iter()
                .any(|m| m.eq_ignore_ascii_case(name))
                || exclude.iter().any(|e| e.eq_ignore_ascii_case(name))
        };
        Schema {
            tables: self
                .tables
                .iter()
                .filter(|(name, _)| !excluded(name))
                .map(|(n, t)| (n.clone(), t.clone()))
                .collect(),
            sequences: self
                .sequences
                .iter()
                .filter(|(_, table)| table.is_empty() || !excluded(table))
                .cloned()
                .collect(),
        }
    }

    /// Table names with every table after the tables it references
    /// (parents first); cycles keep their written order.
    pub fn parents_first(&self) -> Vec<String> {
        let mut order: Vec<String> = Vec::with_capacity(self.tables.len());
        let mut placed: BTreeSet<&str> = BTreeSet::new();
        let mut remaining: Vec<&Table> = self.tables.values().collect();
        while !remaining.is_empty() {
            let before = remaining.len();
            remaining.retain(|table| {
                let ready = table.references.iter().all(|r| {
                    r == &table.name || placed.contains(r.as_str()) || !self.tables.contains_key(r)
                });
                if ready {
                    placed.insert(&table.name);
                    order.push(table.name.clone());
                }
                !ready
            });
            if remaining.len() == before {
                // A cycle: place the rest as they are.
                order.extend(remaining.iter().map(|t| t.name.clone()));
                break;
            }
        }
        order
    }
}

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// Reads every base table of the database (of the connection's schema).
pub async fn introspect(db: &Database) -> Result<Schema, DbError> {
    let queries = db.dialect().introspection();
    let mut schema = Schema::default();
    for row in db.fetch_text(queries.tables, &[]).await? {
        let name = text(&row, 0);
        let schema_name = queries.schema_qualified.then(|| text(&row, 2));
        schema.tables.insert(
            name.clone(),
            Table {
                name,
                columns: Vec::new(),
                primary_key: Vec::new(),
                references: BTreeSet::new(),
                schema: schema_name,
                partitioned: text(&row, 1) == "true",
                without_rowid: text(&row, 1) == "rowless",
            },
        );
    }
    for row in db.fetch_text(queries.columns, &[]).await? {
        let Some(table) = schema.tables.get_mut(&text(&row, 0)) else {
            continue;
        };
        let data_type = text(&row, 2).to_ascii_lowercase();
        let json = data_type == "json" || data_type == "jsonb" || text(&row, 5) == "json";
        let binary =
            data_type == "bytea" || data_type.contains("blob") || data_type.contains("binary");
        table.columns.push(Column {
            name: text(&row, 1),
            generated: text(&row, 3) == "ALWAYS",
            auto: text(&row, 4) == "YES",
            json,
            binary,
            data_type,
        });
    }
    for row in db.fetch_text(queries.keys, &[]).await? {
        if let Some(table) = schema.tables.get_mut(&text(&row, 0)) {
            table.primary_key.push(text(&row, 1));
        }
    }
    for row in db.fetch_text(queries.references, &[]).await? {
        if let Some(table) = schema.tables.get_mut(&text(&row, 0)) {
            table.references.insert(text(&row, 1));
        }
    }
    if let Some(sequences) = queries.sequences {
        schema.sequences = super::sequences::of_schema(db, sequences).await?;
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, references: &[&str]) -> Table {
        Table {
            name: name.to_string(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            references: references.iter().map(|r| (*r).to_string()).collect(),
            schema: None,
            partitioned: false,
            without_rowid: false,
        }
    }

    #[test]
    fn parents_come_first() {
        let mut schema = Schema::default();
        for t in [
            table("lines", &["orders", "products"]),
            table("orders", &["customers"]),
            table("customers", &[]),
            table("products", &[]),
            table("tree", &["tree"]),
        ] {
            schema.tables.insert(t.name.clone(), t);
        }
        let order = schema.parents_first();
        let at = |n: &str| order.iter().position(|o| o == n).unwrap();
        assert!(at("customers") < at("orders"));
        assert!(at("orders") < at("lines"));
        assert!(at("products") < at("lines"));
        assert_eq!(order.len(), 5);
    }
}
