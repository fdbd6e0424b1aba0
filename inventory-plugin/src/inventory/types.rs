//! The inventory's types: [`Inventory`] and its [`Group`]s, the group names palin always uses,
//! and [`safe_group_name`], Ansible's rule for a group name. Everything else in `inventory`
//! builds on these, and they depend on nothing else of it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::hostvars::HostVars;
use crate::model::RawJson;

/// Group of every EC2 host (the name the amazon.aws.aws_ec2 plugin uses).
pub const GROUP_EC2: &str = "aws_ec2";
/// Group of RDS endpoint hosts (with `endpoint_hosts: true`).
pub const GROUP_RDS: &str = "aws_rds";
/// Group of ElastiCache endpoint hosts (with `endpoint_hosts: true`).
pub const GROUP_ELASTICACHE: &str = "aws_elasticache";

/// One inventory group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub hosts: BTreeSet<String>,
    pub children: BTreeSet<String>,
    pub vars: Map<String, Value>,
}

/// A complete inventory, ready to render.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// Every group but `all`.
    pub groups: BTreeMap<String, Group>,
    pub all_vars: Map<String, Value>,
    /// Terraform outputs, variables of `all` too (no name in both maps), kept as their JSON text.
    pub outputs: BTreeMap<String, RawJson>,
    pub hostvars: BTreeMap<String, HostVars>,
}

impl Inventory {
    /// Whether `all` has any variable.
    pub fn has_all_vars(&self) -> bool {
        !self.all_vars.is_empty() || !self.outputs.is_empty()
    }

    /// The variables of `all` as one tree (outputs parsed): for exports, not for `--list`.
    pub fn all_vars_tree(&self) -> Map<String, Value> {
        let mut vars = self.all_vars.clone();
        vars.extend(self.outputs.iter().map(|(k, v)| (k.clone(), v.to_value())));
        vars
    }

    /// Groups that are no other group's child: the children of `all`.
    pub fn top_groups(&self) -> BTreeSet<&str> {
        let nested: BTreeSet<&str> = self
            .groups
            .values()
            .flat_map(|g| g.children.iter().map(String::as_str))
            .collect();
        self.groups
            .keys()
            .map(String::as_str)
            .filter(|g| !nested.contains(g))
            .collect()
    }

    /// Put `host` into `group`, creating the group if needed.
    pub fn add_to_group(&mut self, group: &str, host: &str) {
        self.groups
            .entry(group.to_owned())
            .or_default()
            .hosts
            .insert(host.to_owned());
    }
}

/// Sanitise a group name exactly as Ansible's inventory plugins do (`to_safe_group_name` with
/// `force=True`, i.e. `re.sub(r'^[\d\W]|[^\w]', '_', name)`): every character that is not a word
/// character becomes `_`, and so does a leading digit.
pub fn safe_group_name(name: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let out: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if !word(c) || (i == 0 && c.is_numeric()) {
                '_'
            } else {
                c
            }
        })
        .collect();
    if out.is_empty() { "_".into() } else { out }
}
