//! Untrusted strings as Ansible must read them. Every variable palin prints came from AWS or a
//! Terraform state, or was computed from them, so it is data, never a template:
//!
//! * in the documents Ansible's `script` inventory plugin reads (`--list`, `--host`), every
//!   string of a variable's value is written as `{"__ansible_unsafe": "…"}`, which both of its
//!   JSON decoders (ansible-core 2.16/2.17's `AnsibleJSONDecoder`, 2.19+'s `inventory_legacy`
//!   profile) turn into text that Ansible never renders ([`Strings::Unsafe`]); `--plain` writes
//!   plain strings ([`Strings::Plain`]), for jq and for the palin.aws inventory plugins;
//! * an object key that starts with `__ansible_` (the decoders' markers `__ansible_unsafe`,
//!   `__ansible_vault`, `__ansible_type`, and any later one) is dropped with its value, at any
//!   depth and as a variable name, in every output: no tag key or output can change how Ansible
//!   decodes a document.
//!
//! Host and group names are JSON keys, which cannot be marked: `inventory::trust` keeps them
//! plain names instead. The rules come in two forms with the same result: over JSON text (the
//! `--list` document, marked as it is streamed, and the cache's plain copy of it) and over
//! `serde_json::Value`s (`--host`, `--pretty`, the exports).

use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::json_text::{members, skip_ws, string_end, unquote, value_end};

/// What every Ansible JSON marker key starts with.
pub const MARKER_PREFIX: &str = "__ansible_";

/// How the strings of variable values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strings {
    /// `{"__ansible_unsafe": "…"}`: what Ansible's script plugin must read.
    Unsafe,
    /// Plain JSON strings (`--plain`).
    Plain,
}

/// Whether an object key is one of Ansible's JSON markers (and so is dropped).
pub fn is_marker(key: &str) -> bool {
    key.starts_with(MARKER_PREFIX)
}

/// Whether a string holds the start of a Jinja construct (`{{`, `{%`, `{#`).
pub fn has_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// A variable's value, marked.
pub fn value(v: Value, strings: Strings) -> Value {
    match v {
        Value::String(s) if strings == Strings::Unsafe => {
            let mut wrapped = Map::new();
            wrapped.insert("__ansible_unsafe".into(), Value::String(s));
            Value::Object(wrapped)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|i| value(i, strings)).collect()),
        Value::Object(map) => Value::Object(vars(map, strings)),
        other => other,
    }
}

/// A map of variables (or any object of a value), marked: marker keys dropped, values marked.
pub fn vars(map: Map<String, Value>, strings: Strings) -> Map<String, Value> {
    map.into_iter()
        .filter(|(k, _)| !is_marker(k))
        .map(|(k, v)| (k, value(v, strings)))
        .collect()
}

/// The `--list` document as a value, its host and group variables marked.
pub fn document(doc: Value, strings: Strings) -> Value {
    let Value::Object(doc) = doc else { return doc };
    let vars_of = |v: Value| match v {
        Value::Object(m) => Value::Object(vars(m, strings)),
        other => other,
    };
    let marked = doc
        .into_iter()
        .map(|(name, part)| {
            let part = match part {
                Value::Object(mut part) => {
                    if name == "_meta" {
                        if let Some(Value::Object(hosts)) = part.remove("hostvars") {
                            let hosts = hosts.into_iter().map(|(h, v)| (h, vars_of(v))).collect();
                            part.insert("hostvars".into(), Value::Object(hosts));
                        }
                    } else if let Some(v) = part.remove("vars") {
                        part.insert("vars".into(), vars_of(v));
                    }
                    Value::Object(part)
                }
                other => other,
            };
            (name, part)
        })
        .collect();
    Value::Object(marked)
}

/// Append the JSON text `src` (one valid JSON value: a host's variables, say), marked.
pub fn push_value(src: &str, strings: Strings, out: &mut String) {
    let b = src.as_bytes();
    value_at(src, skip_ws(b, 0), strings, out);
}

/// Append the value of `src` that starts at `i`, marked; the index just past it.
fn value_at(src: &str, i: usize, strings: Strings, out: &mut String) -> usize {
    let b = src.as_bytes();
    match b.get(i) {
        Some(b'"') => {
            let end = string_end(b, i);
            if strings == Strings::Unsafe {
                out.push_str(r#"{"__ansible_unsafe":"#);
                out.push_str(&src[i..end]);
                out.push('}');
            } else {
                out.push_str(&src[i..end]);
            }
            end
        }
        Some(&open @ (b'{' | b'[')) => {
            let close = if open == b'{' { '}' } else { ']' };
            out.push(open as char);
            let mut j = i + 1;
            let mut first = true;
            loop {
                j = skip_ws(b, j);
                if b.get(j) == Some(&b',') {
                    j = skip_ws(b, j + 1);
                }
                match b.get(j) {
                    None => break,
                    Some(c) if *c as char == close => {
                        j += 1;
                        break;
                    }
                    Some(_) => {}
                }
                if open == b'{' {
                    let key_end = string_end(b, j);
                    let key = &src[j..key_end];
                    let value_start = skip_ws(b, skip_ws(b, key_end) + 1);
                    if is_marker(&unquote(key)) {
                        j = value_end(b, value_start);
                        continue;
                    }
                    if !std::mem::take(&mut first) {
                        out.push(',');
                    }
                    out.push_str(key);
                    out.push(':');
                    j = value_at(src, value_start, strings, out);
                } else {
                    if !std::mem::take(&mut first) {
                        out.push(',');
                    }
                    j = value_at(src, j, strings, out);
                }
            }
            out.push(close);
            j
        }
        _ => {
            let end = value_end(b, i);
            out.push_str(&src[i..end]);
            end
        }
    }
}

/// Append one member of the `--list` document that is a group (`"name":{…}`), its `vars` marked.
pub fn push_group(quoted_name: &str, group: &str, strings: Strings, out: &mut String) {
    out.push_str(quoted_name);
    out.push_str(":{");
    for (i, m) in members(group).enumerate() {
        if i > 0 {
            out.push(',');
        }
        if m.key_is("vars") {
            out.push_str(m.quoted_key);
            out.push(':');
            push_value(m.value, strings, out);
        } else {
            out.push_str(m.whole);
        }
    }
    out.push('}');
}

/// Write a whole compact `--list` document (`src`, as [`crate::render::list_json`] wrote it) to
/// `out`, marked, one host or group at a time.
pub fn write_document(src: &str, strings: Strings, out: &mut impl Write) -> io::Result<()> {
    let mut buf = String::new();
    out.write_all(b"{")?;
    for (i, part) in members(src).enumerate() {
        buf.clear();
        if i > 0 {
            buf.push(',');
        }
        if part.key_is("_meta") {
            buf.push_str(part.quoted_key);
            buf.push_str(":{");
            for (j, m) in members(part.value).enumerate() {
                if j > 0 {
                    buf.push(',');
                }
                if !m.key_is("hostvars") {
                    buf.push_str(m.whole);
                    continue;
                }
                buf.push_str(m.quoted_key);
                buf.push_str(":{");
                out.write_all(buf.as_bytes())?;
                for (k, host) in members(m.value).enumerate() {
                    buf.clear();
                    if k > 0 {
                        buf.push(',');
                    }
                    buf.push_str(host.quoted_key);
                    buf.push(':');
                    push_value(host.value, strings, &mut buf);
                    out.write_all(buf.as_bytes())?;
                }
                buf.clear();
                buf.push('}');
            }
            buf.push('}');
        } else {
            push_group(part.quoted_key, part.value, strings, &mut buf);
        }
        out.write_all(buf.as_bytes())?;
    }
    out.write_all(b"}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(v: &Value, strings: Strings) -> String {
        let mut out = String::new();
        push_value(&v.to_string(), strings, &mut out);
        out
    }

    #[test]
    fn every_string_is_wrapped_and_markers_are_dropped_at_any_depth() {
        let v = json!({
            "a": "{{ lookup('pipe', 'id') }}",
            "n": [1, true, null, "x", {"__ansible_vault": "y", "k": ["z"]}],
            "__ansible_type": {"x": 1},
            "\u{5f}_ansible_unsafe": "gone",
            "e": {}, "l": [], "f": 1.5e300
        });
        let want = json!({
            "a": {"__ansible_unsafe": "{{ lookup('pipe', 'id') }}"},
            "n": [1, true, null, {"__ansible_unsafe": "x"}, {"k": [{"__ansible_unsafe": "z"}]}],
            "e": {}, "l": [], "f": 1.5e300
        });
        assert_eq!(value(v.clone(), Strings::Unsafe), want);
        let parsed: Value = serde_json::from_str(&text(&v, Strings::Unsafe)).expect("valid JSON");
        assert_eq!(parsed, want);
        let plain: Value = serde_json::from_str(&text(&v, Strings::Plain)).expect("valid JSON");
        assert_eq!(plain, value(v, Strings::Plain));
        assert!(!plain.to_string().contains("__ansible"), "{plain}");
    }

    #[test]
    fn escaped_marker_keys_and_whitespace_are_handled_in_text() {
        let src = r#" { "\u005f_ansible_type" : [ "a" , {"b":"c"} ] , "ok" : "v\"}" } "#;
        let mut out = String::new();
        push_value(src, Strings::Unsafe, &mut out);
        assert_eq!(out, r#"{"ok":{"__ansible_unsafe":"v\"}"}}"#);
        let mut out = String::new();
        push_value("[ ]", Strings::Unsafe, &mut out);
        assert_eq!(out, "[]");
    }

    #[test]
    fn the_document_forms_agree() {
        let doc = json!({
            "_meta": {"hostvars": {"web-0": {"t": {"__ansible_unsafe": "x", "k": "v"}, "p": 22}}},
            "all": {"children": ["web"], "vars": {"out": ["{{ x }}"], "__ansible_vault": "v"}},
            "web": {"hosts": ["web-0"]}
        });
        for strings in [Strings::Unsafe, Strings::Plain] {
            let mut out = Vec::new();
            write_document(&doc.to_string(), strings, &mut out).expect("in memory");
            let streamed: Value = serde_json::from_slice(&out).expect("valid JSON");
            assert_eq!(streamed, document(doc.clone(), strings));
        }
        assert_eq!(
            document(doc, Strings::Unsafe)["all"],
            json!({"children": ["web"], "vars": {"out": [{"__ansible_unsafe": "{{ x }}"}]}})
        );
    }
}
