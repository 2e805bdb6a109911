//! IT007: template slots that were never filled in.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::lint::{LintOptions, defined_names};
use crate::model::Spec;
use crate::template::is_slot;

pub(crate) fn check(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let severity = if spec.is_draft() {
        Severity::Warning
    } else {
        Severity::Error
    };
    let defined: Vec<&str> = defined_names(spec)
        .chain(options.vars.iter().map(String::as_str))
        .collect();
    for var in &spec.interpolations {
        if !is_slot(&var.name) || defined.contains(&var.name.as_str()) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::UnfilledPlaceholder,
                severity,
                var.span,
                format!("unfilled template placeholder `{{{{{}}}}}`", var.name),
            )
            .with_label("still the template's text")
            .with_help(format!(
                "replace `{{{{{}}}}}` with this spec's own content",
                var.name
            )),
        );
    }
}
