//! The variables of one host: the AWS API's variables kept as the compact JSON object they are
//! printed as (parsed only when an expression, `--host` or an export needs values), under palin's
//! own variables, which win. The Terraform source has only the second layer.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::json_text::members;

/// A host's variables (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct HostVars {
    /// A JSON object with keys in byte order (how `serde_json::Map` writes them), or none.
    raw: Option<Box<RawValue>>,
    /// palin's own variables; a key here hides the same key of `raw`.
    vars: Map<String, Value>,
}

impl PartialEq for HostVars {
    fn eq(&self, other: &Self) -> bool {
        self.to_map() == other.to_map()
    }
}

impl From<Map<String, Value>> for HostVars {
    fn from(vars: Map<String, Value>) -> Self {
        Self { raw: None, vars }
    }
}

impl HostVars {
    /// Variables over a raw JSON object (which must be an object; anything else reads as empty).
    pub fn with_raw(raw: Option<Box<RawValue>>) -> Self {
        Self {
            raw,
            vars: Map::new(),
        }
    }

    /// Set a variable (hiding a raw one of the same name).
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.vars.insert(key, value)
    }

    /// Whether the host has the variable `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.vars.contains_key(key) || self.raw_member(key).is_some()
    }

    /// The value of a variable (raw ones are parsed on the way out).
    pub fn get(&self, key: &str) -> Option<Cow<'_, Value>> {
        if let Some(v) = self.vars.get(key) {
            return Some(Cow::Borrowed(v));
        }
        let text = self.raw_member(key)?;
        serde_json::from_str(text).ok().map(Cow::Owned)
    }

    /// Every variable as one map.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = match &self.raw {
            Some(raw) => match serde_json::from_str(raw.get()) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
            None => Map::new(),
        };
        map.extend(self.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        map
    }

    /// About how long the JSON text of these variables is.
    pub fn size_hint(&self) -> usize {
        self.raw.as_ref().map_or(0, |r| r.get().len()) + 64 * self.vars.len() + 2
    }

    /// The raw JSON text of the value of `key` in the raw layer.
    fn raw_member(&self, key: &str) -> Option<&str> {
        let raw = self.raw.as_deref()?.get();
        members(raw).find(|m| m.key_is(key)).map(|m| m.value)
    }

    /// Append the variables as compact JSON (`serde_json::to_string` of [`HostVars::to_map`], but
    /// the raw members are copied, not parsed).
    pub fn write_json(&self, out: &mut String) {
        let Some(raw) = &self.raw else {
            push_json(out, &self.vars);
            return;
        };
        out.push('{');
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
        };
        let mut own = self.vars.iter().peekable();
        for m in members(raw.get()) {
            let key = m.key();
            if self.vars.contains_key(key.as_ref()) {
                continue;
            }
            while let Some((k, v)) = own.next_if(|(k, _)| k.as_str() < key.as_ref()) {
                sep(out);
                push_json(out, k);
                out.push(':');
                push_json(out, v);
            }
            sep(out);
            out.push_str(m.whole);
        }
        for (k, v) in own {
            sep(out);
            push_json(out, k);
            out.push(':');
            push_json(out, v);
        }
        out.push('}');
    }
}

/// Append the compact JSON of `value`.
pub fn push_json<T: serde::Serialize + ?Sized>(out: &mut String, value: &T) {
    out.push_str(&serde_json::to_string(value).expect("string keys only"));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample() -> HostVars {
        let raw = r#"{"a":1, "b" : {"x":[1,"]}\"{"]},"d":"q\"}","f":[{"g":null}],"h":true}"#;
        let mut v = HostVars::with_raw(Some(
            RawValue::from_string(raw.to_owned()).expect("valid JSON"),
        ));
        v.insert("b".into(), json!(2));
        v.insert("c".into(), json!({"k": "v"}));
        v.insert("z".into(), json!(null));
        v
    }

    #[test]
    fn raw_members_are_read_where_palin_has_none() {
        let v = sample();
        assert_eq!(v.get("a").as_deref(), Some(&json!(1)));
        assert_eq!(v.get("b").as_deref(), Some(&json!(2)), "palin's own wins");
        assert_eq!(v.get("d").as_deref(), Some(&json!("q\"}")));
        assert_eq!(v.get("f").as_deref(), Some(&json!([{"g": null}])));
        assert_eq!(v.get("h").as_deref(), Some(&json!(true)));
        assert!(v.contains_key("z") && v.contains_key("a") && !v.contains_key("x"));
        assert_eq!(
            Value::Object(v.to_map()),
            json!({"a": 1, "b": 2, "c": {"k": "v"}, "d": "q\"}", "f": [{"g": null}], "h": true, "z": null})
        );
    }

    #[test]
    fn written_json_is_serde_jsons_text_of_the_whole_map() {
        let v = sample();
        let mut out = String::new();
        v.write_json(&mut out);
        assert_eq!(out, serde_json::to_string(&v.to_map()).expect("serialises"));
        let mut plain = String::new();
        HostVars::from(v.to_map()).write_json(&mut plain);
        assert_eq!(plain, out);
    }
}
