//! The inventory's types: [`Inventory`] and its [`Group`]s, the group names palin always uses,
//! and [`safe_group_name`], Ansible's rule for a group name. Everything else in `inventory`
//! builds on these, and they depend on nothing else of it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::hostvars::HostVars;

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
    pub hostvars: BTreeMap<String, HostVars>,
}

impl Inventory {
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
