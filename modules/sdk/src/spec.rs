//! The typed option spec of a module: option names, types, defaults, choices, `no_log` and
//! suboptions, plus the documentation text that the sidecar docs are generated from.
//!
//! One [`ModuleSpec`] drives validation ([`crate::validate`]), masking ([`crate::mask`]) and the
//! sidecar `<module>.yml` ([`crate::doc`]), so the docs cannot drift from what the module accepts.

use serde_json::Value;

/// The type of an option, with the coercions Ansible users expect (see [`crate::validate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string; numbers and booleans are turned into their text.
    Str,
    /// A boolean; also `yes/no/true/false/on/off/y/n/t/f/1/0` in any case, and 0/1.
    Bool,
    /// An integer; also a numeric string or an integral float.
    Int,
    /// A float; also a numeric string.
    Float,
    /// A list; a string is split on commas, any other scalar becomes a one-element list.
    List,
    /// A mapping; also a JSON object in a string or `k=v,k2=v2`.
    Dict,
    /// Anything, unchanged.
    Raw,
}

impl Kind {
    /// The name Ansible's documentation uses for this type.
    pub fn ansible_name(self) -> &'static str {
        match self {
            Kind::Str => "str",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::List => "list",
            Kind::Dict => "dict",
            Kind::Raw => "raw",
        }
    }
}

/// One option of a module (or one suboption of a `dict` option).
#[derive(Debug, Clone)]
pub struct OptSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// For `list` options: the type every element is coerced to; for `dict` options without
    /// suboptions: the type every value is coerced to.
    pub elements: Option<Kind>,
    pub required: bool,
    pub default: Option<Value>,
    pub choices: Vec<Value>,
    /// Secret: masked in every output, shown as `VALUE_SPECIFIED_IN_NO_LOG_PARAMETER` in
    /// `invocation`. On a `dict` without suboptions every value is secret.
    pub no_log: bool,
    /// For `dict` options: the suboptions, validated like options (unknown keys rejected).
    pub suboptions: Vec<OptSpec>,
    /// Documentation paragraphs.
    pub description: Vec<&'static str>,
}

impl OptSpec {
    pub fn new(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            elements: None,
            required: false,
            default: None,
            choices: Vec::new(),
            no_log: false,
            suboptions: Vec::new(),
            description: Vec::new(),
        }
    }
    pub fn str(name: &'static str) -> Self {
        Self::new(name, Kind::Str)
    }
    pub fn bool(name: &'static str) -> Self {
        Self::new(name, Kind::Bool)
    }
    pub fn int(name: &'static str) -> Self {
        Self::new(name, Kind::Int)
    }
    pub fn float(name: &'static str) -> Self {
        Self::new(name, Kind::Float)
    }
    pub fn list(name: &'static str, elements: Kind) -> Self {
        Self::new(name, Kind::List).elements(elements)
    }
    pub fn dict(name: &'static str) -> Self {
        Self::new(name, Kind::Dict)
    }
    #[must_use]
    pub fn elements(mut self, kind: Kind) -> Self {
        self.elements = Some(kind);
        self
    }
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    #[must_use]
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }
    #[must_use]
    pub fn choices<V: Into<Value>>(mut self, choices: impl IntoIterator<Item = V>) -> Self {
        self.choices = choices.into_iter().map(Into::into).collect();
        self
    }
    #[must_use]
    pub fn no_log(mut self) -> Self {
        self.no_log = true;
        self
    }
    #[must_use]
    pub fn suboptions(mut self, subs: Vec<OptSpec>) -> Self {
        self.suboptions = subs;
        self
    }
    /// Adds a documentation paragraph.
    #[must_use]
    pub fn doc(mut self, text: &'static str) -> Self {
        self.description.push(text);
        self
    }
}

/// One documented return value.
#[derive(Debug, Clone)]
pub struct ReturnSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// `always`, `success`, `changed`, `on failure`, …
    pub returned: &'static str,
    pub kind: &'static str,
    pub sample: Option<Value>,
    pub contains: Vec<ReturnSpec>,
}

impl ReturnSpec {
    pub fn new(
        name: &'static str,
        kind: &'static str,
        returned: &'static str,
        description: &'static str,
    ) -> Self {
        Self {
            name,
            description,
            returned,
            kind,
            sample: None,
            contains: Vec::new(),
        }
    }
    #[must_use]
    pub fn sample(mut self, sample: impl Into<Value>) -> Self {
        self.sample = Some(sample.into());
        self
    }
    #[must_use]
    pub fn contains(mut self, contains: Vec<ReturnSpec>) -> Self {
        self.contains = contains;
        self
    }
}

/// Support for check mode or diff mode, as documented in `attributes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Full,
    Partial,
    None,
}

impl Support {
    fn as_str(self) -> &'static str {
        match self {
            Support::Full => "full",
            Support::Partial => "partial",
            Support::None => "none",
        }
    }
    pub(crate) fn doc_value(self) -> Value {
        Value::from(self.as_str())
    }
}

/// Everything about a module: its options and its documentation.
#[derive(Debug, Clone)]
pub struct ModuleSpec {
    pub name: &'static str,
    pub short_description: &'static str,
    pub description: Vec<&'static str>,
    pub options: Vec<OptSpec>,
    pub returns: Vec<ReturnSpec>,
    pub examples: &'static str,
    pub notes: Vec<&'static str>,
    pub check_mode: Support,
    pub diff_mode: Support,
    /// Whether the module can be run in check mode at all; when false the SDK answers
    /// `skipped` under `--check`, as AnsibleModule does.
    pub supports_check_mode: bool,
}

impl ModuleSpec {
    pub fn option(&self, name: &str) -> Option<&OptSpec> {
        self.options.iter().find(|o| o.name == name)
    }
}
