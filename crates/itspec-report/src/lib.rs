//! Reporters: turning results into what people and CI tools read.
//!
//! Today this crate renders lint diagnostics three ways — code frames for
//! people, JSON for tools, annotations for GitHub. Reporters only render:
//! they never decide what passed, and never print; the CLI writes what
//! they return.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "library code reports bad input as diagnostics, it never panics on it"
)]

pub mod diagnostics;
