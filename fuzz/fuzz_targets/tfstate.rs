#![no_main]
//! cargo-fuzz target `tfstate`: see palin_fuzz::check_tfstate. Also asserts that the heap palin
//! uses for one state stays proportional to it (palin_fuzz::alloc::allowance).

#[global_allocator]
static ALLOC: palin_fuzz::alloc::Counting = palin_fuzz::alloc::Counting;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (result, peak) = palin_fuzz::alloc::peak_during(|| palin_fuzz::check_tfstate(data));
    palin_fuzz::enforce(result);
    let allowed = palin_fuzz::alloc::allowance(data.len());
    assert!(
        peak <= allowed,
        "contract violated: memory: a state of {} bytes took {peak} bytes of heap (allowed {allowed})",
        data.len()
    );
});
