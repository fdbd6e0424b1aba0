#![no_main]
//! cargo-fuzz target `aws_ec2_yml`: see palin_fuzz::check_aws_ec2_yml.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    palin_fuzz::enforce(palin_fuzz::check_aws_ec2_yml(data));
});
