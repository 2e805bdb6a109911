//! Variables at run time (FORMAT §4.1): where `{{name.path}}` finds its
//! value, and how it is written into text and JSON.

mod interpolate;
mod scope;

pub use interpolate::{interpolate_json, interpolate_text, to_text};
pub use scope::{Scope, VarError};
