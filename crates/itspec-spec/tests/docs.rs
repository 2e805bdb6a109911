//! The users' docs stay in step with the code: every diagnostic code is
//! documented, and the template the crate embeds is the seed template.

use itspec_spec::Code;

const DIAGNOSTICS: &str = include_str!("../../../docs/diagnostics.md");

#[test]
fn every_code_is_documented() {
    for code in Code::ALL {
        let heading = format!("## {} {}\n", code.id(), code.name());
        assert!(
            DIAGNOSTICS.contains(&heading),
            "docs/diagnostics.md lacks `{}`",
            heading.trim()
        );
        let row = format!(
            "| [{}](#{}-{}) | {} |",
            code.id(),
            code.id().to_lowercase(),
            code.name(),
            code.name()
        );
        assert!(
            DIAGNOSTICS.contains(&row),
            "docs/diagnostics.md's table lacks {}",
            code.id()
        );
    }
    let documented = DIAGNOSTICS.matches("\n## IT").count();
    assert_eq!(
        documented,
        Code::ALL.len(),
        "docs/diagnostics.md documents codes that do not exist"
    );
}
