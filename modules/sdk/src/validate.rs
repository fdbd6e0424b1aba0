//! Validation and coercion of raw option values against a [`ModuleSpec`]: the conversions
//! AnsibleModule users rely on (ad-hoc `-a port=8080` arrives as a string), required options,
//! defaults, choices, suboptions, and unknown options rejected with a clear message.

use serde_json::{Map, Number, Value};

use crate::error::SdkError;
use crate::spec::{Kind, ModuleSpec, OptSpec};

/// Parses Ansible's boolean spellings (any case): yes/no, true/false, on/off, y/n, t/f, 1/0.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "y" | "t" | "1" | "1.0" => Some(true),
        "no" | "false" | "off" | "n" | "f" | "0" | "0.0" | "" => Some(false),
        _ => None,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Converts `value` to `kind`; the error says what was wrong (without the option's name).
pub fn coerce(value: Value, kind: Kind) -> Result<Value, String> {
    let bad = |v: &Value| {
        format!(
            "{} cannot be converted to {}",
            type_name(v),
            kind.ansible_name()
        )
    };
    match kind {
        Kind::Raw => Ok(value),
        Kind::Str => match value {
            Value::String(_) => Ok(value),
            Value::Bool(b) => Ok(Value::String(if b { "True" } else { "False" }.into())),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            other => Err(bad(&other)),
        },
        Kind::Bool => match &value {
            Value::Bool(_) => Ok(value),
            Value::String(s) => parse_bool(s).map(Value::Bool).ok_or_else(|| {
                format!("'{s}' is not a valid boolean (use yes/no, true/false, on/off, 1/0)")
            }),
            Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Value::Bool(true)),
            Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Value::Bool(false)),
            other => Err(bad(other)),
        },
        Kind::Int => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value),
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(Value::from(f as i64))
                } else {
                    Err(format!("{f} is not an integer"))
                }
            }
            Value::String(s) => {
                let t = s.trim();
                t.parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| match t.parse::<f64>() {
                        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 =>
                        {
                            #[allow(clippy::cast_possible_truncation)]
                            Ok(Value::from(f as i64))
                        }
                        _ => Err(format!("'{s}' is not an integer")),
                    })
            }
            other => Err(bad(other)),
        },
        Kind::Float => match &value {
            Value::Number(n) => Ok(Value::Number(
                Number::from_f64(n.as_f64().unwrap_or(0.0)).unwrap_or_else(|| n.clone()),
            )),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("'{s}' is not a number")),
            other => Err(bad(other)),
        },
        Kind::List => match value {
            Value::Array(_) => Ok(value),
            Value::String(s) if s.trim().is_empty() => Ok(Value::Array(Vec::new())),
            Value::String(s) => Ok(Value::Array(
                s.split(',')
                    .map(|p| Value::String(p.trim().to_owned()))
                    .collect(),
            )),
            Value::Null => Err(bad(&Value::Null)),
            scalar @ (Value::Bool(_) | Value::Number(_)) => Ok(Value::Array(vec![scalar])),
            other @ Value::Object(_) => Err(bad(&other)),
        },
        Kind::Dict => match value {
            Value::Object(_) => Ok(value),
            Value::String(s) => parse_dict_string(&s),
            other => Err(bad(&other)),
        },
    }
}

/// `{"a": 1}` (JSON) or `a=1, b=2` (Ansible's key=value form) in a string.
fn parse_dict_string(s: &str) -> Result<Value, String> {
    let t = s.trim();
    if t.starts_with('{') {
        return match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(format!("'{s}' is not a valid JSON object")),
        };
    }
    let mut map = Map::new();
    for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!(
                "'{s}' is not a dictionary (expected key=value pairs)"
            ));
        };
        map.insert(k.trim().to_owned(), Value::String(v.trim().to_owned()));
    }
    Ok(Value::Object(map))
}

/// Validates `params` against `options`; `path` prefixes names in messages (`build.path`).
fn validate_options(
    options: &[OptSpec],
    mut params: Map<String, Value>,
    path: &str,
    module: &str,
    ignore_unknown: bool,
    errors: &mut Vec<String>,
) -> Map<String, Value> {
    let mut unknown: Vec<String> = params
        .keys()
        .filter(|k| !options.iter().any(|o| o.name == k.as_str()))
        .cloned()
        .collect();
    unknown.sort();
    if !unknown.is_empty() {
        if ignore_unknown {
            for k in &unknown {
                params.remove(k);
            }
        } else {
            let mut supported: Vec<&str> = options.iter().map(|o| o.name).collect();
            supported.sort_unstable();
            let found = if path.is_empty() {
                String::new()
            } else {
                format!(" found in {path}")
            };
            errors.push(format!(
                "Unsupported parameters for ({module}) module: {}{found}. Supported parameters include: {}.",
                unknown.join(", "),
                supported.join(", ")
            ));
        }
    }
    let mut out = Map::new();
    for opt in options {
        let full = if path.is_empty() {
            opt.name.to_owned()
        } else {
            format!("{path}.{}", opt.name)
        };
        let value = match params.remove(opt.name) {
            Some(Value::Null) | None => opt.default.clone(),
            Some(v) => Some(v),
        };
        let Some(value) = value else {
            if opt.required {
                errors.push(format!("missing required argument: {full}"));
            }
            continue;
        };
        if let Some(v) = check_one(opt, value, &full, module, ignore_unknown, errors) {
            out.insert(opt.name.to_owned(), v);
        }
    }
    out
}

fn check_one(
    opt: &OptSpec,
    value: Value,
    full: &str,
    module: &str,
    ignore_unknown: bool,
    errors: &mut Vec<String>,
) -> Option<Value> {
    let value = match coerce(value, opt.kind) {
        Ok(v) => v,
        Err(why) => {
            errors.push(format!(
                "argument '{full}' is of type {}: {why}",
                opt.kind.ansible_name()
            ));
            return None;
        }
    };
    let value = match (opt.kind, value) {
        (Kind::List, Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let item_path = format!("{full}[{i}]");
                if !opt.suboptions.is_empty() {
                    match coerce(item, Kind::Dict) {
                        Ok(Value::Object(m)) => out.push(Value::Object(validate_options(
                            &opt.suboptions,
                            m,
                            &item_path,
                            module,
                            ignore_unknown,
                            errors,
                        ))),
                        Ok(_) => unreachable!("coerce to dict yields an object"),
                        Err(why) => errors.push(format!("element {item_path}: {why}")),
                    }
                } else if let Some(kind) = opt.elements {
                    match coerce(item, kind) {
                        Ok(v) => out.push(v),
                        Err(why) => errors.push(format!(
                            "elements of '{full}' must be {}: {item_path}: {why}",
                            kind.ansible_name()
                        )),
                    }
                } else {
                    out.push(item);
                }
            }
            Value::Array(out)
        }
        (Kind::Dict, Value::Object(map)) if !opt.suboptions.is_empty() => Value::Object(
            validate_options(&opt.suboptions, map, full, module, ignore_unknown, errors),
        ),
        (Kind::Dict, Value::Object(map)) => match opt.elements {
            Some(kind) => {
                let mut out = Map::new();
                for (k, v) in map {
                    match coerce(v, kind) {
                        Ok(v) => {
                            out.insert(k, v);
                        }
                        Err(why) => errors.push(format!(
                            "values of '{full}' must be {}: {full}.{k}: {why}",
                            kind.ansible_name()
                        )),
                    }
                }
                Value::Object(out)
            }
            None => Value::Object(map),
        },
        (_, v) => v,
    };
    if !opt.choices.is_empty() && !opt.choices.contains(&value) {
        let choices: Vec<String> = opt.choices.iter().map(value_text).collect();
        errors.push(format!(
            "value of {full} must be one of: {}, got: {}",
            choices.join(", "),
            value_text(&value)
        ));
        return None;
    }
    Some(value)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Validates and coerces raw options; returns the full, normalised option map (defaults filled,
/// absent optional options left out) or every problem found at once.
pub fn validate(
    spec: &ModuleSpec,
    params: Map<String, Value>,
    ignore_unknown: bool,
) -> Result<Map<String, Value>, SdkError> {
    let mut errors = Vec::new();
    let out = validate_options(
        &spec.options,
        params,
        "",
        spec.name,
        ignore_unknown,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(SdkError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ModuleSpec, Support};
    use serde_json::json;

    fn spec() -> ModuleSpec {
        ModuleSpec {
            name: "demo",
            short_description: "demo",
            description: vec![],
            options: vec![
                OptSpec::str("name").required(),
                OptSpec::int("port").default(8080),
                OptSpec::bool("force").default(false),
                OptSpec::float("delay"),
                OptSpec::str("state")
                    .choices(["present", "absent"])
                    .default("present"),
                OptSpec::list("status", Kind::Int).default(json!([200])),
                OptSpec::dict("env").elements(Kind::Str),
                OptSpec::dict("build").suboptions(vec![
                    OptSpec::str("path").required(),
                    OptSpec::str("dockerfile").default("Dockerfile"),
                ]),
                OptSpec::list("networks", Kind::Dict).suboptions(vec![
                    OptSpec::str("name").required(),
                    OptSpec::list("aliases", Kind::Str),
                ]),
            ],
            returns: vec![],
            examples: "",
            notes: vec![],
            check_mode: Support::Full,
            diff_mode: Support::Full,
            supports_check_mode: true,
        }
    }

    fn ok(v: Value) -> Map<String, Value> {
        let Value::Object(m) = v else {
            panic!("object")
        };
        validate(&spec(), m, false).expect("valid")
    }

    fn err(v: Value) -> String {
        let Value::Object(m) = v else {
            panic!("object")
        };
        validate(&spec(), m, false)
            .expect_err("invalid")
            .to_string()
    }

    #[test]
    fn adhoc_strings_are_coerced() {
        let out = ok(
            json!({"name": "web", "port": "9090", "force": "YES", "delay": "0.5",
                            "status": "200, 204", "env": "A=1, B=two"}),
        );
        assert_eq!(out["port"], 9090);
        assert_eq!(out["force"], true);
        assert_eq!(out["delay"], 0.5);
        assert_eq!(out["status"], json!([200, 204]));
        assert_eq!(out["env"], json!({"A": "1", "B": "two"}));
    }

    #[test]
    fn defaults_are_filled_and_absent_optionals_left_out() {
        let out = ok(json!({"name": "web"}));
        assert_eq!(out["port"], 8080);
        assert_eq!(out["force"], false);
        assert_eq!(out["state"], "present");
        assert!(!out.contains_key("delay"));
        assert!(!out.contains_key("build"));
    }

    #[test]
    fn null_means_default() {
        let out = ok(json!({"name": "web", "port": null}));
        assert_eq!(out["port"], 8080);
    }

    #[test]
    fn bool_spellings() {
        for (s, b) in [
            ("on", true),
            ("Off", false),
            ("1", true),
            ("no", false),
            ("TRUE", true),
            ("f", false),
        ] {
            assert_eq!(parse_bool(s), Some(b), "{s}");
        }
        assert_eq!(parse_bool("maybe"), None);
        assert!(
            err(json!({"name": "w", "force": "maybe"})).contains("'maybe' is not a valid boolean")
        );
    }

    #[test]
    fn env_values_become_strings() {
        let out = ok(json!({"name": "w", "env": {"N": 3, "B": true, "F": 1.5}}));
        assert_eq!(out["env"], json!({"N": "3", "B": "True", "F": "1.5"}));
    }

    #[test]
    fn unknown_options_are_rejected_with_the_supported_list() {
        let e = err(json!({"name": "w", "imgae": "x", "bogus": 1}));
        assert!(
            e.starts_with("Unsupported parameters for (demo) module: bogus, imgae."),
            "{e}"
        );
        assert!(
            e.contains("Supported parameters include: build, delay, env, force"),
            "{e}"
        );
    }

    #[test]
    fn unknown_options_can_be_ignored() {
        let Value::Object(m) = json!({"name": "w", "bogus": 1}) else {
            unreachable!()
        };
        let out = validate(&spec(), m, true).expect("ignored");
        assert!(!out.contains_key("bogus"));
    }

    #[test]
    fn required_choices_and_types_are_all_reported() {
        let e = err(json!({"port": "eighty", "state": "gone"}));
        assert!(e.contains("missing required argument: name"), "{e}");
        assert!(
            e.contains("argument 'port' is of type int: 'eighty' is not an integer"),
            "{e}"
        );
        assert!(
            e.contains("value of state must be one of: present, absent, got: gone"),
            "{e}"
        );
    }

    #[test]
    fn suboptions_are_validated_with_paths() {
        let out = ok(json!({"name": "w", "build": {"path": "/srv"}}));
        assert_eq!(
            out["build"],
            json!({"path": "/srv", "dockerfile": "Dockerfile"})
        );
        let e = err(json!({"name": "w", "build": {"dockerfile": "D", "pth": "/x"}}));
        assert!(
            e.contains("Unsupported parameters for (demo) module: pth found in build."),
            "{e}"
        );
        assert!(e.contains("missing required argument: build.path"), "{e}");
        let e = err(json!({"name": "w", "networks": [{"name": "a"}, {"aliases": ["x"]}]}));
        assert!(
            e.contains("missing required argument: networks[1].name"),
            "{e}"
        );
    }

    #[test]
    fn list_elements_are_coerced_or_reported() {
        let e = err(json!({"name": "w", "status": [200, "ok"]}));
        assert!(
            e.contains("elements of 'status' must be int: status[1]"),
            "{e}"
        );
        let out = ok(json!({"name": "w", "status": 204}));
        assert_eq!(out["status"], json!([204]));
    }

    #[test]
    fn integral_floats_are_ints_but_fractions_are_not() {
        assert_eq!(coerce(json!(3.0), Kind::Int), Ok(json!(3)));
        assert!(coerce(json!(3.5), Kind::Int).is_err());
        assert_eq!(coerce(json!("7"), Kind::Float), Ok(json!(7.0)));
    }

    #[test]
    fn dict_from_json_string() {
        assert_eq!(
            coerce(json!(r#"{"a": 1}"#), Kind::Dict),
            Ok(json!({"a": 1}))
        );
        assert!(coerce(json!("just words"), Kind::Dict).is_err());
    }
}
