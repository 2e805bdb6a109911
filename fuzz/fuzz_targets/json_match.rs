//! Fuzz target: see `itspec_fuzz::json_match`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itspec_fuzz::json_match(data));
