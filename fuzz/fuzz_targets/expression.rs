#![no_main]
//! cargo-fuzz target `expression`: see palin_fuzz::check_expression.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    palin_fuzz::enforce(palin_fuzz::check_expression(data));
});
