//! The malformed-spec corpus: every file under `tests/fixtures/malformed`
//! is checked by the real binary, and its whole output — each problem at
//! its line:col with a code frame and a help line — is snapshotted.

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;

use common::{REPO, Test};
use itspec_spec::Code;

#[test]
fn malformed_specs() {
    let seen: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    insta::glob!("fixtures/malformed/*.md", |path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name");
        let contents = std::fs::read(path).expect("the fixture");
        // Specs that name `openapi.yaml` are held to the shop's contract.
        let contract = std::fs::read(format!("{REPO}/examples/shop/openapi.yaml"))
            .expect("the shop's contract");
        // One RabbitMQ broker, for the assertions on messages; a database,
        // which error cases must prove they left alone (IT801).
        let config = "[brokers.events]\nurl = \"amqp://guest:guest@127.0.0.1:5672/%2f\"\nwatch = [\"orders\"]\n\n[database]\nurl = \"sqlite://app.db\"\n";
        let output = Test::new()
            .file(name, contents)
            .file("openapi.yaml", contract)
            .file("itspec.toml", config)
            .args(["check", "--color", "never", name])
            .run();
        assert!(output.stderr.is_empty(), "{name}: {}", output.stderr);
        assert!(
            output.stdout.contains("-->"),
            "{name} must produce at least one diagnostic:\n{}",
            output.stdout
        );
        if let Ok(mut seen) = seen.lock() {
            seen.extend(
                Code::ALL
                    .iter()
                    .map(|c| c.id())
                    .filter(|id| output.stdout.contains(&format!("[{id}]"))),
            );
        }
        insta::assert_snapshot!(format!("exit code: {}\n\n{}", output.code, output.stdout));
    });
    let seen = seen.into_inner().unwrap_or_default();
    let missing: Vec<_> = Code::ALL
        .iter()
        .map(|c| c.id())
        .filter(|id| !seen.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an example in the corpus: {missing:?}"
    );
}
