//! Fuzz target: see `itspec_fuzz::assertion`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itspec_fuzz::assertion(data));
