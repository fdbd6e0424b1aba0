//! The result a module prints: one JSON object with `changed`, `failed`, `msg`, optional `diff`,
//! `warnings` and the module's own return values, with stable (sorted) key order.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// What `--diff` renders: Ansible shows a unified diff of `before` and `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub before: String,
    pub after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_header: Option<String>,
}

/// A module's result. `values` holds the module-specific return values (never keys starting
/// with `_ansible_`: the controller strips those).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModuleResult {
    pub changed: bool,
    pub failed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<Diff>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(flatten)]
    pub values: BTreeMap<String, Value>,
}

impl ModuleResult {
    pub fn ok(changed: bool, msg: impl Into<String>) -> Self {
        Self {
            changed,
            msg: Some(msg.into()),
            ..Self::default()
        }
    }

    pub fn fail(msg: impl Into<String>) -> Self {
        Self {
            failed: true,
            msg: Some(msg.into()),
            ..Self::default()
        }
    }

    /// Sets a return value (anything serialisable).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.set(key, value);
        self
    }

    pub fn set(&mut self, key: &str, value: impl Serialize) {
        debug_assert!(!key.starts_with("_ansible_"), "Ansible strips {key}");
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.values.insert(key.to_owned(), value);
    }

    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// The result as a JSON value with every map's keys sorted.
    pub fn to_value(&self) -> Value {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        sorted(value)
    }
}

/// Rebuilds `value` with sorted object keys (independent of serde_json's map feature flags).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let tree: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            let mut out = serde_json::Map::new();
            for (k, v) in tree {
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn result_json_shape() {
        let mut r = ModuleResult::ok(true, "done")
            .with("zeta", 1)
            .with("actions", ["create"]);
        r.warn("careful");
        let v = r.to_value();
        assert_eq!(
            v,
            json!({"changed": true, "failed": false, "msg": "done", "warnings": ["careful"],
                   "zeta": 1, "actions": ["create"]})
        );
        assert!(v.get("diff").is_none() && v.get("skipped").is_none());
        let text = serde_json::to_string(&v).expect("json");
        assert!(
            text.find("\"actions\"") < text.find("\"changed\""),
            "keys sorted: {text}"
        );
    }

    #[test]
    fn failure_and_diff() {
        let mut r = ModuleResult::fail("boom");
        r.diff = Some(Diff {
            before: "a\n".into(),
            after: "b\n".into(),
            before_header: Some("x".into()),
            after_header: None,
        });
        let v = r.to_value();
        assert_eq!(v["failed"], true);
        assert_eq!(v["changed"], false);
        assert_eq!(
            v["diff"],
            json!({"before": "a\n", "after": "b\n", "before_header": "x"})
        );
    }
}
