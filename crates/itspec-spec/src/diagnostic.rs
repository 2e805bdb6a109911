//! Diagnostics as values: what is wrong, where, and how to fix it.
//!
//! Parsing and linting never stop at the first problem; they collect
//! [`Diagnostic`]s. Rendering them (code frames, colours, JSON, GitHub
//! annotations) is the report crate's job, not this one's.

use serde::Serialize;

use crate::source::Span;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec can be run, but something is likely wrong or unverified.
    Warning,
    /// The spec cannot be run as written.
    Error,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = ($id:literal, $name:literal), )*) => {
        /// A stable diagnostic code. The `id` (`IT401`) and the `name`
        /// (`unknown-variable`) never change meaning once released;
        /// `docs/diagnostics.md` explains each.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in numeric order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The short id, like `IT401`.
            pub fn id(self) -> &'static str {
                match self { $(Code::$variant => $id,)* }
            }

            /// The readable name, like `unknown-variable`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// One sentence on what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

codes! {
    /// The file is not valid UTF-8 text.
    InvalidUtf8 = ("IT000", "invalid-utf8"),
    /// The file has no `# Integration Test Spec: <component>` title.
    MissingTitle = ("IT001", "missing-title"),
    /// The title is not of the form `# Integration Test Spec: <component>`.
    MalformedTitle = ("IT002", "malformed-title"),
    /// The header has no `**Status:**` line.
    MissingStatus = ("IT003", "missing-status"),
    /// `**Status:**` is not one of Draft, Ready, Implemented.
    InvalidStatus = ("IT004", "invalid-status"),
    /// The header has no `**Priority:**` line.
    MissingPriority = ("IT005", "missing-priority"),
    /// `**Priority:**` is not one of Critical, High, Medium, Low.
    InvalidPriority = ("IT006", "invalid-priority"),
    /// A slot of the template, like `{{field}}`, was never filled in.
    UnfilledPlaceholder = ("IT007", "unfilled-placeholder"),
    /// A `{{` has no matching `}}`.
    UnterminatedVariable = ("IT008", "unterminated-variable"),
    /// The header's Related line and the Related section disagree.
    RelatedMismatch = ("IT009", "related-mismatch"),
    /// A Related item is neither a story id nor an API contract.
    UnknownRelatedItem = ("IT010", "unknown-related-item"),
    /// Related names more than one API contract.
    SeveralContracts = ("IT011", "several-contracts"),
    /// A section heading is close to, but not, one the format knows.
    UnknownSection = ("IT012", "unknown-section"),
    /// Dependencies and the Mocks section disagree about a mock.
    DependencyMismatch = ("IT013", "dependency-mismatch"),
    /// The spec has no test cases.
    NoTestCases = ("IT014", "no-test-cases"),
    /// A section appears twice.
    DuplicateSection = ("IT015", "duplicate-section"),
    /// A heading under Test Cases is not `### TC-INT-NNN: Name`.
    MalformedCaseHeading = ("IT101", "malformed-case-heading"),
    /// Two cases share an id.
    DuplicateCaseId = ("IT102", "duplicate-case-id"),
    /// Case numbers skip a number.
    CaseIdGap = ("IT103", "case-id-gap"),
    /// Case numbers are not in increasing order.
    CaseIdOrder = ("IT104", "case-id-order"),
    /// A `**Label:**` in a case is not a field the format knows.
    UnknownField = ("IT105", "unknown-field"),
    /// A case has the same field twice.
    DuplicateField = ("IT106", "duplicate-field"),
    /// A case has no request: no Request line, no contract in Related, no Actions.
    MissingRequest = ("IT107", "missing-request"),
    /// A Request line is not `METHOD /path`.
    InvalidRequest = ("IT108", "invalid-request"),
    /// A request header is not `Name: value`.
    InvalidHeader = ("IT109", "invalid-header"),
    /// An Actions item is not `Request <Label>: METHOD /path [body]` or
    /// `Publish <Label>: BROKER DESTINATION [body]`.
    InvalidAction = ("IT110", "invalid-action"),
    /// Two requests of a case share a label.
    DuplicateLabel = ("IT111", "duplicate-label"),
    /// Repeat is not a positive whole number.
    InvalidRepeat = ("IT112", "invalid-repeat"),
    /// A Capture item is not `name = subject`.
    InvalidCapture = ("IT113", "invalid-capture"),
    /// A Setup line is none of the setup forms, so it will not run.
    UnparsedSetupLine = ("IT114", "unparsed-setup-line"),
    /// A block's language is not one the field accepts.
    InvalidBodyLanguage = ("IT115", "invalid-body-language"),
    /// A field has no content.
    EmptyField = ("IT116", "empty-field"),
    /// A case has both a Request line and Actions.
    RequestWithActions = ("IT117", "request-with-actions"),
    /// `statuses` is used in a case with several concurrent groups.
    AmbiguousStatuses = ("IT118", "ambiguous-statuses"),
    /// A concurrency assertion is used in a case without a concurrent group.
    NotConcurrent = ("IT119", "not-concurrent"),
    /// `**Skip:**` gives no reason.
    SkipWithoutReason = ("IT120", "skip-without-reason"),
    /// An Expected line (`Status:`, `Error code:`, `Message contains:`) is malformed.
    InvalidExpected = ("IT121", "invalid-expected"),
    /// Content under a field that itspec does not read.
    IgnoredContent = ("IT122", "ignored-content"),
    /// A label in a case is a misspelling of a field name.
    MisspeltField = ("IT123", "misspelt-field"),
    /// A field label is written in a form that reads like prose or like a case heading.
    FieldLabelForm = ("IT124", "field-label-form"),
    /// `within` without a duration and a colon.
    InvalidWithin = ("IT125", "invalid-within"),
    /// A case whose input is a published message asserts on a response,
    /// or an assertion reads the response of a `Publish` step.
    NoResponse = ("IT126", "no-response"),
    /// A block or value is not valid JSON.
    InvalidJson = ("IT201", "invalid-json"),
    /// A block is not valid YAML.
    InvalidYaml = ("IT202", "invalid-yaml"),
    /// A `#marker` in an expected body is not one the matcher knows.
    UnknownMarker = ("IT203", "unknown-marker"),
    /// A regular expression does not compile.
    InvalidRegex = ("IT204", "invalid-regex"),
    /// A JSONPath expression is not valid RFC 9535.
    InvalidJsonPath = ("IT205", "invalid-jsonpath"),
    /// A value, expression or query nests deeper, or runs longer, than itspec reads.
    TooComplex = ("IT206", "too-complex"),
    /// A fenced code block is never closed.
    UnclosedCodeBlock = ("IT207", "unclosed-code-block"),
    /// An assertion line is prose: it is not checked.
    ProseAssertion = ("IT301", "prose-assertion"),
    /// A `{{variable}}` is defined nowhere it could come from.
    UnknownVariable = ("IT401", "unknown-variable"),
    /// A Data Fixture named in the case does not exist.
    UnknownFixture = ("IT402", "unknown-fixture"),
    /// A mock named in the case does not exist.
    UnknownMock = ("IT403", "unknown-mock"),
    /// A check called in an assertion does not exist.
    UnknownCheck = ("IT404", "unknown-check"),
    /// A request label used in the case does not exist.
    UnknownLabel = ("IT405", "unknown-label"),
    /// A payload fixture has no such key.
    UnknownFixtureKey = ("IT406", "unknown-fixture-key"),
    /// A check is called with the wrong number of arguments.
    CheckArguments = ("IT407", "check-arguments"),
    /// A broker named in an assertion is not configured.
    UnknownBroker = ("IT408", "unknown-broker"),
    /// A topic is not a pattern of its broker.
    InvalidTopic = ("IT409", "invalid-topic"),
    /// An e-mail assertion or `mail ->` line, and no `[mail]` configured.
    NoMailServer = ("IT410", "no-mail-server"),
    /// Python that is not one of the template's executable shapes.
    UnsupportedPython = ("IT501", "unsupported-python"),
    /// Python that does not parse.
    PythonSyntax = ("IT502", "python-syntax"),
    /// An entity is built in a fixture but never added to the session.
    EntityNotAdded = ("IT503", "entity-not-added"),
    /// A Data Fixture block does not have the fixture shape.
    InvalidFixture = ("IT601", "invalid-fixture"),
    /// A mock definition does not have the mock shape.
    InvalidMock = ("IT602", "invalid-mock"),
    /// Two fixtures, mocks or checks share a name.
    DuplicateDefinition = ("IT603", "duplicate-definition"),
    /// A Database State Verification check does not have the check shape.
    InvalidCheck = ("IT604", "invalid-check"),
    /// Related names an operation the OpenAPI contract does not have.
    UnknownOperation = ("IT701", "unknown-operation"),
    /// A request the OpenAPI contract has no operation for.
    UnknownEndpoint = ("IT702", "unknown-endpoint"),
    /// An Input that breaks the operation's request-body schema.
    RequestSchema = ("IT703", "request-schema"),
    /// An expected status the operation does not document.
    UndocumentedStatus = ("IT704", "undocumented-status"),
    /// An Expected Output that breaks the documented response schema.
    ResponseSchema = ("IT705", "response-schema"),
    /// An error case that checks nothing of the database.
    UncheckedErrorCase = ("IT801", "unchecked-error-case"),
    /// A case that checks nothing of its response.
    UncheckedResponse = ("IT802", "unchecked-response"),
    /// An Expected Output made only of markers: it checks the shape alone.
    ShapeOnlyOutput = ("IT803", "shape-only-output"),
    /// A race case with no check of the state it leaves.
    RaceWithoutFinalState = ("IT804", "race-without-final-state"),
    /// An assertion that holds whatever happens.
    AlwaysTrue = ("IT805", "always-true"),
    /// A Capture no later step uses.
    UnusedCapture = ("IT806", "unused-capture"),
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A secondary place that explains a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Where.
    pub span: Span,
    /// What is there.
    pub message: String,
}

/// One problem in a spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in lowercase, without a final period.
    pub message: String,
    /// Where it is wrong.
    pub span: Span,
    /// A short label for the span in the code frame.
    pub label: Option<String>,
    /// Other places that explain the problem.
    pub notes: Vec<Note>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new diagnostic of the given severity.
    pub fn new(code: Code, severity: Severity, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            span,
            label: None,
            notes: Vec::new(),
            help: None,
        }
    }

    /// A new error.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, span, message)
    }

    /// A new warning.
    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, span, message)
    }

    /// Sets the label shown under the span.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary span.
    #[must_use]
    pub fn with_note(mut self, span: Span, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            span,
            message: message.into(),
        });
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_documented() {
        let mut ids: Vec<_> = Code::ALL.iter().map(|c| c.id()).collect();
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        ids.sort_unstable();
        names.sort_unstable();
        ids.dedup();
        names.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
        for code in Code::ALL {
            assert!(code.summary().ends_with('.'), "{code:?} needs a summary");
        }
    }
}
