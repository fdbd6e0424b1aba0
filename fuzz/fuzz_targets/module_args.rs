#![no_main]
//! cargo-fuzz target `module_args`: see palin_fuzz::check_module_args.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    palin_fuzz::module_checks::common::enforce(palin_fuzz::check_module_args(data));
});
