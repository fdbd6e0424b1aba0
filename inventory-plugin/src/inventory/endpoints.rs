//! Endpoints: the variables of RDS databases, ElastiCache endpoints and load balancers on `all`
//! (`palin_rds`, `palin_redis`, `palin_lb` keyed by a name made unique, and the short aliases
//! when there is exactly one of a kind), and, with `endpoint_hosts`, a local host per endpoint.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::types::{GROUP_ELASTICACHE, GROUP_RDS, Inventory};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{Cache, CacheKind, Database, DatabaseKind, LoadBalancer, Model};

fn obj(pairs: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

fn s(v: Option<&String>) -> Option<Value> {
    v.map(|v| Value::String(v.clone()))
}

/// The variables of one database endpoint (the value under `palin_rds.<id>`).
pub fn database_vars(d: &Database) -> Value {
    obj(vec![
        ("host", Some(json!(d.host))),
        ("port", d.port.map(Value::from)),
        ("endpoint", d.port.map(|p| json!(format!("{}:{p}", d.host)))),
        ("reader_host", s(d.reader_host.as_ref())),
        (
            "kind",
            Some(json!(match d.kind {
                DatabaseKind::Instance => "instance",
                DatabaseKind::Cluster => "cluster",
            })),
        ),
        ("engine", s(d.engine.as_ref())),
        ("engine_version", s(d.engine_version.as_ref())),
        ("db_name", s(d.db_name.as_ref())),
        ("username", s(d.username.as_ref())),
        ("password", s(d.password.as_ref())),
        ("region", s(d.region.as_ref())),
        ("arn", s(d.arn.as_ref())),
    ])
}

/// The variables of one Redis endpoint (the value under `palin_redis.<id>`).
pub fn cache_vars(c: &Cache) -> Value {
    let nodes: Vec<Value> = c
        .nodes
        .iter()
        .map(|n| {
            obj(vec![
                ("id", Some(json!(n.id))),
                ("host", Some(json!(n.host))),
                ("port", n.port.map(Value::from)),
                ("availability_zone", s(n.availability_zone.as_ref())),
            ])
        })
        .collect();
    obj(vec![
        ("host", Some(json!(c.host))),
        ("port", c.port.map(Value::from)),
        ("reader_host", s(c.reader_host.as_ref())),
        ("tls", c.tls.map(Value::from)),
        (
            "kind",
            Some(json!(match c.kind {
                CacheKind::ReplicationGroup => "replication_group",
                CacheKind::Cluster => "cluster",
            })),
        ),
        ("cluster_mode", Some(json!(c.cluster_mode))),
        ("engine", s(c.engine.as_ref())),
        ("engine_version", s(c.engine_version.as_ref())),
        ("nodes", (!nodes.is_empty()).then_some(Value::Array(nodes))),
        ("auth_token", s(c.auth_token.as_ref())),
        ("region", s(c.region.as_ref())),
        ("arn", s(c.arn.as_ref())),
    ])
}

/// The variables of one load balancer (the value under `palin_lb.<name>`).
pub fn lb_vars(l: &LoadBalancer) -> Value {
    obj(vec![
        ("dns_name", Some(json!(l.dns_name))),
        ("zone_id", s(l.zone_id.as_ref())),
        ("arn", s(l.arn.as_ref())),
        ("internal", l.internal.map(Value::from)),
    ])
}

/// What tells two endpoints with the same name apart.
struct Identity<'a> {
    name: &'a str,
    /// The endpoint address: the same address is the same endpoint, read twice.
    host: &'a str,
    region: Option<&'a str>,
    arn: Option<&'a str>,
    source: &'a str,
}

/// Key endpoints by name. A name read twice for the same address is one endpoint; names shared by
/// different endpoints (the same identifier in two regions or accounts) get `_<region>`, or
/// `_<account>_<region>`, appended on every one of them, so nothing is dropped and keys do not
/// depend on order.
fn keyed<'a, T>(
    kind: &str,
    items: &'a [T],
    identity: impl Fn(&'a T) -> Identity<'a>,
) -> Result<BTreeMap<String, &'a T>> {
    let mut by_name: BTreeMap<&str, Vec<(Identity<'a>, &'a T)>> = BTreeMap::new();
    for item in items {
        let id = identity(item);
        let same = by_name.entry(id.name).or_default();
        if !same.iter().any(|(other, _)| other.host == id.host) {
            same.push((id, item));
        }
    }
    let account = |arn: Option<&str>| {
        arn.and_then(|a| a.split(':').nth(4))
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = BTreeMap::new();
    for (name, entries) in by_name {
        if let [(_, only)] = entries[..] {
            out.insert(name.to_owned(), only);
            continue;
        }
        let by_region: Vec<String> = entries
            .iter()
            .map(|(id, _)| format!("{name}_{}", id.region.unwrap_or_default()))
            .collect();
        let by_account: Vec<String> = entries
            .iter()
            .map(|(id, _)| {
                format!(
                    "{name}_{}_{}",
                    account(id.arn),
                    id.region.unwrap_or_default()
                )
            })
            .collect();
        let unique = |keys: &[String]| keys.iter().collect::<BTreeSet<_>>().len() == keys.len();
        let keys = if unique(&by_region) {
            by_region
        } else if unique(&by_account) {
            by_account
        } else {
            let sources: Vec<&str> = entries.iter().map(|(id, _)| id.source).collect();
            return Err(Error::Inventory(format!(
                "two {kind} named {name:?} with different addresses in the same region and account (from {}); read only one of these states",
                sources.join(" and ")
            )));
        };
        for (key, (_, item)) in keys.into_iter().zip(entries) {
            out.insert(key, item);
        }
    }
    Ok(out)
}

/// Add every endpoint of `model` to `inv`.
pub(super) fn add_endpoints(inv: &mut Inventory, model: &Model, config: &Config) -> Result<()> {
    let dbs = keyed("RDS databases", &model.databases, |d| Identity {
        name: &d.id,
        host: &d.host,
        region: d.region.as_deref(),
        arn: d.arn.as_deref(),
        source: &d.origin.source,
    })?;
    let caches = keyed("ElastiCache endpoints", &model.caches, |c| Identity {
        name: &c.id,
        host: &c.host,
        region: c.region.as_deref(),
        arn: c.arn.as_deref(),
        source: &c.origin.source,
    })?;
    let lbs = keyed("load balancers", &model.load_balancers, |l| Identity {
        name: &l.name,
        host: &l.dns_name,
        region: l.arn.as_deref().and_then(|a| a.split(':').nth(3)),
        arn: l.arn.as_deref(),
        source: &l.origin.source,
    })?;

    let rds: Map<String, Value> = dbs
        .iter()
        .map(|(id, d)| (id.clone(), database_vars(d)))
        .collect();
    let redis: Map<String, Value> = caches
        .iter()
        .map(|(id, c)| (id.clone(), cache_vars(c)))
        .collect();
    let lb: Map<String, Value> = lbs
        .iter()
        .map(|(name, l)| (name.clone(), lb_vars(l)))
        .collect();

    for (family, engines) in [
        ("postgres", &["postgres", "aurora-postgresql"][..]),
        ("mysql", &["mysql", "mariadb", "aurora-mysql"][..]),
    ] {
        let matching: Vec<&Value> = dbs
            .iter()
            .filter(|(_, d)| d.engine.as_deref().is_some_and(|e| engines.contains(&e)))
            .map(|(id, _)| &rds[id.as_str()])
            .collect();
        if let [only] = matching[..] {
            for field in [
                "host",
                "port",
                "reader_host",
                "db_name",
                "username",
                "password",
            ] {
                if let Some(value) = only.get(field) {
                    inv.all_vars
                        .insert(format!("palin_{family}_{field}"), value.clone());
                }
            }
        }
    }
    if let [only] = redis.values().collect::<Vec<_>>()[..] {
        for field in ["host", "port", "reader_host", "tls", "auth_token"] {
            if let Some(value) = only.get(field) {
                inv.all_vars
                    .insert(format!("palin_redis_{field}"), value.clone());
            }
        }
    }
    if let [only] = lb.values().collect::<Vec<_>>()[..] {
        inv.all_vars
            .insert("palin_lb_dns_name".into(), only["dns_name"].clone());
    }

    if config.endpoint_hosts {
        let endpoint_hosts = rds
            .iter()
            .map(|(id, v)| (GROUP_RDS, id, v))
            .chain(redis.iter().map(|(id, v)| (GROUP_ELASTICACHE, id, v)));
        for (group, id, vars) in endpoint_hosts {
            if !super::trust::usable_name(id) {
                return Err(Error::Inventory(format!(
                    "an endpoint host of {group} would be named localhost, a template or an option; set endpoint_hosts: false"
                )));
            }
            if inv.hostvars.contains_key(id) {
                return Err(Error::Inventory(format!(
                    "endpoint host {id:?} has the same name as an EC2 host; set endpoint_hosts: false or rename one"
                )));
            }
            let mut hv = Map::new();
            hv.insert("ansible_host".into(), vars["host"].clone());
            hv.insert("ansible_connection".into(), json!("local"));
            hv.insert("palin_endpoint".into(), vars.clone());
            inv.hostvars.insert(id.clone(), hv.into());
            inv.add_to_group(group, id);
        }
    }

    for (name, value) in [("palin_rds", rds), ("palin_redis", redis), ("palin_lb", lb)] {
        inv.all_vars.insert(name.into(), Value::Object(value));
    }
    Ok(())
}
