//! The binary as Ansible and people run it: `--list`/`--host`/`--graph`/`--export` on the bundled
//! fixtures (snapshots pin what users see), configuration discovery, secrets, and the failure
//! contract: non-zero exit, exactly one stderr line, nothing on stdout.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The binary with a clean environment: no `AWS_*`, `PALIN_*` or `TF_*` variable leaks in.
fn bin(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("palin-inventory").expect("binary is built");
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("AWS_") || key.starts_with("PALIN_") || key.starts_with("TF_") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(cwd).env("HOME", cwd);
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Run and require success with an empty stderr.
fn ok(cmd: &mut Command) -> String {
    let r = run(cmd);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "stdout: {}", r.stdout);
    r.stdout
}

/// Run and require the failure contract; returns the one stderr line.
fn fails(cmd: &mut Command, code: i32) -> String {
    let r = run(cmd);
    assert_eq!(r.code, code, "stderr: {}", r.stderr);
    assert_eq!(r.stdout, "", "no partial inventory on stdout");
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "exactly one stderr line: {:?}",
        r.stderr
    );
    assert!(r.stderr.starts_with("palin-inventory: "), "{}", r.stderr);
    r.stderr.trim_end().to_owned()
}

fn list_with(state: &Path, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ok(bin(dir.path())
        .env("PALIN_TFSTATE", state)
        .arg("--list")
        .args(extra));
    serde_json::from_str(&out).expect("--list prints one JSON document")
}

#[test]
fn list_of_the_stack_state() {
    let doc = list_with(&fixture("stack.tfstate"), &[]);
    insta::assert_json_snapshot!("stack_list", doc);
}

#[test]
fn show_json_yields_the_same_inventory_as_the_state_file() {
    let from_state = list_with(&fixture("stack.tfstate"), &[]);
    let from_show = list_with(&fixture("stack.show.json"), &[]);
    assert_eq!(from_state, from_show);
}

#[test]
fn list_output_obeys_the_script_contract() {
    let doc = list_with(&fixture("stack.tfstate"), &[]);
    let groups = doc.as_object().expect("object");
    assert!(groups["_meta"]["hostvars"].is_object());
    for (name, group) in groups.iter().filter(|(n, _)| *n != "_meta") {
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "group name {name}"
        );
        let g = group.as_object().expect("group is a dict");
        assert!(
            ["hosts", "vars", "children"]
                .iter()
                .any(|k| g.contains_key(*k)),
            "{name} would be read as a host"
        );
        assert!(
            g.keys()
                .all(|k| ["hosts", "vars", "children"].contains(&k.as_str())),
            "{name}"
        );
    }
    // Deposed objects and data sources are not hosts; tainted instances still are.
    let hosts: Vec<&String> = doc["_meta"]["hostvars"]
        .as_object()
        .expect("hostvars")
        .keys()
        .collect();
    assert_eq!(
        hosts,
        ["bastion", "web-0", "web-1", "web-2", "worker-a", "worker-b"]
    );
    // Two states, two runs: byte-identical output.
    let dir = tempfile::tempdir().expect("tempdir");
    let a = ok(bin(dir.path())
        .env("PALIN_TFSTATE", fixture("stack.tfstate"))
        .arg("--list"));
    let b = ok(bin(dir.path())
        .env("PALIN_TFSTATE", fixture("stack.tfstate"))
        .arg("--list"));
    assert_eq!(a, b);
    assert_eq!(
        a.lines().count(),
        1,
        "compact JSON when stdout is not a terminal"
    );
}

#[test]
fn host_prints_one_hosts_vars_or_an_empty_dict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = list_with(&fixture("stack.tfstate"), &[]);
    let web: Value = serde_json::from_str(&ok(bin(dir.path())
        .env("PALIN_TFSTATE", fixture("stack.tfstate"))
        .args(["--host", "web-0"])))
    .expect("json");
    assert_eq!(web, list["_meta"]["hostvars"]["web-0"]);
    let unknown = ok(bin(dir.path())
        .env("PALIN_TFSTATE", fixture("stack.tfstate"))
        .args(["--host", "nope"]));
    assert_eq!(unknown.trim(), "{}");
}

#[test]
fn graph_ini_and_yaml_snapshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = fixture("stack.tfstate");
    insta::assert_snapshot!(
        "stack_graph",
        ok(bin(dir.path()).env("PALIN_TFSTATE", &state).arg("--graph"))
    );
    insta::assert_snapshot!(
        "stack_ini",
        ok(bin(dir.path())
            .env("PALIN_TFSTATE", &state)
            .args(["--export", "ini"]))
    );
    insta::assert_snapshot!(
        "stack_yaml",
        ok(bin(dir.path())
            .env("PALIN_TFSTATE", &state)
            .args(["--export", "yaml"]))
    );
}

#[test]
fn several_states_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let joined = format!(
        "{}:{}",
        fixture("stack.tfstate").display(),
        fixture("network.tfstate").display()
    );
    let doc: Value = serde_json::from_str(&ok(bin(dir.path())
        .env("PALIN_TFSTATE", joined)
        .args(["--list", "--plain"])))
    .expect("json");
    insta::assert_json_snapshot!("merged_list", doc);
}

/// `{"__ansible_unsafe": s}` read back as `s`, everywhere in a document.
fn unwrapped(v: Value) -> Value {
    match v {
        Value::Object(m)
            if m.len() == 1 && m.get("__ansible_unsafe").is_some_and(Value::is_string) =>
        {
            m["__ansible_unsafe"].clone()
        }
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, unwrapped(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(unwrapped).collect()),
        other => other,
    }
}

/// How many strings of `v` are not wrapped as `{"__ansible_unsafe": …}`.
fn bare_strings(v: &Value) -> usize {
    match v {
        Value::String(_) => 1,
        Value::Object(m) if m.len() == 1 && m.contains_key("__ansible_unsafe") => 0,
        Value::Object(m) => m.values().map(bare_strings).sum(),
        Value::Array(a) => a.iter().map(bare_strings).sum(),
        _ => 0,
    }
}

/// Every string of a host or group variable reaches Ansible's script plugin as unsafe text;
/// --plain is the same document with plain strings, and host and group names are never wrapped.
#[test]
fn list_wraps_every_variable_string_and_plain_does_not() {
    for state in ["stack.tfstate", "network.tfstate"] {
        let wrapped = list_with(&fixture(state), &[]);
        let plain = list_with(&fixture(state), &["--plain"]);
        assert_eq!(unwrapped(wrapped.clone()), plain, "{state}");
        let doc = wrapped.as_object().expect("an object");
        for (name, part) in doc {
            let vars: Vec<&Value> = if name == "_meta" {
                part["hostvars"]
                    .as_object()
                    .expect("hostvars")
                    .values()
                    .collect()
            } else {
                part.get("vars").into_iter().collect()
            };
            assert!(vars.iter().all(|v| bare_strings(v) == 0), "{state} {name}");
            if name != "_meta" {
                for key in ["hosts", "children"] {
                    assert!(
                        part.get(key).is_none_or(|h| h
                            .as_array()
                            .expect("list")
                            .iter()
                            .all(Value::is_string))
                    );
                }
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let host = |extra: &[&str]| -> Value {
            serde_json::from_str(&ok(bin(dir.path())
                .env("PALIN_TFSTATE", fixture(state))
                .args(["--host", "web-0"])
                .args(extra)))
            .expect("json")
        };
        if let Some(vars) = plain["_meta"]["hostvars"].get("web-0") {
            assert_eq!(&host(&["--plain"]), vars);
            assert_eq!(unwrapped(host(&[])), *vars);
        }
    }
}

#[test]
fn secrets_never_appear_unless_revealed() {
    let dir = tempfile::tempdir().expect("tempdir");
    for state in ["stack.tfstate", "stack.show.json"] {
        for args in [
            &["--list"][..],
            &["--graph"],
            &["--export", "ini"],
            &["--export", "yaml"],
            &["--host", "web-0"],
        ] {
            let out = ok(bin(dir.path())
                .env("PALIN_TFSTATE", fixture(state))
                .args(args));
            assert!(
                !out.contains("FIXTURE-SECRET"),
                "{state} {args:?} leaked a secret"
            );
        }
        let doc = list_with(&fixture(state), &["--plain", "--reveal", "db_password"]);
        let pw = doc["all"]["vars"]["db_password"]
            .as_str()
            .expect("revealed output");
        assert!(pw.contains("FIXTURE-SECRET"));
        assert!(
            doc["all"]["vars"]["palin_rds"]["palin-app"]
                .get("password")
                .is_none(),
            "only what was named is revealed"
        );

        let out = ok(bin(dir.path())
            .env("PALIN_TFSTATE", fixture(state))
            .env("PALIN_REVEAL", "password,auth_token")
            .args(["--list", "--plain"]));
        let doc: Value = serde_json::from_str(&out).expect("json");
        assert!(
            doc["all"]["vars"]["palin_rds"]["palin-app"]["password"]
                .as_str()
                .is_some_and(|p| p.contains("FIXTURE-SECRET"))
        );
        assert!(
            doc["all"]["vars"]["palin_redis"]["palin-cache"]["auth_token"]
                .as_str()
                .is_some_and(|p| p.contains("FIXTURE-SECRET"))
        );
        assert!(doc["all"]["vars"].get("db_password").is_none());
    }
}

#[test]
fn first_minute_reads_terraform_tfstate_in_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let msg = fails(bin(dir.path()).arg("--list"), 1);
    assert!(
        msg.contains("no Terraform state found")
            && msg.contains("terraform.tfstate does not exist"),
        "{msg}"
    );
    assert!(
        msg.contains("PALIN_TFSTATE"),
        "the message says what to do: {msg}"
    );

    std::fs::copy(
        fixture("stack.tfstate"),
        dir.path().join("terraform.tfstate"),
    )
    .expect("copy");
    let doc: Value = serde_json::from_str(&ok(bin(dir.path()).arg("--list"))).expect("json");
    assert!(doc["_meta"]["hostvars"]["web-0"].is_object());

    // A selected workspace is read from terraform.tfstate.d, as Terraform does.
    std::fs::create_dir_all(dir.path().join(".terraform")).expect("mkdir");
    std::fs::write(dir.path().join(".terraform/environment"), "staging").expect("write");
    let msg = fails(bin(dir.path()).arg("--list"), 1);
    assert!(
        msg.contains("terraform.tfstate.d/staging/terraform.tfstate"),
        "{msg}"
    );
    std::fs::create_dir_all(dir.path().join("terraform.tfstate.d/staging")).expect("mkdir");
    std::fs::copy(
        fixture("network.tfstate"),
        dir.path()
            .join("terraform.tfstate.d/staging/terraform.tfstate"),
    )
    .expect("copy");
    let doc: Value = serde_json::from_str(&ok(bin(dir.path()).arg("--list"))).expect("json");
    assert!(
        doc["_meta"]["hostvars"]
            .as_object()
            .expect("hostvars")
            .keys()
            .all(|h| !h.starts_with("web"))
    );
}

#[test]
fn config_file_is_found_by_env_and_in_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("infra")).expect("mkdir");
    std::fs::copy(
        fixture("stack.tfstate"),
        dir.path().join("infra/terraform.tfstate"),
    )
    .expect("copy");
    std::fs::write(
        dir.path().join("infra/palin.yml"),
        "terraform:\n  states: [{path: terraform.tfstate}]\nhostnames: [private-ip-address]\ntag_groups: [Role]\nconnection: {bastion: false}\n",
    )
    .expect("write");
    let via_env: Value = serde_json::from_str(&ok(bin(dir.path())
        .env("PALIN_CONFIG", "infra/palin.yml")
        .arg("--list")))
    .expect("json");
    assert!(
        via_env["_meta"]["hostvars"]["10.20.1.11"].is_object(),
        "paths in the config are relative to it"
    );
    assert!(via_env.get("tag_Env_prod").is_none() && via_env.get("tag_Role_web").is_some());
    assert!(
        via_env["_meta"]["hostvars"]["10.20.1.11"]
            .get("ansible_ssh_common_args")
            .is_none()
    );
    let in_cwd: Value =
        serde_json::from_str(&ok(bin(&dir.path().join("infra")).arg("--list"))).expect("json");
    assert_eq!(via_env, in_cwd);
}

#[test]
fn state_from_stdin_and_from_a_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = list_with(&fixture("stack.tfstate"), &[]);
    let text = std::fs::read_to_string(fixture("stack.tfstate")).expect("read");
    let stdin: Value = serde_json::from_str(&ok(bin(dir.path())
        .args(["--tfstate", "-", "--list"])
        .write_stdin(text)))
    .expect("json");
    assert_eq!(stdin, expected);

    std::fs::copy(fixture("stack.show.json"), dir.path().join("show.json")).expect("copy");
    std::fs::write(
        dir.path().join("palin.yml"),
        "terraform:\n  states:\n    - command: [cat, show.json]\n",
    )
    .expect("write");
    let cmd: Value = serde_json::from_str(&ok(bin(dir.path()).arg("--list"))).expect("json");
    assert_eq!(cmd["all"]["vars"], expected["all"]["vars"]);

    std::fs::write(dir.path().join("palin.yml"), "terraform:\n  states:\n    - command: [sh, -c, 'echo Error: backend not initialised >&2; exit 3']\n").expect("write");
    let msg = fails(bin(dir.path()).arg("--list"), 1);
    assert_eq!(
        msg,
        "palin-inventory: cannot read Terraform state from command `sh -c echo Error: backend not initialised >&2; exit 3`: exited with status 3: Error: backend not initialised"
    );
    std::fs::write(
        dir.path().join("palin.yml"),
        "terraform:\n  states:\n    - command: [no-such-terraform-binary]\n",
    )
    .expect("write");
    let msg = fails(bin(dir.path()).arg("--list"), 1);
    assert!(
        msg.ends_with("cannot run no-such-terraform-binary: no such file"),
        "{msg}"
    );
}

#[test]
fn bad_states_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("bad/truncated.tfstate", "truncated JSON"),
        (
            "bad/v3.tfstate",
            "state format version 3 (Terraform 0.11 or older) is not supported",
        ),
        ("bad/v5.tfstate", "unknown state format version 5"),
        (
            "bad/encrypted.tfstate",
            "the state is encrypted (OpenTofu state encryption)",
        ),
        ("bad/not-state.json", "not a Terraform state"),
        ("bad/empty.tfstate", "the file is empty"),
        ("no-such.tfstate", "cannot read Terraform state"),
    ];
    for (file, expected) in cases {
        let path = fixture(file);
        let msg = fails(bin(dir.path()).env("PALIN_TFSTATE", &path).arg("--list"), 1);
        assert!(msg.contains(expected), "{file}: {msg}");
        assert!(
            msg.contains(&path.display().to_string()),
            "{file}: the message names the file: {msg}"
        );
    }
    // One bad state among good ones still fails the whole run.
    let joined = format!(
        "{}:{}",
        fixture("stack.tfstate").display(),
        fixture("bad/v5.tfstate").display()
    );
    fails(
        bin(dir.path()).env("PALIN_TFSTATE", joined).arg("--list"),
        1,
    );
}

#[test]
fn bad_config_and_usage_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("palin.yml"),
        "hostnames: [tag:Name]\ntypo_setting: 1\n",
    )
    .expect("write");
    let msg = fails(bin(dir.path()).arg("--list"), 2);
    assert!(
        msg.contains("palin.yml") && msg.contains("unknown field `typo_setting`"),
        "{msg}"
    );
    let msg = fails(
        bin(dir.path())
            .env("PALIN_CONFIG", dir.path().join("missing.yml"))
            .arg("--list"),
        2,
    );
    assert!(
        msg.contains("missing.yml: cannot read it: no such file"),
        "{msg}"
    );
    let msg = fails(&mut bin(dir.path()), 2);
    assert!(msg.contains("--list"), "{msg}");
    fails(bin(dir.path()).args(["--list", "--graph"]), 2);
    fails(bin(dir.path()).args(["--export", "toml"]), 2);
}

#[test]
fn files_of_the_collections_inventory_plugins_are_read_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixture("stack.tfstate"), dir.path().join("stack.tfstate")).expect("copy");
    let settings = "terraform:\n  states: [{path: stack.tfstate}]\ntag_groups: [Role]\n";
    std::fs::write(dir.path().join("plain.yml"), settings).expect("write");
    // The keys palin.aws.palin reads itself (the binary, Ansible's cache) are not palin's.
    std::fs::write(
        dir.path().join("inv.palin.yml"),
        format!(
            "plugin: palin.aws.palin\nexecutable: /opt/palin-inventory\ncache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_timeout: 60\ncache_connection: /tmp/x\ncache_prefix: p_\n{settings}"
        ),
    )
    .expect("write");
    let list = |file: &str| -> Value {
        serde_json::from_str(&ok(bin(dir.path()).args(["--list", "--config", file]))).expect("json")
    };
    assert_eq!(list("inv.palin.yml"), list("plain.yml"));
    assert!(list("inv.palin.yml")["tag_Role_web"]["hosts"].is_array());

    let refused = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).expect("write");
        fails(bin(dir.path()).args(["--list", "--config", name]), 2)
    };
    let msg = refused("typo.palin.yml", "plugin: palin.aws.palin\ncahce: true\n");
    assert!(msg.contains("unknown field `cahce`"), "{msg}");
    let msg = refused("other.yml", "plugin: community.general.other\n");
    assert!(
        msg.contains("plugin: not supported") && !msg.contains("community.general.other"),
        "{msg}"
    );
    // An aws_ec2 file for palin.aws.aws_ec2 is checked the same way (before any AWS call).
    let msg = refused(
        "x.aws_ec2.yml",
        "plugin: palin.aws.aws_ec2\ncache: true\nuse_ssm_inventory: true\n",
    );
    assert!(msg.contains("option \"use_ssm_inventory\""), "{msg}");
    let msg = refused(
        "y.aws_ec2.yml",
        "plugin: amazon.aws.aws_ec2\nexecutable: /opt/palin-inventory\n",
    );
    assert!(msg.contains("option \"executable\""), "{msg}");
}

#[test]
fn help_documents_every_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let help = ok(bin(dir.path()).arg("--help"));
    for setting in [
        "PALIN_CONFIG",
        "PALIN_TFSTATE",
        "PALIN_REVEAL",
        "TF_WORKSPACE",
        "AWS_ENDPOINT_URL",
        "source:",
        "states:",
        "path:",
        "command:",
        "dir:",
        "s3:",
        "workspace_key_prefix",
        "endpoint_url",
        "profile",
        "outputs:",
        "outputs_prefix:",
        "hostnames:",
        "ansible_host:",
        "tag_groups:",
        "endpoint_hosts:",
        "reveal:",
        "connection:",
        "mode:",
        "bastion:",
        "ssm_bucket:",
        "ansible_user:",
        "compose:",
        "groups:",
        "keyed_groups:",
        "strict:",
        "leading_separator:",
        "aws:",
        "regions:",
        "assume_roles:",
        "concurrency:",
        "page_size:",
        "filters:",
        "include_filters:",
        "exclude_filters:",
        "services:",
        "strict_permissions:",
        "cache:",
        "stale_on_error",
        "--refresh-cache",
        "amazon.aws.aws_ec2",
        "palin.aws.aws_ec2",
        "palin.aws.palin",
        "--list",
        "--host",
        "--graph",
        "--export",
        "--tfstate",
        "--reveal",
        "--config",
        "EXIT STATUS",
    ] {
        assert!(help.contains(setting), "--help does not mention {setting}");
    }
}

#[test]
fn bundled_examples_work() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The README's quick start: run in examples/quickstart with nothing configured.
    let quick: Value =
        serde_json::from_str(&ok(bin(&root.join("examples/quickstart")).arg("--list")))
            .expect("json");
    assert_eq!(quick, list_with(&fixture("stack.tfstate"), &[]));
    // The annotated example config is valid and applies (its S3 state replaced by a local one).
    let dir = tempfile::tempdir().expect("tempdir");
    let doc: Value = serde_json::from_str(&ok(bin(dir.path())
        .args(["--config"])
        .arg(root.join("examples/palin.yml"))
        .arg("--tfstate")
        .arg(fixture("stack.tfstate"))
        .args(["--list", "--plain"])))
    .expect("json");
    let web = &doc["_meta"]["hostvars"]["web-0"];
    assert_eq!(web["ansible_user"], "admin");
    assert_eq!(
        web["ansible_ssh_common_args"],
        "-o ProxyJump=admin@52.49.200.17"
    );
}
