//! Hosts: which instances are hosts (one per instance id), what each is called (the first
//! `hostnames` preference that has a value; shared names made unique) and its host variables.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::trust;
use crate::config::HostAttr;
use crate::hostvars::HostVars;
use crate::model::Instance;

/// The same instance read from two states is one host: keep the first (indexes into `instances`).
pub(super) fn unique_instances(instances: &[Instance]) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    (0..instances.len())
        .filter(|&i| seen.insert(instances[i].instance_id.as_str()))
        .collect()
}

/// The value of `attr` of an instance, if it has a non-empty one.
pub(super) fn attr_value<'a>(instance: &'a Instance, attr: &HostAttr) -> Option<&'a str> {
    match attr {
        HostAttr::Tag(key) => instance.tags.get(key).map(String::as_str),
        HostAttr::InstanceId => Some(instance.instance_id.as_str()),
        HostAttr::Eip => instance.eip.as_deref(),
        HostAttr::PublicIp => instance.eip.as_deref().or(instance.public_ip.as_deref()),
        HostAttr::PrivateIp => instance.private_ip.as_deref(),
        HostAttr::PublicDns => instance
            .eip_dns
            .as_deref()
            .or(instance.public_dns.as_deref()),
        HostAttr::PrivateDns => instance.private_dns.as_deref(),
    }
    .filter(|v| !v.is_empty())
}

/// The first preferred attribute that has a value that may name a host
/// ([`trust::usable_name`]: never the controller's name, a template or an option), else the
/// instance id; a name shared by several instances gets the instance id appended on every one of
/// them, so no host is dropped and names don't depend on order. Instance ids are plain
/// ([`trust::plain_id`], checked by the caller).
pub(super) fn host_names(instances: &[&Instance], preference: &[HostAttr]) -> Vec<String> {
    let wanted: Vec<&str> = instances
        .iter()
        .map(|i| {
            preference
                .iter()
                .find_map(|a| attr_value(i, a).filter(|v| trust::usable_name(v)))
                .unwrap_or(i.instance_id.as_str())
        })
        .collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &wanted {
        *count.entry(w).or_default() += 1;
    }
    instances
        .iter()
        .zip(&wanted)
        .map(|(i, w)| {
            if count[w] > 1 && *w != i.instance_id {
                format!("{w}_{}", i.instance_id)
            } else {
                (*w).to_owned()
            }
        })
        .collect()
}

fn put(vars: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        vars.insert(key.to_owned(), Value::String(v.to_owned()));
    }
}

/// Host variables of an instance, in the shapes amazon.aws.aws_ec2 uses, plus `ansible_host`.
pub(super) fn instance_vars(
    i: &Instance,
    raw: Option<Box<RawValue>>,
    preference: &[HostAttr],
) -> (HostVars, Option<HostAttr>) {
    if let Some(raw) = raw {
        // The AWS source: every field the API reported, in the aws_ec2 plugin's shapes, as the
        // raw JSON they were written as.
        let mut v = HostVars::with_raw(Some(raw));
        let chosen = preference
            .iter()
            .find_map(|a| attr_value(i, a).map(|value| (a.clone(), value)));
        if let Some((_, address)) = &chosen {
            v.insert("ansible_host".into(), Value::String((*address).to_owned()));
        }
        return (v, chosen.map(|(a, _)| a));
    }
    let mut v = Map::new();
    put(&mut v, "instance_id", Some(&i.instance_id));
    put(&mut v, "instance_type", i.instance_type.as_deref());
    put(&mut v, "image_id", i.image_id.as_deref());
    put(&mut v, "key_name", i.key_name.as_deref());
    put(&mut v, "subnet_id", i.subnet_id.as_deref());
    put(&mut v, "private_ip_address", i.private_ip.as_deref());
    put(
        &mut v,
        "public_ip_address",
        i.eip.as_deref().or(i.public_ip.as_deref()),
    );
    put(&mut v, "private_dns_name", i.private_dns.as_deref());
    put(
        &mut v,
        "public_dns_name",
        i.eip_dns.as_deref().or(i.public_dns.as_deref()),
    );
    let mut placement = Map::new();
    put(
        &mut placement,
        "availability_zone",
        i.availability_zone.as_deref(),
    );
    put(&mut placement, "region", i.region.as_deref());
    if !placement.is_empty() {
        v.insert("placement".into(), Value::Object(placement));
    }
    if let Some(state) = &i.state {
        v.insert("state".into(), json!({ "name": state }));
    }
    if !i.security_group_ids.is_empty() {
        v.insert("security_group_ids".into(), json!(i.security_group_ids));
    }
    // `tags` is a reserved name in Ansible (it warns on every run); amazon.aws uses `ec2_tags` too.
    v.insert("ec2_tags".into(), json!(i.tags));
    put(&mut v, "palin_tf_address", i.origin.address.as_deref());
    let chosen = preference
        .iter()
        .find_map(|a| attr_value(i, a).map(|value| (a.clone(), value)));
    if let Some((_, address)) = &chosen {
        put(&mut v, "ansible_host", Some(address));
    }
    (v.into(), chosen.map(|(a, _)| a))
}
