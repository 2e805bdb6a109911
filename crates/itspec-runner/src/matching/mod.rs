//! Matching values, pure and shared: what `==`, `<`, `contains`, markers
//! and types mean for JSON values (a response, a mock call's body) and for
//! values read from a database. Assertions (`check/`), the database engine
//! (`db/`) and the mock servers' routes (`mock/`) all ask here; nothing
//! here does I/O or knows about a case.

pub mod body;
pub mod database;
pub mod diff;
pub mod values;
