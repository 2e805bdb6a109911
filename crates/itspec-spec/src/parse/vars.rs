//! The `{{variables}}` of an executable piece of text.

use super::context::Cx;
use super::located::Located;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::VarRef;

/// Every terminated `{{…}}` of the text; a `{{` without `}}` is reported.
pub(crate) fn variables(cx: &mut Cx<'_>, located: Located<'_>) -> Vec<VarRef> {
    let mut vars = Vec::new();
    for found in crate::interpolation::find(located.text) {
        let span = located.span(cx.source, found.start, found.end);
        if found.terminated {
            vars.push(VarRef {
                name: found.name(located.text).to_string(),
                span,
            });
        } else {
            cx.push(
                Diagnostic::error(Code::UnterminatedVariable, span, "`{{` is never closed")
                    .with_help("close the variable with `}}` on the same line, like `{{name}}`"),
            );
        }
    }
    vars
}
