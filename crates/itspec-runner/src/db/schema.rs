//! What the database holds: its tables (the tracked ones), their columns
//! and types, primary keys and foreign keys.

use std::collections::{BTreeMap, BTreeSet};

use super::{Database, DbError, Kind};

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
    let (names, columns, keys, references) = match db.kind {
        Kind::Postgres => (
            "SELECT c.relname::text, (c.relkind = 'p')::text, n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
            "SELECT table_name::text, column_name::text, \
                    CASE WHEN data_type = 'USER-DEFINED' OR data_type = 'ARRAY' THEN udt_name::text ELSE data_type::text END, \
                    is_generated::text, \
                    CASE WHEN is_identity = 'YES' OR coalesce(column_default, '') LIKE 'nextval(%' THEN 'YES' ELSE 'NO' END \
             FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
            "SELECT tc.table_name::text, kcu.column_name::text FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name \
               AND tc.table_schema = kcu.table_schema AND tc.table_name = kcu.table_name \
             WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() \
             ORDER BY tc.table_name, kcu.ordinal_position",
            "SELECT cl.relname::text, ref.relname::text FROM pg_constraint co \
             JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_class ref ON ref.oid = co.confrelid \
             JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE co.contype = 'f' AND n.nspname = current_schema()",
        ),
        Kind::MySql => (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
            "SELECT c.table_name, c.column_name, c.column_type, \
                    CASE WHEN c.extra LIKE '%GENERATED%' THEN 'ALWAYS' ELSE 'NEVER' END, \
                    CASE WHEN c.extra LIKE '%auto_increment%' THEN 'YES' ELSE 'NO' END, \
                    CASE WHEN c.data_type = 'json' OR EXISTS (SELECT 1 FROM information_schema.check_constraints k \
                        WHERE k.constraint_schema = c.table_schema AND k.table_name = c.table_name \
                          AND k.check_clause LIKE CONCAT('%json_valid(`', c.column_name, '`)%')) THEN 'json' ELSE '' END \
             FROM information_schema.columns c WHERE c.table_schema = DATABASE() ORDER BY c.table_name, c.ordinal_position",
            "SELECT table_name, column_name FROM information_schema.key_column_usage \
             WHERE table_schema = DATABASE() AND constraint_name = 'PRIMARY' ORDER BY table_name, ordinal_position",
            "SELECT table_name, referenced_table_name FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()",
        ),
        Kind::Sqlite => (
            "SELECT m.name, CASE WHEN l.wr = 1 THEN 'rowless' ELSE '' END FROM sqlite_master m \
             LEFT JOIN pragma_table_list l ON l.name = m.name AND l.schema = 'main' \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name",
            "SELECT m.name, p.name, lower(p.type), CASE WHEN p.hidden IN (2, 3) THEN 'ALWAYS' ELSE 'NEVER' END, \
                    CASE WHEN p.pk = 1 AND lower(p.type) = 'integer' AND \
                      (SELECT count(*) FROM pragma_table_info(m.name) q WHERE q.pk > 0) = 1 THEN 'YES' ELSE 'NO' END \
             FROM sqlite_master m, pragma_table_xinfo(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk > 0 ORDER BY m.name, p.pk",
            "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
        ),
    };
    let mut schema = Schema::default();
    for row in db.fetch_text(names, &[]).await? {
        let name = text(&row, 0);
        let schema_name = match db.kind {
            Kind::Postgres => Some(text(&row, 2)),
            _ => None,
        };
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
    for row in db.fetch_text(columns, &[]).await? {
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
    for row in db.fetch_text(keys, &[]).await? {
        if let Some(table) = schema.tables.get_mut(&text(&row, 0)) {
            table.primary_key.push(text(&row, 1));
        }
    }
    for row in db.fetch_text(references, &[]).await? {
        if let Some(table) = schema.tables.get_mut(&text(&row, 0)) {
            table.references.insert(text(&row, 1));
        }
    }
    if db.kind == Kind::Postgres {
        schema.sequences = super::sequences::of_schema(db).await?;
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
