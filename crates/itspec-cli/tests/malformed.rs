//! The malformed-spec corpus: every file under `tests/fixtures/malformed`
//! is checked by the real binary, and its whole output — each problem at
//! its line:col with a code frame and a help line — is snapshotted.

mod common;

use common::Test;

#[test]
fn malformed_specs() {
    insta::glob!("fixtures/malformed/*.md", |path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name");
        let contents = std::fs::read(path).expect("the fixture");
        let output = Test::new()
            .file(name, contents)
            .args(["check", "--color", "never", name])
            .run();
        assert!(output.stderr.is_empty(), "{name}: {}", output.stderr);
        assert!(
            output.stdout.contains("-->"),
            "{name} must produce at least one diagnostic:\n{}",
            output.stdout
        );
        insta::assert_snapshot!(format!("exit code: {}\n\n{}", output.code, output.stdout));
    });
}
