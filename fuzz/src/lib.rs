//! palin's fuzzing checks: one `check_<target>(data)` per cargo-fuzz target, in plain Rust so that
//! the main workspace's replay tests include the same files (`#[path]`) and run every committed
//! corpus and regression on stable. See README.md.

pub mod alloc;
pub mod inventory_checks;
pub mod module_checks;

pub use inventory_checks::common::{Checked, Violation, enforce, known};
pub use inventory_checks::{check_aws_ec2_yml, check_expression, check_palin_yml, check_tfstate};
pub use module_checks::check_module_args;
