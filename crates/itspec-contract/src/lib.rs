//! OpenAPI contracts (FORMAT "API contracts"): an OpenAPI 3.0 or 3.1
//! document, in YAML or JSON, read into its operations — found by
//! `operationId`, by JSON pointer (`/paths/~1orders/post`) or by the method
//! and path of a request — and the bodies of requests and responses
//! validated against the operation's JSON Schemas, `$ref`s resolved inside
//! the document.
//!
//! ```
//! let contract = itspec_contract::Contract::parse(
//!     "openapi.yaml",
//!     "openapi: 3.1.0\npaths:\n  /orders/{id}:\n    get:\n      operationId: getOrder\n      responses:\n        '200':\n          description: ok\n",
//! ).unwrap();
//! let operation = contract.find("getOrder").unwrap();
//! assert_eq!((operation.method.as_str(), operation.path.as_str()), ("GET", "/orders/{id}"));
//! assert_eq!(contract.route("GET", "/orders/7").unwrap().id.as_deref(), Some("getOrder"));
//! ```

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a contract is user input: problems are errors, never panics"
)]

mod coverage;
mod direction;
mod document;
mod example;
mod lint;
mod operation;
mod pipeline;
mod refs;
mod scaffold;
mod sent;
mod set;
mod validate;

pub use coverage::{CaseRef, Coverage, OperationCoverage, StatusCoverage};
pub use document::Contract;
pub use lint::{lint, lint_with};
pub use operation::Operation;
pub use pipeline::check;
pub use scaffold::{reference, scaffold};
pub use set::Contracts;
pub use validate::{ResponseCheck, SchemaError};
