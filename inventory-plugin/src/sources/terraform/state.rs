//! Terraform state formats → a flat list of resource objects.
//!
//! Reads the two JSON shapes a Terraform state comes in, without the terraform binary:
//! the v4 state file (`terraform.tfstate`, `terraform state pull`, the S3 backend object) and the
//! state form of `terraform show -json`. Both become [`StateDoc`]: resource instance objects with
//! their attributes left as unparsed JSON (parsed later only for the types palin maps), which keeps
//! large states cheap. Anything that is not such a state (older or newer format versions, an
//! OpenTofu-encrypted state, truncated JSON) is rejected with an error saying what it is.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// The `count` or `for_each` key of a resource instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum IndexKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for IndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexKey::Int(i) => write!(f, "[{i}]"),
            IndexKey::Str(s) => write!(f, "[{}]", Value::String(s.clone())),
        }
    }
}

/// The attributes of one resource instance object.
#[derive(Debug)]
pub enum Attributes<'a> {
    /// JSON text borrowed from the state document.
    Raw(&'a RawValue),
    /// Attributes rebuilt from a legacy `attributes_flat` map.
    Owned(Value),
}

impl Attributes<'_> {
    /// Parse the attributes into a typed view of the fields a mapping needs.
    pub fn parse<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        match self {
            Attributes::Raw(raw) => serde_json::from_str(raw.get()),
            Attributes::Owned(value) => T::deserialize(value),
        }
    }
}

/// Which attributes Terraform marked sensitive on one object.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sensitive {
    /// Top-level attributes that are sensitive as a whole.
    whole: BTreeSet<String>,
    /// Map keys inside a top-level map attribute that are sensitive (e.g. one tag).
    keys: BTreeMap<String, BTreeSet<String>>,
}

impl Sensitive {
    /// Whether the whole top-level attribute `name` is sensitive.
    pub fn attr(&self, name: &str) -> bool {
        self.whole.contains(name)
    }

    /// Whether `key` inside the map attribute `name` is sensitive.
    pub fn key(&self, name: &str, key: &str) -> bool {
        self.whole.contains(name) || self.keys.get(name).is_some_and(|k| k.contains(key))
    }

    fn mark(&mut self, attr: String, key: Option<String>) {
        match key {
            Some(key) => {
                self.keys.entry(attr).or_default().insert(key);
            }
            None => {
                self.whole.insert(attr);
            }
        }
    }

    /// v4 `sensitive_attributes`: a list of paths, each a list of `{type, value}` steps.
    fn from_v4_paths(paths: &Value) -> Self {
        let mut s = Sensitive::default();
        for path in paths.as_array().into_iter().flatten() {
            let steps = path.as_array().map(Vec::as_slice).unwrap_or_default();
            let Some(attr) = steps
                .first()
                .and_then(|step| step.get("value"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            // A string index right below the attribute marks one map key (e.g. a tag); anything
            // deeper or different marks the whole attribute, which is the safe side.
            let key = match steps {
                [_, second] if second.get("type").and_then(Value::as_str) == Some("index") => {
                    second
                        .get("value")
                        .and_then(|v| v.get("value"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                }
                _ => None,
            };
            s.mark(attr.to_owned(), key);
        }
        s
    }

    /// `show -json` `sensitive_values`: a mask shaped like the values, `true` where sensitive.
    fn from_mask(mask: &Value) -> Self {
        fn any_true(v: &Value) -> bool {
            match v {
                Value::Bool(b) => *b,
                Value::Array(items) => items.iter().any(any_true),
                Value::Object(map) => map.values().any(any_true),
                _ => false,
            }
        }
        let mut s = Sensitive::default();
        for (attr, m) in mask.as_object().into_iter().flatten() {
            match m {
                Value::Object(keys) if keys.values().all(Value::is_boolean) => {
                    for (key, flag) in keys {
                        if flag == &Value::Bool(true) {
                            s.mark(attr.clone(), Some(key.clone()));
                        }
                    }
                }
                other if any_true(other) => s.mark(attr.clone(), None),
                _ => {}
            }
        }
        s
    }
}

/// One resource instance object (current or deposed) in a state.
#[derive(Debug)]
pub struct ResourceObject<'a> {
    /// Module path as written in the state (`module.app["x"].module.cache`), `None` for root.
    pub module: Option<String>,
    /// `managed` resources only are infrastructure; `data` sources are skipped by the mapping.
    pub managed: bool,
    pub resource_type: String,
    pub name: String,
    pub index: Option<IndexKey>,
    /// A deposed object (left over by create_before_destroy): not the live instance.
    pub deposed: bool,
    pub tainted: bool,
    pub attributes: Attributes<'a>,
    pub sensitive: Sensitive,
}

impl ResourceObject<'_> {
    /// Full instance address, e.g. `module.app.aws_instance.web[0]`.
    pub fn address(&self) -> String {
        let mut a = String::new();
        if let Some(m) = &self.module {
            a.push_str(m);
            a.push('.');
        }
        if !self.managed {
            a.push_str("data.");
        }
        a.push_str(&self.resource_type);
        a.push('.');
        a.push_str(&self.name);
        if let Some(i) = &self.index {
            a.push_str(&i.to_string());
        }
        a
    }
}

/// A Terraform output as stored in state: its value as the state's text (never parsed here).
#[derive(Debug, Deserialize)]
pub struct StateOutput<'a> {
    #[serde(borrow, default)]
    pub value: Option<&'a RawValue>,
    #[serde(default)]
    pub sensitive: bool,
}

/// A parsed state of either format.
#[derive(Debug, Default)]
pub struct StateDoc<'a> {
    pub objects: Vec<ResourceObject<'a>>,
    pub outputs: BTreeMap<String, StateOutput<'a>>,
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(default)]
    version: Option<Value>,
    #[serde(default)]
    format_version: Option<Value>,
    #[serde(default)]
    encryption_version: Option<IgnoredAny>,
    #[serde(borrow, default)]
    resources: Option<&'a RawValue>,
    #[serde(borrow, default)]
    outputs: Option<&'a RawValue>,
    #[serde(borrow, default)]
    values: Option<&'a RawValue>,
}

/// A v4 state read in one pass (unknown top-level fields are skipped).
#[derive(Deserialize)]
struct V4Document<'a> {
    version: u64,
    #[serde(borrow, default)]
    resources: Vec<V4Resource<'a>>,
    #[serde(borrow, default)]
    outputs: Option<BTreeMap<String, StateOutput<'a>>>,
}

#[derive(Deserialize)]
struct V4Resource<'a> {
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    resource_type: String,
    name: String,
    #[serde(borrow, default)]
    instances: Vec<V4Instance<'a>>,
}

#[derive(Deserialize)]
struct V4Instance<'a> {
    #[serde(default)]
    index_key: Option<IndexKey>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    deposed: Option<String>,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
    #[serde(default)]
    attributes_flat: Option<BTreeMap<String, String>>,
    #[serde(default)]
    sensitive_attributes: Option<Value>,
}

#[derive(Deserialize)]
struct ShowValues<'a> {
    #[serde(borrow, default)]
    outputs: BTreeMap<String, StateOutput<'a>>,
    #[serde(borrow, default)]
    root_module: Option<ShowModule<'a>>,
}

#[derive(Deserialize)]
struct ShowModule<'a> {
    #[serde(default)]
    address: Option<String>,
    #[serde(borrow, default)]
    resources: Vec<ShowResource<'a>>,
    #[serde(borrow, default)]
    child_modules: Vec<ShowModule<'a>>,
}

#[derive(Deserialize)]
struct ShowResource<'a> {
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    resource_type: String,
    name: String,
    #[serde(default)]
    index: Option<IndexKey>,
    #[serde(borrow, default)]
    values: Option<&'a RawValue>,
    #[serde(default)]
    sensitive_values: Option<Value>,
    #[serde(default)]
    tainted: bool,
    #[serde(default)]
    deposed_key: Option<String>,
}

/// Parse a state document of either format. `name` names the source in errors.
pub fn parse<'a>(name: &str, text: &'a str) -> Result<StateDoc<'a>> {
    let bad = |message: String| Error::state(name, message);
    if text.trim().is_empty() {
        return Err(bad("the file is empty (0 bytes of JSON)".into()));
    }
    if !text.trim_start().starts_with('{') {
        // serde would happily read a struct from a JSON array; a state is always an object.
        return Err(bad(json_problem_or(
            text,
            "not a Terraform state: the document is not a JSON object",
        )));
    }
    // The common case, a well-formed v4 state, in one pass over the text. Anything else takes
    // the slower path below, which says precisely what the document is.
    if let Ok(fast) = serde_json::from_str::<V4Document<'a>>(text)
        && fast.version == 4
    {
        return Ok(v4_doc(fast.resources, fast.outputs.unwrap_or_default()));
    }
    let top: Top<'a> = serde_json::from_str(text).map_err(|e| bad(json_problem(&e)))?;
    if top.encryption_version.is_some() {
        return Err(bad(
            "the state is encrypted (OpenTofu state encryption); palin cannot decrypt it: read it through a `command` source running `tofu state pull`, which prints it decrypted"
                .into(),
        ));
    }
    if let Some(version) = &top.version {
        return match version.as_u64() {
            Some(4) => parse_v4(&top).map_err(|e| bad(format!("invalid v4 state: {e}"))),
            Some(v @ 0..=3) => Err(bad(format!(
                "state format version {v} (Terraform 0.11 or older) is not supported; upgrade the state with Terraform 0.12 or newer (`terraform state pull` prints version 4)"
            ))),
            Some(v) => Err(bad(format!(
                "unknown state format version {v}; palin-inventory reads version 4 (Terraform 0.12 to 1.x)"
            ))),
            None => Err(bad(format!(
                "not a Terraform state: \"version\" is {}, not a state format number",
                kind(version)
            ))),
        };
    }
    if let Some(format_version) = &top.format_version {
        let major = format_version
            .as_str()
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse::<u64>().ok());
        return match major {
            Some(0 | 1) => parse_show(&top)
                .map_err(|e| bad(format!("invalid `terraform show -json` document: {e}"))),
            _ => Err(bad(match format_version.as_str() {
                // A version-like string is shown; anything else by its kind only.
                Some(v) if v.len() <= 16 && v.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                    format!(
                        "unknown `terraform show -json` format_version {v:?}; palin-inventory reads 0.x and 1.x"
                    )
                }
                _ => format!(
                    "`terraform show -json` format_version is {}, not a version such as \"1.0\"",
                    kind(format_version)
                ),
            })),
        };
    }
    Err(bad("not a Terraform state: neither a state file (\"version\") nor `terraform show -json` output (\"format_version\")".into()))
}

/// What kind of JSON value `v` is, for messages that must not quote it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Describe a JSON syntax error in user terms.
fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!(
            "truncated JSON: the document ends early (line {}, column {})",
            e.line(),
            e.column()
        ),
        Category::Syntax => format!("invalid JSON: {e}"),
        Category::Data => format!("not a Terraform state: {e}"),
        Category::Io => format!("cannot read JSON: {e}"),
    }
}

/// Describe why `text` is not JSON, or say `otherwise` when it is valid JSON.
fn json_problem_or(text: &str, otherwise: &str) -> String {
    match serde_json::from_str::<IgnoredAny>(text) {
        Err(e) => json_problem(&e),
        Ok(_) => otherwise.to_owned(),
    }
}

fn parse_v4<'a>(top: &Top<'a>) -> serde_json::Result<StateDoc<'a>> {
    let resources: Vec<V4Resource<'a>> = match top.resources {
        Some(raw) => serde_json::from_str(raw.get())?,
        None => Vec::new(),
    };
    let outputs = match top.outputs {
        Some(raw) => serde_json::from_str::<Option<BTreeMap<String, StateOutput<'a>>>>(raw.get())?
            .unwrap_or_default(),
        None => BTreeMap::new(),
    };
    Ok(v4_doc(resources, outputs))
}

fn v4_doc<'a>(
    resources: Vec<V4Resource<'a>>,
    outputs: BTreeMap<String, StateOutput<'a>>,
) -> StateDoc<'a> {
    let mut objects = Vec::with_capacity(resources.len());
    for r in resources {
        let managed = r.mode.as_deref().unwrap_or("managed") == "managed";
        for i in r.instances {
            let attributes = match (i.attributes, i.attributes_flat) {
                (Some(raw), _) => Attributes::Raw(raw),
                (None, Some(flat)) => Attributes::Owned(unflatten(&flat)),
                (None, None) => Attributes::Owned(Value::Object(serde_json::Map::new())),
            };
            objects.push(ResourceObject {
                module: r.module.clone(),
                managed,
                resource_type: r.resource_type.clone(),
                name: r.name.clone(),
                index: i.index_key,
                deposed: i.deposed.is_some_and(|d| !d.is_empty()),
                tainted: i.status.as_deref() == Some("tainted"),
                attributes,
                sensitive: i
                    .sensitive_attributes
                    .as_ref()
                    .map(Sensitive::from_v4_paths)
                    .unwrap_or_default(),
            });
        }
    }
    StateDoc { objects, outputs }
}

fn parse_show<'a>(top: &Top<'a>) -> serde_json::Result<StateDoc<'a>> {
    let Some(raw) = top.values else {
        // `terraform show -json` of an empty state has no "values" at all.
        return Ok(StateDoc::default());
    };
    let values: ShowValues<'a> = serde_json::from_str(raw.get())?;
    let mut objects = Vec::new();
    let mut stack: Vec<ShowModule<'a>> = values.root_module.into_iter().collect();
    while let Some(module) = stack.pop() {
        let path = module.address.filter(|a| !a.is_empty());
        for r in module.resources {
            objects.push(ResourceObject {
                module: path.clone(),
                managed: r.mode.as_deref().unwrap_or("managed") == "managed",
                resource_type: r.resource_type,
                name: r.name,
                index: r.index,
                deposed: r.deposed_key.is_some_and(|d| !d.is_empty()),
                tainted: r.tainted,
                attributes: match r.values {
                    Some(raw) => Attributes::Raw(raw),
                    None => Attributes::Owned(Value::Object(serde_json::Map::new())),
                },
                sensitive: r
                    .sensitive_values
                    .as_ref()
                    .map(Sensitive::from_mask)
                    .unwrap_or_default(),
            });
        }
        // Reverse so that modules come out in document order.
        stack.extend(module.child_modules.into_iter().rev());
    }
    Ok(StateDoc {
        objects,
        outputs: values.outputs,
    })
}

/// Rebuild nested attributes from a legacy flat map (`tags.%`, `tags.Name`, `list.#`, `list.0`).
fn unflatten(flat: &BTreeMap<String, String>) -> Value {
    let mut out = serde_json::Map::new();
    let mut lists: BTreeMap<&str, BTreeMap<usize, Value>> = BTreeMap::new();
    for (key, value) in flat {
        match key.split_once('.') {
            None => {
                out.insert(key.clone(), Value::String(value.clone()));
            }
            Some((_, "%" | "#")) => {}
            Some((attr, rest)) if !rest.contains('.') => {
                if let Ok(i) = rest.parse::<usize>() {
                    lists
                        .entry(attr)
                        .or_default()
                        .insert(i, Value::String(value.clone()));
                } else if let Value::Object(m) = out
                    .entry(attr.to_owned())
                    .or_insert_with(|| Value::Object(serde_json::Map::new()))
                {
                    m.insert(rest.to_owned(), Value::String(value.clone()));
                }
            }
            Some(_) => {} // deeper nesting: not needed by any mapping
        }
    }
    for (attr, items) in lists {
        out.insert(attr.to_owned(), Value::Array(items.into_values().collect()));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse("t.tfstate", text).expect_err("must fail").to_string()
    }

    #[test]
    fn v4_objects_keep_module_index_deposed_and_tainted() {
        let doc = parse(
            "t",
            r#"{"version":4,"outputs":{"a":{"value":"x","type":"string"}},"resources":[
              {"module":"module.app","mode":"managed","type":"aws_instance","name":"web","instances":[
                {"index_key":0,"attributes":{"id":"i-1"}},
                {"index_key":0,"deposed":"00000001","attributes":{"id":"i-0"}},
                {"index_key":"b","status":"tainted","attributes":{"id":"i-2"},
                 "sensitive_attributes":[[{"type":"get_attr","value":"tags"},{"type":"index","value":{"value":"Secret","type":"string"}}],
                                         [{"type":"get_attr","value":"user_data"}]]}]},
              {"mode":"data","type":"aws_ami","name":"d","instances":[{"attributes":{"id":"ami-1"}}]}]}"#,
        )
        .expect("valid");
        let addrs: Vec<_> = doc.objects.iter().map(ResourceObject::address).collect();
        assert_eq!(
            addrs,
            [
                "module.app.aws_instance.web[0]",
                "module.app.aws_instance.web[0]",
                "module.app.aws_instance.web[\"b\"]",
                "data.aws_ami.d"
            ]
        );
        assert!(!doc.objects[0].deposed && doc.objects[1].deposed);
        assert!(doc.objects[2].tainted);
        assert!(doc.objects[2].sensitive.key("tags", "Secret"));
        assert!(!doc.objects[2].sensitive.key("tags", "Name"));
        assert!(doc.objects[2].sensitive.attr("user_data"));
        assert!(!doc.objects[3].managed);
        assert_eq!(doc.outputs["a"].value.map(RawValue::get), Some(r#""x""#));
    }

    #[test]
    fn show_json_walks_child_modules_and_masks() {
        let doc = parse(
            "t",
            r#"{"format_version":"1.0","values":{"outputs":{"p":{"sensitive":true,"value":"s"}},"root_module":{
              "resources":[{"address":"aws_db_instance.db","mode":"managed","type":"aws_db_instance","name":"db",
                "values":{"password":"s"},"sensitive_values":{"password":true,"tags":{}}}],
              "child_modules":[{"address":"module.a","resources":[{"address":"module.a.aws_instance.x[1]","mode":"managed","type":"aws_instance","name":"x","index":1,"values":{},"sensitive_values":{"tags":{"K":true}}}],
                "child_modules":[{"address":"module.a.module.b","resources":[{"address":"module.a.module.b.aws_lb.l","mode":"managed","type":"aws_lb","name":"l","values":{},"deposed_key":"abc"}]}]}]}}}"#,
        )
        .expect("valid");
        let addrs: Vec<_> = doc.objects.iter().map(ResourceObject::address).collect();
        assert_eq!(
            addrs,
            [
                "aws_db_instance.db",
                "module.a.aws_instance.x[1]",
                "module.a.module.b.aws_lb.l"
            ]
        );
        assert!(doc.objects[0].sensitive.attr("password"));
        assert!(!doc.objects[0].sensitive.attr("tags"));
        assert!(doc.objects[1].sensitive.key("tags", "K"));
        assert!(doc.objects[2].deposed);
        assert!(doc.outputs["p"].sensitive);
    }

    #[test]
    fn empty_show_json_is_an_empty_state() {
        let doc = parse("t", r#"{"format_version":"1.0"}"#).expect("valid");
        assert!(doc.objects.is_empty() && doc.outputs.is_empty());
    }

    #[test]
    fn rejects_what_is_not_a_v4_state() {
        assert!(err(r#"{"version":4,"resources":[{"#).contains("truncated JSON"));
        assert!(err("").contains("empty"));
        assert!(err("{not json").contains("invalid JSON"));
        assert!(err(r#"{"version":3,"modules":[]}"#).contains("version 3"));
        assert!(err(r#"{"version":5,"resources":[]}"#).contains("unknown state format version 5"));
        assert!(
            err(r#"{"meta":{},"encrypted_data":"AAA","encryption_version":"v0"}"#)
                .contains("encrypted")
        );
        assert!(err(r#"{"name":"pkg"}"#).contains("not a Terraform state"));
        assert!(err("[1,2]").contains("not a Terraform state"));
        assert!(err(r#"{"format_version":"2.0"}"#).contains("format_version"));
        assert!(err(r#"{"version":4,"resources":{}}"#).contains("invalid v4 state"));
        assert!(err(r#"{"version":"4"}"#).contains("not a state format number"));
    }

    #[test]
    fn flat_attributes_are_unflattened() {
        let flat: BTreeMap<String, String> = [
            ("id", "i-1"),
            ("tags.%", "1"),
            ("tags.Name", "web"),
            ("sg.#", "2"),
            ("sg.1", "b"),
            ("sg.0", "a"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            unflatten(&flat),
            serde_json::json!({"id": "i-1", "tags": {"Name": "web"}, "sg": ["a", "b"]})
        );
    }
}
