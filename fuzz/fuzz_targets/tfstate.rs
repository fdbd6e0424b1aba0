#![no_main]
//! cargo-fuzz target `tfstate`: see palin_fuzz::check_tfstate.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    palin_fuzz::enforce(palin_fuzz::check_tfstate(data));
});
