//! IT603: fixtures, mocks and checks with the same name.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::Spec;
use crate::source::Spanned;

pub(crate) fn check(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let fixtures = spec.fixtures.iter().filter_map(|f| f.name.as_ref());
    duplicates("fixture", fixtures, out);
    duplicates("mock", spec.mocks.iter().map(|m| &m.name), out);
    duplicates("check", spec.checks.iter().map(|c| &c.name), out);
    for case in &spec.cases {
        if let Some(setup) = &case.setup {
            duplicates(
                "Setup fixture",
                setup.fixtures.iter().filter_map(|f| f.name.as_ref()),
                out,
            );
        }
    }
}

fn duplicates<'a>(
    what: &str,
    names: impl Iterator<Item = &'a Spanned<String>>,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen = HashMap::new();
    for name in names {
        if name.value.starts_with("{{") {
            continue;
        }
        if let Some(first) = seen.insert(name.value.as_str(), name.span) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateDefinition,
                    name.span,
                    format!("{what} `{}` is defined twice", name.value),
                )
                .with_note(first, "first defined here")
                .with_help("rename one of them"),
            );
        }
    }
}
