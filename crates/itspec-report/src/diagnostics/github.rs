//! GitHub Actions workflow commands: annotations at the spec's lines.

use itspec_spec::Severity;

use super::{FileReport, end_position};

/// One `::error file=…,line=…::message` line per diagnostic.
pub fn render_github(file: &FileReport<'_>) -> String {
    let mut out = String::new();
    let source = itspec_spec::Source::new(file.text);
    for d in file.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let (end_line, end_column) = end_position(&source, d);
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={end_line},endColumn={end_column},title={}::{}\n",
            workflow_property(file.path),
            d.span.line,
            d.span.col,
            workflow_property(&format!("{} {}", d.code.id(), d.code.name())),
            workflow_data(&message),
        ));
    }
    out
}

/// Text as the data of a workflow command: control characters shown
/// escaped ([`crate::escape::controls`]), line breaks kept as the
/// runner's `%0A`, so the command stays one line whatever the text holds.
pub fn workflow_data(text: &str) -> String {
    crate::escape::controls(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Text as a property of a workflow command.
pub fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(workflow_data("50%\na"), "50%25%0Aa");
        assert_eq!(workflow_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn control_characters_in_annotations_are_shown_escaped() {
        assert_eq!(
            workflow_data("red \u{1b}[31mx\r\n::error::y"),
            "red \\u{1b}[31mx\\r%0A::error::y"
        );
    }
}
