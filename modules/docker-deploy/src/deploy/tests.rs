//! The deploy driver against an in-memory engine and a scripted waiter: every path of the state
//! machine ends with the engine in the state the module promises.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::deploy;
use crate::desired::{Desired, LABEL_HASH};
use crate::engine::{BuildRequest, ContainerInfo, Credentials, Engine, EngineError};
use crate::options::{Options, spec};
use crate::readiness::{WaitReport, Waiter};

#[derive(Debug, Default)]
struct World {
    containers: BTreeMap<String, ContainerInfo>,
    images: BTreeMap<String, String>,
    calls: Vec<String>,
    fail: BTreeSet<&'static str>,
    seq: u32,
}

#[derive(Debug, Default)]
struct FakeEngine(RefCell<World>);

impl FakeEngine {
    fn with_image(image: &str, id: &str) -> Self {
        let e = Self::default();
        e.0.borrow_mut().images.insert(image.into(), id.into());
        e
    }
    fn find(&self, key: &str) -> Option<ContainerInfo> {
        let w = self.0.borrow();
        w.containers
            .get(key)
            .cloned()
            .or_else(|| w.containers.values().find(|c| c.name == key).cloned())
    }
    fn op(&self, call: String, op: &'static str) -> Result<(), EngineError> {
        let mut w = self.0.borrow_mut();
        w.calls.push(call);
        if w.fail.contains(op) {
            Err(EngineError::api(op, "injected failure"))
        } else {
            Ok(())
        }
    }
    fn names(&self) -> Vec<String> {
        self.0
            .borrow()
            .containers
            .values()
            .map(|c| c.name.clone())
            .collect()
    }
    fn mutating_calls(&self) -> Vec<String> {
        self.0
            .borrow()
            .calls
            .iter()
            .filter(|c| {
                !c.starts_with("inspect") && !c.starts_with("image_id") && !c.starts_with("logs")
            })
            .cloned()
            .collect()
    }
}

impl Engine for FakeEngine {
    async fn inspect(&self, name: &str) -> Result<Option<ContainerInfo>, EngineError> {
        self.op(format!("inspect {name}"), "inspect")?;
        Ok(self.find(name))
    }
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        self.op(format!("image_id {image}"), "image_id")?;
        Ok(self.0.borrow().images.get(image).cloned())
    }
    async fn pull(&self, image: &str, _auth: Option<&Credentials>) -> Result<(), EngineError> {
        self.op(format!("pull {image}"), "pull")?;
        self.0
            .borrow_mut()
            .images
            .insert(image.into(), "sha256:pulled".into());
        Ok(())
    }
    async fn build(&self, req: &BuildRequest) -> Result<(), EngineError> {
        self.op(format!("build {}", req.tag), "build")?;
        self.0
            .borrow_mut()
            .images
            .insert(req.tag.clone(), "sha256:built".into());
        Ok(())
    }
    async fn create(&self, name: &str, spec: &Desired) -> Result<String, EngineError> {
        self.op(format!("create {name}"), "create")?;
        let mut w = self.0.borrow_mut();
        if w.containers.values().any(|c| c.name == name) {
            return Err(EngineError::api("create", "name in use"));
        }
        w.seq += 1;
        let id = format!("id{}", w.seq);
        let image_id = w.images.get(&spec.image).cloned().unwrap_or_default();
        w.containers.insert(
            id.clone(),
            ContainerInfo {
                id: id.clone(),
                name: name.into(),
                image: spec.image.clone(),
                image_id,
                status: "created".into(),
                labels: spec.engine_labels(),
                ..ContainerInfo::default()
            },
        );
        Ok(id)
    }
    async fn start(&self, id: &str) -> Result<(), EngineError> {
        self.op(format!("start {id}"), "start")?;
        let mut w = self.0.borrow_mut();
        let c = w
            .containers
            .get_mut(id)
            .ok_or_else(|| EngineError::api("start", "no such container"))?;
        c.running = true;
        c.status = "running".into();
        Ok(())
    }
    async fn stop(&self, id: &str, _t: u32) -> Result<(), EngineError> {
        self.op(format!("stop {id}"), "stop")?;
        if let Some(c) = self.0.borrow_mut().containers.get_mut(id) {
            c.running = false;
            c.status = "exited".into();
        }
        Ok(())
    }
    async fn remove(&self, id: &str) -> Result<(), EngineError> {
        self.op(format!("remove {id}"), "remove")?;
        self.0.borrow_mut().containers.remove(id);
        Ok(())
    }
    async fn rename(&self, id: &str, new_name: &str) -> Result<(), EngineError> {
        self.op(format!("rename {id} {new_name}"), "rename")?;
        if let Some(c) = self.0.borrow_mut().containers.get_mut(id) {
            c.name = new_name.into();
        }
        Ok(())
    }
    async fn logs(&self, id: &str, _lines: u32) -> Result<Vec<String>, EngineError> {
        self.op(format!("logs {id}"), "logs")?;
        Ok(vec![format!("log of {id}: password=hunter22")])
    }
}

/// Gate answers `gate_ready`; a container is ready iff its image ID is in `ready_images`.
#[derive(Debug)]
struct Scripted {
    gate_ready: bool,
    ready_images: BTreeSet<String>,
    gates: u32,
}

impl Scripted {
    fn new(gate_ready: bool, ready: &[&str]) -> Self {
        Self {
            gate_ready,
            ready_images: ready.iter().map(|s| (*s).to_owned()).collect(),
            gates: 0,
        }
    }
}

fn report(ready: bool, what: &str) -> WaitReport {
    if ready {
        WaitReport {
            ready: true,
            attempts: 1,
            elapsed: 0.1,
            last_error: None,
            explanation: String::new(),
        }
    } else {
        WaitReport::failed(format!(
            "{what} not ready after 1.0 s (4 attempts): last attempt: status 500, expected 200"
        ))
    }
}

impl Waiter for Scripted {
    async fn gate(&mut self, _c: &ContainerInfo) -> WaitReport {
        self.gates += 1;
        report(self.gate_ready, "gate")
    }
    async fn prove<E: Engine>(&mut self, engine: &E, id: &str, what: &str) -> WaitReport {
        let img = engine
            .inspect(id)
            .await
            .ok()
            .flatten()
            .map(|c| c.image_id)
            .unwrap_or_default();
        report(self.ready_images.contains(&img), what)
    }
}

fn opts(json: &str) -> Options {
    let raw = palin_module::RawArgs::from_json(json).expect("json");
    palin_module::prepare::<Options>(&spec(), raw)
        .expect("valid")
        .1
}

const APP: &str = r#"{"name": "app", "image": "app:1", "published_ports": ["8080:8080"],
    "secret_env": {"PASSWORD": "hunter22"}, "gate": {"url": "http://127.0.0.1:8080/deploy"}}"#;

fn block<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt")
        .block_on(f)
}

fn run(engine: &FakeEngine, waiter: &mut Scripted, json: &str, check: bool) -> serde_json::Value {
    block(deploy(engine, waiter, &opts(json), check)).to_value()
}

#[test]
fn first_deploy_creates_and_proves() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    let r = run(&e, &mut Scripted::new(true, &["sha256:v1"]), APP, false);
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["changed"], true);
    assert_eq!(
        r["actions"],
        serde_json::json!(["create_next", "start_next", "prove_next", "rename_next"])
    );
    assert_eq!(e.names(), vec!["app"]);
    let c = e.find("app").expect("app");
    assert!(c.running);
    assert_eq!(c.labels[LABEL_HASH], r["spec_hash"].as_str().expect("hash"));
    assert!(
        c.labels.values().all(|v| !v.contains("hunter22")),
        "no secret in labels"
    );
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("created container app"))
    );
}

#[test]
fn same_spec_again_changes_nothing() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    let mut w = Scripted::new(true, &["sha256:v1"]);
    run(&e, &mut w, APP, false);
    let before = e.mutating_calls().len();
    let r = run(&e, &mut w, APP, false);
    assert_eq!(r["changed"], false, "{r}");
    assert_eq!(r["failed"], false);
    assert_eq!(r["actions"], serde_json::json!(["prove"]));
    assert_eq!(e.mutating_calls().len(), before, "no mutating call");
    assert_eq!(w.gates, 0);
}

#[test]
fn new_image_replaces_through_the_gate() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    let mut w = Scripted::new(true, &["sha256:v1", "sha256:v2"]);
    run(&e, &mut w, APP, false);
    let old = e.find("app").expect("old").id;
    e.0.borrow_mut()
        .images
        .insert("app:1".into(), "sha256:v2".into());
    let r = run(&e, &mut w, APP, false);
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["changed"], true);
    assert_eq!(r["reasons"], serde_json::json!(["image changed"]));
    assert_eq!(r["previous"]["id"], old.as_str());
    assert_eq!(e.names(), vec!["app"], "old one gone, new one renamed");
    assert_eq!(e.find("app").expect("new").image_id, "sha256:v2");
    assert_eq!(w.gates, 1);
}

#[test]
fn gate_refusal_leaves_the_old_container_untouched() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    run(&e, &mut Scripted::new(true, &["sha256:v1"]), APP, false);
    let old = e.find("app").expect("old");
    e.0.borrow_mut()
        .images
        .insert("app:1".into(), "sha256:v2".into());
    let r = run(
        &e,
        &mut Scripted::new(false, &["sha256:v1", "sha256:v2"]),
        APP,
        false,
    );
    assert_eq!(r["failed"], true);
    assert_eq!(r["changed"], false);
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.contains("left untouched")),
        "{r}"
    );
    assert_eq!(e.find("app"), Some(old), "old container exactly as before");
    assert_eq!(e.names(), vec!["app"], "the created --next was removed");
}

#[test]
fn unready_new_container_is_rolled_back_with_logs() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    let mut w = Scripted::new(true, &["sha256:v1"]);
    run(&e, &mut w, APP, false);
    let old = e.find("app").expect("old");
    e.0.borrow_mut()
        .images
        .insert("app:1".into(), "sha256:bad".into());
    let r = run(&e, &mut w, APP, false);
    assert_eq!(r["failed"], true);
    assert_eq!(r["rolled_back"], true);
    let msg = r["msg"].as_str().expect("msg");
    assert!(
        msg.contains("rolled back") && msg.contains("new container app not ready"),
        "{msg}"
    );
    let now = e.find("app").expect("restored");
    assert_eq!(
        (now.id, now.running, now.image_id),
        (old.id, true, "sha256:v1".to_owned())
    );
    assert_eq!(e.names(), vec!["app"]);
    assert!(
        r["logs"][0]
            .as_str()
            .is_some_and(|l| l.starts_with("log of id2")),
        "{r}"
    );
}

#[test]
fn rollback_off_keeps_both() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    let mut w = Scripted::new(true, &["sha256:v1"]);
    run(&e, &mut w, APP, false);
    e.0.borrow_mut()
        .images
        .insert("app:1".into(), "sha256:bad".into());
    let json = APP.replace(
        "\"name\": \"app\"",
        "\"name\": \"app\", \"rollback\": false",
    );
    let r = run(&e, &mut w, &json, false);
    assert_eq!(r["failed"], true);
    assert_eq!(r["rolled_back"], false);
    let mut names = e.names();
    names.sort();
    assert_eq!(names, vec!["app", "app--next"]);
    // The next run cleans the leftover up first.
    e.0.borrow_mut()
        .images
        .insert("app:1".into(), "sha256:v1".into());
    let r = run(&e, &mut w, APP, false);
    assert_eq!(r["actions"][0], "remove_leftover", "{r}");
    assert_eq!(e.names(), vec!["app"]);
}

#[test]
fn check_mode_touches_nothing() {
    let e = FakeEngine::default();
    let r = run(&e, &mut Scripted::new(true, &[]), APP, true);
    assert_eq!(r["changed"], true);
    assert_eq!(r["failed"], false);
    assert_eq!(
        r["actions"],
        serde_json::json!([
            "pull_image",
            "create_next",
            "start_next",
            "prove_next",
            "rename_next"
        ])
    );
    assert!(e.mutating_calls().is_empty(), "{:?}", e.mutating_calls());
    assert!(
        r["diff"]["after"]
            .as_str()
            .is_some_and(|a| a.contains("app:1") && !a.contains("hunter22"))
    );
    assert_eq!(r["diff"]["before"], "");
}

#[test]
fn absent_removes_through_the_gate_then_is_idempotent() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    let mut w = Scripted::new(true, &["sha256:v1"]);
    run(&e, &mut w, APP, false);
    let absent =
        r#"{"name": "app", "state": "absent", "gate": {"url": "http://127.0.0.1:8080/deploy"}}"#;
    let r = run(&e, &mut w, absent, false);
    assert_eq!(
        (r["changed"].clone(), r["failed"].clone()),
        (true.into(), false.into()),
        "{r}"
    );
    assert_eq!(r["actions"], serde_json::json!(["gate", "stop", "remove"]));
    assert!(e.names().is_empty());
    let r = run(&e, &mut w, absent, false);
    assert_eq!(r["changed"], false);
    assert_eq!(r["msg"], "container app is absent");
}

#[test]
fn image_handling() {
    let e = FakeEngine::default();
    let r = run(
        &e,
        &mut Scripted::new(true, &[]),
        r#"{"name": "a", "image": "x:1", "pull": "never"}"#,
        false,
    );
    assert_eq!(r["failed"], true);
    assert_eq!(r["msg"], "image x:1 is not present locally and pull=never");
    let r = run(
        &e,
        &mut Scripted::new(true, &["sha256:pulled"]),
        r#"{"name": "a", "image": "x:1"}"#,
        false,
    );
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["actions"][0], "pull_image");
    e.0.borrow_mut().fail.insert("pull");
    let r = run(
        &e,
        &mut Scripted::new(true, &[]),
        r#"{"name": "b", "image": "y:1"}"#,
        false,
    );
    assert_eq!(r["failed"], true);
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.contains("injected failure"))
    );
    let r = run(
        &e,
        &mut Scripted::new(true, &["sha256:built"]),
        r#"{"name": "c", "image": "z:1", "build": {"path": "/ctx"}}"#,
        false,
    );
    assert_eq!(r["failed"], false, "{r}");
    assert_eq!(r["actions"][0], "build_image");
}

#[test]
fn engine_failures_become_clear_results() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    e.0.borrow_mut().fail.insert("create");
    let r = run(&e, &mut Scripted::new(true, &["sha256:v1"]), APP, false);
    assert_eq!(r["failed"], true);
    assert_eq!(
        r["msg"],
        "deploy failed: create_next: create: injected failure"
    );
    assert!(e.names().is_empty());
    let e = FakeEngine::default();
    e.0.borrow_mut().fail.insert("inspect");
    let r = run(&e, &mut Scripted::new(true, &[]), APP, false);
    assert_eq!(r["failed"], true);
    assert_eq!(r["msg"], "inspect: injected failure");
}

#[test]
fn a_stopped_container_with_the_same_spec_is_started() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    let mut w = Scripted::new(true, &["sha256:v1"]);
    run(&e, &mut w, APP, false);
    let id = e.find("app").expect("c").id;
    block(e.stop(&id, 1)).expect("stop");
    let r = run(&e, &mut w, APP, false);
    assert_eq!(r["actions"], serde_json::json!(["start", "prove"]), "{r}");
    assert_eq!(r["changed"], true);
    assert!(e.find("app").expect("c").running);
}

#[test]
fn a_foreign_next_container_is_not_removed() {
    let e = FakeEngine::with_image("app:1", "sha256:v1");
    e.0.borrow_mut().containers.insert(
        "x".into(),
        ContainerInfo {
            id: "x".into(),
            name: "app--next".into(),
            ..ContainerInfo::default()
        },
    );
    let r = run(&e, &mut Scripted::new(true, &["sha256:v1"]), APP, false);
    assert_eq!(r["failed"], true);
    assert!(
        r["msg"]
            .as_str()
            .is_some_and(|m| m.contains("palin did not create it"))
    );
    assert!(e.find("app--next").is_some());
}
