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
            r#"{{"_meta":{{"hostvars":{{"h":{{"x":{{"__ansible_unsafe":"{SECRET}"}}}}}}}},"all":{{"children":[]}}{groups}}}"#
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

/// The trust rules (issue 20, fuzz/src/trust.rs) are not vacuous either: each document differs
/// from a good one in one place, and is caught by the rule it breaks.
#[test]
fn the_trust_checks_catch_what_they_claim() {
    use inventory_checks::trust::{self, Strings};

    let doc = |host: &str, vars: &str, groups: &str| {
        format!(
            r#"{{"_meta":{{"hostvars":{{{host:?}:{vars}}}}},"all":{{"children":["g"]}},"g":{{"hosts":[{host:?}]}}{groups}}}"#
        )
    };
    let trust_rule = |text: &str, strings: Strings| {
        trust::parse_unique(text)
            .and_then(|d| trust::check_list_trust(&d, strings))
            .map_err(|v| v.rule)
    };
    let w = |s: &str| format!(r#"{{"__ansible_unsafe":{s:?}}}"#);
    let good_vars = format!(
        r#"{{"ansible_host":{},"ansible_user":{},"ansible_ssh_common_args":{},"n":1,"l":[{}],"d":{{"k":{}}}}}"#,
        w("ip-10-0-0-1.eu-west-1.compute.internal"),
        w("ec2-user"),
        w("-o ProxyJump=admin@198.51.100.7"),
        w("{{ lookup('pipe', 'id') }}"),
        w("x"),
    );
    assert_eq!(
        trust_rule(&doc("web-0", &good_vars, ""), Strings::Wrapped),
        Ok(())
    );
    let plain_vars = r#"{"ansible_host":"10.0.0.1","d":{"k":"x"}}"#;
    assert_eq!(
        trust_rule(&doc("web-0", plain_vars, ""), Strings::Plain),
        Ok(())
    );
    for host in [
        "LocalHost",
        "127.0.0.1",
        "::1",
        "a{{b}}",
        "a{%b",
        "a{#b",
        "-oX=y",
        "__ansible_x",
    ] {
        let text = doc(host, &good_vars, "");
        assert_eq!(
            trust_rule(&text, Strings::Wrapped),
            Err("bad-host-name"),
            "{text}"
        );
    }
    let (unsafe_, plain) = (Strings::Wrapped, Strings::Plain);
    let var_cases = [
        (r#"{"x":"bare"}"#.to_owned(), unsafe_, "bare-string"),
        (
            r#"{"x":[1,{"y":"bare"}]}"#.to_owned(),
            unsafe_,
            "bare-string",
        ),
        (
            format!(r#"{{"x":{{"__ansible_unsafe":"a","b":{}}}}}"#, w("c")),
            unsafe_,
            "marker-key",
        ),
        (
            r#"{"x":{"__ansible_unsafe":1}}"#.to_owned(),
            unsafe_,
            "marker-key",
        ),
        (
            r#"{"x":{"__ansible_vault":"a"}}"#.to_owned(),
            unsafe_,
            "marker-key",
        ),
        (
            format!(r#"{{"__ansible_type":{}}}"#, w("a")),
            unsafe_,
            "marker-key",
        ),
        (format!(r#"{{"x":{}}}"#, w("a")), plain, "marker-key"),
        (
            format!(r#"{{"ansible_host":{}}}"#, w("-oProxyCommand=sh")),
            unsafe_,
            "bad-connection",
        ),
        (
            format!(r#"{{"ansible_host":{}}}"#, w("a b")),
            unsafe_,
            "bad-connection",
        ),
        (
            r#"{"ansible_host":"-h"}"#.to_owned(),
            plain,
            "bad-connection",
        ),
        (
            format!(r#"{{"ansible_user":{}}}"#, w("root;id")),
            unsafe_,
            "bad-connection",
        ),
        (
            format!(
                r#"{{"ansible_ssh_common_args":{}}}"#,
                w("-o ProxyJump=198.51.100.7|sh")
            ),
            unsafe_,
            "bad-connection",
        ),
        (
            format!(
                r#"{{"ansible_ssh_common_args":{}}}"#,
                w("-o ProxyJump=-x@h")
            ),
            unsafe_,
            "bad-connection",
        ),
    ];
    for (vars, strings, expected) in var_cases {
        let text = doc("h", &vars, "");
        assert_eq!(trust_rule(&text, strings), Err(expected), "{text}");
    }
    let group_cases = [
        (
            format!(r#","g2":{{"vars":{{"ansible_host":{}}}}}"#, w("$(id)")),
            "bad-connection",
        ),
        (r#","p":{"vars":{"x":"bare"}}"#.to_owned(), "bare-string"),
        (r#","all":{"children":[]}"#.to_owned(), "duplicate-key"),
        (
            r#","ungrouped":{"hosts":["h"]}"#.to_owned(),
            "bad-group-name",
        ),
        (
            r#","__ansible_g":{"hosts":["h"]}"#.to_owned(),
            "bad-group-name",
        ),
        (
            r#","p":{"children":["_meta"]}"#.to_owned(),
            "bad-group-name",
        ),
    ];
    for (groups, expected) in group_cases {
        let text = doc("h", "{}", &groups);
        assert_eq!(trust_rule(&text, unsafe_), Err(expected), "{text}");
    }
    for good in [
        "-o ProxyJump=admin@198.51.100.1",
        "-o ProxyJump=[2001:db8::7]:2222 -o StrictHostKeyChecking=no",
        "-oProxyJump=a@b.example,c:22",
        "-J jump.example",
        "-o ProxyJump=none",
        "-o ProxyCommand=none",
        "",
    ] {
        assert_eq!(trust::bad_proxy_jump(good), None, "{good}");
    }
    for bad in [
        "-o ProxyJump=x|touch /tmp/y",
        "-o ProxyJump=$(id)",
        "-J -oProxyCommand=x",
        "-Jx;y",
        "-o ProxyJump=",
        "-oproxyjump=a,b|c",
        "'-o \"ProxyJump=a|touch /tmp/q\"'",
        "-o 'ProxyJump a|touch /tmp/q'",
        "-o 'ProxyJump = a|b'",
        "-o\\ ProxyJump=a\\|b",
        "-o ProxyJump=[::1|x]:22",
    ] {
        assert!(trust::bad_proxy_jump(bad).is_some(), "{bad}");
    }
    assert!(trust::valid_address("10.0.0.1") && trust::valid_address("2001:db8::1"));
    assert!(trust::valid_address("ec2-1-2-3-4.compute.amazonaws.com"));
    assert!(
        !trust::valid_address("-h") && !trust::valid_address("a..b") && !trust::valid_address("")
    );
    assert!(trust::valid_user("ec2-user") && trust::valid_user("_svc.1"));
    assert!(
        !trust::valid_user("-u")
            && !trust::valid_user("a b")
            && !trust::valid_user(&"u".repeat(65))
    );
}
