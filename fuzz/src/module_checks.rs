//! The module_args target's check: the bytes as a module's args file, through
//! `palin_module::execute` with the spec and typed options of palin_docker_deploy and of
//! palin_http_ready, and a body that does the pure part of each module (docker_deploy's desired
//! container spec; http_ready's request, expectation and timing) and echoes the validated
//! parameters and that spec back, as a module's result may. The contract: the result is one JSON
//! object (`failed` a bool, a failure's `msg` one line of text), and no value the input gives a
//! `no_log` option appears anywhere in it.

use docker_deploy::desired::Desired;
use palin_module::{Context, ModuleResult, ModuleSpec};
use serde_json::{Map, Value};

#[path = "common.rs"]
pub mod common;

use common::{Checked, SECRET, leaves, violation};

#[allow(clippy::needless_pass_by_value)] // the signature execute() expects
fn docker_body(ctx: &Context, o: docker_deploy::options::Options) -> ModuleResult {
    match Desired::from_options(&o) {
        Err(e) => ModuleResult::fail(e.to_string()),
        Ok(d) => ModuleResult::ok(false, format!("would deploy {}", d.hash()))
            .with("params", &ctx.params)
            .with("env", d.env_list())
            .with("spec", d.redacted().canonical_json())
            .with("first_host_port", d.first_host_port()),
    }
}

#[allow(clippy::needless_pass_by_value)]
fn http_body(ctx: &Context, o: http_ready::options::Options) -> ModuleResult {
    let (request, expect, timing) = (o.request(), o.expect(), o.timing());
    ModuleResult::ok(false, format!("would wait for {}", request.url))
        .with("params", &ctx.params)
        .with("headers", &request.headers)
        .with("status_ok", expect.status_ok(200))
        .with("timing", format!("{timing:?}"))
}

/// The option values that the spec makes `no_log`, in the input's own params (the
/// `ANSIBLE_MODULE_ARGS` envelope unwrapped): only `registry_auth.password` and `secret_env` of
/// docker_deploy; http_ready has none.
fn no_log_values<'a>(spec: &ModuleSpec, params: &'a Map<String, Value>, out: &mut Vec<&'a str>) {
    for opt in &spec.options {
        let Some(value) = params.get(opt.name) else {
            continue;
        };
        if opt.no_log {
            leaves(value, out);
        } else if let Value::Object(sub) = value {
            for s in opt.suboptions.iter().filter(|s| s.no_log) {
                if let Some(v) = sub.get(s.name) {
                    leaves(v, out);
                }
            }
        }
    }
}

fn check_one(
    spec: &ModuleSpec,
    text: &str,
    input: Option<&Value>,
    run: impl Fn(&str) -> Value,
) -> Checked {
    let name = spec.name;
    let result = run(text);
    let Value::Object(map) = &result else {
        return Err(violation(
            "bad-result",
            format!("{name}: the result is not a JSON object"),
        ));
    };
    // Top-level keys are the SDK's and the spec's names, never data: masking must leave them.
    if let Some(key) = map.keys().find(|k| k.contains(palin_module::mask::MASK)) {
        return Err(violation(
            "masked-key",
            format!("{name}: the result key {key:?} was masked"),
        ));
    }
    if !map.get("changed").is_some_and(Value::is_boolean) {
        return Err(violation(
            "bad-result",
            format!("{name}: no `changed` bool"),
        ));
    }
    let failed = match map.get("failed") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(violation(
                "bad-result",
                format!("{name}: failed is {other}"),
            ));
        }
    };
    // A failure says why (Ansible shows `msg` as it is; it may quote option names, odd ones too).
    if failed
        && map
            .get("msg")
            .and_then(Value::as_str)
            .is_none_or(|m| m.trim().is_empty())
    {
        return Err(violation(
            "bad-result",
            format!("{name}: a failure without a msg"),
        ));
    }
    // Secrets: SECRET only in no_log places of the input, so never in the result.
    let Some(input) = input else { return Ok(()) };
    let params = match input {
        Value::Object(top) if top.len() == 1 => match top.get("ANSIBLE_MODULE_ARGS") {
            Some(Value::Object(inner)) => inner,
            _ => top,
        },
        Value::Object(top) => top,
        _ => return Ok(()),
    };
    let mut secret = Vec::new();
    no_log_values(spec, params, &mut secret);
    let in_secret = secret.iter().filter(|s| s.contains(SECRET)).count();
    let mut all = Vec::new();
    common::strings(input, &mut all);
    let total = all.iter().filter(|s| s.contains(SECRET)).count();
    if in_secret > 0 && in_secret == total {
        let text = serde_json::to_string(&result).expect("a JSON value serialises");
        if text.contains(SECRET) {
            return Err(violation(
                "secret-leak",
                format!("{name}: the result holds a no_log value: {text}"),
            ));
        }
    }
    Ok(())
}

/// `data` as a module's args file, for both modules.
pub fn check_module_args(data: &[u8]) -> Checked {
    common::guarded(|| false, || check_module_args_unguarded(data))
}

fn check_module_args_unguarded(data: &[u8]) -> Checked {
    // The SDK reads the args file as UTF-8 text; other bytes never reach validation.
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let input: Option<Value> = serde_json::from_str(text).ok();
    let docker = docker_deploy::options::spec();
    check_one(&docker, text, input.as_ref(), |t| {
        palin_module::execute(&docker, Ok(t.to_owned()), docker_body)
    })?;
    let http = http_ready::options::spec();
    check_one(&http, text, input.as_ref(), |t| {
        palin_module::execute(&http, Ok(t.to_owned()), http_body)
    })
}
