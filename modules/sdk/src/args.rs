//! Reading the args file Ansible hands a binary module (`<tmpdir>/AnsiballZ_<name> <tmpdir>/args`):
//! a flat JSON object of the task's options plus the controller's internal `_ansible_*` keys. The
//! `{"ANSIBLE_MODULE_ARGS": {...}}` envelope of new-style modules is accepted too.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::SdkError;

/// The controller's `_ansible_*` keys that change how a module behaves (independent flags, as
/// the controller sends them).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Internal {
    /// `--check`: report what would change, change nothing.
    pub check_mode: bool,
    /// `--diff`: add a `diff` to the result.
    pub diff: bool,
    /// `no_log: true` on the task: every option value counts as secret.
    pub no_log: bool,
    pub verbosity: u64,
    /// Accept (and ignore) options the module does not know.
    pub ignore_unknown_opts: bool,
    /// `_ansible_inject_invocation` (ansible-core ≥ 2.21, default false there); `None` when the
    /// controller did not send it (≤ 2.20, where modules always report `invocation`).
    pub inject_invocation: Option<bool>,
    pub version: Option<String>,
    pub module_name: Option<String>,
}

/// A parsed args file: the user's options (internal keys removed) and [`Internal`].
#[derive(Debug, Clone, Default)]
pub struct RawArgs {
    pub params: Map<String, Value>,
    pub internal: Internal,
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => crate::validate::parse_bool(s).unwrap_or(false),
        _ => false,
    }
}

impl RawArgs {
    /// Reads and parses the args file at `path`.
    pub fn from_path(path: &Path) -> Result<Self, SdkError> {
        let text = std::fs::read_to_string(path).map_err(|source| SdkError::ReadArgs {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Parses args text: a flat object, or one wrapped in `ANSIBLE_MODULE_ARGS`.
    pub fn from_json(text: &str) -> Result<Self, SdkError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| SdkError::ArgsNotJson(e.to_string()))?;
        let Value::Object(mut obj) = value else {
            return Err(SdkError::ArgsNotObject);
        };
        if obj.len() == 1 {
            if let Some(Value::Object(inner)) = obj.remove("ANSIBLE_MODULE_ARGS") {
                obj = inner;
            } else {
                // Not the envelope after all: parse again untouched.
                let value: Value =
                    serde_json::from_str(text).map_err(|e| SdkError::ArgsNotJson(e.to_string()))?;
                if let Value::Object(o) = value {
                    obj = o;
                }
            }
        }
        let mut internal = Internal::default();
        let mut params = Map::new();
        for (key, value) in obj {
            let Some(name) = key.strip_prefix("_ansible_") else {
                params.insert(key, value);
                continue;
            };
            match name {
                "check_mode" => internal.check_mode = truthy(&value),
                "diff" => internal.diff = truthy(&value),
                "no_log" => internal.no_log = truthy(&value),
                "verbosity" => internal.verbosity = value.as_u64().unwrap_or(0),
                "ignore_unknown_opts" => internal.ignore_unknown_opts = truthy(&value),
                "inject_invocation" => internal.inject_invocation = Some(truthy(&value)),
                "version" => internal.version = value.as_str().map(str::to_owned),
                "module_name" => internal.module_name = value.as_str().map(str::to_owned),
                _ => {}
            }
        }
        Ok(Self { params, internal })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_args_split_internal_keys() {
        let raw = RawArgs::from_json(
            r#"{"name":"web","_ansible_check_mode":true,"_ansible_diff":false,
                "_ansible_no_log":"yes","_ansible_verbosity":3,"_ansible_version":"2.19.14",
                "_ansible_tmpdir":"/tmp/x/"}"#,
        )
        .expect("parses");
        assert_eq!(raw.params.len(), 1);
        assert_eq!(raw.params["name"], "web");
        assert!(raw.internal.check_mode);
        assert!(!raw.internal.diff);
        assert!(raw.internal.no_log);
        assert_eq!(raw.internal.verbosity, 3);
        assert_eq!(raw.internal.version.as_deref(), Some("2.19.14"));
        assert_eq!(raw.internal.inject_invocation, None);
    }

    #[test]
    fn wrapped_args_are_accepted() {
        let raw = RawArgs::from_json(
            r#"{"ANSIBLE_MODULE_ARGS":{"url":"http://x","_ansible_inject_invocation":false}}"#,
        )
        .expect("parses");
        assert_eq!(raw.params["url"], "http://x");
        assert_eq!(raw.internal.inject_invocation, Some(false));
    }

    #[test]
    fn non_object_args_are_errors() {
        assert!(matches!(
            RawArgs::from_json("[1]"),
            Err(SdkError::ArgsNotObject)
        ));
        assert!(matches!(
            RawArgs::from_json("name=web"),
            Err(SdkError::ArgsNotJson(_))
        ));
    }
}
