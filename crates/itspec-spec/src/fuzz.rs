//! Entry points for the fuzz targets (`fuzz/`, `crates/itspec-fuzz`): the
//! grammars a spec reaches only inside a whole document, each reachable
//! alone so a fuzzer spends its time on them. Not a stable API.

use crate::diagnostic::Diagnostic;
use crate::markdown::{CodeBlock, MappedText};
use crate::parse::context::Cx;
use crate::parse::located::Located;
use crate::parse::python::{Section, read_block};
use crate::source::Source;

/// Parses `line` as one assertion line (its text is the whole source) and
/// returns what it reported.
pub fn assertion(line: &str) -> Vec<Diagnostic> {
    let source = Source::new(line);
    let mut cx = Cx::new(&source);
    crate::parse::assertion::parse_assertion(&mut cx, Located::at(line, 0));
    cx.diagnostics
}

/// Reads `code` as a Python block in each section that takes one (a case's
/// setup, data fixtures, mocks, database checks) and returns what each
/// reported; the block's text is the whole source.
pub fn python(code: &str) -> Vec<Diagnostic> {
    let source = Source::new(code);
    let mut content = MappedText::default();
    content.push(code, 0, true);
    let whole = source.span(0, code.len());
    let block = CodeBlock {
        lang: Some("python".to_string()),
        name: None,
        info_span: source.span(0, 0),
        content,
        span: whole,
    };
    let mut cx = Cx::new(&source);
    for section in [
        Section::Setup,
        Section::DataFixtures,
        Section::Mocks,
        Section::Checks,
    ] {
        read_block(&mut cx, &block, section);
    }
    cx.diagnostics
}
