//! The deploy driver: observe (inspect, image), make sure the image is there (build or pull),
//! [`decide`], then run the [`Machine`] step by step against an [`Engine`] and a [`Waiter`], and
//! turn what happened into the module result (`changed`, `msg`, `actions`, `diff`, …). In check
//! mode it only observes and reports the planned steps.

use serde_json::json;

use palin_module::{Diff, ModuleResult};

use crate::desired::{Desired, LABEL_MANAGED, LABEL_SPEC, diff_text};
use crate::engine::{BuildRequest, ContainerInfo, Credentials, Engine, EngineError};
use crate::options::{Options, Pull, State};
use crate::plan::{End, Facts, Machine, Step, decide};
use crate::readiness::{WaitReport, Waiter};

fn container_json(c: &ContainerInfo) -> serde_json::Value {
    let mut v = json!({
        "id": c.id, "name": c.name, "image": c.image, "image_id": c.image_id, "status": c.status,
    });
    if let (Some(h), serde_json::Value::Object(m)) = (&c.health, &mut v) {
        m.insert("health".into(), json!(h));
    }
    v
}

/// Everything the run collected, turned into a result at the end.
#[derive(Debug, Default)]
struct Run {
    actions: Vec<String>,
    errors: Vec<String>,
    mutated: bool,
    gate: Option<WaitReport>,
    readiness: Option<WaitReport>,
    restore: Option<WaitReport>,
    logs: Vec<String>,
}

/// The part of a run before any change: desired spec, what exists, the image.
struct Observed {
    desired: Option<Desired>,
    current: Option<ContainerInfo>,
    leftover: Option<ContainerInfo>,
    image_id: Option<String>,
    /// The image is missing and would have to be pulled (check mode).
    would_pull: bool,
}

async fn observe<E: Engine>(
    engine: &E,
    o: &Options,
    check_mode: bool,
    run: &mut Run,
) -> Result<Observed, String> {
    let desired = match o.state {
        State::Present => Some(Desired::from_options(o).map_err(|e| e.to_string())?),
        State::Absent => None,
    };
    let current = engine.inspect(&o.name).await.map_err(|e| e.to_string())?;
    let next_name = format!("{}--next", o.name);
    let leftover = engine
        .inspect(&next_name)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(l) = &leftover
        && l.labels.get(LABEL_MANAGED).map(String::as_str) != Some("true")
    {
        return Err(format!(
            "a container named {next_name} exists and palin did not create it; palin needs that name for the new container"
        ));
    }
    let mut image_id = None;
    let mut would_pull = false;
    if let Some(d) = &desired {
        image_id = engine.image_id(&d.image).await.map_err(|e| e.to_string())?;
        if let Some(b) = &o.build {
            run.actions.push("build_image".into());
            if !check_mode {
                let req = BuildRequest {
                    context: b.path.clone().into(),
                    dockerfile: b.dockerfile.clone(),
                    tag: d.image.clone(),
                    args: b.args.clone(),
                    nocache: b.nocache,
                };
                engine.build(&req).await.map_err(|e| e.to_string())?;
                image_id = engine.image_id(&d.image).await.map_err(|e| e.to_string())?;
                if image_id.is_none() {
                    return Err(format!(
                        "the build finished but image {} is not there",
                        d.image
                    ));
                }
            }
        } else {
            match (o.pull, image_id.is_some()) {
                (Pull::Never, false) => {
                    return Err(format!(
                        "image {} is not present locally and pull=never",
                        d.image
                    ));
                }
                (Pull::Missing | Pull::Never, true) => {}
                (Pull::Missing, false) | (Pull::Always, _) => {
                    run.actions.push("pull_image".into());
                    would_pull = image_id.is_none();
                    if !check_mode {
                        let auth = o.registry_auth.as_ref().map(|a| Credentials {
                            username: a.username.clone(),
                            password: a.password.clone(),
                            server: a.server.clone(),
                        });
                        engine
                            .pull(&d.image, auth.as_ref())
                            .await
                            .map_err(|e| e.to_string())?;
                        image_id = engine.image_id(&d.image).await.map_err(|e| e.to_string())?;
                        if image_id.is_none() {
                            return Err(format!("pulled {} but the image is not there", d.image));
                        }
                    }
                }
            }
        }
    }
    Ok(Observed {
        desired,
        current,
        leftover,
        image_id,
        would_pull,
    })
}

fn make_diff(obs: &Observed, built: bool) -> Diff {
    let before = obs
        .current
        .as_ref()
        .map(|c| {
            diff_text(
                c.labels.get(LABEL_SPEC).map(String::as_str),
                Some(&c.image_id),
            )
        })
        .unwrap_or_default();
    let after = obs
        .desired
        .as_ref()
        .map(|d| {
            let pending = if built {
                "(built at deploy time)"
            } else {
                "(pulled at deploy time)"
            };
            let id = obs.image_id.as_deref().unwrap_or(pending);
            diff_text(Some(&d.redacted().canonical_json()), Some(id))
        })
        .unwrap_or_default();
    Diff {
        before,
        after,
        before_header: Some(format!(
            "container {}",
            obs.current
                .as_ref()
                .map_or("(absent)", |c| c.name.trim_start_matches('/'))
        )),
        after_header: Some("desired".into()),
    }
}

/// Runs a deploy. Never panics on engine errors: they become a failed result.
pub async fn deploy<E: Engine, W: Waiter>(
    engine: &E,
    waiter: &mut W,
    o: &Options,
    check_mode: bool,
) -> ModuleResult {
    let mut run = Run::default();
    let obs = match observe(engine, o, check_mode, &mut run).await {
        Ok(obs) => obs,
        Err(e) => {
            let mut r = ModuleResult::fail(e).with("rolled_back", false);
            r.changed = run.mutated;
            r.set("actions", &run.actions);
            return r;
        }
    };
    let hash = obs.desired.as_ref().map(Desired::hash).unwrap_or_default();
    let decided = decide(
        o.state,
        obs.current.as_ref(),
        &hash,
        obs.image_id.as_deref(),
        o.recreate,
    );
    let facts = Facts {
        decision: decided.decision,
        leftover: obs.leftover.is_some(),
        running: obs.current.as_ref().is_some_and(|c| c.running),
        gate: o.gate.is_some(),
        rollback: o.rollback,
    };
    let mut result = if check_mode {
        plan_only(&obs, facts, &decided.reasons, &mut run, o)
    } else {
        execute(engine, waiter, o, &obs, facts, &decided.reasons, &mut run).await
    };
    result.diff = Some(make_diff(&obs, o.build.is_some()));
    if o.state == State::Present {
        result.set("spec_hash", &hash);
    }
    result.set("actions", &run.actions);
    result.set("reasons", &decided.reasons);
    if let Some(g) = &run.gate {
        result.set("gate", g);
    }
    if let Some(r) = &run.readiness {
        result.set("readiness", r);
    }
    if !run.logs.is_empty() {
        result.set("logs", &run.logs);
    }
    result
}

fn plan_only(
    obs: &Observed,
    facts: Facts,
    reasons: &[String],
    run: &mut Run,
    o: &Options,
) -> ModuleResult {
    let (steps, end) = Machine::planned(facts);
    run.actions
        .extend(steps.iter().map(|s| s.name().to_owned()));
    let changed = obs.would_pull || steps.iter().any(|s| s.mutates());
    let what = match end {
        End::Unchanged => format!("container {} is up to date", o.name),
        End::Absent if changed => format!("would remove a leftover {}--next", o.name),
        End::Absent => format!("container {} is absent", o.name),
        End::Created => format!("would create container {}", o.name),
        End::Replaced => format!(
            "would replace container {} ({})",
            o.name,
            reasons.join(", ")
        ),
        End::Started => format!("would start container {} ({})", o.name, reasons.join(", ")),
        End::Removed => format!("would remove container {}", o.name),
        _ => format!("container {}: {}", o.name, reasons.join(", ")),
    };
    let mut r = ModuleResult::ok(changed, format!("check mode: {what}")).with("rolled_back", false);
    if let Some(c) = &obs.current {
        r.set("container", container_json(c));
    }
    r
}

async fn execute<E: Engine, W: Waiter>(
    engine: &E,
    waiter: &mut W,
    o: &Options,
    obs: &Observed,
    facts: Facts,
    reasons: &[String],
    run: &mut Run,
) -> ModuleResult {
    let next_name = format!("{}--next", o.name);
    let old_id = obs
        .current
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_default();
    let mut next_id = String::new();
    let mut machine = Machine::new(facts);
    let mut step = machine.first();
    let end = loop {
        if let Step::Done(end) = step {
            break end;
        }
        run.actions.push(step.name().to_owned());
        let outcome: Result<(), String> = match step {
            Step::RemoveLeftover => {
                let id = obs
                    .leftover
                    .as_ref()
                    .map(|c| c.id.clone())
                    .unwrap_or_default();
                engine.remove(&id).await.map_err(|e| e.to_string())
            }
            Step::CreateNext => match obs.desired.as_ref() {
                Some(d) => match engine.create(&next_name, d).await {
                    Ok(id) => {
                        next_id = id;
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                },
                None => Err("nothing to create".into()),
            },
            Step::Gate => {
                let current = obs.current.clone().unwrap_or_default();
                let report = waiter.gate(&current).await;
                let res = if report.ready {
                    Ok(())
                } else {
                    Err(report.explanation.clone())
                };
                run.gate = Some(report);
                res
            }
            Step::StopOld | Step::StopCurrent => engine
                .stop(&old_id, o.stop_timeout)
                .await
                .map_err(|e| e.to_string()),
            Step::StartNext => engine
                .start(&next_id)
                .await
                .map_err(|e| format!("starting the new container: {e}")),
            Step::ProveNext => {
                let report = waiter
                    .prove(engine, &next_id, &format!("new container {}", o.name))
                    .await;
                let res = if report.ready {
                    Ok(())
                } else {
                    Err(report.explanation.clone())
                };
                run.readiness = Some(report);
                res
            }
            Step::RemoveOld | Step::RemoveCurrent => {
                engine.remove(&old_id).await.map_err(|e| e.to_string())
            }
            Step::RenameNext => engine
                .rename(&next_id, &o.name)
                .await
                .map_err(|e| e.to_string()),
            Step::CaptureLogs => {
                let id = if next_id.is_empty() {
                    &old_id
                } else {
                    &next_id
                };
                match engine.logs(id, o.log_lines).await {
                    Ok(lines) => {
                        run.logs = lines;
                        Ok(())
                    }
                    Err(e) => Err(format!("reading its logs: {e}")),
                }
            }
            Step::StopNext => engine
                .stop(&next_id, o.stop_timeout)
                .await
                .map_err(|e| e.to_string()),
            Step::RemoveNext => engine.remove(&next_id).await.map_err(|e| e.to_string()),
            Step::StartOld | Step::StartCurrent => {
                engine.start(&old_id).await.map_err(|e| e.to_string())
            }
            Step::ProveOld => {
                let report = waiter
                    .prove(engine, &old_id, &format!("previous container {}", o.name))
                    .await;
                let res = if report.ready {
                    Ok(())
                } else {
                    Err(report.explanation.clone())
                };
                run.restore = Some(report);
                res
            }
            Step::ProveCurrent => {
                let report = waiter
                    .prove(engine, &old_id, &format!("container {}", o.name))
                    .await;
                let res = if report.ready {
                    Ok(())
                } else {
                    Err(report.explanation.clone())
                };
                run.readiness = Some(report);
                res
            }
            Step::Done(_) => unreachable!("handled above"),
        };
        let ok = match outcome {
            Ok(()) => {
                if step.mutates() {
                    run.mutated = true;
                }
                true
            }
            Err(e) => {
                run.errors.push(format!("{}: {e}", step.name()));
                false
            }
        };
        step = machine.next(step, ok);
    };
    finish(engine, o, obs, end, reasons, run).await
}

fn first_error(run: &Run) -> String {
    run.errors
        .first()
        .cloned()
        .unwrap_or_else(|| "unknown failure".into())
}

async fn finish<E: Engine>(
    engine: &E,
    o: &Options,
    obs: &Observed,
    end: End,
    reasons: &[String],
    run: &Run,
) -> ModuleResult {
    let after = engine.inspect(&o.name).await.ok().flatten();
    let ready_after = run.readiness.as_ref().map_or(String::new(), |r| {
        format!(" (ready after {:.2} s)", r.elapsed)
    });
    let why_new = || {
        run.readiness
            .as_ref()
            .filter(|r| !r.ready)
            .map_or_else(|| first_error(run), |r| r.explanation.clone())
    };
    let name = &o.name;
    let (failed, msg) = match end {
        End::Unchanged => (false, format!("container {name} is up to date and ready")),
        End::Created => (false, format!("created container {name}{ready_after}")),
        End::Replaced => (
            false,
            format!(
                "replaced container {name} ({}){ready_after}",
                reasons.join(", ")
            ),
        ),
        End::Started => (false, format!("started container {name}{ready_after}")),
        End::Removed => (false, format!("removed container {name}")),
        End::Absent => (false, format!("container {name} is absent")),
        End::GateRefused => (
            true,
            format!(
                "{}; the running container {name} was left untouched",
                run.gate
                    .as_ref()
                    .map_or_else(|| first_error(run), |g| g.explanation.clone())
            ),
        ),
        End::RolledBack => (
            true,
            format!(
                "deploy failed: {}; rolled back: the previous container {name} is running and ready again",
                why_new()
            ),
        ),
        End::RollbackFailed => (
            true,
            format!(
                "deploy failed: {}; ROLLBACK FAILED: {}",
                why_new(),
                run.restore.as_ref().filter(|r| !r.ready).map_or_else(
                    || run.errors.last().cloned().unwrap_or_default(),
                    |r| r.explanation.clone()
                )
            ),
        ),
        End::Failed => (true, format!("deploy failed: {}", first_error(run))),
    };
    let mut r = if failed {
        ModuleResult::fail(msg)
    } else {
        ModuleResult::ok(false, msg)
    };
    r.changed = match end {
        End::GateRefused => false,
        _ => run.mutated,
    };
    r.set("rolled_back", matches!(end, End::RolledBack));
    if let Some(c) = &after {
        r.set("container", container_json(c));
    }
    if matches!(end, End::Replaced | End::Removed)
        && let Some(c) = &obs.current
    {
        r.set("previous", json!({"id": c.id, "image_id": c.image_id}));
    }
    if run.errors.len() > 1 || (end.failed() && !run.errors.is_empty()) {
        r.set("errors", &run.errors);
    }
    r
}

impl From<EngineError> for ModuleResult {
    fn from(e: EngineError) -> Self {
        ModuleResult::fail(e.to_string())
    }
}

#[cfg(test)]
mod tests;
