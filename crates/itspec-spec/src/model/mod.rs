//! The typed model of a spec: what a document says, with where it says it.
//!
//! The model is a faithful reading of the document — the runner decides
//! what to do with it. Every node carries a [`Span`](crate::Span).

mod action;
mod assertion;
mod case;
mod db_check;
mod fixture;
mod mock;
mod setup;
mod spec;
mod value;
mod var;

pub use action::{Action, ActionBody, ActionKind, Group};
pub use assertion::{
    Assertion, AssertionKind, CmpOp, Condition, EmailPart, Operand, OperandKind, PathSegment,
    Phrase, Predicate, ResponsePart, RouteRef, Subject, SubjectKind,
};
pub use case::{
    Body, BodyKind, Capture, CaseKind, ExpectedOutput, FixtureSelection, Header, PublishLine,
    RequestLine, TestCase,
};
pub use db_check::{DbCheck, DbCheckFilter, DbCheckStep, DbCheckValue, Truth};
pub use fixture::{Column, Fixture, FixtureKind, FixtureSource, Row};
pub use mock::{Fault, Mock, MockKind, MockOverride, MockResponse, MockRoute};
pub use setup::{Setup, SetupLine, SetupLineKind};
pub use spec::{
    Contract, Dependency, DependencyKind, Priority, Related, RelatedSection, Section, SectionKind,
    Spec, Status, Title,
};
pub use value::{Member, Value, ValueKind};
pub use var::{VarContext, VarRef, VarUse};
