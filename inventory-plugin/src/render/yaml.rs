//! The static YAML inventory of `--export yaml`, in the layout of Ansible's `yaml` inventory
//! plugin, written by hand so that every value reads back as it was: Ansible reads YAML 1.1
//! (PyYAML), where a plain `yes`, `on`, `1_000`, `1:20` or `2024-01-01` is a boolean, a number or
//! a date, so every name and string is written double-quoted (JSON's syntax, which YAML shares),
//! every value in flow style, and every float with the `.` and signed exponent YAML 1.1 needs.
//!
//! Untrusted strings stay data: a string that holds a `{` (so every string that could be a
//! template) is tagged `!unsafe`, which Ansible reads as data on every release; other strings are
//! not tagged, because ansible-core 2.19+ resolves the type of an `!unsafe` scalar even when it is
//! quoted (`!unsafe "16.3"` would come back a float), and a string without `{` is never rendered.
//! Marker keys are dropped ([`marks`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use crate::inventory::Inventory;
use crate::marks::{self, Strings};

/// The `--export yaml` text of `inv`.
pub fn yaml(inv: &Inventory) -> String {
    let mut out =
        String::from("# Static snapshot written by palin-inventory --export yaml\nall:\n");
    let top = inv.top_groups();
    if !top.is_empty() {
        out.push_str("  children:\n");
        let mut seen = BTreeSet::new();
        for g in top {
            group(inv, g, 2, &mut seen, &mut out);
        }
    }
    if !inv.hostvars.is_empty() {
        out.push_str("  hosts:\n");
        for (host, vars) in &inv.hostvars {
            indent(&mut out, 2);
            push_str(&mut out, host);
            out.push(':');
            variables(vars.to_map(), 3, &mut out);
        }
    }
    if inv.has_all_vars() {
        out.push_str("  vars:");
        variables(inv.all_vars_tree(), 2, &mut out);
    }
    out
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A group at `depth`: its children (once per path: a cycle is not followed), hosts and vars.
fn group(inv: &Inventory, name: &str, depth: usize, seen: &mut BTreeSet<String>, out: &mut String) {
    indent(out, depth);
    push_str(out, name);
    out.push(':');
    let Some(g) = inv.groups.get(name) else {
        out.push_str(" null\n");
        return;
    };
    let children = !g.children.is_empty() && seen.insert(name.to_owned());
    if !children && g.hosts.is_empty() && g.vars.is_empty() {
        out.push_str(" null\n");
        return;
    }
    out.push('\n');
    if children {
        indent(out, depth + 1);
        out.push_str("children:\n");
        for child in &g.children {
            group(inv, child, depth + 2, seen, out);
        }
        seen.remove(name);
    }
    if !g.hosts.is_empty() {
        indent(out, depth + 1);
        out.push_str("hosts:\n");
        for host in &g.hosts {
            indent(out, depth + 2);
            push_str(out, host);
            out.push_str(": null\n");
        }
    }
    if !g.vars.is_empty() {
        indent(out, depth + 1);
        out.push_str("vars:");
        variables(g.vars.clone(), depth + 1, out);
    }
}

/// ` {}` or a block of `name: value` lines one level below `depth`, after the key just written.
fn variables(vars: Map<String, Value>, depth: usize, out: &mut String) {
    let vars = marks::vars(vars, Strings::Plain);
    if vars.is_empty() {
        out.push_str(" {}\n");
        return;
    }
    out.push('\n');
    for (k, v) in &vars {
        indent(out, depth + 1);
        push_str(out, k);
        out.push_str(": ");
        flow(v, out);
        out.push('\n');
    }
}

/// A value in YAML flow style.
fn flow(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => number(n, out),
        Value::String(s) => {
            if s.contains('{') {
                out.push_str("!unsafe ");
            }
            push_str(out, s);
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_str(out, k);
                out.push_str(": ");
                flow(item, out);
            }
            out.push('}');
        }
    }
}

/// A number as YAML 1.1 reads it back: integers as they are; floats with a `.` in the mantissa
/// and a signed exponent (`1e300` would be a string there).
fn number(n: &Number, out: &mut String) {
    let text = n.to_string();
    if n.is_f64() {
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, Some(e)),
            None => (text.as_str(), None),
        };
        out.push_str(mantissa);
        if !mantissa.contains('.') {
            out.push_str(".0");
        }
        if let Some(e) = exponent {
            out.push('e');
            if !e.starts_with(['-', '+']) {
                out.push('+');
            }
            out.push_str(e);
        }
    } else {
        out.push_str(&text);
    }
}

/// A double-quoted YAML scalar: `"` and `\` escaped, and every character PyYAML would refuse or
/// read as a line break (controls, DEL, C1, U+2028/2029, U+FEFF, U+FFFE/FFFF) as an escape.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{20}'..='\u{7e}'
            | '\u{a0}'..='\u{2027}'
            | '\u{202a}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fefe}'
            | '\u{ff00}'..='\u{fffd}'
            | '\u{10000}'.. => out.push(c),
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(v: &Value) -> String {
        let mut out = String::new();
        flow(v, &mut out);
        out
    }

    #[test]
    fn values_read_back_as_they_were_under_yaml_1_1() {
        assert_eq!(
            text(&json!([
                "yes",
                "1_000",
                "1:20",
                "2024-01-01",
                "",
                "a\"b\\c\n\u{7f}\u{2028}é😀"
            ])),
            r#"["yes", "1_000", "1:20", "2024-01-01", "", "a\"b\\c\u000a\u007f\u2028é😀"]"#
        );
        assert_eq!(
            text(&json!({"f": 1e300, "g": 1.5e-7, "h": 2.0, "i": -3, "n": null, "t": true})),
            r#"{"f": 1.0e+300, "g": 1.5e-7, "h": 2.0, "i": -3, "n": null, "t": true}"#
        );
        assert_eq!(
            text(&json!({"x": "{{ lookup('pipe', 'id') }}", "y": "16.3"})),
            r#"{"x": !unsafe "{{ lookup('pipe', 'id') }}", "y": "16.3"}"#
        );
    }
}
