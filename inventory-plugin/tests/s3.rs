//! End-to-end tests of the `s3://` state source against a real S3 API: the `moto_server` that
//! `scripts/setup.sh` installs into `.venv` (override the venv with `PALIN_VENV`).
//!
//! Each test starts its own moto on a free loopback port, uploads the fixture states with
//! aws-sdk-s3 and runs the real `palin-inventory` binary with a scrubbed environment: no
//! inherited `AWS_*`/`PALIN_*`/`TF_WORKSPACE` variables and a temporary `HOME`, so no
//! `~/.aws` file is read.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use assert_cmd::Command;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use common::{Moto, REGION, fixture, palin};
use serde_json::Value;

const BUCKET: &str = "palin-test-state";
const STACK_KEY: &str = "app/terraform.tfstate";
const STAGING_KEY: &str = "env:/staging/app/terraform.tfstate";
/// A host of `fixtures/stack.tfstate` (the default workspace).
const STACK_HOST: &str = "web-0";
/// The host of `fixtures/network.tfstate` (uploaded as workspace `staging`).
const STAGING_HOST: &str = "vpn";

/// Creates the bucket and uploads `(fixture file, key)` pairs with aws-sdk-s3.
fn seed(endpoint: &str, objects: &[(&str, &str)]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    rt.block_on(async {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new(REGION))
            .force_path_style(true)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(config);
        s3.create_bucket()
            .bucket(BUCKET)
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .expect("create the test bucket on moto");
        for (file, key) in objects {
            let body =
                fs::read(fixture(file)).unwrap_or_else(|e| panic!("read fixture {file}: {e}"));
            s3.put_object()
                .bucket(BUCKET)
                .key(*key)
                .body(ByteStream::from(body))
                .send()
                .await
                .unwrap_or_else(|e| panic!("upload {file} to s3://{BUCKET}/{key}: {e:?}"));
        }
    });
}

/// A moto with the bucket holding the stack state (default workspace) and the network state
/// (workspace `staging`), as Terraform's S3 backend lays them out.
fn seeded_moto() -> Moto {
    let moto = Moto::start();
    seed(
        &moto.endpoint(),
        &[
            ("stack.tfstate", STACK_KEY),
            ("network.tfstate", STAGING_KEY),
        ],
    );
    moto
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run palin-inventory");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `--list` and checks the success contract: exit 0, empty stderr, a JSON object.
fn list_ok(cmd: &mut Command) -> Value {
    let r = run(cmd.arg("--list"));
    assert_eq!(
        r.code,
        Some(0),
        "palin-inventory --list failed; stderr:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.is_empty(),
        "stderr must be empty on success, got:\n{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).expect("--list prints JSON");
    assert!(v.is_object(), "--list prints a JSON object, got {v}");
    v
}

fn hostnames(inventory: &Value) -> Vec<String> {
    let mut hosts: Vec<String> = inventory["_meta"]["hostvars"]
        .as_object()
        .expect("--list has _meta.hostvars")
        .keys()
        .cloned()
        .collect();
    hosts.sort();
    hosts
}

/// Runs `--list` and checks the failure contract: exit 1, empty stdout, one stderr line naming
/// `must_name` (every item of it).
fn list_fails(cmd: &mut Command, must_name: &[&str]) {
    let r = run(cmd.arg("--list"));
    assert_eq!(
        r.code,
        Some(1),
        "expected exit 1; stdout:\n{}\nstderr:\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "stdout must be empty on failure, got:\n{}",
        r.stdout
    );
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one stderr line expected, got:\n{}",
        r.stderr
    );
    assert!(
        lines[0].starts_with("palin-inventory: "),
        "stderr line must start with `palin-inventory: `: {}",
        lines[0]
    );
    for needle in must_name {
        assert!(
            lines[0].contains(needle),
            "stderr line must name {needle:?}: {}",
            lines[0]
        );
    }
}

fn write_config(dir: &Path, state: &str) -> PathBuf {
    let path = dir.join("palin.yml");
    fs::write(&path, format!("terraform:\n  states:\n    - {state}\n")).expect("write palin.yml");
    path
}

#[test]
fn default_workspace_via_palin_tfstate() {
    let moto = seeded_moto();
    let home = tempfile::tempdir().expect("temp HOME");
    let inv = list_ok(
        palin(home.path())
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("PALIN_TFSTATE", format!("s3://{BUCKET}/{STACK_KEY}")),
    );
    let hosts = hostnames(&inv);
    assert!(
        hosts.iter().any(|h| h == STACK_HOST),
        "{STACK_HOST} missing from {hosts:?}"
    );
    assert!(
        !hosts.iter().any(|h| h == STAGING_HOST),
        "{STAGING_HOST} is not in the default workspace: {hosts:?}"
    );
}

#[test]
fn workspace_via_tf_workspace_with_palin_tfstate() {
    let moto = seeded_moto();
    let home = tempfile::tempdir().expect("temp HOME");
    let inv = list_ok(
        palin(home.path())
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("TF_WORKSPACE", "staging")
            .env("PALIN_TFSTATE", format!("s3://{BUCKET}/{STACK_KEY}")),
    );
    let hosts = hostnames(&inv);
    assert!(
        hosts.iter().any(|h| h == STAGING_HOST),
        "{STAGING_HOST} missing from {hosts:?}"
    );
    assert!(
        !hosts.iter().any(|h| h == STACK_HOST),
        "{STACK_HOST} is not in workspace staging: {hosts:?}"
    );
}

#[test]
fn workspace_via_config_reads_env_prefixed_key() {
    let moto = seeded_moto();
    let home = tempfile::tempdir().expect("temp HOME");
    // The endpoint comes from the config only: AWS_ENDPOINT_URL is not set.
    let config = write_config(
        home.path(),
        &format!(
            "s3: {{bucket: {BUCKET}, key: {STACK_KEY}, region: {REGION}, workspace: staging, endpoint_url: \"{}\"}}",
            moto.endpoint()
        ),
    );
    let inv = list_ok(palin(home.path()).env("PALIN_CONFIG", &config));
    let hosts = hostnames(&inv);
    assert!(
        hosts.iter().any(|h| h == STAGING_HOST),
        "{STAGING_HOST} missing from {hosts:?}"
    );
    assert!(
        !hosts.iter().any(|h| h == STACK_HOST),
        "{STACK_HOST} is not in workspace staging: {hosts:?}"
    );
}

#[test]
fn default_workspace_via_config() {
    let moto = seeded_moto();
    let home = tempfile::tempdir().expect("temp HOME");
    let config = write_config(
        home.path(),
        &format!(
            "s3: {{bucket: {BUCKET}, key: {STACK_KEY}, region: {REGION}, endpoint_url: \"{}\"}}",
            moto.endpoint()
        ),
    );
    let inv = list_ok(palin(home.path()).env("PALIN_CONFIG", &config));
    let hosts = hostnames(&inv);
    assert!(
        hosts.iter().any(|h| h == STACK_HOST),
        "{STACK_HOST} missing from {hosts:?}"
    );
}

#[test]
fn missing_key_fails_with_one_line() {
    let moto = seeded_moto();
    let home = tempfile::tempdir().expect("temp HOME");
    let key = "app/no-such.tfstate";
    list_fails(
        palin(home.path())
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("PALIN_TFSTATE", format!("s3://{BUCKET}/{key}")),
        &[BUCKET, key],
    );
}

#[test]
fn missing_workspace_fails_with_one_line() {
    let moto = seeded_moto();
    let home = tempfile::tempdir().expect("temp HOME");
    let config = write_config(
        home.path(),
        &format!(
            "s3: {{bucket: {BUCKET}, key: {STACK_KEY}, region: {REGION}, workspace: prod, endpoint_url: \"{}\"}}",
            moto.endpoint()
        ),
    );
    list_fails(
        palin(home.path()).env("PALIN_CONFIG", &config),
        &[BUCKET, "env:/prod/app/terraform.tfstate"],
    );
}

#[test]
fn missing_bucket_fails_with_one_line() {
    let moto = seeded_moto();
    let home = tempfile::tempdir().expect("temp HOME");
    let bucket = "palin-no-such-bucket";
    list_fails(
        palin(home.path())
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("PALIN_TFSTATE", format!("s3://{bucket}/{STACK_KEY}")),
        &[bucket, STACK_KEY],
    );
}

// Wrong credentials are not tested: moto accepts any access key unless started with auth enabled.
