//! Fuzz target: see `itspec_fuzz::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itspec_fuzz::config(data));
