//! Reporters: turning results into what people and CI tools read.
//!
//! Lint diagnostics render three ways — code frames for people, JSON for
//! tools, annotations for GitHub. Runs render on the console (with a
//! progress bar on a terminal) and as JSON, JUnit, HTML and GitHub
//! annotations. Reporters only render: they never decide what passed.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

pub mod console;
pub mod diagnostics;
pub mod escape;
pub mod evidence;
pub mod files;
pub mod frame;
pub mod jsonl;
pub mod mutation;
pub mod progress;
pub mod reporters;
pub mod results;
pub mod trace;
