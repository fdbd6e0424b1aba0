//! Ansible's `constructed` options on palin's hosts (pure): `compose` (variables from Jinja
//! expressions), `groups` (membership by Jinja condition) and `keyed_groups` (groups named after
//! a value), evaluated with minijinja against each host's variables, with Ansible's semantics for
//! `strict`, `prefix`/`separator`, `default_value`, `trailing_separator`, `parent_group` and
//! `leading_separator`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use minijinja::{Environment, Expression, UndefinedBehavior};
use serde_json::{Map, Value};

use super::types::{Inventory, safe_group_name};
use crate::config::{Constructed, KeyedGroup};
use crate::error::{Error, Result};
use crate::hostvars::HostVars;

/// An expression compiled once for every host, or why it does not compile.
type Compiled<'env, 'src> = std::result::Result<Expression<'env, 'src>, String>;

/// Apply `c` to `hosts` of `inv`.
pub fn apply(inv: &mut Inventory, hosts: &[String], c: &Constructed) -> Result<()> {
    if c.compose.is_empty() && c.groups.is_empty() && c.keyed_groups.is_empty() {
        return Ok(());
    }
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let env = env;
    let compile = |src| compile(&env, src);
    let compose: Vec<(&String, &String, Compiled)> = c
        .compose
        .iter()
        .map(|(name, expr)| (name, expr, compile(expr)))
        .collect();
    let groups: Vec<(&String, &String, Compiled)> = c
        .groups
        .iter()
        .map(|(group, cond)| (group, cond, compile(cond)))
        .collect();
    let keyed: Vec<(&KeyedGroup, Compiled)> = c
        .keyed_groups
        .iter()
        .map(|k| (k, compile(&k.key)))
        .collect();
    // The variables the expressions read: only these are looked up (and parsed) per host.
    let compose_names = names(compose.iter().map(|(_, _, e)| e));
    let later_names = names(
        groups
            .iter()
            .map(|(_, _, e)| e)
            .chain(keyed.iter().map(|(_, e)| e)),
    );
    let fail = |what: String| Error::Inventory(what);
    for host in hosts {
        let Some(vars) = inv.hostvars.get(host) else {
            continue;
        };

        if !compose.is_empty() {
            // compose: every expression sees the host's variables as they were before compose.
            let ctx = context(vars, &compose_names);
            let mut composed = Vec::new();
            for (name, src, expr) in &compose {
                match eval(expr, &ctx, src) {
                    Ok(v) => composed.push(((*name).clone(), v)),
                    Err(e) if c.strict => {
                        return Err(fail(format!("compose {name} for host {host}: {e}")));
                    }
                    Err(_) => {}
                }
            }
            let entry = inv.hostvars.get_mut(host).expect("host exists");
            for (name, v) in composed {
                entry.insert(name, v);
            }
        }
        if groups.is_empty() && keyed.is_empty() {
            continue;
        }
        // groups and keyed_groups see the composed variables.
        let ctx = context(&inv.hostvars[host], &later_names);

        for (group, cond, expr) in &groups {
            match eval(expr, &ctx, cond) {
                Ok(v) if truthy(&v) => inv.add_to_group(&safe_group_name(group), host),
                Err(e) if c.strict => {
                    return Err(fail(format!("groups {group} for host {host}: {e}")));
                }
                Ok(_) | Err(_) => {}
            }
        }

        for (k, expr) in &keyed {
            let key = match eval(expr, &ctx, &k.key) {
                Ok(v) => v,
                Err(e) if c.strict => {
                    return Err(fail(format!(
                        "could not generate group for host {host} from keyed_groups key {:?}: {e}",
                        k.key
                    )));
                }
                Err(_) => continue,
            };
            for name in keyed_names(k, &key, c.leading_separator)
                .map_err(|e| fail(format!("keyed_groups key {:?} for host {host}: {e}", k.key)))?
            {
                let group = safe_group_name(&name);
                inv.add_to_group(&group, host);
                if let Some(parent) = &k.parent_group {
                    inv.groups
                        .entry(safe_group_name(parent))
                        .or_default()
                        .children
                        .insert(group);
                }
            }
            if c.strict
                && !truthy(&key)
                && key != Value::Array(vec![])
                && key != Value::Object(Map::new())
                && k.default_value.is_none()
            {
                return Err(fail(format!(
                    "no key or key resulted empty for {:?} in host {host}",
                    k.key
                )));
            }
        }
    }
    Ok(())
}

fn compile<'env, 'src>(env: &'env Environment<'src>, src: &'src str) -> Compiled<'env, 'src> {
    crate::panics::catch(|| env.compile_expression(src))
        .map_err(|_| "the template engine failed on this expression".to_owned())?
        .map_err(|e| e.to_string())
}

/// The top-level variables some expressions read (sorted, once each).
fn names<'a, 'env: 'a, 'src: 'env>(
    exprs: impl Iterator<Item = &'a Compiled<'env, 'src>>,
) -> Vec<String> {
    let mut out: Vec<String> = exprs
        .filter_map(|e| e.as_ref().ok())
        .flat_map(|e| e.undeclared_variables(false))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The expression context of a host: the variables `names` that it has, plus `tags` as an alias
/// of `ec2_tags` (the name older aws_ec2.yml files and the plugin's examples use; palin does not
/// emit it as a variable because Ansible reserves it). A variable the host lacks stays undefined.
fn context(vars: &HostVars, names: &[String]) -> minijinja::Value {
    let mut ctx: BTreeMap<&str, Cow<'_, Value>> = BTreeMap::new();
    for name in names {
        let value = vars
            .get(name)
            .or_else(|| (name == "tags").then(|| vars.get("ec2_tags")).flatten());
        if let Some(v) = value {
            ctx.insert(name, v);
        }
    }
    minijinja::Value::from_serialize(&ctx)
}

/// Evaluate a compiled expression against a host's context; undefined is an error, as in Ansible.
fn eval(
    compiled: &Compiled<'_, '_>,
    ctx: &minijinja::Value,
    src: &str,
) -> std::result::Result<Value, String> {
    let compiled = compiled.as_ref().map_err(Clone::clone)?;
    let out = crate::panics::catch(|| compiled.eval(ctx))
        .map_err(|_| "the template engine failed on this expression".to_owned())?
        .map_err(|e| e.to_string())?;
    if out.is_undefined() {
        return Err(format!("{src:?} is undefined"));
    }
    serde_json::to_value(&out).map_err(|e| e.to_string())
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The raw (unsanitised) group names one keyed group yields for a key value.
fn keyed_names(
    k: &KeyedGroup,
    key: &Value,
    leading_separator: bool,
) -> std::result::Result<Vec<String>, String> {
    if k.default_value.is_some() && k.trailing_separator.is_some() {
        return Err("default_value and trailing_separator are mutually exclusive".into());
    }
    let has_default = k.default_value.is_some();
    if !(truthy(key) || (key == &Value::String(String::new()) && has_default)) {
        return Ok(Vec::new());
    }
    let default = k.default_value.clone().unwrap_or_default();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let bare: Vec<String> = match key {
        Value::String(s) if s.is_empty() => vec![default],
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                if i == &Value::String(String::new()) && has_default {
                    default.clone()
                } else {
                    text(i)
                }
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(name, v)| {
                let value = text(v);
                if value.is_empty() {
                    if has_default {
                        format!("{name}{}{default}", k.separator)
                    } else if k.trailing_separator == Some(false) {
                        name.clone()
                    } else {
                        format!("{name}{}{value}", k.separator)
                    }
                } else {
                    format!("{name}{}{value}", k.separator)
                }
            })
            .collect(),
        other => {
            return Err(format!(
                "invalid group name format, expected a string, a list or a dict, got {other}"
            ));
        }
    };
    let sep = if k.prefix.is_empty() && !leading_separator {
        ""
    } else {
        k.separator.as_str()
    };
    Ok(bare
        .into_iter()
        .map(|b| format!("{}{sep}{b}", k.prefix))
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keyed(key: &str, prefix: &str) -> KeyedGroup {
        KeyedGroup {
            key: key.into(),
            prefix: prefix.into(),
            separator: "_".into(),
            parent_group: None,
            default_value: None,
            trailing_separator: None,
        }
    }

    fn inventory() -> Inventory {
        let mut inv = Inventory::default();
        let vars = json!({"placement": {"region": "eu-west-1"}, "ec2_tags": {"Role": "web", "Env": ""}, "private_ip_address": "10.0.0.1", "instance_type": "t3.micro", "ami_launch_index": 0});
        inv.hostvars.insert(
            "h".into(),
            vars.as_object().cloned().unwrap_or_default().into(),
        );
        inv
    }

    #[test]
    fn compose_groups_and_keyed_groups() {
        let mut inv = inventory();
        let c = Constructed {
            compose: vec![
                ("ansible_host".into(), "private_ip_address".into()),
                ("x".into(), "nope.attr".into()),
            ],
            groups: vec![
                ("web-servers".into(), "ec2_tags.Role == 'web'".into()),
                ("old_style".into(), "tags['Role'] == 'web'".into()),
                ("db".into(), "ec2_tags.Role == 'db'".into()),
            ],
            keyed_groups: vec![
                keyed("placement.region", "aws_region"),
                keyed("ec2_tags", "tag"),
                KeyedGroup {
                    parent_group: Some("types".into()),
                    ..keyed("instance_type", "")
                },
            ],
            strict: false,
            leading_separator: true,
        };
        apply(&mut inv, &["h".into()], &c).expect("applies");
        assert_eq!(
            inv.hostvars["h"].get("ansible_host").as_deref(),
            Some(&json!("10.0.0.1"))
        );
        assert!(
            !inv.hostvars["h"].contains_key("x"),
            "failed compose is skipped when not strict"
        );
        let groups: Vec<&str> = inv.groups.keys().map(String::as_str).collect();
        assert_eq!(
            groups,
            [
                "_t3_micro",
                "aws_region_eu_west_1",
                "old_style",
                "tag_Env_",
                "tag_Role_web",
                "types",
                "web_servers"
            ]
        );
        assert!(inv.groups["types"].children.contains("_t3_micro"));
    }

    #[test]
    fn strict_makes_errors_fatal() {
        let mut inv = inventory();
        let c = Constructed {
            compose: vec![("x".into(), "nope.attr".into())],
            strict: true,
            ..Constructed::default()
        };
        let err = apply(&mut inv, &["h".into()], &c)
            .expect_err("strict")
            .to_string();
        assert!(err.contains("compose x for host h"), "{err}");
    }

    #[test]
    fn keyed_group_edge_cases() {
        let k = |d: Option<&str>, t: Option<bool>| KeyedGroup {
            default_value: d.map(Into::into),
            trailing_separator: t,
            ..keyed("k", "tag")
        };
        assert_eq!(
            keyed_names(&k(None, None), &json!({"Env": ""}), true).expect("ok"),
            ["tag_Env_"]
        );
        assert_eq!(
            keyed_names(&k(None, Some(false)), &json!({"Env": ""}), true).expect("ok"),
            ["tag_Env"]
        );
        assert_eq!(
            keyed_names(&k(Some("none"), None), &json!({"Env": ""}), true).expect("ok"),
            ["tag_Env_none"]
        );
        assert_eq!(
            keyed_names(&k(Some("none"), None), &json!(""), true).expect("ok"),
            ["tag_none"]
        );
        assert!(
            keyed_names(&k(None, None), &json!(""), true)
                .expect("ok")
                .is_empty()
        );
        assert_eq!(
            keyed_names(&keyed("k", ""), &json!("x"), true).expect("ok"),
            ["_x"]
        );
        assert_eq!(
            keyed_names(&keyed("k", ""), &json!("x"), false).expect("ok"),
            ["x"]
        );
        assert!(keyed_names(&keyed("k", ""), &json!(3), true).is_err());
        assert!(keyed_names(&k(Some("d"), Some(true)), &json!("x"), true).is_err());
    }
}
