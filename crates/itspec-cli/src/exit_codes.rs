//! Exit codes of every `itspec` command (FORMAT §11), in one place.

/// Everything checked or run passed.
pub const SUCCESS: u8 = 0;
/// `check` found errors, or `run` had a case that failed or errored.
pub const FAILURE: u8 = 1;
/// Bad usage: an unknown flag, a missing path, an invalid `itspec.toml`, a
/// spec that cannot be run as written. clap uses 2 for usage errors too.
pub const USAGE: u8 = 2;
/// The environment failed: the service did not start, the database is
/// unreachable.
pub const ENVIRONMENT: u8 = 3;
/// `run` was stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;
