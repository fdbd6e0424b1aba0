//! `no_log` masking. Binary modules have no controller-side argspec, so the module itself must
//! keep secret option values out of everything it returns (msg, diff, logs, return values), the
//! way AnsibleModule does for `no_log=True` options. With the task's `_ansible_no_log`, every
//! option value counts as secret.

use serde_json::{Map, Value};

use crate::spec::{Kind, OptSpec};

/// What a secret inside a string is replaced by.
pub const MASK: &str = "********";
/// What a secret option's value is shown as in `invocation.module_args`.
pub const NO_LOG_VALUE: &str = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER";

/// The secret strings of one module run, longest first (so a secret containing another is
/// masked whole).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn collect_all(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_all(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_all(v, out)),
        other => out.extend(scalar_text(other)),
    }
}

fn collect(options: &[OptSpec], params: &Map<String, Value>, out: &mut Vec<String>) {
    for opt in options {
        let Some(value) = params.get(opt.name) else {
            continue;
        };
        if opt.no_log {
            collect_all(value, out);
            continue;
        }
        if opt.suboptions.is_empty() {
            continue;
        }
        match (opt.kind, value) {
            (Kind::Dict, Value::Object(map)) => collect(&opt.suboptions, map, out),
            (Kind::List, Value::Array(items)) => {
                for item in items {
                    if let Value::Object(map) = item {
                        collect(&opt.suboptions, map, out);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Secrets {
    /// The secret values of validated `params`: every `no_log` option (all the values of a
    /// `no_log` dict), or every option value when `task_no_log`.
    pub fn from_params(
        options: &[OptSpec],
        params: &Map<String, Value>,
        task_no_log: bool,
    ) -> Self {
        let mut values = Vec::new();
        if task_no_log {
            params.values().for_each(|v| collect_all(v, &mut values));
        } else {
            collect(options, params, &mut values);
        }
        Self::from_values(values)
    }

    pub fn from_values(values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values.into_iter().filter(|s| !s.is_empty()).collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Self { values }
    }

    /// Adds one more secret (e.g. a value derived at run time).
    pub fn add(&mut self, value: &str) {
        if !value.is_empty() && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_owned());
            self.values
                .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every secret replaced by [`MASK`].
    pub fn mask_str(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// Masks a module result in place: every value as [`Secrets::mask_value`] does, but not the
    /// result's own top-level keys (`failed`, `changed`, `msg`, the module's return names), which
    /// are the SDK's and the spec's, never data. Masking them too made a secret such as `ai` or
    /// `m` rename `failed` to `f********led` (a failed task then reads as a success, exit 0) or
    /// `msg` to `********sg` (fuzz/regressions/module_args/).
    pub fn mask_result(&self, value: &mut Value) {
        match value {
            Value::Object(map) if !self.values.is_empty() => {
                map.values_mut().for_each(|v| self.mask_value(v));
            }
            other => self.mask_value(other),
        }
    }

    /// Masks every string (and map key) in `value`, in place.
    pub fn mask_value(&self, value: &mut Value) {
        if self.values.is_empty() {
            return;
        }
        match value {
            Value::String(s) => {
                let masked = self.mask_str(s);
                if masked != *s {
                    *s = masked;
                }
            }
            Value::Number(n) => {
                let text = n.to_string();
                if self.values.contains(&text) {
                    *value = Value::String(MASK.to_owned());
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.mask_value(v)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    self.mask_value(&mut v);
                    map.insert(self.mask_str(&k), v);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
}

fn censor(options: &[OptSpec], params: &Map<String, Value>, all: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in params {
        let opt = options.iter().find(|o| o.name == key.as_str());
        let secret = all || opt.is_some_and(|o| o.no_log);
        let shown = if secret {
            match value {
                Value::Object(map) => Value::Object(
                    map.keys()
                        .map(|k| (k.clone(), Value::String(NO_LOG_VALUE.to_owned())))
                        .collect(),
                ),
                Value::Null | Value::Bool(_) => value.clone(),
                _ => Value::String(NO_LOG_VALUE.to_owned()),
            }
        } else {
            match (opt, value) {
                (Some(o), Value::Object(map)) if !o.suboptions.is_empty() => {
                    Value::Object(censor(&o.suboptions, map, false))
                }
                (Some(o), Value::Array(items)) if !o.suboptions.is_empty() => Value::Array(
                    items
                        .iter()
                        .map(|item| match item {
                            Value::Object(map) => Value::Object(censor(&o.suboptions, map, false)),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                _ => value.clone(),
            }
        };
        out.insert(key.clone(), shown);
    }
    out
}

/// The `invocation.module_args` to report: validated params with `no_log` options (all options
/// when `task_no_log`) replaced by [`NO_LOG_VALUE`]; keys of secret dicts stay visible.
pub fn censored_params(
    options: &[OptSpec],
    params: &Map<String, Value>,
    task_no_log: bool,
) -> Map<String, Value> {
    censor(options, params, task_no_log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Kind;
    use serde_json::json;

    fn options() -> Vec<OptSpec> {
        vec![
            OptSpec::str("name"),
            OptSpec::dict("secret_env").elements(Kind::Str).no_log(),
            OptSpec::dict("auth").suboptions(vec![
                OptSpec::str("username"),
                OptSpec::str("password").no_log(),
            ]),
        ]
    }

    fn params() -> Map<String, Value> {
        let Value::Object(m) = json!({"name": "web", "secret_env": {"DB_PASSWORD": "hunter22"},
                                      "auth": {"username": "AWS", "password": "ecr-token-xyz"}})
        else {
            unreachable!()
        };
        m
    }

    #[test]
    fn secret_values_are_masked_everywhere() {
        let secrets = Secrets::from_params(&options(), &params(), false);
        let mut out = json!({"msg": "login with ecr-token-xyz failed", "logs": ["pw=hunter22!"],
                             "env": {"hunter22": "x"}, "name": "web"});
        secrets.mask_value(&mut out);
        assert_eq!(out["msg"], "login with ******** failed");
        assert_eq!(out["logs"][0], "pw=********!");
        assert!(out["env"].get("********").is_some());
        assert_eq!(out["name"], "web", "non-secret values stay");
    }

    #[test]
    fn a_result_keeps_its_own_keys_whatever_the_secret() {
        let secrets = Secrets::from_values(["ai".to_owned(), "m".to_owned()]);
        let mut out =
            json!({"failed": true, "msg": "bad ai", "changed": false, "env": {"ai": "m"}});
        secrets.mask_result(&mut out);
        assert_eq!(
            out,
            json!({"failed": true, "msg": "bad ********", "changed": false, "env": {"********": "********"}})
        );
    }

    #[test]
    fn task_no_log_masks_every_value() {
        let secrets = Secrets::from_params(&options(), &params(), true);
        assert_eq!(
            secrets.mask_str("deploying web as AWS"),
            "deploying ******** as ********"
        );
    }

    #[test]
    fn invocation_shows_secret_keys_not_values() {
        let shown = censored_params(&options(), &params(), false);
        assert_eq!(shown["secret_env"], json!({"DB_PASSWORD": NO_LOG_VALUE}));
        assert_eq!(
            shown["auth"],
            json!({"username": "AWS", "password": NO_LOG_VALUE})
        );
        assert_eq!(shown["name"], "web");
        let all = censored_params(&options(), &params(), true);
        assert_eq!(all["name"], NO_LOG_VALUE);
    }

    #[test]
    fn longer_secrets_win() {
        let s = Secrets::from_values(["abc".to_owned(), "abcdef".to_owned()]);
        assert_eq!(s.mask_str("xabcdefx"), "x********x");
    }
}
