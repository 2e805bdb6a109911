//! A case's setup (FORMAT §5): the Data Fixtures its `**Fixtures:**` line
//! selects (all when absent), the fixtures of its own Setup, then its setup
//! lines in order. Rows are inserted into tracked tables only, read back as
//! stored (generated keys included) and bound as `{{fixture.column}}`; the
//! restore after the case removes them with everything else. Mock setup
//! lines become the case's overrides.

use std::collections::BTreeSet;

use itspec_spec::Span;
use itspec_spec::model::{Column, Fixture, FixtureKind, Row, SetupLineKind, Spec, TestCase};
use serde_json::{Map, Value};

use std::cell::Cell;

use crate::db;
use crate::isolation::Isolation;
use crate::mock::{Mocks, Override};
use crate::mutate::FixtureMutant;
use crate::vars::{Scope, interpolate_json};
use itspec_results::{Evidence, StepKind, StepResult, Verdict};

/// What setup needs.
pub(super) struct Setup<'a> {
    pub spec: &'a Spec,
    pub isolation: Option<&'a Isolation>,
    pub mocks: &'a Mocks,
    /// Whether an SMTP server runs (`[mail]`), for `mail -> CODE` lines.
    pub mail: bool,
    /// `--strict`: a setup line in prose stops the case.
    pub strict: bool,
    /// `itspec mutate`: a fixture value changed, and whether Setup wrote
    /// it.
    pub mutant: Option<(&'a FixtureMutant, Cell<bool>)>,
}

/// The mock overrides of a case's setup lines, by mock name.
pub(super) type MockOverrides<'c> = Vec<(String, Override<'c>)>;

/// A setup step that failed: where, and why.
struct Failed {
    span: Span,
    text: String,
    message: String,
}

impl Failed {
    fn new(span: Span, text: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            span,
            text: text.into(),
            message: message.into(),
        }
    }
}

impl Setup<'_> {
    /// Runs the setup of a case. Returns the case's mock overrides, or
    /// `None` when the case cannot go on (the failure is recorded as a
    /// check).
    pub async fn run<'c>(
        &self,
        case: &'c TestCase,
        scope: &mut Scope,
        checks: &mut Vec<StepResult>,
    ) -> Option<MockOverrides<'c>> {
        match self.steps(case, scope, checks).await {
            Ok(overrides) => Some(overrides),
            Err(failed) => {
                checks.push(StepResult::error(
                    StepKind::Setup,
                    failed.span,
                    failed.text,
                    failed.message,
                    Evidence::default(),
                ));
                None
            }
        }
    }

    async fn steps<'c>(
        &self,
        case: &'c TestCase,
        scope: &mut Scope,
        checks: &mut Vec<StepResult>,
    ) -> Result<MockOverrides<'c>, Failed> {
        let mut overrides = Vec::new();
        let mut applied: BTreeSet<&str> = BTreeSet::new();
        for fixture in self.spec.selected_fixtures(case) {
            if let Some(name) = &fixture.name {
                applied.insert(&name.value);
            }
            self.fixture(fixture, scope).await?;
        }
        for fixture in case.setup.iter().flat_map(|s| &s.fixtures) {
            self.fixture(fixture, scope).await?;
        }
        for line in case.setup.iter().flat_map(|s| &s.lines) {
            match &line.kind {
                SetupLineKind::Row { table, columns } => {
                    let isolation = self.database(line.span, "setup")?;
                    let values = self
                        .values(columns, scope)
                        .map_err(|m| Failed::new(line.span, "setup", m))?;
                    insert(isolation, &table.value, &values)
                        .await
                        .map_err(|m| Failed::new(line.span, "setup", m))?;
                }
                SetupLineKind::Sql { statement } => {
                    let isolation = self.database(line.span, "setup")?;
                    db::run_statement(&isolation.db, &statement.value, scope)
                        .await
                        .map_err(|e| {
                            Failed::new(line.span, "setup", format!("the statement failed: {e}"))
                        })?;
                }
                SetupLineKind::Fixture { name } => {
                    if applied.contains(name.value.as_str()) {
                        continue;
                    }
                    let Some(fixture) = self
                        .spec
                        .fixtures
                        .iter()
                        .find(|f| f.name.as_ref().is_some_and(|n| n.value == name.value))
                    else {
                        return Err(Failed::new(
                            line.span,
                            "setup",
                            format!("there is no Data Fixture named `{}`", name.value),
                        ));
                    };
                    applied.insert(&name.value);
                    self.fixture(fixture, scope).await?;
                }
                SetupLineKind::Mock {
                    mock,
                    method,
                    path,
                    answer,
                } => {
                    if self.mocks.get(&mock.value).is_none() {
                        let running: Vec<&str> =
                            self.mocks.iter().map(|m| m.name.as_str()).collect();
                        return Err(Failed::new(
                            line.span,
                            "setup",
                            format!(
                                "mock `{}` is not running (the mocks are: {}); define it in ## Mocks or under [mocks.{}] in itspec.toml",
                                mock.value,
                                if running.is_empty() {
                                    "none".to_string()
                                } else {
                                    running.join(", ")
                                },
                                mock.value
                            ),
                        ));
                    }
                    overrides.push((
                        mock.value.clone(),
                        Override {
                            method: &method.value,
                            path: &path.value,
                            change: answer,
                        },
                    ));
                }
                // The channel answers with it (channel/mail.rs).
                SetupLineKind::Mail { .. } if self.mail => {}
                SetupLineKind::Mail { .. } => {
                    return Err(Failed::new(
                        line.span,
                        "setup",
                        "`mail -> CODE` makes itspec's SMTP server refuse the case's e-mail, and none runs: add [mail] to itspec.toml and point the service at {{mail.host}}:{{mail.port}}",
                    ));
                }
                SetupLineKind::Prose { hint, .. } if self.strict => {
                    return Err(Failed::new(
                        line.span,
                        "setup",
                        format!(
                            "a setup line in prose does not run, and under --strict a case never runs without its setup: write it as a fixture, a `row`, a `sql` line or a mock answer{}",
                            hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
                        ),
                    ));
                }
                SetupLineKind::Prose { text, hint } => checks.push(StepResult {
                    kind: StepKind::Setup,
                    span: line.span,
                    text: text.clone(),
                    verdict: Verdict::Unverified {
                        reason: match hint {
                            Some(hint) => format!("a setup line in prose does not run: {hint}"),
                            None => "a setup line in prose does not run".to_string(),
                        },
                    },
                }),
            }
        }
        Ok(overrides)
    }

    /// The database, or why this step cannot run without one.
    fn database(&self, span: Span, text: &str) -> Result<&Isolation, Failed> {
        self.isolation.ok_or_else(|| {
            Failed::new(span, text, "this writes to the database, and none is configured: add [database] with its url to itspec.toml")
        })
    }

    /// Applies one fixture: binds a payload, inserts rows, or runs SQL.
    async fn fixture(&self, fixture: &Fixture, scope: &mut Scope) -> Result<(), Failed> {
        let name = fixture.name.as_ref().map(|n| n.value.clone());
        let text = format!("fixture {}", name.as_deref().unwrap_or("(unnamed)"));
        match &fixture.kind {
            FixtureKind::Payload(value) => {
                let json = interpolate_json(value, scope).map_err(|e| {
                    Failed::new(
                        fixture.span,
                        &text,
                        format!("variable `{{{{{}}}}}`: {}", e.name, e.message),
                    )
                })?;
                if let Some(name) = name {
                    scope.set(name, json);
                }
            }
            FixtureKind::Rows(rows) => {
                let isolation = self.database(fixture.span, &text)?;
                let mut stored = Vec::with_capacity(rows.len());
                for row in rows {
                    let values = self
                        .values(&row.columns, scope)
                        .map_err(|m| Failed::new(row.span, &text, m))?;
                    stored.push(
                        insert_row(isolation, row, values, scope)
                            .await
                            .map_err(|m| Failed::new(row.span, &text, m))?,
                    );
                }
                if let Some(name) = name {
                    // One row is the variable itself; several are a list.
                    let value = if stored.len() == 1 {
                        stored.pop().unwrap_or(Value::Null)
                    } else {
                        Value::Array(stored)
                    };
                    scope.set(name, value);
                }
            }
            FixtureKind::Sql(sql) => {
                let isolation = self.database(fixture.span, &text)?;
                db::run_statement(&isolation.db, &sql.value, scope)
                    .await
                    .map_err(|e| {
                        Failed::new(fixture.span, &text, format!("the SQL failed: {e}"))
                    })?;
            }
        }
        Ok(())
    }
}

impl Setup<'_> {
    /// The column values of a row, variables replaced — and the value
    /// the fixture mutant changes, changed.
    fn values(&self, columns: &[Column], scope: &Scope) -> Result<Map<String, Value>, String> {
        columns
            .iter()
            .map(|c| {
                if let Some((mutant, applied)) = &self.mutant
                    && mutant.at == c.name.span
                {
                    applied.set(true);
                    return Ok((c.name.value.clone(), mutant.value.clone()));
                }
                interpolate_json(&c.value, scope)
                    .map(|v| (c.name.value.clone(), v))
                    .map_err(|e| {
                        format!(
                            "column `{}`: variable `{{{{{}}}}}`: {}",
                            c.name.value, e.name, e.message
                        )
                    })
            })
            .collect()
    }
}

/// Inserts a fixture row into its table (named, or its entity's), the
/// entity's configured defaults filling the fields it does not give.
async fn insert_row(
    isolation: &Isolation,
    row: &Row,
    mut values: Map<String, Value>,
    scope: &Scope,
) -> Result<Value, String> {
    let (table, entity) = match (&row.table, &row.entity) {
        (Some(table), _) => {
            // The entity whose configured table this is, for its defaults.
            let entity = isolation
                .entities
                .iter()
                .find(|(_, t)| t.eq_ignore_ascii_case(&table.value))
                .map(|(entity, _)| entity.clone());
            (table.value.clone(), entity)
        }
        (None, Some(entity)) => (
            db::table_of(&isolation.schema, &isolation.entities, &entity.value)?
                .name
                .clone(),
            Some(entity.value.clone()),
        ),
        (None, None) => return Err("the row names no table".to_string()),
    };
    let given: Vec<String> = values.keys().cloned().collect();
    if let Some(defaults) = entity.as_ref().and_then(|e| isolation.defaults.get(e)) {
        for (field, default) in defaults {
            if values.contains_key(field) {
                continue;
            }
            let value = fill(default, scope).map_err(|e| {
                format!(
                    "[database.entities.{}] defaults.{field}: variable `{{{{{}}}}}`: {}",
                    entity.as_deref().unwrap_or_default(),
                    e.name,
                    e.message
                )
            })?;
            values.insert(field.clone(), value);
        }
    }
    insert(isolation, &table, &values).await.map_err(|message| {
        match not_null_column(&message) {
            Some(column) if !given.iter().any(|g| g.eq_ignore_ascii_case(&column)) => {
                let table = isolation
                    .schema
                    .table(&table)
                    .map_or(table.as_str(), |t| t.name.as_str());
                let setting = match &entity {
                    Some(entity) => format!("[database.entities.{entity}] defaults = {{ {column} = … }}"),
                    None => format!(
                        "[database.entities.ENTITY] table = \"{table}\", defaults = {{ {column} = … }}"
                    ),
                };
                format!(
                    "{table}.{column} has no value and no database default: give it in the fixture or set {setting} in itspec.toml ({message})"
                )
            }
            _ => message,
        }
    })
}

/// A configured default with its variables replaced: a text that is one
/// variable keeps the variable's type; `{{uuid}}` and `{{now}}` are fresh
/// each time.
fn fill(value: &Value, scope: &Scope) -> Result<Value, crate::vars::VarError> {
    Ok(match value {
        Value::String(text) => {
            let found = itspec_spec::interpolation::find(text);
            match found.as_slice() {
                [only] if only.terminated && only.start == 0 && only.end == text.len() => {
                    scope.lookup(only.name(text))?
                }
                _ => Value::String(crate::vars::interpolate_text(text, scope)?),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| fill(item, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, scope)?)))
                .collect::<Result<_, crate::vars::VarError>>()?,
        ),
        other => other.clone(),
    })
}

/// The column a database refused a row for, having no value: SQLite's
/// `NOT NULL constraint failed: user.is_active`, PostgreSQL's `null value
/// in column "is_active" … violates not-null constraint`, MySQL's `Field
/// 'is_active' doesn't have a default value` and `Column 'is_active'
/// cannot be null`.
fn not_null_column(message: &str) -> Option<String> {
    if let Some((_, rest)) = message.split_once("NOT NULL constraint failed: ") {
        let qualified = rest.split_whitespace().next()?;
        return Some(
            qualified
                .rsplit_once('.')
                .map_or(qualified, |(_, column)| column)
                .to_string(),
        );
    }
    if message.contains("violates not-null constraint") {
        let (_, rest) = message.split_once("null value in column \"")?;
        return Some(rest.split_once('"')?.0.to_string());
    }
    for (before, after) in [
        ("Field '", "' doesn't have a default value"),
        ("Column '", "' cannot be null"),
    ] {
        if let Some((_, rest)) = message.split_once(before)
            && let Some((column, _)) = rest.split_once(after)
        {
            return Some(column.to_string());
        }
    }
    None
}

/// Inserts a row into a tracked table; the row as stored.
async fn insert(
    isolation: &Isolation,
    table: &str,
    values: &Map<String, Value>,
) -> Result<Value, String> {
    let Some(found) = isolation.schema.table(table) else {
        let known: Vec<&str> = isolation.schema.tables.keys().map(String::as_str).collect();
        return Err(format!(
            "the database has no table `{table}` (its tables: {})",
            known.join(", ")
        ));
    };
    if !isolation.is_tracked(&found.name) {
        return Err(format!(
            "table `{}` is not tracked ([database] exclude, or migration bookkeeping): itspec never writes to it",
            found.name
        ));
    }
    db::insert_fixture(&isolation.db, found, values)
        .await
        .map_err(|error| format!("cannot insert into `{}`: {error}", found.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_without_a_value_is_read_from_each_database_s_message() {
        for message in [
            "cannot insert into `user`: NOT NULL constraint failed: user.is_active",
            "cannot insert into `user`: null value in column \"is_active\" of relation \"user\" violates not-null constraint",
            "cannot insert into `user`: null value in column \"is_active\" violates not-null constraint",
            "cannot insert into `user`: Field 'is_active' doesn't have a default value",
            "cannot insert into `user`: Column 'is_active' cannot be null",
        ] {
            assert_eq!(
                not_null_column(message).as_deref(),
                Some("is_active"),
                "{message}"
            );
        }
        assert_eq!(
            not_null_column("UNIQUE constraint failed: user.email"),
            None
        );
    }

    #[test]
    fn defaults_keep_their_type_and_generators_are_fresh() {
        let mut scope = Scope::new();
        scope.set("n", serde_json::json!(3));
        assert_eq!(
            fill(&serde_json::json!("{{n}}"), &scope).unwrap(),
            serde_json::json!(3)
        );
        assert_eq!(
            fill(&serde_json::json!("n={{n}}"), &scope).unwrap(),
            serde_json::json!("n=3")
        );
        assert_eq!(
            fill(&serde_json::json!(true), &scope).unwrap(),
            serde_json::json!(true)
        );
        let a = fill(&serde_json::json!("{{uuid}}"), &scope).unwrap();
        let b = fill(&serde_json::json!("{{uuid}}"), &scope).unwrap();
        assert_ne!(a, b);
    }
}
