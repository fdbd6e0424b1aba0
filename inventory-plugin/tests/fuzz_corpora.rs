//! Replays the committed fuzz corpora and crash reproducers of the inventory targets
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`) through the same checks the fuzz
//! targets assert, on stable, in seconds: a regression is caught without fuzzing. See
//! fuzz/README.md.

#[path = "../../fuzz/src/inventory_checks.rs"]
mod inventory_checks;

use inventory_checks::common::replay_test;

#[test]
fn tfstate_corpus() {
    replay_test("tfstate", inventory_checks::check_tfstate);
}

#[test]
fn palin_yml_corpus() {
    replay_test("palin_yml", inventory_checks::check_palin_yml);
}

#[test]
fn aws_ec2_yml_corpus() {
    replay_test("aws_ec2_yml", inventory_checks::check_aws_ec2_yml);
}

#[test]
fn expression_corpus() {
    replay_test("expression", inventory_checks::check_expression);
}
