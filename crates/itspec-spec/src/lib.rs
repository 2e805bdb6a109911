//! The itspec spec language.
//!
//! An itspec spec is a Markdown document written from the integration test
//! spec template. This crate reads one into a typed [`Spec`] whose every
//! node carries its [`Span`], and lints it, returning [`Diagnostic`]s as
//! values. It does no I/O beyond strings: no files, no network, no database,
//! no async — so editors, the CLI and the runner share it.
//!
//! ```
//! let checked = itspec_spec::check(
//!     "# Integration Test Spec: Orders\n\n**Priority:** High\n**Status:** Draft\n",
//!     &itspec_spec::LintOptions::default(),
//! );
//! assert_eq!(checked.spec.component(), Some("Orders"));
//! ```

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

mod diagnostic;
mod duration;
#[doc(hidden)]
pub mod fuzz;
pub mod interpolation;
pub mod jsonpath;
pub mod limits;
mod lint;
mod markdown;
pub mod marker;
pub mod model;
mod parse;
pub mod pattern;
mod source;
pub mod suggest;
pub mod template;
pub mod topics;
pub mod value_type;

pub use diagnostic::{Code, Diagnostic, Note, Severity};
pub use duration::parse_duration;
pub use lint::{KnownBroker, LintOptions, lint};
pub use model::Spec;
pub use parse::{Parsed, parse};
pub use source::{Source, Span, Spanned, strip_bom};
pub use value_type::ValueType;

/// Parses and lints a spec: the model and every problem, in document order.
pub fn check(text: &str, options: &LintOptions) -> Parsed {
    let mut parsed = parse(text);
    let mut linted = lint(&parsed.spec, options);
    parse::drop_lint_cascade(&parsed.diagnostics, &mut linted);
    parsed.diagnostics.extend(linted);
    parsed
        .diagnostics
        .sort_by_key(|d| (d.span.start, d.span.end, d.code));
    if options.strict {
        for diagnostic in &mut parsed.diagnostics {
            if matches!(
                diagnostic.code,
                Code::ProseAssertion | Code::UnparsedSetupLine
            ) {
                diagnostic.severity = Severity::Error;
            }
        }
    }
    parsed
}
