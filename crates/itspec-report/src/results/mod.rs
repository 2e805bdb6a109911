//! The reports of a run, beside the console: the JSON result tree, JUnit
//! XML, a self-contained HTML page, and GitHub annotations.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod marker;
pub mod text;
