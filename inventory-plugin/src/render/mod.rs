//! Inventory → text (pure): the script-inventory JSON Ansible reads (`--list`, `--host`), a
//! `--graph` tree like `ansible-inventory --graph`, and static INI / YAML snapshots that Ansible's
//! own `ini` and `yaml` inventory plugins read back to the same hosts, groups and variables.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::hostvars::{HostVars, push_json};
use crate::inventory::Inventory;
use crate::json_text;
use crate::marks::{self, Strings};

mod yaml;
pub use yaml::yaml;

/// The `--list` document: every group as `{hosts, children, vars}` (empty keys left out, never an
/// empty dict, which Ansible would read as a host) and all host variables under `_meta.hostvars`.
/// It borrows the inventory and serialises straight from it.
pub fn list(inv: &Inventory) -> ListDoc<'_> {
    ListDoc {
        meta: Meta {
            hostvars: HostVarsDoc(&inv.hostvars),
        },
        rest: rest(inv),
    }
}

/// The `--list` document as compact JSON text, its strings written as `strings` says: the same
/// text as `serde_json::to_string` of [`marks::document`] of [`list`], but every host's raw API
/// variables are copied, not parsed and re-serialised.
pub fn list_json(inv: &Inventory, strings: Strings) -> String {
    let mut out = Vec::with_capacity(
        inv.hostvars
            .values()
            .map(HostVars::size_hint)
            .sum::<usize>()
            + 4096,
    );
    write_list(inv, strings, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// Write the text of [`list_json`] to `out`, one host at a time.
pub fn write_list(
    inv: &Inventory,
    strings: Strings,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    out.write_all(br#"{"_meta":{"hostvars":{"#)?;
    let mut vars = String::new();
    let mut buf = String::new();
    for (i, (host, hv)) in inv.hostvars.iter().enumerate() {
        buf.clear();
        if i > 0 {
            buf.push(',');
        }
        push_json(&mut buf, host);
        buf.push(':');
        vars.clear();
        hv.write_json(&mut vars);
        marks::push_value(&vars, strings, &mut buf);
        out.write_all(buf.as_bytes())?;
    }
    out.write_all(b"}}")?;
    let rest = serde_json::to_string(&rest(inv)).expect("string keys only");
    for group in json_text::members(&rest) {
        buf.clear();
        buf.push(',');
        marks::push_group(group.quoted_key, group.value, strings, &mut buf);
        out.write_all(buf.as_bytes())?;
    }
    out.write_all(b"}")
}

fn rest(inv: &Inventory) -> RestDoc<'_> {
    RestDoc {
        all: AllDoc {
            children: inv.top_groups().into_iter().collect(),
            vars: AllVars(inv),
        },
        groups: inv
            .groups
            .iter()
            .map(|(name, g)| {
                let hosts = (!g.hosts.is_empty() || (g.children.is_empty() && g.vars.is_empty()))
                    .then_some(&g.hosts);
                (
                    name.as_str(),
                    GroupDoc {
                        hosts,
                        children: &g.children,
                        vars: &g.vars,
                    },
                )
            })
            .collect(),
    }
}

/// The serialisable `--list` document (see [`list`]).
#[derive(Debug, Serialize)]
pub struct ListDoc<'a> {
    #[serde(rename = "_meta")]
    meta: Meta<'a>,
    #[serde(flatten)]
    rest: RestDoc<'a>,
}

/// `all` and the groups of the `--list` document.
#[derive(Debug, Serialize)]
struct RestDoc<'a> {
    all: AllDoc<'a>,
    #[serde(flatten)]
    groups: BTreeMap<&'a str, GroupDoc<'a>>,
}

#[derive(Debug, Serialize)]
struct Meta<'a> {
    hostvars: HostVarsDoc<'a>,
}

/// Every host's variables, each as one map.
#[derive(Debug)]
struct HostVarsDoc<'a>(&'a BTreeMap<String, HostVars>);

impl Serialize for HostVarsDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(host, vars)| (host, vars.to_map())))
    }
}

#[derive(Debug, Serialize)]
struct AllDoc<'a> {
    children: Vec<&'a str>,
    #[serde(skip_serializing_if = "AllVars::is_empty")]
    vars: AllVars<'a>,
}

/// The variables of `all`: palin's and the Terraform outputs (printed as their text), in one map
/// in key order.
#[derive(Debug)]
struct AllVars<'a>(&'a Inventory);

impl AllVars<'_> {
    fn is_empty(&self) -> bool {
        !self.0.has_all_vars()
    }
}

impl Serialize for AllVars<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Var<'a> {
            Value(&'a Value),
            Raw(&'a serde_json::value::RawValue),
        }
        let mut vars: Vec<(&String, Var<'_>)> = self
            .0
            .all_vars
            .iter()
            .map(|(k, v)| (k, Var::Value(v)))
            .chain(self.0.outputs.iter().map(|(k, v)| (k, Var::Raw(&v.0))))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(b.0));
        s.collect_map(vars)
    }
}

#[derive(Debug, Serialize)]
struct GroupDoc<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    hosts: Option<&'a BTreeSet<String>>,
    #[serde(skip_serializing_if = "no_children")]
    children: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "no_vars")]
    vars: &'a Map<String, Value>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference to the field
fn no_vars(vars: &&Map<String, Value>) -> bool {
    vars.is_empty()
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn no_children(children: &&BTreeSet<String>) -> bool {
    children.is_empty()
}

/// The `--host NAME` document: that host's variables, `{}` for an unknown host.
pub fn host(inv: &Inventory, name: &str, strings: Strings) -> Value {
    let vars = inv
        .hostvars
        .get(name)
        .map(HostVars::to_map)
        .unwrap_or_default();
    Value::Object(marks::vars(vars, strings))
}

/// A tree of groups and hosts in the layout of `ansible-inventory --graph`.
pub fn graph(inv: &Inventory) -> String {
    fn walk(inv: &Inventory, name: &str, depth: usize, out: &mut String) {
        let pad = "  |".repeat(depth);
        let _ = writeln!(out, "{pad}--@{name}:");
        if let Some(g) = inv.groups.get(name) {
            for child in &g.children {
                walk(inv, child, depth + 1, out);
            }
            for host in &g.hosts {
                let _ = writeln!(out, "{pad}  |--{host}");
            }
        }
    }
    let mut out = String::from("@all:\n");
    for top in inv.top_groups() {
        walk(inv, top, 1, &mut out);
    }
    out
}

/// A static INI inventory. Values are written as Python literals (what Ansible's INI parser
/// evaluates), so strings stay strings and lists and dicts keep their shape. INI has no way to
/// mark a value as data, and Ansible renders INI values as templates: a value holding a Jinja
/// marker (`{{`, `{%`, `{#`) refuses the export, naming the host or group and the variable.
pub fn ini(inv: &Inventory) -> Result<String, Error> {
    let checked = |owner: &str, vars: Map<String, Value>| -> Result<Map<String, Value>, Error> {
        let vars = marks::vars(vars, Strings::Plain);
        match vars.iter().find(|(_, v)| holds_template(v)) {
            Some((k, _)) => Err(Error::Inventory(format!(
                "--export ini: {owner} variable {k} holds a Jinja marker ({{{{, {{% or {{#), which an INI inventory would run as a template; use --export yaml, which marks such values !unsafe"
            ))),
            None => Ok(vars),
        }
    };
    let mut out = String::from("# Static snapshot written by palin-inventory --export ini\n");
    if inv.has_all_vars() {
        out.push_str("\n[all:vars]\n");
        for (k, v) in &checked("group all", inv.all_vars_tree())? {
            let _ = writeln!(out, "{k}={}", py_literal(v));
        }
    }
    out.push_str("\n[all]\n");
    for (host, vars) in &inv.hostvars {
        out.push_str(host);
        for (k, v) in &checked(&format!("host {host}"), vars.to_map())? {
            let _ = write!(out, " {k}={}", shell_quote(&py_literal(v)));
        }
        out.push('\n');
    }
    for (name, group) in &inv.groups {
        if !group.hosts.is_empty() || group.children.is_empty() {
            let _ = writeln!(out, "\n[{name}]");
            for host in &group.hosts {
                let _ = writeln!(out, "{host}");
            }
        }
        if !group.children.is_empty() {
            let _ = writeln!(out, "\n[{name}:children]");
            for child in &group.children {
                let _ = writeln!(out, "{child}");
            }
        }
        if !group.vars.is_empty() {
            let _ = writeln!(out, "\n[{name}:vars]");
            for (k, v) in &checked(&format!("group {name}"), group.vars.clone())? {
                let _ = writeln!(out, "{k}={}", py_literal(v));
            }
        }
    }
    Ok(out)
}

/// Whether any string in `v` holds a Jinja marker.
fn holds_template(v: &Value) -> bool {
    match v {
        Value::String(s) => marks::has_template(s),
        Value::Array(items) => items.iter().any(holds_template),
        Value::Object(map) => map.values().any(holds_template),
        _ => false,
    }
}

/// A JSON value as a Python literal (`ast.literal_eval` reads it back).
fn py_literal(v: &Value) -> String {
    let mut out = String::new();
    write_py(v, &mut out);
    out
}

fn write_py(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => {
            out.push('\'');
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 || c == '\u{7f}' => {
                        let _ = write!(out, "\\x{:02x}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out.push('\'');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py(&Value::String(k.clone()), out);
                out.push_str(": ");
                write_py(item, out);
            }
            out.push('}');
        }
    }
}

/// Quote a token for the POSIX `shlex` split Ansible applies to INI host lines.
fn shell_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::inventory::Group;

    fn sample() -> Inventory {
        let mut inv = Inventory::default();
        inv.groups.insert(
            "aws_ec2".into(),
            Group {
                hosts: ["web-0".to_owned()].into(),
                ..Group::default()
            },
        );
        inv.groups.insert(
            "module_app".into(),
            Group {
                children: ["module_app_module_x".to_owned()].into(),
                ..Group::default()
            },
        );
        inv.groups.insert(
            "module_app_module_x".into(),
            Group {
                hosts: ["web-0".to_owned()].into(),
                ..Group::default()
            },
        );
        inv.hostvars.insert(
            "web-0".into(),
            json!({"ansible_host": "10.0.0.1", "tags": {"Role": "web"}})
                .as_object()
                .cloned()
                .unwrap_or_default()
                .into(),
        );
        inv.all_vars.insert("app_url".into(), json!("https://x"));
        inv
    }

    #[test]
    fn list_never_writes_an_empty_group_dict() {
        let doc = serde_json::to_value(list(&sample())).expect("serialises");
        assert_eq!(
            doc["all"],
            json!({"children": ["aws_ec2", "module_app"], "vars": {"app_url": "https://x"}})
        );
        assert_eq!(
            doc["module_app"],
            json!({"children": ["module_app_module_x"]})
        );
        assert_eq!(
            doc["_meta"]["hostvars"]["web-0"]["ansible_host"],
            "10.0.0.1"
        );
        let empty = serde_json::to_value(list(&Inventory::default())).expect("serialises");
        assert_eq!(
            empty,
            json!({"all": {"children": []}, "_meta": {"hostvars": {}}})
        );
    }

    #[test]
    fn list_json_is_the_text_of_the_list_document() {
        let mut inv = sample();
        let raw = serde_json::value::RawValue::from_string(
            r#"{"ec2_tags":{"Role":"db"},"private_ip_address":"10.0.0.9"}"#.to_owned(),
        )
        .expect("valid JSON");
        let mut db = HostVars::with_raw(Some(raw));
        db.insert("ansible_host".into(), json!("10.0.0.9"));
        inv.hostvars.insert("db-0".into(), db);
        inv.groups.get_mut("aws_ec2").expect("sample group").vars =
            json!({"g": ["x", {"__ansible_vault": "v"}]})
                .as_object()
                .cloned()
                .unwrap_or_default();
        for strings in [Strings::Plain, Strings::Unsafe] {
            for inv in [&inv, &Inventory::default()] {
                let doc = serde_json::to_value(list(inv)).expect("serialises");
                assert_eq!(
                    list_json(inv, strings),
                    serde_json::to_string(&marks::document(doc, strings)).expect("serialises")
                );
            }
        }
        let marked = list_json(&inv, Strings::Unsafe);
        assert!(
            marked.contains(r#""ec2_tags":{"Role":{"__ansible_unsafe":"db"}}"#)
                && marked.contains(
                    r#""aws_ec2":{"hosts":["web-0"],"vars":{"g":[{"__ansible_unsafe":"x"},{}]}}"#
                ),
            "{marked}"
        );
    }

    #[test]
    fn exports_keep_untrusted_strings_data() {
        let mut inv = sample();
        inv.all_vars.insert(
            "payload".into(),
            json!({"__ansible_type": 1, "t": "{{ lookup('pipe', 'id') }}"}),
        );
        let text = yaml(&inv);
        assert!(
            text.contains(r#""payload": {"t": !unsafe "{{ lookup('pipe', 'id') }}"}"#)
                && text.contains(r#""ansible_host": "10.0.0.1""#)
                && !text.contains("__ansible"),
            "{text}"
        );
        let err = ini(&inv)
            .expect_err("an INI value cannot be marked")
            .to_string();
        assert_eq!(
            err,
            "--export ini: group all variable payload holds a Jinja marker ({{, {% or {#), which an INI inventory would run as a template; use --export yaml, which marks such values !unsafe"
        );
    }

    #[test]
    fn graph_matches_ansible_inventory_layout() {
        assert_eq!(
            graph(&sample()),
            "@all:\n  |--@aws_ec2:\n  |  |--web-0\n  |--@module_app:\n  |  |--@module_app_module_x:\n  |  |  |--web-0\n"
        );
    }

    #[test]
    fn python_literals_round_trip_types() {
        assert_eq!(
            py_literal(&json!({"a": [1, true, null, "it's \\ \n"]})),
            r"{'a': [1, True, None, 'it\'s \\ \n']}"
        );
        assert_eq!(py_literal(&json!("5432")), "'5432'");
        assert_eq!(shell_quote(r#"{'a': "b\"}"#), r#""{'a': \"b\\\"}""#);
    }

    #[test]
    fn ini_puts_vars_on_hosts_and_children_in_sections() {
        let text = ini(&sample()).expect("no template in the sample");
        assert!(text.contains("[all:vars]\napp_url='https://x'\n"), "{text}");
        assert!(
            text.contains("web-0 ansible_host=\"'10.0.0.1'\" tags=\"{'Role': 'web'}\"\n"),
            "{text}"
        );
        assert!(
            text.contains("[module_app:children]\nmodule_app_module_x\n"),
            "{text}"
        );
        assert!(!text.contains("[module_app]\n"), "{text}");
    }
}
