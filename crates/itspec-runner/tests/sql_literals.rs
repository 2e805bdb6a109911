//! SQL written in specs keeps its literal text: a `sql` setup line with a
//! `{{variable}}` becomes a statement with bound parameters, and on
//! PostgreSQL each placeholder gets a cast — in the statement's code only,
//! never inside a string literal, a quoted identifier, a dollar-quoted
//! string or a comment (issue 17: `'costs $1 each'` came back as
//! `'costs CAST($1::text AS INT4) each'`). End to end on every database.

mod databases;
mod support;

use databases::{Backend, block_on, fresh_db};
use itspec_results::{Outcome, Verdict};
use itspec_runner::db::{self, Database};
use itspec_runner::{DatabaseSettings, RunOptions};
use serde_json::json;
use support::cases;

const SPEC: &str = r#"# Integration Test Spec: Notes

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: Literal text around placeholders is kept as written

**Fixtures:** none

**Setup:**
- sql "INSERT INTO note (body, label, n) VALUES ('costs $1 each', 'a ''$2'' -- not a comment /* $1 */', {{n}})"
- sql "UPDATE note SET word = {{configured}} WHERE n = {{n}} AND body = 'costs $1 each'"

**Request:** GET /status/200

**Assertions:**
- sql "SELECT body FROM note WHERE n = {{n}}" == "costs $1 each"
- sql "SELECT label FROM note WHERE n = {{n}}" == "a '$2' -- not a comment /* $1 */"
- sql "SELECT word FROM note WHERE body = 'costs $1 each' AND n = {{n}}" == "kept"
- rows note where body = "costs $1 each" count == 1
"#;

on_every_database!(literal_text_in_sql_lines_comes_back_unchanged);

fn literal_text_in_sql_lines_comes_back_unchanged(backend: Backend) {
    let Some(test) = fresh_db(backend, "itspec_sql_literals") else {
        return;
    };
    block_on(async {
        let db = Database::connect(&test.url, test.dir.path()).await.unwrap();
        let text = if backend == Backend::MySql {
            "VARCHAR(200)"
        } else {
            "TEXT"
        };
        db::apply_script(
            &db,
            &format!("CREATE TABLE note (body {text}, label {text}, word {text}, n INTEGER)"),
        )
        .await
        .unwrap();
        db.close().await;
    });
    let base = support::serve(support::api());
    let mut settings = support::settings(&base);
    settings.database = Some(DatabaseSettings::new(&test.url));
    settings.vars.insert("n".to_string(), json!(7));
    settings
        .vars
        .insert("configured".to_string(), json!("kept"));
    let result = support::run_with(&settings, SPEC, &RunOptions::default());
    let case = cases(&result)[0];
    let failures: Vec<(&str, &str)> = case
        .checks
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::Failed { message, .. } => Some((c.text.as_str(), message.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(case.outcome, Outcome::Passed, "{backend:?}: {failures:#?}");
}
