//! The spec document: header, sections and definitions (FORMAT §2).

use serde::Serialize;

use super::case::{FixtureSelection, TestCase};
use super::db_check::DbCheck;
use super::fixture::Fixture;
use super::mock::Mock;
use super::setup::SetupLineKind;
use super::var::VarRef;
use crate::source::{Span, Spanned};

/// One parsed spec file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spec {
    /// `# Integration Test Spec: <component>`.
    pub title: Option<Title>,
    /// `**Related:**` of the header.
    pub related: Related,
    /// `**Priority:**`.
    pub priority: Option<Spanned<Priority>>,
    /// `**Status:**`.
    pub status: Option<Spanned<Status>>,
    /// The `## Overview` text.
    pub overview: Option<Spanned<String>>,
    /// The `## Dependencies` items.
    pub dependencies: Vec<Dependency>,
    /// The test cases, in document order.
    pub cases: Vec<TestCase>,
    /// `## Data Fixtures`.
    pub fixtures: Vec<Fixture>,
    /// `## Mocks`.
    pub mocks: Vec<Mock>,
    /// `## Database State Verification`.
    pub checks: Vec<DbCheck>,
    /// `## Related`.
    pub related_section: Option<RelatedSection>,
    /// Every `##` section, known or not, in order.
    pub sections: Vec<Section>,
    /// Every `{{…}}` in the document, prose included, in order.
    pub interpolations: Vec<VarRef>,
    /// The `{{…}}` in fixtures and mocks, which are interpolated at run
    /// time outside any case.
    pub vars: Vec<VarRef>,
}

impl Spec {
    /// The Data Fixtures a case's `**Fixtures:**` line selects (all when
    /// absent), in the spec's order.
    pub fn selected_fixtures<'s>(
        &'s self,
        case: &'s TestCase,
    ) -> impl Iterator<Item = &'s Fixture> + 's {
        self.fixtures.iter().filter(move |f| match &case.fixtures {
            FixtureSelection::All => true,
            FixtureSelection::None => false,
            FixtureSelection::Named(names) => f
                .name
                .as_ref()
                .is_some_and(|n| names.iter().any(|s| s.value == n.value)),
        })
    }

    /// Every fixture a case's Setup applies: those selected, those of its
    /// own Setup, and those its `fixture NAME` lines name, each once.
    pub fn fixtures_used<'s>(&'s self, case: &'s TestCase) -> Vec<&'s Fixture> {
        let mut used: Vec<&Fixture> = self.selected_fixtures(case).collect();
        used.extend(case.setup.iter().flat_map(|s| &s.fixtures));
        for line in case.setup.iter().flat_map(|s| &s.lines) {
            if let SetupLineKind::Fixture { name } = &line.kind
                && let Some(fixture) = self
                    .fixtures
                    .iter()
                    .find(|f| f.name.as_ref().is_some_and(|n| n.value == name.value))
                && !used.iter().any(|u| std::ptr::eq(*u, fixture))
            {
                used.push(fixture);
            }
        }
        used
    }

    /// The component named in the title.
    pub fn component(&self) -> Option<&str> {
        self.title.as_ref().map(|t| t.component.value.as_str())
    }

    /// The story ids the spec names, in the header's Related line and the
    /// Related section, each once, in the order written.
    pub fn story_ids(&self) -> Vec<String> {
        let section = self
            .related_section
            .as_ref()
            .and_then(|r| r.stories.as_ref());
        let mut ids: Vec<String> = Vec::new();
        for id in self
            .related
            .stories
            .iter()
            .chain(section.into_iter().flat_map(|s| &s.value))
        {
            if !ids.contains(&id.value) {
                ids.push(id.value.clone());
            }
        }
        ids
    }

    /// Whether the spec is a Draft (absent or invalid Status is not).
    pub fn is_draft(&self) -> bool {
        matches!(self.status.as_ref().map(|s| s.value), Some(Status::Draft))
    }

    /// The case with this id.
    pub fn case(&self, id: &str) -> Option<&TestCase> {
        self.cases.iter().find(|case| case.id.value == id)
    }
}

/// The title line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Title {
    /// The component under test.
    pub component: Spanned<String>,
    /// The heading.
    pub span: Span,
}

/// Story ids and the API contract of the header's `**Related:**` line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Related {
    /// Story ids, like `US-204`.
    pub stories: Vec<Spanned<String>>,
    /// The API contract.
    pub contract: Option<Spanned<Contract>>,
    /// Items that are neither.
    pub other: Vec<Spanned<String>>,
    /// The line, when present.
    pub span: Option<Span>,
}

/// An API contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Contract {
    /// `POST /reservations`.
    Endpoint {
        /// The method, uppercase.
        method: String,
        /// The path.
        path: String,
    },
    /// `openapi.yaml#createOrder` or `openapi.yaml#/paths/~1orders/post`.
    OpenApi {
        /// The OpenAPI document.
        file: String,
        /// The operation id or JSON pointer after `#`.
        operation: String,
    },
}

impl std::fmt::Display for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contract::Endpoint { method, path } => write!(f, "{method} {path}"),
            Contract::OpenApi { file, operation } => write!(f, "{file}#{operation}"),
        }
    }
}

/// `**Priority:**`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Priority {
    /// Run first.
    Critical,
    /// High.
    High,
    /// Medium: the default.
    #[default]
    Medium,
    /// Low.
    Low,
}

impl Priority {
    /// Every priority, highest first.
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Medium,
        Priority::Low,
    ];

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "Critical",
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }

    /// Reads a priority, ignoring case.
    pub fn parse(text: &str) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text))
    }
}

/// `**Status:**`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Status {
    /// Linted, not run unless asked.
    Draft,
    /// Complete; run.
    Ready,
    /// Complete, and every case passed once.
    Implemented,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 3] = [Status::Draft, Status::Ready, Status::Implemented];

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Ready => "Ready",
            Status::Implemented => "Implemented",
        }
    }

    /// Reads a status, ignoring case.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

/// One `## Dependencies` item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dependency {
    /// What it names.
    pub kind: DependencyKind,
    /// The item's text.
    pub text: String,
    /// The item.
    pub span: Span,
}

/// What a dependency item names.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DependencyKind {
    /// `Database: tables `a`, `b``.
    Database {
        /// The tables in backticks.
        tables: Vec<Spanned<String>>,
    },
    /// `Mock: `payments`, …`.
    Mock {
        /// The mock's name.
        name: Spanned<String>,
    },
    /// `Broker: `events` (exchange orders)`.
    Broker {
        /// The broker's name (`[brokers.NAME]`).
        name: Spanned<String>,
    },
    /// `Mail: SMTP …`: the service sends e-mail.
    Mail,
    /// Anything else.
    Other,
}

/// The `## Related` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RelatedSection {
    /// `**Stories:**`.
    pub stories: Option<Spanned<Vec<Spanned<String>>>>,
    /// `**API Contract:**`.
    pub contract: Option<Spanned<String>>,
    /// `**Unit Tests:**`.
    pub unit_tests: Option<Spanned<String>>,
}

/// A `##` section heading.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    /// Which section it is.
    pub kind: SectionKind,
    /// The heading's text.
    pub name: Spanned<String>,
}

/// The sections the format knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// `## Overview`.
    Overview,
    /// `## Dependencies`.
    Dependencies,
    /// `## Test Cases`.
    TestCases,
    /// `## Data Fixtures`.
    DataFixtures,
    /// `## Mocks`.
    Mocks,
    /// `## Database State Verification`.
    DatabaseStateVerification,
    /// `## Related`.
    Related,
    /// Any other section: kept and ignored.
    Unknown,
}

impl SectionKind {
    /// The known sections and their headings.
    pub const KNOWN: [(SectionKind, &'static str); 7] = [
        (SectionKind::Overview, "Overview"),
        (SectionKind::Dependencies, "Dependencies"),
        (SectionKind::TestCases, "Test Cases"),
        (SectionKind::DataFixtures, "Data Fixtures"),
        (SectionKind::Mocks, "Mocks"),
        (
            SectionKind::DatabaseStateVerification,
            "Database State Verification",
        ),
        (SectionKind::Related, "Related"),
    ];

    /// The section a heading names, ignoring case.
    pub fn from_heading(heading: &str) -> SectionKind {
        SectionKind::KNOWN
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(heading.trim()))
            .map_or(SectionKind::Unknown, |(kind, _)| *kind)
    }
}
