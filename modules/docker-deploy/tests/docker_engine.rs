//! palin_docker_deploy against the real Docker Engine of this machine (nothing is pulled: the
//! test images are built `FROM scratch` around palin-testapp, a tiny static musl HTTP app).
//!
//! A custom harness (`harness = false`) so the images are built once per run and everything the
//! run created (containers, images, network; all named `palin-t<pid>-…`) is removed at the end,
//! whatever failed. The module binary is run exactly as Ansible runs it: `<binary> <args file>`.
//! `cargo test -p palin-docker-deploy --test docker_engine [FILTER]`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use docker_deploy::docker::DockerEngine;
use docker_deploy::engine::{BuildRequest, Engine};
use serde_json::{Value, json};

const MUSL: &str = "x86_64-unknown-linux-musl";

struct Env {
    prefix: String,
    engine: DockerEngine,
    rt: tokio::runtime::Runtime,
    tmp: tempfile::TempDir,
    images: Vec<String>,
    network: String,
}

impl Env {
    fn image(&self, variant: &str) -> String {
        format!("{}-app:{variant}", self.prefix)
    }
    fn name(&self, case: &str) -> String {
        format!("{}-{case}", self.prefix)
    }

    /// Runs the module binary on `args` (plus internal keys) the way Ansible does.
    fn module(&self, args: &Value) -> Value {
        let path = self.tmp.path().join("args");
        std::fs::write(&path, args.to_string()).expect("write args");
        let out = Command::new(env!("CARGO_BIN_EXE_palin_docker_deploy"))
            .arg(&path)
            .output()
            .expect("run palin_docker_deploy");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(
            out.status.success(),
            v["failed"] == false,
            "exit code follows failed: {v}"
        );
        v
    }

    fn inspect(&self, name: &str) -> Option<bollard::models::ContainerInspectResponse> {
        self.rt
            .block_on(
                self.engine
                    .client()
                    .inspect_container(name, None::<InspectContainerOptions>),
            )
            .ok()
    }

    fn container_id(&self, name: &str) -> Option<String> {
        self.inspect(name).and_then(|c| c.id)
    }

    fn running(&self, name: &str) -> bool {
        self.inspect(name)
            .and_then(|c| c.state)
            .and_then(|s| s.running)
            .unwrap_or(false)
    }

    fn cleanup(&self) {
        let client = self.engine.client();
        let filters = HashMap::from([("name", vec![self.prefix.as_str()])]);
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        if let Ok(list) = self.rt.block_on(client.list_containers(Some(opts))) {
            for c in list {
                if let Some(id) = c.id {
                    let rm = RemoveContainerOptionsBuilder::default()
                        .force(true)
                        .v(true)
                        .build();
                    let _ = self.rt.block_on(client.remove_container(&id, Some(rm)));
                }
            }
        }
        for image in &self.images {
            let rm = RemoveImageOptionsBuilder::default().force(true).build();
            let _ = self.rt.block_on(client.remove_image(image, Some(rm), None));
        }
        let _ = self.rt.block_on(client.remove_network(&self.network));
    }
}

/// GET/POST a path on 127.0.0.1:port; returns (status, body) or an error text.
fn http(method: &str, port: u16, path: &str) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut text = String::new();
    s.read_to_string(&mut text).map_err(|e| e.to_string())?;
    let status = text
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad response {text:?}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

fn build_testapp() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("palin-testapp");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "palin-testapp",
            "--target",
            MUSL,
            "--target-dir",
        ])
        .arg(&target_dir)
        .status()
        .expect("run cargo build for palin-testapp");
    assert!(
        status.success(),
        "building palin-testapp for {MUSL} failed (is the target installed? run scripts/setup.sh)"
    );
    target_dir.join(MUSL).join("release").join("palin-testapp")
}

fn setup() -> Env {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let engine = rt
        .block_on(DockerEngine::connect(None, Duration::from_mins(2)))
        .unwrap_or_else(|e| panic!("these tests need the Docker Engine: {e}"));
    let prefix = format!("palin-t{}", std::process::id());
    let tmp = tempfile::tempdir().expect("tmp");
    let app = build_testapp();
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir_all(&ctx).expect("ctx");
    std::fs::copy(&app, ctx.join("testapp")).expect("copy testapp");
    let variants: [(&str, &str); 5] = [
        ("v1", "ENV VERSION=v1"),
        ("v2", "ENV VERSION=v2"),
        ("bad", "ENV VERSION=bad HEALTH=fail"),
        ("crash", "ENV VERSION=crash CRASH=1"),
        (
            "health",
            "ENV VERSION=health\nHEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD [\"/testapp\", \"--health\"]",
        ),
    ];
    let mut env = Env {
        prefix: prefix.clone(),
        engine,
        rt,
        tmp,
        images: Vec::new(),
        network: format!("{prefix}-net"),
    };
    for (variant, extra) in variants {
        let dockerfile = format!("Dockerfile.{variant}");
        std::fs::write(
            ctx.join(&dockerfile),
            format!("FROM scratch\nCOPY testapp /testapp\nLABEL palin-test=1\n{extra}\nEXPOSE 8080\nENTRYPOINT [\"/testapp\"]\n"),
        )
        .expect("dockerfile");
        let req = BuildRequest {
            context: ctx.clone(),
            dockerfile,
            tag: env.image(variant),
            args: std::collections::BTreeMap::new(),
            nocache: false,
        };
        env.images.push(req.tag.clone());
        env.rt
            .block_on(env.engine.build(&req))
            .unwrap_or_else(|e| panic!("building {}: {e}", req.tag));
    }
    let net = bollard::models::NetworkCreateRequest {
        name: env.network.clone(),
        ..Default::default()
    };
    env.rt
        .block_on(env.engine.client().create_network(net))
        .expect("create network");
    env
}

/// Deploy args for container `name` of `variant`, published on `port`, gated and checked over HTTP.
fn app_args(env: &Env, name: &str, variant: &str, port: u16) -> Value {
    json!({
        "name": name,
        "image": env.image(variant),
        "pull": "never",
        "published_ports": [format!("127.0.0.1:{port}:8080")],
        "env": {"MODE": "test"},
        "secret_env": {"APP_PASSWORD": "s3cret-PALIN-test"},
        "labels": {"palin-test": "1"},
        "stop_timeout": 1,
        "readiness": {"http": {"url": format!("http://127.0.0.1:{port}/healthz")}, "timeout": 10, "interval": 0.1},
        "gate": {"url": format!("http://127.0.0.1:{port}/deploy"), "method": "POST", "body_contains": "Ready",
                 "timeout": 2, "request_timeout": 0.5, "interval": 0.1},
        "_ansible_check_mode": false, "_ansible_diff": true, "_ansible_no_log": false,
        "_ansible_verbosity": 0, "_ansible_version": "2.19.14",
    })
}

fn no_secret(v: &Value) {
    assert!(
        !v.to_string().contains("s3cret-PALIN-test"),
        "secret leaked: {v}"
    );
}

fn served_version(port: u16) -> String {
    http("GET", port, "/").map_or_else(|e| format!("unreachable: {e}"), |(_, b)| b)
}

/// A deployed v1 on a fresh port: the starting point of most cases.
fn deployed(env: &Env, case: &str, variant: &str) -> (String, u16, Value) {
    let name = env.name(case);
    let port = free_port();
    let r = env.module(&app_args(env, &name, variant, port));
    assert_eq!(r["failed"], false, "first deploy: {r}");
    (name, port, r)
}

fn first_deploy_then_same_spec_changes_nothing(env: &Env) {
    let name = env.name("first");
    let port = free_port();
    let mut args = app_args(env, &name, "v1", port);
    args["networks"] = json!([env.network]);
    let r = env.module(&args);
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["changed"], true);
    assert_eq!(
        r["actions"],
        json!(["create_next", "start_next", "prove_next", "rename_next"])
    );
    no_secret(&r);
    assert_eq!(served_version(port), "palin-testapp v1");
    let c = env.inspect(&name).expect("container exists");
    let labels = c
        .config
        .as_ref()
        .and_then(|c| c.labels.clone())
        .unwrap_or_default();
    assert_eq!(
        labels.get("palin.spec-hash").map(String::as_str),
        r["spec_hash"].as_str()
    );
    assert!(labels.values().all(|v| !v.contains("s3cret-PALIN-test")));
    let nets = c
        .network_settings
        .and_then(|n| n.networks)
        .unwrap_or_default();
    assert!(
        nets.contains_key(&env.network),
        "attached to {}: {:?}",
        env.network,
        nets.keys()
    );
    assert_eq!(r["container"]["id"].as_str(), c.id.as_deref());
    assert!(env.inspect(&format!("{name}--next")).is_none());

    let again = env.module(&args);
    assert_eq!(again["failed"], false, "{again}");
    assert_eq!(again["changed"], false, "same spec: {again}");
    assert_eq!(again["actions"], json!(["prove"]));
    assert_eq!(again["container"]["id"], r["container"]["id"]);
    assert_eq!(again["diff"]["before"], again["diff"]["after"]);
    // ad-hoc style strings for ints/bools/lists hash the same
    let mut stringly = args.clone();
    stringly["stop_timeout"] = json!("1");
    stringly["published_ports"] = json!(format!("127.0.0.1:{port}:8080"));
    stringly["rollback"] = json!("yes");
    assert_eq!(env.module(&stringly)["changed"], false);
}

fn new_image_replaces_and_removes_the_old(env: &Env) {
    let (name, port, first) = deployed(env, "replace", "v1");
    let old_id = first["container"]["id"].as_str().expect("id").to_owned();
    let r = env.module(&app_args(env, &name, "v2", port));
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["changed"], true);
    assert_eq!(
        r["actions"],
        json!([
            "create_next",
            "gate",
            "stop_old",
            "start_next",
            "prove_next",
            "remove_old",
            "rename_next"
        ])
    );
    assert_eq!(r["gate"]["ready"], true);
    assert_eq!(r["previous"]["id"], old_id.as_str());
    assert!(env.inspect(&old_id).is_none(), "old container is gone");
    assert_eq!(served_version(port), "palin-testapp v2");
    assert!(env.running(&name));
    let diff = &r["diff"];
    assert!(
        diff["before"]
            .as_str()
            .is_some_and(|b| b.contains("app:v1\"")),
        "{diff}"
    );
    assert!(
        diff["after"]
            .as_str()
            .is_some_and(|a| a.contains("app:v2\"")),
        "{diff}"
    );
    no_secret(&r);
}

fn gate_never_ready_leaves_old_untouched(env: &Env) {
    let (name, port, first) = deployed(env, "gate", "v1");
    let old_id = first["container"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        http("POST", port, "/control?deploy=hang").map(|r| r.0),
        Ok(200)
    );
    let r = env.module(&app_args(env, &name, "v2", port));
    assert_eq!(r["failed"], true, "{r}");
    assert_eq!(r["changed"], false);
    let msg = r["msg"].as_str().expect("msg");
    assert!(
        msg.contains("gate") && msg.contains("left untouched"),
        "{msg}"
    );
    assert_eq!(r["gate"]["ready"], false);
    assert_eq!(
        env.container_id(&name).as_deref(),
        Some(old_id.as_str()),
        "same container"
    );
    assert!(env.running(&name), "still running");
    assert_eq!(served_version(port), "palin-testapp v1");
    assert!(
        env.inspect(&format!("{name}--next")).is_none(),
        "the new container was removed"
    );
    // A gate that answers "not ready" (503) is refused the same way.
    assert_eq!(
        http("POST", port, "/control?deploy=fail").map(|r| r.0),
        Ok(200)
    );
    let r = env.module(&app_args(env, &name, "v2", port));
    assert_eq!(r["failed"], true);
    assert_eq!(env.container_id(&name).as_deref(), Some(old_id.as_str()));
}

fn unhealthy_new_image_rolls_back(env: &Env) {
    let (name, port, first) = deployed(env, "rollback", "v1");
    let old_id = first["container"]["id"].as_str().expect("id").to_owned();
    let mut args = app_args(env, &name, "bad", port);
    args["readiness"]["timeout"] = json!(3);
    let r = env.module(&args);
    assert_eq!(r["failed"], true, "{r}");
    assert_eq!(r["rolled_back"], true);
    let msg = r["msg"].as_str().expect("msg");
    assert!(
        msg.contains("status 503") && msg.contains("rolled back"),
        "{msg}"
    );
    assert_eq!(r["readiness"]["ready"], false);
    let logs: Vec<&str> = r["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        logs.iter().any(|l| l.contains("testapp bad listening")),
        "{logs:?}"
    );
    assert!(logs.iter().any(|l| l.contains("GET /healthz")), "{logs:?}");
    assert_eq!(
        env.container_id(&name).as_deref(),
        Some(old_id.as_str()),
        "the previous container is back"
    );
    assert!(env.running(&name));
    assert_eq!(served_version(port), "palin-testapp v1");
    assert!(env.inspect(&format!("{name}--next")).is_none());
    assert_eq!(
        r["actions"],
        json!([
            "create_next",
            "gate",
            "stop_old",
            "start_next",
            "prove_next",
            "capture_logs",
            "stop_next",
            "remove_next",
            "start_old",
            "prove_old"
        ])
    );
    no_secret(&r);
}

fn crashing_new_image_fails_fast_and_rolls_back(env: &Env) {
    let (name, port, first) = deployed(env, "crash", "v1");
    let mut args = app_args(env, &name, "crash", port);
    args["readiness"]["timeout"] = json!(60);
    args["restart_policy"] = json!("no");
    let r = env.module(&args);
    assert_eq!(r["failed"], true, "{r}");
    assert_eq!(r["rolled_back"], true);
    let msg = r["msg"].as_str().expect("msg");
    assert!(msg.contains("exited (exit code 3)"), "{msg}");
    // The wait ended on the exit itself (fatal), not on the 60 s deadline.
    assert!(
        r["readiness"]["last_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("the container exited")),
        "{r}"
    );
    assert!(!msg.contains("not ready after 60"), "{msg}");
    assert!(r["logs"].to_string().contains("crashing on purpose"), "{r}");
    assert_eq!(
        env.container_id(&name),
        first["container"]["id"].as_str().map(str::to_owned)
    );
    assert_eq!(served_version(port), "palin-testapp v1");
}

fn docker_health_gates_readiness(env: &Env) {
    let name = env.name("health");
    let port = free_port();
    let mut args = app_args(env, &name, "health", port);
    args["readiness"] = json!({"docker_health": "require", "timeout": 30, "interval": 0.2});
    let r = env.module(&args);
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["container"]["health"], "healthy");
    // require without a healthcheck fails at once
    let mut args = app_args(env, &env.name("nohealth"), "v1", free_port());
    args["readiness"] = json!({"docker_health": "require", "timeout": 30});
    let r = env.module(&args);
    assert_eq!(r["failed"], true);
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.contains("no healthcheck")),
        "{r}"
    );
}

fn check_mode_changes_nothing(env: &Env) {
    let (name, port, first) = deployed(env, "check", "v1");
    let old_id = first["container"]["id"].as_str().expect("id").to_owned();
    let mut args = app_args(env, &name, "v2", port);
    args["_ansible_check_mode"] = json!(true);
    let r = env.module(&args);
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["changed"], true);
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("check mode: would replace")),
        "{r}"
    );
    assert_eq!(r["actions"][0], "create_next");
    assert!(
        r["diff"]["after"]
            .as_str()
            .is_some_and(|a| a.contains("app:v2\""))
    );
    assert_eq!(env.container_id(&name).as_deref(), Some(old_id.as_str()));
    assert_eq!(served_version(port), "palin-testapp v1");
    assert!(env.inspect(&format!("{name}--next")).is_none());
    // unchanged spec in check mode: not changed
    let mut same = app_args(env, &name, "v1", port);
    same["_ansible_check_mode"] = json!(true);
    assert_eq!(env.module(&same)["changed"], false);
    // a new container in check mode is not created; absent in check mode is not removed
    let mut fresh = app_args(env, &env.name("check-new"), "v1", free_port());
    fresh["_ansible_check_mode"] = json!(true);
    let r = env.module(&fresh);
    assert_eq!(r["changed"], true);
    assert!(env.inspect(&env.name("check-new")).is_none());
    let r = env.module(&json!({"name": name, "state": "absent", "_ansible_check_mode": true}));
    assert_eq!(r["changed"], true);
    assert!(env.running(&name));
}

fn absent_removes_cleanly(env: &Env) {
    let (name, port, _) = deployed(env, "absent", "v1");
    let absent = json!({"name": name, "state": "absent", "stop_timeout": 1,
                        "gate": {"url": format!("http://127.0.0.1:{port}/deploy"), "timeout": 2}});
    let r = env.module(&absent);
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["changed"], true);
    assert_eq!(r["actions"], json!(["gate", "stop", "remove"]));
    assert!(env.inspect(&name).is_none());
    assert!(http("GET", port, "/").is_err(), "nothing listens any more");
    let r = env.module(&absent);
    assert_eq!(r["changed"], false, "{r}");
    assert_eq!(r["failed"], false);
}

fn daemon_unreachable_is_a_clear_failure(env: &Env) {
    let mut args = app_args(env, &env.name("nodaemon"), "v1", free_port());
    args["docker_host"] = json!("unix:///nonexistent/palin/docker.sock");
    let r = env.module(&args);
    assert_eq!(r["failed"], true);
    assert_eq!(r["changed"], false);
    let msg = r["msg"].as_str().expect("msg");
    assert!(
        msg.starts_with(
            "cannot reach the Docker daemon at unix:///nonexistent/palin/docker.sock: "
        ),
        "{msg}"
    );
    let mut args = app_args(env, &env.name("nodaemon"), "v1", free_port());
    args["docker_host"] = json!(format!("tcp://127.0.0.1:{}", free_port()));
    let r = env.module(&args);
    assert_eq!(r["failed"], true);
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot reach the Docker daemon at tcp://127.0.0.1:")),
        "{r}"
    );
}

fn missing_image_and_bad_options_fail_clearly(env: &Env) {
    let mut args = app_args(env, &env.name("noimage"), "v1", free_port());
    args["image"] = json!(format!("{}-missing:1", env.prefix));
    let r = env.module(&args);
    assert_eq!(r["failed"], true);
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.contains("is not present locally and pull=never")),
        "{r}"
    );
    // pull=missing of an image no registry has here: one clear failure, nothing created.
    let missing = format!("{}-missing/app:1", env.prefix);
    let r = env.module(&json!({"name": env.name("pull"), "image": missing}));
    assert_eq!(r["failed"], true);
    assert_eq!(r["actions"], json!(["pull_image"]));
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("pull {missing}: "))),
        "{r}"
    );
    assert!(env.inspect(&env.name("pull")).is_none());
    let r = env.module(&json!({"name": env.name("x"), "image": env.image("v1"), "colour": "red", "stop_timeout": "soon"}));
    assert_eq!(r["failed"], true);
    let msg = r["msg"].as_str().expect("msg");
    assert!(
        msg.contains("Unsupported parameters for (palin_docker_deploy) module: colour"),
        "{msg}"
    );
    assert!(
        msg.contains("argument 'stop_timeout' is of type int"),
        "{msg}"
    );
}

type Case = (&'static str, fn(&Env));

fn main() -> ExitCode {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let cases: [Case; 10] = [
        (
            "first_deploy_then_same_spec_changes_nothing",
            first_deploy_then_same_spec_changes_nothing,
        ),
        (
            "new_image_replaces_and_removes_the_old",
            new_image_replaces_and_removes_the_old,
        ),
        (
            "gate_never_ready_leaves_old_untouched",
            gate_never_ready_leaves_old_untouched,
        ),
        (
            "unhealthy_new_image_rolls_back",
            unhealthy_new_image_rolls_back,
        ),
        (
            "crashing_new_image_fails_fast_and_rolls_back",
            crashing_new_image_fails_fast_and_rolls_back,
        ),
        (
            "docker_health_gates_readiness",
            docker_health_gates_readiness,
        ),
        ("check_mode_changes_nothing", check_mode_changes_nothing),
        ("absent_removes_cleanly", absent_removes_cleanly),
        (
            "daemon_unreachable_is_a_clear_failure",
            daemon_unreachable_is_a_clear_failure,
        ),
        (
            "missing_image_and_bad_options_fail_clearly",
            missing_image_and_bad_options_fail_clearly,
        ),
    ];
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|(n, _)| filter.as_deref().is_none_or(|f| n.contains(f)))
        .collect();
    if selected.is_empty() {
        println!("0 passed, 0 failed");
        return ExitCode::SUCCESS;
    }
    println!("\nrunning {} Docker Engine tests", selected.len());
    let env = setup();
    let mut failed = Vec::new();
    for (name, case) in &selected {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&env)));
        if result.is_ok() {
            println!("test {name} ... ok");
        } else {
            println!("test {name} ... FAILED");
            failed.push(*name);
        }
    }
    env.cleanup();
    let passed = selected.len() - failed.len();
    println!("\n{passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("failed: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
