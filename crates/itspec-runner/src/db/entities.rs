//! Entity classes of the Python forms (`Inventory(...)`,
//! `db_session.query(Reservation)`) → tables (FORMAT §5.1): the mapping of
//! `[database.entities]`, else the first existing table among the class's
//! snake_case name and its plural, compared exactly and then without regard
//! to case.

use std::collections::BTreeMap;

use super::schema::{Schema, Table};

/// `OrderItem` → `order_item`, `HTTPLog` → `http_log`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let previous = chars.get(i - 1).copied().unwrap_or_default();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if previous.is_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The English plural of a snake_case name: `category` → `categories`,
/// `address` → `addresses`, `item` → `items`.
pub fn plural(name: &str) -> String {
    if let Some(stem) = name
        .strip_suffix('y')
        .filter(|stem| !stem.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ies")
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| name.ends_with(end))
    {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

/// The table names tried for an entity, in order.
pub fn candidates(entity: &str) -> Vec<String> {
    let snake = snake_case(entity);
    let plural = plural(&snake);
    let mut names = vec![snake, plural];
    names.dedup();
    names
}

/// The table of an entity class, or a message naming what was tried.
pub fn table_of<'s>(
    schema: &'s Schema,
    entities: &BTreeMap<String, String>,
    entity: &str,
) -> Result<&'s Table, String> {
    if let Some(table) = entities.get(entity) {
        return schema.table(table).ok_or_else(|| {
            format!("[database.entities] maps `{entity}` to table `{table}`, which the database does not have")
        });
    }
    let tried = candidates(entity);
    for name in &tried {
        if let Some(table) = schema.tables.get(name) {
            return Ok(table);
        }
    }
    for name in &tried {
        if let Some(table) = schema.table(name) {
            return Ok(table);
        }
    }
    Err(format!(
        "no table for entity `{entity}`: tried {} — map it in itspec.toml: [database.entities] {entity} = \"TABLE\"",
        tried
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake_case("Inventory"), "inventory");
        assert_eq!(snake_case("OrderItem"), "order_item");
        assert_eq!(snake_case("HTTPLog"), "http_log");
        assert_eq!(snake_case("User2Fa"), "user2_fa");
        assert_eq!(plural("category"), "categories");
        assert_eq!(plural("day"), "days");
        assert_eq!(plural("address"), "addresses");
        assert_eq!(plural("reservation"), "reservations");
        assert_eq!(plural("box"), "boxes");
        assert_eq!(candidates("Reservation"), ["reservation", "reservations"]);
    }

    #[test]
    fn resolution_reports_what_it_tried() {
        let schema = Schema::default();
        let error = table_of(&schema, &BTreeMap::new(), "Reservation").unwrap_err();
        assert!(error.contains("`reservation`, `reservations`"), "{error}");
        assert!(error.contains("[database.entities] Reservation"), "{error}");
    }
}
