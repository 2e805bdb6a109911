//! Reporters: turning results into what people and CI tools read.
//!
//! Lint diagnostics render three ways — code frames for people, JSON for
//! tools, annotations for GitHub — and runs render on the console. Reporters
//! only render: they never decide what passed.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

pub mod console;
pub mod diagnostics;
pub mod frame;
