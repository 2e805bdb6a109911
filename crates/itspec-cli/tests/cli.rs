//! The `itspec` command line, end to end: exit codes, formats, discovery,
//! configuration, `new` and `list`.

mod common;

use common::{GOOD_SPEC, Test};

const WITH_ERROR: &str = "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Create\n\n**Request:** POST /orders\n\n**Assertions:**\n- body.id == {{missing}}\n";
const WITH_WARNING: &str = "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n### TC-INT-001: Create\n\n**Request:** POST /orders\n\n**Assertions:**\n- staus == 201\n";

#[test]
fn a_clean_spec_passes() {
    let output = Test::new()
        .file("specs/ok.md", GOOD_SPEC)
        .args(["check", "specs/ok.md"])
        .run();
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(output.stdout, "itspec: 1 spec checked, no problems\n");
}

#[test]
fn errors_exit_1_and_warnings_exit_0() {
    let errors = Test::new()
        .file("bad.md", WITH_ERROR)
        .args(["check", "bad.md"])
        .run();
    assert_eq!(errors.code, 1);
    assert!(
        errors
            .stdout
            .contains("error[IT401]: unknown variable `{{missing}}`"),
        "{}",
        errors.stdout
    );
    assert!(
        errors.stdout.contains("--> bad.md:13:14"),
        "{}",
        errors.stdout
    );
    let warnings = Test::new()
        .file("warn.md", WITH_WARNING)
        .args(["check", "warn.md"])
        .run();
    assert_eq!(warnings.code, 0);
    assert!(
        warnings
            .stdout
            .contains("help: did you mean `status == 201`?"),
        "{}",
        warnings.stdout
    );
}

#[test]
fn strict_makes_prose_an_error() {
    let output = Test::new()
        .file("warn.md", WITH_WARNING)
        .args(["check", "--strict", "warn.md"])
        .run();
    assert_eq!(output.code, 1);
    assert!(output.stdout.contains("error[IT301]"), "{}", output.stdout);
}

#[test]
fn json_output() {
    let output = Test::new()
        .file("bad.md", WITH_ERROR)
        .file("ok.md", GOOD_SPEC)
        .args(["check", "--format", "json", "bad.md", "ok.md"])
        .run();
    assert_eq!(output.code, 1);
    let json: serde_json::Value = serde_json::from_str(&output.stdout).expect("valid JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(
        json["summary"],
        serde_json::json!({"files": 2, "errors": 1, "warnings": 0})
    );
    let diagnostic = &json["diagnostics"][0];
    assert_eq!(diagnostic["file"], "bad.md");
    assert_eq!(diagnostic["code"], "IT401");
    assert_eq!(diagnostic["name"], "unknown-variable");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(
        (diagnostic["line"].as_u64(), diagnostic["column"].as_u64()),
        (Some(13), Some(14))
    );
    assert_eq!(
        (
            diagnostic["end_line"].as_u64(),
            diagnostic["end_column"].as_u64()
        ),
        (Some(13), Some(25))
    );
    assert!(diagnostic["help"].as_str().unwrap().contains("[vars]"));
}

#[test]
fn github_annotations() {
    let output = Test::new()
        .file("bad.md", WITH_ERROR)
        .args(["check", "--format", "github", "bad.md"])
        .run();
    assert_eq!(output.code, 1);
    let first = output.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=bad.md,line=13,col=14,endLine=13,endColumn=25,title=IT401 unknown-variable::unknown variable"),
        "{first}"
    );
    assert!(first.contains("%0Ahelp: "), "{first}");
}

#[test]
fn colour_is_on_demand() {
    let test = Test::new().file("bad.md", WITH_ERROR);
    let plain = test.args(["check", "bad.md"]).run();
    assert!(!plain.stdout.contains('\u{1b}'));
    let coloured = Test::new()
        .file("bad.md", WITH_ERROR)
        .args(["check", "--color", "always", "bad.md"])
        .run();
    assert!(coloured.stdout.contains('\u{1b}'));
}

#[test]
fn folders_hold_specs_by_their_first_heading() {
    let output = Test::new()
        .file("specs/a.md", GOOD_SPEC)
        .file("specs/nested/b.md", WITH_WARNING)
        .file("specs/README.md", "# Specs\n\nThese are the specs.\n")
        .file("specs/notes.txt", GOOD_SPEC)
        .file("specs/.hidden/c.md", WITH_ERROR)
        .file("specs/ignored/d.md", WITH_ERROR)
        .file("specs/.gitignore", "ignored/\n")
        .file(
            "specs/e.md",
            "# Integration Test Spec - Malformed\n\n**Priority:** Low\n**Status:** Draft\n",
        )
        .args(["check", "specs"])
        .run();
    assert_eq!(output.code, 1, "{output:?}");
    assert!(
        output.stdout.contains("--> specs/nested/b.md"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("--> specs/e.md:1:1"),
        "a malformed title is still a spec: {}",
        output.stdout
    );
    assert!(!output.stdout.contains("README"), "{}", output.stdout);
    assert!(
        !output.stdout.contains(".hidden") && !output.stdout.contains("ignored/d.md"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.ends_with("in 2 of 3 specs\n"),
        "{}",
        output.stdout
    );
}

#[test]
fn no_specs_is_a_usage_error() {
    let output = Test::new()
        .file("README.md", "# Hello\n")
        .args(["check", "."])
        .run();
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("no specs found in ."),
        "{}",
        output.stderr
    );
    let missing = Test::new().args(["check", "nowhere"]).run();
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no such file or folder: nowhere"),
        "{}",
        missing.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let output = Test::new().args(["check", "--format", "xml"]).run();
    assert_eq!(output.code, 2);
    let output = Test::new().args(["frobnicate"]).run();
    assert_eq!(output.code, 2);
}

#[test]
fn the_config_names_the_default_paths_and_variables() {
    let spec = WITH_ERROR;
    let test = Test::new()
        .file(
            "itspec.toml",
            "specs = [\"specs\"]\n\n[vars]\nmissing = \"42\"\n",
        )
        .file("specs/orders.md", spec)
        .current_dir("specs/deeper");
    let output = test.args(["check"]).run();
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(output.stdout, "itspec: 1 spec checked, no problems\n");
}

#[test]
fn var_flags_define_variables() {
    let output = Test::new()
        .file("bad.md", WITH_ERROR)
        .args(["check", "--var", "missing=1", "bad.md"])
        .run();
    assert_eq!(output.code, 0, "{output:?}");
}

#[test]
fn an_invalid_config_says_where() {
    let output = Test::new()
        .file(
            "itspec.toml",
            "[target]\nbase_url = \"http://x\"\ntimeout = \"soon\"\n",
        )
        .file("ok.md", GOOD_SPEC)
        .args(["check", "ok.md"])
        .run();
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("itspec.toml:3:11"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("`soon` is not a duration"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_file_that_is_not_utf8() {
    let mut bytes = b"# Integration Test Spec: Caf".to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(b"\n\n**Priority:** Low\n**Status:** Draft\n");
    let output = Test::new()
        .file("latin1.md", bytes)
        .args(["check", "latin1.md"])
        .run();
    assert_eq!(output.code, 1);
    assert!(
        output
            .stdout
            .contains("error[IT000]: this file is not valid UTF-8 text"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("--> latin1.md:1:29"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_bom_is_fine() {
    let output = Test::new()
        .file("bom.md", format!("\u{feff}{GOOD_SPEC}"))
        .args(["check", "bom.md"])
        .run();
    assert_eq!(output.code, 0, "{output:?}");
}

#[test]
fn new_writes_a_draft_that_checks_with_warnings_only() {
    let test = Test::new().args([
        "new",
        "Inventory",
        "Reservation",
        "--stories",
        "US-1,US-2",
        "--contract",
        "POST /reservations",
        "--priority",
        "critical",
        "-o",
        "specs/reservations.md",
    ]);
    let output = test.run();
    assert_eq!(output.code, 0, "{output:?}");
    let text = std::fs::read_to_string(test.path("specs/reservations.md")).unwrap();
    assert!(text.starts_with(
        "# Integration Test Spec: Inventory Reservation\n\n**Related:** US-1, US-2, POST /reservations\n**Priority:** Critical\n**Status:** Draft\n"
    ));
    let check = Test::new()
        .file("r.md", &text)
        .args(["check", "r.md"])
        .run();
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stdout.contains("0 errors and"), "{}", check.stdout);

    let again = test.run();
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn new_prints_to_stdout_and_checks_its_contract() {
    let output = Test::new().args(["new", "Orders"]).run();
    assert_eq!(output.code, 0);
    assert!(
        output
            .stdout
            .starts_with("# Integration Test Spec: Orders\n")
    );
    assert!(
        output
            .stdout
            .contains("**Priority:** Medium\n**Status:** Draft\n")
    );
    let bad = Test::new()
        .args(["new", "Orders", "--contract", "orders"])
        .run();
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("is not an API contract"),
        "{}",
        bad.stderr
    );
}

#[test]
fn list_shows_cases_and_their_kinds() {
    let spec = format!(
        "{GOOD_SPEC}\n"
    )
    .replace("### TC-INT-002: Reject a non-positive quantity\n", "### TC-INT-002: Reject a non-positive quantity\n\n**Tags:** errors, smoke\n\n**Skip:** waiting for US-9\n");
    let test = Test::new().file("specs/r.md", spec);
    let human = Test::new()
        .file(
            "specs/r.md",
            std::fs::read(test.path("specs/r.md")).unwrap(),
        )
        .args(["list", "specs"])
        .run();
    assert_eq!(human.code, 0, "{human:?}");
    assert_eq!(
        human.stdout,
        "specs/r.md  Inventory Reservation  [Critical, Ready]\n  TC-INT-001  single      Reserve an item in stock\n  TC-INT-002  single      Reject a non-positive quantity  [errors, smoke]  (skipped: waiting for US-9)\n  TC-INT-003  concurrent  Two reservations race for the last unit\n3 cases in 1 spec\n"
    );
    let json = test.args(["list", "--format", "json", "specs"]).run();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value[0]["component"], "Inventory Reservation");
    assert_eq!(value[0]["stories"], serde_json::json!(["US-204", "US-205"]));
    assert_eq!(value[0]["contract"], "POST /reservations");
    let case = &value[0]["cases"][1];
    assert_eq!(case["id"], "TC-INT-002");
    assert_eq!(case["priority"], "Critical");
    assert_eq!(case["status"], "Ready");
    assert_eq!(case["tags"], serde_json::json!(["errors", "smoke"]));
    assert_eq!(case["skip"], "waiting for US-9");
    assert_eq!(value[0]["cases"][2]["kind"], "concurrent");
}
