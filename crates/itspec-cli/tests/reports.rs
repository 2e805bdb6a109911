//! The reports of a run: JSON (read back and merged), JUnit, GitHub
//! annotations, `--update-status`, `trace`, `--shard` — and the HTML
//! report rendered in a real browser (headless Chromium, when
//! `ITSPEC_TEST_CHROMIUM` names it; CI installs it and sets it), where
//! hostile content from a spec or a response must show as text.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Test, shop};

/// A spec whose names, paths and bodies carry markup, with a failing case
/// (a diff), a passing concurrency case (a time line) and a skipped one.
const HOSTILE: &str = r##"# Integration Test Spec: Hostile <b>markup</b>

**Related:** US-1, PUT /inventory/{sku}
**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: A name with <script>document.title='pwned'</script> and x" onmouseover="alert(1)

**Request:** PUT /inventory/{{evil}}

**Input:**
```json
{ "stock": 5 }
```

**Expected Output:**
```json
{ "sku": "<script>document.title='pwned'</script>", "stock": 6 }
```

---

### TC-INT-002: Two updates at once

**Actions:**
1. Request A: PUT /inventory/RACE {"stock": 1}
2. Request B (concurrent): PUT /inventory/RACE {"stock": 2}

**Expected:**
- statuses == [200, 200] in any order
- no race conditions

**Repeat:** 3

---

### TC-INT-003: Later

**Request:** GET /health

**Skip:** not yet
"##;

/// A project running the shop on SQLite, with `more` config after.
fn shop_project(more: &str) -> Test {
    let test = Test::new();
    let config = format!(
        "[service]\ncommand = \"{}\"\nenv = {{ PORT = \"{{{{service.port}}}}\", DATABASE_URL = \"sqlite://{}/shop.db\" }}\nready = \"GET /health\"\n\n{more}",
        shop().display(),
        test.root().display()
    );
    test.file("itspec.toml", config)
}

fn project() -> Test {
    shop_project("[vars]\nevil = \"<img src=x onerror=alert(1)>\"\n")
        .file("specs/hostile.md", HOSTILE)
}

#[test]
fn every_report_of_a_run() {
    let test = project().args([
        "run",
        "--report",
        "json=out/run.json",
        "--report",
        "junit=out/run.xml",
        "--report",
        "html=out/run.html",
        "--format",
        "github",
    ]);
    let output = test.run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    // GitHub annotations at the spec's lines.
    assert!(
        output
            .stdout
            .contains("::error file=specs/hostile.md,line=20,col=1,title=TC-INT-001 A name with"),
        "{}",
        output.stdout
    );
    // JUnit: a suite per spec, a case per case, the failure readable.
    let junit = std::fs::read_to_string(test.path("out/run.xml")).unwrap();
    for expected in [
        "<testsuite name=\"specs/hostile.md\" tests=\"3\" skipped=\"1\" errors=\"0\" failures=\"1\"",
        "classname=\"Hostile &lt;b&gt;markup&lt;/b&gt;\"",
        "name=\"TC-INT-002: Two updates at once\"",
        "<property name=\"priority\" value=\"High\"/>",
        "<property name=\"stories\" value=\"US-1\"/>",
        "<failure message=\"Expected Output: the body differs from Expected Output at 2 places\" type=\"assertion\">",
        "specs/hostile.md:20:1: Expected Output",
        "<skipped message=\"not yet\"/>",
    ] {
        assert!(junit.contains(expected), "`{expected}` in\n{junit}");
    }
    // JSON: versioned, and read back by `report merge`.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(test.path("out/run.json")).unwrap()).unwrap();
    assert_eq!(
        (json["format"].as_str(), json["version"].as_u64()),
        (Some("itspec-report"), Some(4))
    );
    let case = &json["specs"][0]["cases"][1];
    assert_eq!(case["iterations"]["run"], 3);
    // A passed case keeps its exchanges in the JSON report.
    assert_eq!(case["outcome"], "passed");
    assert!(
        case["exchanges"][0]["response"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("RACE")),
        "{case}"
    );
    assert_eq!(
        case["iterations"]["runs"][0]["requests"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        json["specs"][0]["cases"][0]["checks"][0]["span"]["line"],
        20
    );
    let merged = Test::new()
        .args([
            "report",
            "merge",
            test.path("out/run.json").to_str().unwrap(),
            "--report",
            &format!("junit={}", test.path("out/merged.xml").display()),
        ])
        .run();
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(
        std::fs::read_to_string(test.path("out/merged.xml"))
            .unwrap()
            .contains("tests=\"3\"")
    );
    check_html_in_a_browser(&test.path("out/run.html"));
}

/// Renders the HTML report in headless Chromium and reads the page back.
#[allow(
    clippy::print_stderr,
    reason = "a browser that is not configured is named, not skipped silently"
)]
fn check_html_in_a_browser(page: &Path) {
    let html = std::fs::read_to_string(page).unwrap();
    assert!(
        !html.contains("<script"),
        "no script of its own, none injected"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing loaded from the network"
    );
    let Ok(chromium) = std::env::var("ITSPEC_TEST_CHROMIUM") else {
        eprintln!(
            "note: the HTML report was not rendered in a browser: ITSPEC_TEST_CHROMIUM is not set"
        );
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let browse = |extra: &[String]| {
        let output = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let dom = browse(&["--dump-dom".to_string()]);
    for expected in [
        "<title>itspec report</title>",
        "<h2>Summary</h2>",
        "class=\"diff\"",
        "<h3>Time lines</h3>",
        "iteration 3 — passed",
        // Markup from the spec and from the response, as text.
        "&lt;script&gt;document.title='pwned'&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "Hostile &lt;b&gt;markup&lt;/b&gt;",
    ] {
        assert!(dom.contains(expected), "`{expected}` in the rendered page");
    }
    let injected = regex::Regex::new(r"<[a-zA-Z]+[^>]*\s(onmouseover|onerror)=").unwrap();
    assert!(
        !injected.is_match(&dom),
        "no element got an injected attribute"
    );
    assert!(
        !dom.contains("<b>markup</b>") && !dom.contains("<img"),
        "no element was injected"
    );
    let shot = page.with_extension("png");
    browse(&[
        "--window-size=1280,2000".to_string(),
        format!("--screenshot={}", shot.display()),
    ]);
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "a screenshot was taken"
    );
}

#[test]
fn update_status_promotes_a_passing_ready_spec_and_changes_nothing_else() {
    let passing = "\u{feff}# Integration Test Spec: Health\r\n\r\n**Priority:** High\r\n**Status:** Ready\r\n\r\n## Test Cases\r\n\r\n### TC-INT-001: Healthy\r\n\r\n**Request:** GET /health\r\n\r\n**Assertions:**\r\n- status == 200\r\n";
    let failing = "# Integration Test Spec: Sick\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Sick\n\n**Request:** GET /health\n\n**Assertions:**\n- status == 500\n";
    let test = project()
        .file("specs/hostile.md", "")
        .file("specs/health.md", passing)
        .file("specs/sick.md", failing)
        .args(["run", "specs/health.md", "specs/sick.md", "--update-status"]);
    let output = test.run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output
            .stdout
            .contains("itspec: specs/health.md is now Implemented"),
        "{}",
        output.stdout
    );
    let promoted = std::fs::read(test.path("specs/health.md")).unwrap();
    assert_eq!(
        promoted,
        passing
            .replace("**Status:** Ready", "**Status:** Implemented")
            .into_bytes()
    );
    assert_eq!(
        std::fs::read_to_string(test.path("specs/sick.md")).unwrap(),
        failing
    );
}

#[test]
fn trace_shows_stories_specs_cases_and_their_last_results() {
    let test = project().args(["run", "--report", "json=run.json"]);
    assert_eq!(test.run().code, 1);
    let lonely = "# Integration Test Spec: Later\n\n**Related:** US-9\n**Priority:** Low\n**Status:** Draft\n\n## Test Cases\n";
    let traced = Test::new()
        .file("specs/hostile.md", HOSTILE)
        .file("specs/later.md", lonely)
        .current_dir(".")
        .args([
            "trace",
            "specs",
            "--from",
            test.path("run.json").to_str().unwrap(),
        ])
        .run();
    assert_eq!(traced.code, 0, "{}", traced.stderr);
    for expected in [
        "- **US-9** has no case",
        "- **US-1**: 1 case failed in the last run",
        "## US-1\n\n- specs/hostile.md — Hostile <b>markup</b> — `PUT /inventory/{sku}` (Ready)\n",
        "  - TC-INT-002 Two updates at once — passed\n",
        "  - TC-INT-003 Later — skipped\n",
        "— **FAILED**",
    ] {
        assert!(
            traced.stdout.contains(expected),
            "`{expected}` in\n{}",
            traced.stdout
        );
    }
}

#[test]
fn shards_list_and_run_the_same_cases() {
    let specs = (1..=3)
        .map(|n| {
            format!(
                "# Integration Test Spec: S{n}\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: One\n\n**Request:** GET /health\n\n### TC-INT-002: Two\n\n**Request:** GET /health\n"
            )
        })
        .collect::<Vec<_>>();
    let mut all = Vec::new();
    for index in 1..=2 {
        let listed = Test::new()
            .file("specs/a.md", &specs[0])
            .file("specs/b.md", &specs[1])
            .file("specs/c.md", &specs[2])
            .args([
                "list",
                "specs",
                "--format",
                "json",
                "--shard",
                &format!("{index}/2"),
            ])
            .run();
        assert_eq!(listed.code, 0, "{}", listed.stderr);
        let json: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
        for spec in json.as_array().unwrap() {
            for case in spec["cases"].as_array().unwrap() {
                all.push(format!("{} {}", spec["file"], case["id"]));
            }
        }
    }
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(
        (before, all.len()),
        (6, 6),
        "every case in exactly one shard: {all:?}"
    );
    // The CI's own variables choose the shard.
    let gitlab = Test::new()
        .file("specs/a.md", &specs[0])
        .file("specs/b.md", &specs[1])
        .file("specs/c.md", &specs[2])
        .env("CI_NODE_INDEX", "2")
        .env("CI_NODE_TOTAL", "2")
        .args(["list", "specs"])
        .run();
    // Whole specs, largest first, to the least loaded shard: a and c to 1, b to 2.
    assert!(gitlab.stdout.starts_with("specs/b.md"), "{}", gitlab.stdout);
    assert!(
        gitlab.stdout.ends_with("2 cases in 1 spec\n"),
        "{}",
        gitlab.stdout
    );
}

#[test]
fn shards_run_apart_and_merge_into_the_whole_run() {
    let spec = |n: u32| {
        format!(
            "# Integration Test Spec: S{n}\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: One\n\n**Request:** GET /health\n\n### TC-INT-002: Two\n\n**Request:** GET /health\n"
        )
    };
    let test = project()
        .file("specs/hostile.md", "")
        .file("specs/a.md", spec(1))
        .file("specs/b.md", spec(2))
        .file("specs/c.md", spec(3));
    let mut reports = Vec::new();
    // Four shards of three specs: the fourth gets nothing, and says so.
    for index in 1..=4 {
        let report = format!("out/shard-{index}.json");
        let output = test.run_with(&[
            "run",
            "specs/a.md",
            "specs/b.md",
            "specs/c.md",
            "--shard",
            &format!("{index}/4"),
            "--report",
            &format!("json={report}"),
        ]);
        assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
        if index == 4 {
            assert!(
                output.stdout.contains("shard 4/4 has none of the 6 cases"),
                "{}",
                output.stdout
            );
        }
        reports.push(test.path(&report).display().to_string());
    }
    let merged = Test::new()
        .args(["report", "merge"])
        .args(reports.iter().map(String::as_str))
        .run();
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let json: serde_json::Value = serde_json::from_str(&merged.stdout).unwrap();
    let cases: Vec<String> = json["specs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|spec| {
            spec["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |case| format!("{} {}", spec["path"], case["id"]))
        })
        .collect();
    assert_eq!(cases.len(), 6, "{cases:?}");
    assert_eq!(json["summary"]["passed"], 6);
}

#[test]
fn a_report_that_cannot_be_written_stops_the_run_before_it_starts() {
    let test = project().args(["run", "--report", "json=specs"]);
    let output = test.run();
    assert_eq!(output.code, 2, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stderr.contains("cannot write the report specs"),
        "{}",
        output.stderr
    );
    assert!(
        !output.stdout.contains("running"),
        "nothing ran: {}",
        output.stdout
    );
}

/// A spec whose requests carry a fixture's password, a captured session
/// token, a configured token and an API key, and whose failing check
/// shows the token.
const SECRETS: &str = r#"# Integration Test Spec: Secrets

**Priority:** High
**Status:** Ready

## Test Cases

### TC-INT-001: Sign in, and a check that shows the token

**Setup:**
```python
@pytest.fixture
def ada():
    return {"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}
```

**Actions:**
1. Request SignUp: POST /customers with ada
2. Request Login: POST /login {"email": "{{ada.email}}", "password": "{{ada.password}}"}
3. Request Me: GET /me
   - Authorization: Bearer {{Login.body.token}}
   - X-Api-Key: {{api_key}}
   - X-Trace: {{service_token}}

**Assertions:**
- Me.status == 200
- Login.body.token == "this is not the token"
"#;

#[test]
fn secrets_are_redacted_in_every_report_and_the_console() {
    let test = shop_project(
        "[vars]\nservice_token = \"svc-tok-93d1c0ffee\"\napi_key = \"ak-5e5e5e5e5e\"\n\n[redact]\nvars = [\"api_*\"]\n",
    )
    .file("specs/secrets.md", SECRETS)
        .args([
            "run",
            "specs",
            "--color",
            "never",
            "--report",
            "json=out/r.json",
            "--report",
            "junit=out/r.xml",
            "--report",
            "html=out/r.html",
        ]);
    let output = test.run();
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(test.path("out/r.json")).unwrap()).unwrap();
    let case = &json["specs"][0]["cases"][0];
    let me = &case["exchanges"][2]["request"];
    let header = |name: &str| {
        me["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .map(|h| h[1].as_str().unwrap().to_string())
    };
    assert_eq!(header("authorization").as_deref(), Some("[redacted]"));
    assert_eq!(header("x-api-key").as_deref(), Some("[redacted]"));
    assert_eq!(header("x-trace").as_deref(), Some("[redacted]"));
    // The token came back in Login's body and is what the failed check
    // found: both show the mark instead.
    let login = case["exchanges"][1]["response"]["body"].as_str().unwrap();
    assert!(login.contains("[redacted]"), "{login}");
    let failed = serde_json::to_string(&case["checks"]).unwrap();
    assert!(failed.contains("[redacted]"), "{failed}");

    let token = regex::Regex::new("[0-9a-f]{32}").unwrap();
    for (name, text) in [
        ("stdout", output.stdout.clone()),
        ("stderr", output.stderr.clone()),
        (
            "json",
            std::fs::read_to_string(test.path("out/r.json")).unwrap(),
        ),
        (
            "junit",
            std::fs::read_to_string(test.path("out/r.xml")).unwrap(),
        ),
        (
            "html",
            std::fs::read_to_string(test.path("out/r.html")).unwrap(),
        ),
    ] {
        for secret in [
            "correct horse battery",
            "svc-tok-93d1c0ffee",
            "ak-5e5e5e5e5e",
        ] {
            assert!(!text.contains(secret), "{name} shows `{secret}`:\n{text}");
        }
        assert!(
            !token.is_match(&text),
            "{name} shows a session token:\n{text}"
        );
    }
    assert!(
        output.stdout.contains("[redacted]"),
        "the console shows the failure with the mark:\n{}",
        output.stdout
    );
}
