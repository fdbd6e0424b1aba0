//! Sidecar documentation: `<module>.yml` (DOCUMENTATION / EXAMPLES / RETURN) generated from the
//! same [`ModuleSpec`] that validates options, so `ansible-doc` cannot drift from the binary. Also
//! a tiny block-style YAML emitter (strings JSON-quoted, which YAML accepts) to keep YAML
//! libraries out of module binaries.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::spec::{Kind, ModuleSpec, OptSpec, ReturnSpec};

fn option_doc(opt: &OptSpec) -> Value {
    let mut m = Map::new();
    let mut description: Vec<Value> = opt.description.iter().map(|d| json!(d)).collect();
    if opt.no_log {
        description.push(json!(
            "Secret (no_log): the module masks these values in everything it returns."
        ));
    }
    m.insert("description".into(), Value::Array(description));
    m.insert("type".into(), json!(opt.kind.ansible_name()));
    if opt.required {
        m.insert("required".into(), json!(true));
    }
    if let Some(default) = &opt.default {
        m.insert("default".into(), default.clone());
    }
    if !opt.choices.is_empty() {
        m.insert("choices".into(), Value::Array(opt.choices.clone()));
    }
    if opt.kind == Kind::List {
        let elements = if opt.suboptions.is_empty() {
            opt.elements.unwrap_or(Kind::Raw)
        } else {
            Kind::Dict
        };
        m.insert("elements".into(), json!(elements.ansible_name()));
    }
    if !opt.suboptions.is_empty() {
        m.insert("suboptions".into(), options_doc(&opt.suboptions));
    }
    Value::Object(m)
}

fn options_doc(options: &[OptSpec]) -> Value {
    Value::Object(
        options
            .iter()
            .map(|o| (o.name.to_owned(), option_doc(o)))
            .collect(),
    )
}

fn return_doc(r: &ReturnSpec) -> Value {
    let mut m = Map::new();
    m.insert("description".into(), json!(r.description));
    m.insert("returned".into(), json!(r.returned));
    m.insert("type".into(), json!(r.kind));
    if let Some(sample) = &r.sample {
        m.insert("sample".into(), sample.clone());
    }
    if !r.contains.is_empty() {
        m.insert(
            "contains".into(),
            Value::Object(
                r.contains
                    .iter()
                    .map(|c| (c.name.to_owned(), return_doc(c)))
                    .collect(),
            ),
        );
    }
    Value::Object(m)
}

/// The DOCUMENTATION mapping of `spec`.
pub fn documentation(spec: &ModuleSpec) -> Value {
    let mut m = Map::new();
    m.insert("module".into(), json!(spec.name));
    m.insert("short_description".into(), json!(spec.short_description));
    m.insert("description".into(), json!(spec.description));
    m.insert("options".into(), options_doc(&spec.options));
    m.insert(
        "attributes".into(),
        json!({
            "check_mode": {
                "support": spec.check_mode.doc_value(),
                "description": "Can run in check_mode and return changed status prediction without modifying target."
            },
            "diff_mode": {
                "support": spec.diff_mode.doc_value(),
                "description": "Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode."
            },
            "platform": {
                "support": "full",
                "platforms": "posix",
                "description": "A static Linux binary: runs on hosts without Python (ansible_python_interpreter is not used)."
            }
        }),
    );
    if !spec.notes.is_empty() {
        m.insert("notes".into(), json!(spec.notes));
    }
    m.insert("author".into(), json!(["palin contributors (@palin-dev)"]));
    Value::Object(m)
}

/// The RETURN mapping of `spec`.
pub fn returns(spec: &ModuleSpec) -> Value {
    Value::Object(
        spec.returns
            .iter()
            .map(|r| (r.name.to_owned(), return_doc(r)))
            .collect(),
    )
}

/// The whole sidecar file `<module>.yml`.
pub fn sidecar_yaml(spec: &ModuleSpec) -> String {
    let mut out = format!(
        "# Generated from the option spec compiled into {name} (`{name} --doc`); do not edit.\n",
        name = spec.name
    );
    let doc = json!({
        "DOCUMENTATION": documentation(spec),
        "EXAMPLES": spec.examples,
        "RETURN": returns(spec),
    });
    // Fixed order of the three top-level keys, as in Ansible's own modules.
    for key in ["DOCUMENTATION", "EXAMPLES", "RETURN"] {
        let mut one = Map::new();
        one.insert(key.to_owned(), doc[key].clone());
        out.push_str(&to_yaml(&Value::Object(one)));
    }
    out
}

fn plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !k.starts_with('-')
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null"
        )
}

fn key_text(k: &str) -> String {
    if plain_key(k) {
        k.to_owned()
    } else {
        Value::String(k.to_owned()).to_string()
    }
}

fn scalar(v: &Value) -> String {
    // JSON scalars are valid YAML flow scalars (double-quoted strings use JSON's escapes).
    v.to_string()
}

fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.contains('\r')
        && !s.contains('\t')
        && s.ends_with('\n')
        && !s.ends_with("\n\n")
}

fn emit(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let _ = write!(out, "{pad}{}:", key_text(k));
                emit_after_key(v, indent, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                let _ = write!(out, "{pad}-");
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        // First key on the dash line, the rest aligned under it.
                        let mut first = true;
                        for (k, sub) in m {
                            if first {
                                let _ = write!(out, " {}:", key_text(k));
                                first = false;
                            } else {
                                let _ = write!(out, "{pad}  {}:", key_text(k));
                            }
                            emit_after_key(sub, indent + 2, out);
                        }
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        emit(v, indent + 2, out);
                    }
                    _ => emit_after_key(v, indent, out),
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

fn emit_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Array(a) if a.is_empty() => out.push_str(" []\n"),
        Value::Object(_) | Value::Array(_) => {
            out.push('\n');
            emit(v, indent + 2, out);
        }
        Value::String(s) if literal_ok(s) => {
            out.push_str(" |\n");
            let pad = " ".repeat(indent + 2);
            for line in s.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "{pad}{line}");
                }
            }
        }
        other => {
            let _ = writeln!(out, " {}", scalar(other));
        }
    }
}

/// Block-style YAML for a JSON value.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(_) | Value::Array(_) => emit(value, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Kind, Support};

    fn back(yaml: &str) -> Value {
        serde_yaml_ng::from_str(yaml).expect("valid YAML")
    }

    #[test]
    fn yaml_round_trips_through_a_real_parser() {
        let v = json!({
            "a": "plain", "b": "with: colon # and hash", "yes": "key needs quotes",
            "c": [1, 2.5, true, null, "x"], "d": {"e": [], "f": {}},
            "g": [{"h": 1, "i": [{"j": "k"}]}, [1, 2]], "multi": "line one\n  indented\nthree\n",
            "unicode": "naïve \"quoted\" \\ back", "weird key": 3, "-dash": "x",
        });
        assert_eq!(back(&to_yaml(&v)), v);
    }

    #[test]
    fn sidecar_has_the_three_sections_from_the_spec() {
        let spec = ModuleSpec {
            name: "demo",
            short_description: "Demo",
            description: vec!["Does things."],
            options: vec![
                OptSpec::str("name").required().doc("The name."),
                OptSpec::dict("secret_env")
                    .elements(Kind::Str)
                    .no_log()
                    .doc("Secrets."),
                OptSpec::list("networks", Kind::Dict)
                    .suboptions(vec![OptSpec::str("name").required()]),
            ],
            returns: vec![
                ReturnSpec::new("actions", "list", "always", "What was done.")
                    .sample(json!(["create"])),
            ],
            examples: "- name: Demo\n  demo:\n    name: web\n",
            notes: vec!["A note."],
            check_mode: Support::Full,
            diff_mode: Support::Partial,
            supports_check_mode: true,
        };
        let text = sidecar_yaml(&spec);
        let parsed = back(&text);
        assert_eq!(parsed["DOCUMENTATION"]["module"], "demo");
        assert_eq!(parsed["DOCUMENTATION"]["options"]["name"]["required"], true);
        assert_eq!(
            parsed["DOCUMENTATION"]["options"]["networks"]["elements"],
            "dict"
        );
        assert_eq!(
            parsed["DOCUMENTATION"]["options"]["networks"]["suboptions"]["name"]["type"],
            "str"
        );
        assert!(
            parsed["DOCUMENTATION"]["options"]["secret_env"]["description"][1]
                .as_str()
                .is_some_and(|d| d.contains("no_log"))
        );
        assert_eq!(
            parsed["DOCUMENTATION"]["attributes"]["diff_mode"]["support"],
            "partial"
        );
        assert_eq!(parsed["EXAMPLES"], spec.examples);
        assert_eq!(parsed["RETURN"]["actions"]["sample"], json!(["create"]));
        assert!(text.contains("EXAMPLES: |\n  - name: Demo\n"), "{text}");
    }
}
