//! Connection settings: `ansible_user` by group membership, then either Session Manager
//! variables or, for SSH, the bastion's `ProxyJump` on every host reached at a private address.
//! The bastion is chosen, never guessed: a pinned host (name or instance id), or the one instance
//! that matches the tag rule (several refuse the inventory); its address and user are checked
//! ([`trust`]) before they reach `-o ProxyJump`, which OpenSSH runs through a shell.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::hosts::attr_value;
use super::trust;
use super::types::Inventory;
use crate::config::{BastionRule, Config, Connection, HostAttr};
use crate::error::{Error, Result};
use crate::model::Instance;

/// Every group a host belongs to, directly or through a parent group.
fn memberships(inv: &Inventory) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, g) in &inv.groups {
        for child in &g.children {
            parents
                .entry(child.as_str())
                .or_default()
                .push(name.as_str());
        }
    }
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, g) in &inv.groups {
        for host in &g.hosts {
            let set = out.entry(host.as_str()).or_default();
            let mut todo = vec![name.as_str()];
            while let Some(group) = todo.pop() {
                if set.insert(group) {
                    todo.extend(parents.get(group).into_iter().flatten());
                }
            }
        }
    }
    out
}

/// Give each host the user of the first `(group, user)` pair whose group it is in.
pub(super) fn apply_users(inv: &mut Inventory, users: &[(String, String)]) {
    if users.is_empty() {
        return;
    }
    let member = memberships(inv);
    let assigned: Vec<(String, String)> = inv
        .hostvars
        .keys()
        .filter_map(|host| {
            let groups = member.get(host.as_str());
            users
                .iter()
                .find(|(g, _)| g == "all" || groups.is_some_and(|s| s.contains(g.as_str())))
                .map(|(_, u)| (host.clone(), u.clone()))
        })
        .collect();
    for (host, user) in assigned {
        if let Some(vars) = inv.hostvars.get_mut(&host) {
            vars.insert("ansible_user".into(), Value::String(user));
        }
    }
}

/// The connection variables of `instances` (named `names`; `chosen` is the attribute each
/// host's `ansible_host` came from).
pub(super) fn apply_connection(
    inv: &mut Inventory,
    instances: &[&Instance],
    names: &[String],
    chosen: &BTreeMap<&str, Option<HostAttr>>,
    config: &Config,
) -> Result<()> {
    match &config.connection {
        Connection::Ssm { bucket } => {
            for (instance, name) in instances.iter().zip(names) {
                let vars = inv.hostvars.get_mut(name).expect("every host has vars");
                vars.insert("ansible_connection".into(), json!("community.aws.aws_ssm"));
                vars.insert("ansible_host".into(), json!(instance.instance_id));
                for (key, value) in [
                    ("ansible_aws_ssm_region", instance.region.as_deref()),
                    ("ansible_aws_ssm_bucket_name", bucket.as_deref()),
                ] {
                    if let Some(v) = value {
                        vars.insert(key.into(), Value::String(v.to_owned()));
                    }
                }
            }
            Ok(())
        }
        Connection::Ssh {
            bastion,
            bastion_user,
        } => {
            let found = match bastion {
                BastionRule::Off => None,
                BastionRule::Host(host) => {
                    // An instance id first: a tag writer can make a host *name* equal to the
                    // pinned id (a Name tag), never another instance's id.
                    let i = instances
                        .iter()
                        .position(|i| i.instance_id == *host)
                        .or_else(|| names.iter().position(|n| n == host))
                        .ok_or_else(|| {
                            Error::config(
                                &config.origin,
                                "connection.bastion.host: no host has that name or instance id in the inventory",
                            )
                        })?;
                    Some(i)
                }
                BastionRule::Tag { key, value } => {
                    // Whoever may tag an instance may match the rule: more than one match is
                    // refused, never settled by name order.
                    let matching: Vec<usize> = (0..instances.len())
                        .filter(|&i| instances[i].tags.get(key) == Some(value))
                        .collect();
                    if matching.len() > 1 {
                        let ids: Vec<&str> = matching
                            .iter()
                            .map(|&i| instances[i].instance_id.as_str())
                            .collect();
                        return Err(Error::Inventory(format!(
                            "connection.bastion: {} instances match the bastion tag ({}); pin one with connection.bastion.host (its host name or instance id), or set connection.bastion: false",
                            ids.len(),
                            ids.join(", ")
                        )));
                    }
                    matching.first().copied()
                }
            };
            let Some(b) = found else { return Ok(()) };
            let bastion_name = &names[b];
            let id = &instances[b].instance_id;
            let address = [HostAttr::PublicIp, HostAttr::PublicDns].iter().find_map(|a| attr_value(instances[b], a)).ok_or_else(|| {
                Error::Inventory(format!(
                    "bastion {bastion_name} has no public address (no Elastic IP, public IP or public DNS name); give it one, or set connection.bastion: false"
                ))
            })?;
            if !trust::address(address) {
                return Err(Error::Inventory(format!(
                    "bastion (instance {id}): its public address is neither an IP address nor an RFC 1123 host name; refusing to put it into ProxyJump"
                )));
            }
            let user = bastion_user.clone().or_else(|| {
                inv.hostvars
                    .get(bastion_name)
                    .and_then(|v| v.get("ansible_user"))
                    .and_then(|v| v.as_str().map(str::to_owned))
            });
            if user.as_deref().is_some_and(|u| !trust::user(u)) {
                return Err(Error::Inventory(format!(
                    "bastion (instance {id}): its user (connection.bastion.user or its ansible_user) is not a plain user name (letters, digits, '_', '.', '-')"
                )));
            }
            // ProxyJump reads [user@]host[:port]: an IPv6 address goes in brackets.
            let address = if address.contains(':') {
                format!("[{address}]")
            } else {
                address.to_owned()
            };
            let jump = match user {
                Some(u) => format!("-o ProxyJump={u}@{address}"),
                None => format!("-o ProxyJump={address}"),
            };
            for name in names.iter().filter(|n| *n != bastion_name) {
                if chosen
                    .get(name.as_str())
                    .is_some_and(|a| a.as_ref().is_some_and(HostAttr::is_private))
                {
                    let vars = inv.hostvars.get_mut(name).expect("every host has vars");
                    vars.insert(
                        "ansible_ssh_common_args".into(),
                        Value::String(jump.clone()),
                    );
                }
            }
            Ok(())
        }
    }
}
