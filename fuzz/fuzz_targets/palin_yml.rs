#![no_main]
//! cargo-fuzz target `palin_yml`: see palin_fuzz::check_palin_yml.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    palin_fuzz::enforce(palin_fuzz::check_palin_yml(data));
});
