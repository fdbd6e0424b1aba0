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
    inventory_checks::remove_scratch_dir();
}

#[test]
fn palin_yml_corpus() {
    replay_test("palin_yml", inventory_checks::check_palin_yml);
    inventory_checks::remove_scratch_dir();
}

#[test]
fn aws_ec2_yml_corpus() {
    replay_test("aws_ec2_yml", inventory_checks::check_aws_ec2_yml);
    inventory_checks::remove_scratch_dir();
}

#[test]
fn expression_corpus() {
    replay_test("expression", inventory_checks::check_expression);
    inventory_checks::remove_scratch_dir();
}

/// The checks are not vacuous: the fixed state's markers sit in secret places only (so its
/// inventories are checked for leaks), a secret also written elsewhere lifts that check, and a
/// planted leak, a bad group name or a quoted value is caught.
#[test]
fn the_checks_catch_what_they_claim() {
    use inventory_checks::common::{self, SECRET};
    use inventory_checks::{FIXED_STATE, state_marks};

    let fixed = state_marks(FIXED_STATE.as_bytes());
    assert!(!fixed.secret_elsewhere && !fixed.may_name, "{fixed:?}");
    let tagged = FIXED_STATE.replace("\"Role\": \"web\"", &format!("\"Role\": \"{SECRET}\""));
    assert!(state_marks(tagged.as_bytes()).secret_elsewhere);
    let named = FIXED_STATE.replace("\"name\": \"web\"", "\"name\": \"PALIN-FUZZ-VALUE\"");
    assert!(state_marks(named.as_bytes()).may_name);
    assert_eq!(
        inventory_checks::check_tfstate(FIXED_STATE.as_bytes()),
        Ok(())
    );

    let inv = palin_inventory::inventory::Inventory::default();
    let list = |groups: &str| {
        format!(
            r#"{{"_meta":{{"hostvars":{{"h":{{"x":"{SECRET}"}}}}}},"all":{{"children":[]}}{groups}}}"#
        )
    };
    let rule = |text: &str| inventory_checks::check_inventory(text, &inv, true).map_err(|v| v.rule);
    assert_eq!(rule(&list("")), Err("secret-leak"));
    assert_eq!(
        common::check_list(&list(r#","1x":{"hosts":["h"]}"#)).map_err(|v| v.rule),
        Err("bad-group-name")
    );
    assert_eq!(
        common::check_list(&list(r#","g":{"hosts":["nope"]}"#)).map_err(|v| v.rule),
        Err("unknown-host")
    );
    assert!(common::valid_group_name("tag_K_é") && !common::valid_group_name("a-b"));
    assert_eq!(
        common::no_echo("bad value PALIN-FUZZ-VALUE", false).map_err(|v| v.rule),
        Err("error-echo")
    );
}
