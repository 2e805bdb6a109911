//! `## Data Fixtures` blocks (FORMAT §5): Python, YAML, JSON and SQL.

use super::context::Cx;
use super::json::parse_json;
use super::located::Located;
use super::yaml::parse_yaml;
use crate::diagnostic::{Code, Diagnostic};
use crate::markdown::CodeBlock;
use crate::model::{Column, Fixture, FixtureKind, FixtureSource, Row, Value, ValueKind};
use crate::parse::python::{Section, read_block};
use crate::source::Spanned;

/// Reads one code block of Data Fixtures.
pub(crate) fn fixture_block(cx: &mut Cx<'_>, block: &CodeBlock) -> Vec<Fixture> {
    let name = block
        .name
        .as_ref()
        .map(|(name, span)| Spanned::new(name.clone(), *span));
    let located = Located::block(&block.content);
    match block.lang.as_deref() {
        Some("python" | "py") => read_block(cx, block, Section::DataFixtures).fixtures,
        Some(lang @ ("yaml" | "yml" | "json")) => {
            let (value, source) = if lang == "json" {
                (parse_json(cx, located), FixtureSource::Json)
            } else {
                (parse_yaml(cx, located), FixtureSource::Yaml)
            };
            let Some(value) = value else {
                return Vec::new();
            };
            let Some(rows) = rows(cx, &value) else {
                return Vec::new();
            };
            vec![Fixture {
                name,
                doc: None,
                kind: FixtureKind::Rows(rows),
                source,
                span: block.span,
            }]
        }
        Some("sql") => vec![Fixture {
            name,
            doc: None,
            kind: FixtureKind::Sql(Spanned::new(
                block.content.text.clone(),
                located.whole_span(cx.source),
            )),
            source: FixtureSource::Sql,
            span: block.span,
        }],
        other => {
            let what = other.map_or_else(
                || "a block without a language".to_string(),
                |lang| format!("a `{lang}` block"),
            );
            cx.push(
                Diagnostic::error(Code::InvalidFixture, block.info_span, format!("{what} cannot be a Data Fixture"))
                    .with_help("write fixtures as ```python (pytest fixtures), ```yaml or ```json (rows by table), or ```sql blocks"),
            );
            Vec::new()
        }
    }
}

/// `{table: [{col: value}, …]}` (or one row object per table) → rows.
fn rows(cx: &mut Cx<'_>, value: &Value) -> Option<Vec<Row>> {
    let shape_help = "write rows by table:\n```yaml\ninventory:\n  - { sku: SKU-1, stock: 5 }\n```";
    let ValueKind::Object(tables) = &value.kind else {
        cx.push(
            Diagnostic::error(
                Code::InvalidFixture,
                value.span,
                format!(
                    "a fixture block maps tables to rows, not {}",
                    value.type_name()
                ),
            )
            .with_help(shape_help),
        );
        return None;
    };
    let mut rows = Vec::new();
    for table in tables {
        let table_rows: Vec<&Value> = match &table.value.kind {
            ValueKind::Array(items) => items.iter().collect(),
            ValueKind::Object(_) => vec![&table.value],
            _ => {
                cx.push(
                    Diagnostic::error(
                        Code::InvalidFixture,
                        table.value.span,
                        format!(
                            "the rows of `{}` must be a list of objects, not {}",
                            table.key.value,
                            table.value.type_name()
                        ),
                    )
                    .with_help(shape_help),
                );
                return None;
            }
        };
        for row in table_rows {
            let ValueKind::Object(members) = &row.kind else {
                cx.push(
                    Diagnostic::error(
                        Code::InvalidFixture,
                        row.span,
                        format!(
                            "a row of `{}` must be an object, not {}",
                            table.key.value,
                            row.type_name()
                        ),
                    )
                    .with_help(shape_help),
                );
                return None;
            };
            rows.push(Row {
                entity: None,
                table: Some(table.key.clone()),
                columns: members
                    .iter()
                    .map(|m| Column {
                        name: m.key.clone(),
                        value: m.value.clone(),
                    })
                    .collect(),
                span: row.span,
            });
        }
    }
    Some(rows)
}
