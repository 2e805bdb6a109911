//! `{{variable}}` references.

use serde::Serialize;

use crate::source::Span;

/// One `{{name}}` or `{{name.path}}` in the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VarRef {
    /// The expression between the braces, trimmed: `reservation_request.sku`.
    pub name: String,
    /// The whole `{{…}}`, braces included.
    pub span: Span,
}

impl VarRef {
    /// The variable the expression starts from: `reservation_request`.
    pub fn root(&self) -> &str {
        let end = self.name.find(['.', '[']).unwrap_or(self.name.len());
        self.name.get(..end).unwrap_or(&self.name)
    }

    /// The path after the root, without its leading dot: `sku`, or "".
    pub fn path(&self) -> &str {
        let rest = self.name.get(self.root().len()..).unwrap_or("");
        rest.strip_prefix('.').unwrap_or(rest)
    }
}

/// When, relative to a case's requests, a variable is interpolated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarContext {
    /// Before the case's request: Request line, headers, Input, Setup.
    BeforeRequest,
    /// In the request of the Actions item with this index (0-based); it may
    /// use the responses of earlier groups.
    Action(usize),
    /// After the request(s): Expected Output, Expected, Assertions, Capture.
    AfterRequest,
}

/// A variable reference in an executable part of a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VarUse {
    /// The reference.
    pub var: VarRef,
    /// When it is interpolated.
    pub context: VarContext,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_path() {
        let var = |name: &str| VarRef {
            name: name.to_string(),
            span: Span::default(),
        };
        assert_eq!(var("a.b.c").root(), "a");
        assert_eq!(var("a.b.c").path(), "b.c");
        assert_eq!(var("a[0].b").root(), "a");
        assert_eq!(var("a[0].b").path(), "[0].b");
        assert_eq!(var("run_id").path(), "");
    }
}
