//! What every target checks, whatever it feeds: the shape of a `--list` document, one-line errors,
//! and the markers that must never leak. Plain Rust (no libFuzzer), so that the replay tests of
//! the main workspace include it with `#[path]` and run it on stable.

#![allow(dead_code)] // each includer uses part of it

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Prefix of every marker the seeds carry. An error message must never contain it, unless the
/// input has it where an error may name it (a key, a resource address, an expression).
pub const MARKER: &str = "PALIN-FUZZ-";
/// Marker of secret values (sensitive outputs, `password`-like and sensitive-marked attributes,
/// `no_log` options): never in any output, unless revealed.
pub const SECRET: &str = "PALIN-FUZZ-SECRET";

/// A broken contract, as the fuzz target panics with it and the replay test reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which rule (`error-echo`, `secret-leak`, `multi-line-error`, `bad-group-name`, ...).
    pub rule: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule, self.detail)
    }
}

pub type Checked = Result<(), Violation>;

pub fn violation(rule: &'static str, detail: impl Into<String>) -> Violation {
    Violation {
        rule,
        detail: detail.into(),
    }
}

/// Open defects this harness finds that are reported and awaiting a fix in the product: a
/// violation of `rule` whose detail contains `pattern` is tolerated (reported, not fatal), so that
/// fuzzing goes on past it and the replay test stays green until the fix lands. Remove an entry
/// with its fix; the replay test then enforces it.
pub const KNOWN_OPEN: &[(&str, &str, &str)] = &[
    // (rule, pattern in the detail, the defect).
];

/// Run `f`, turning a panic into a `panic` violation. Inside a fuzz target, libfuzzer-sys's panic
/// hook aborts on any panic; [`tolerate_panics`] lets through to here the known open ones, and
/// to the product's own `catch_unwind` those it catches on purpose (`caught` says when).
pub fn guarded(caught: fn() -> bool, f: impl FnOnce() -> Checked) -> Checked {
    tolerate_panics(caught);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => Err(violation("panic", panic_message(&*panic))),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Wrap the current panic hook (libfuzzer-sys's abort, or the default) so that a panic the
/// product is catching (`caught()`, e.g. `palin_inventory::panics::is_catching`, as its own hook
/// in main.rs does) or one matching a [`KNOWN_OPEN`] `panic` pattern unwinds quietly instead;
/// every other panic goes to that hook.
fn tolerate_panics(caught: fn() -> bool) {
    static CAUGHT: std::sync::Mutex<Vec<fn() -> bool>> = std::sync::Mutex::new(Vec::new());
    static ONCE: std::sync::Once = std::sync::Once::new();
    if let Ok(mut list) = CAUGHT.lock()
        && !list.contains(&caught)
    {
        list.push(caught);
    }
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = panic_message(info.payload());
            let known = KNOWN_OPEN
                .iter()
                .any(|(rule, pattern, _)| *rule == "panic" && message.contains(pattern));
            let caught = CAUGHT.lock().is_ok_and(|list| list.iter().any(|f| f()));
            if !(known || caught) {
                previous(info);
            }
        }));
    });
}

/// Whether `v` is a known open defect (see [`KNOWN_OPEN`]).
pub fn known(v: &Violation) -> Option<&'static str> {
    KNOWN_OPEN
        .iter()
        .find(|(rule, pattern, _)| *rule == v.rule && v.detail.contains(pattern))
        .map(|(_, _, defect)| *defect)
}

/// Panic on a violation that is not a known open defect (what a fuzz target does with a result).
pub fn enforce(result: Checked) {
    if let Err(v) = result
        && known(&v).is_none()
    {
        panic!("contract violated: {v}");
    }
}

/// An error message as Ansible shows it: one non-empty line.
pub fn one_line_error(message: &str) -> Checked {
    if message.trim().is_empty() {
        return Err(violation("empty-error", "the error message is empty"));
    }
    if message.contains(['\n', '\r']) {
        return Err(violation(
            "multi-line-error",
            format!("the error message is not one line: {message:?}"),
        ));
    }
    Ok(())
}

/// An error message must not quote a marked value (`may_name`: the input holds a marker where an
/// error may name it, so any mention is allowed).
pub fn no_echo(message: &str, may_name: bool) -> Checked {
    if !may_name && message.contains(MARKER) {
        return Err(violation(
            "error-echo",
            format!("the error message quotes a value of the input: {message}"),
        ));
    }
    Ok(())
}

/// A valid Ansible group name, as palin's `safe_group_name` makes them (Python's `\w`, Unicode):
/// word characters only, not starting with a digit, not empty.
pub fn valid_group_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let word = |c: char| c.is_alphanumeric() || c == '_';
    word(first) && !first.is_numeric() && chars.all(word)
}

/// Check a `--list` document: one JSON object with `_meta.hostvars` (an object of objects) and
/// `all`; every other key a valid group name whose value has only `hosts` (hosts of hostvars),
/// `children` (groups of the document) and `vars` (an object). Returns the parsed document.
pub fn check_list(text: &str) -> Result<Value, Violation> {
    let bad = |detail: String| violation("bad-inventory", detail);
    let doc: Value = serde_json::from_str(text.trim_end_matches('\n'))
        .map_err(|e| bad(format!("--list is not one JSON document: {e}")))?;
    let Value::Object(top) = &doc else {
        return Err(bad("--list is not a JSON object".into()));
    };
    let hostvars = top
        .get("_meta")
        .and_then(|m| m.get("hostvars"))
        .and_then(Value::as_object)
        .ok_or_else(|| bad("no _meta.hostvars object".into()))?;
    if let Some((host, _)) = hostvars.iter().find(|(_, v)| !v.is_object()) {
        return Err(bad(format!("hostvars of {host:?} is not an object")));
    }
    if !top.get("all").is_some_and(Value::is_object) {
        return Err(bad("no `all` group".into()));
    }
    let groups: BTreeSet<&str> = top
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "_meta")
        .collect();
    for (name, group) in top.iter().filter(|(k, _)| *k != "_meta") {
        if !valid_group_name(name) {
            return Err(violation(
                "bad-group-name",
                format!("group name {name:?} is not a valid Ansible group name"),
            ));
        }
        let Value::Object(g) = group else {
            return Err(bad(format!("group {name} is not an object")));
        };
        if g.is_empty() {
            return Err(bad(format!(
                "group {name} is an empty dict (Ansible reads it as a host)"
            )));
        }
        for (key, value) in g {
            match (key.as_str(), value) {
                ("hosts", Value::Array(hosts)) => {
                    for h in hosts {
                        let h = h
                            .as_str()
                            .ok_or_else(|| bad(format!("{name}.hosts: not a string")))?;
                        if !hostvars.contains_key(h) {
                            return Err(violation(
                                "unknown-host",
                                format!("group {name} has host {h:?}, which has no hostvars"),
                            ));
                        }
                    }
                }
                ("children", Value::Array(children)) => {
                    for c in children {
                        let c = c
                            .as_str()
                            .ok_or_else(|| bad(format!("{name}.children: not a string")))?;
                        if !(groups.contains(c) || name == "all" && c == "ungrouped") {
                            return Err(violation(
                                "unknown-child",
                                format!("group {name} has child {c:?}, which is not a group"),
                            ));
                        }
                        if c == "all" {
                            return Err(bad(format!("group {name} has `all` as a child")));
                        }
                    }
                }
                ("vars", Value::Object(_)) => {}
                _ => return Err(bad(format!("group {name}: unexpected {key} {value}"))),
            }
        }
    }
    Ok(doc)
}

/// Every string (and every key) of a JSON value, with a flag: whether it is inside a secret place.
pub fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k);
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Whether any key anywhere in `v` contains `needle`.
pub fn key_contains(v: &Value, needle: &str) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| key_contains(i, needle)),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(needle) || key_contains(v, needle)),
        _ => false,
    }
}

/// The string leaves of `v` (not its keys).
pub fn leaves<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| leaves(i, out)),
        Value::Object(map) => map.values().for_each(|v| leaves(v, out)),
        _ => {}
    }
}

/// A JSON object's field as an object.
pub fn obj<'a>(v: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    v.get(key).and_then(Value::as_object)
}

/// Replay every file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` (under
/// `fuzz_dir`) through `check`: the broken contracts (and panics) as one line each, and the known
/// open defects met (see [`KNOWN_OPEN`]) apart. The replay tests of the main workspace fail on
/// the first list and print the second.
pub fn replay(
    fuzz_dir: &std::path::Path,
    target: &str,
    check: fn(&[u8]) -> Checked,
) -> (usize, Vec<String>, Vec<String>) {
    let not_caught: fn() -> bool = || false;
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(fuzz_dir.join(dir).join(target)) {
            files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    let (mut failures, mut known_met) = (Vec::new(), Vec::new());
    for file in &files {
        let data = std::fs::read(file).expect("read a corpus file");
        let name = file
            .strip_prefix(fuzz_dir)
            .unwrap_or(file)
            .display()
            .to_string();
        match guarded(not_caught, || check(&data)) {
            Ok(()) => {}
            Err(v) => match known(&v) {
                Some(defect) => known_met.push(format!("{name}: {defect}: {v}")),
                None => failures.push(format!("{name}: {v}")),
            },
        }
    }
    (files.len(), failures, known_met)
}

/// The replay test of `target`: every file passes its check, or is a known open defect.
pub fn replay_test(target: &str, check: fn(&[u8]) -> Checked) {
    let fuzz_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|d| d.join("fuzz"))
        .find(|d| d.join("corpus").is_dir())
        .expect("the fuzz/ directory of the repository");
    let (count, failures, known_met) = replay(&fuzz_dir, target, check);
    for k in &known_met {
        eprintln!("known open defect: {k}");
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {count} inputs break the contract:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{target}: {count} inputs replayed ({} known open defects)",
        known_met.len()
    );
}
