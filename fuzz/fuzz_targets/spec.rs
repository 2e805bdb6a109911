//! Fuzz target: see `itspec_fuzz::spec`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itspec_fuzz::spec(data));
