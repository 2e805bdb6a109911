//! Fuzz target: see `itspec_fuzz::python`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itspec_fuzz::python(data));
