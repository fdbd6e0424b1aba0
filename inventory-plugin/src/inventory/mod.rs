//! Model → inventory (pure): host names, groups, host variables, connection settings and the
//! endpoint variables. The one place that defines the names playbooks rely on:
//!
//! * every EC2 host is in `aws_ec2`, in `tag_<Key>_<Value>` groups, in `<type>_<name>` of its
//!   Terraform resource and in `module_<path>` groups (nested like the modules);
//! * `all` carries `palin_rds`, `palin_redis`, `palin_lb` (dicts keyed by identifier / name) and,
//!   when exactly one of a kind exists, the short aliases `palin_postgres_*`, `palin_mysql_*`,
//!   `palin_redis_*`, `palin_lb_dns_name`; plus the Terraform outputs.
//!
//! [`build`] runs the steps in order; each has its own module, and every module depends only on
//! `types` and `trust` (and `connection` on `hosts`), never on this one:
//!
//! * `types`: [`Inventory`], [`Group`], [`safe_group_name`] and the fixed group names;
//! * `hosts`: which instances are hosts, their names and host variables;
//! * `groups`: palin's tag, resource and module groups;
//! * `connection`: `ansible_user`, Session Manager or the bastion's `ProxyJump`;
//! * [`construct`]: Ansible's `compose`, `groups` and `keyed_groups`;
//! * `endpoints`: the database, cache and load balancer variables (and endpoint hosts);
//! * `outputs`: the Terraform outputs;
//! * `trust`: the trust boundary's checks: host names, instance ids, addresses, users, reserved
//!   group names.

use std::collections::BTreeMap;

use serde_json::json;
use serde_json::value::RawValue;

use crate::config::{Config, HostAttr};
use crate::error::{Error, Result};
use crate::model::{Instance, Model};

mod connection;
pub mod construct;
mod endpoints;
mod groups;
mod hosts;
mod outputs;
mod trust;
mod types;

pub use crate::hostvars::HostVars;
pub use endpoints::{cache_vars, database_vars, lb_vars};
pub use outputs::RESERVED_NAMES;
pub use types::{GROUP_EC2, GROUP_ELASTICACHE, GROUP_RDS, Group, Inventory, safe_group_name};

/// Build the inventory of `model` under `config`. The instances' raw API variables move into the
/// inventory (not copied).
pub fn build(mut model: Model, config: &Config) -> Result<Inventory> {
    let mut inv = Inventory::default();
    let mut raws: Vec<Option<Box<RawValue>>> = model
        .instances
        .iter_mut()
        .map(|i| i.api_vars.take().map(|a| a.0))
        .collect();
    let outputs = std::mem::take(&mut model.outputs);
    let model = &model;
    let unique = hosts::unique_instances(&model.instances);
    let instances: Vec<&Instance> = unique.iter().map(|&i| &model.instances[i]).collect();
    if let Some(bad) = instances.iter().find(|i| !trust::plain_id(&i.instance_id)) {
        return Err(Error::Inventory(format!(
            "{} holds an EC2 instance whose id is not a plain identifier (letters, digits, '.', '_', '-'; never localhost or a template); refusing the inventory",
            bad.origin.source
        )));
    }
    let names = hosts::host_names(&instances, &config.hostnames);
    let instance_ids: BTreeMap<String, String> = names
        .iter()
        .zip(&instances)
        .map(|(n, i)| (n.clone(), i.instance_id.clone()))
        .collect();

    let mut chosen_attr: BTreeMap<&str, Option<HostAttr>> = BTreeMap::new();
    for ((instance, name), index) in instances.iter().zip(&names).zip(&unique) {
        let (vars, attr) =
            hosts::instance_vars(instance, raws[*index].take(), &config.ansible_host);
        chosen_attr.insert(name, attr);
        inv.hostvars.insert(name.clone(), vars);
        inv.add_to_group(GROUP_EC2, name);
        if config.palin_extras {
            groups::add_palin_groups(&mut inv, instance, name, &config.tag_groups);
        }
    }

    connection::apply_users(&mut inv, &config.users);
    connection::apply_connection(&mut inv, &instances, &names, &chosen_attr, config)?;
    construct::apply(&mut inv, &names, &config.constructed)?;
    if config.palin_extras {
        endpoints::add_endpoints(&mut inv, model, config)?;
    }
    outputs::add_outputs(&mut inv, outputs, config)?;
    trust::check(&mut inv, &instance_ids)?;
    if let Some(stale) = &model.stale {
        inv.outputs.remove("palin_inventory_stale");
        inv.all_vars.insert(
            "palin_inventory_stale".into(),
            json!({ "fetched_at": stale.fetched_at, "error": stale.error }),
        );
    }
    Ok(inv)
}

#[cfg(test)]
mod tests;
