//! Model → inventory (pure): host names, groups, host variables, connection settings and the
//! endpoint variables. The one place that defines the names playbooks rely on:
//!
//! * every EC2 host is in `aws_ec2`, in `tag_<Key>_<Value>` groups, in `<type>_<name>` of its
//!   Terraform resource and in `module_<path>` groups (nested like the modules);
//! * `all` carries `palin_rds`, `palin_redis`, `palin_lb` (dicts keyed by identifier / name) and,
//!   when exactly one of a kind exists, the short aliases `palin_postgres_*`, `palin_mysql_*`,
//!   `palin_redis_*`, `palin_lb_dns_name`; plus the Terraform outputs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::config::{BastionRule, Config, Connection, HostAttr, TagGroups};
use crate::error::{Error, Result};
pub use crate::hostvars::HostVars;
use crate::model::{Cache, CacheKind, Database, DatabaseKind, Instance, LoadBalancer, Model};

/// Group of every EC2 host (the name the amazon.aws.aws_ec2 plugin uses).
pub const GROUP_EC2: &str = "aws_ec2";
/// Group of RDS endpoint hosts (with `endpoint_hosts: true`).
pub const GROUP_RDS: &str = "aws_rds";
/// Group of ElastiCache endpoint hosts (with `endpoint_hosts: true`).
pub const GROUP_ELASTICACHE: &str = "aws_elasticache";

/// Variable names Ansible reserves (`ansible.vars.reserved.get_reserved_names()`, ansible-core
/// 2.19): a variable with one of these names makes Ansible warn on every run.
pub const RESERVED_NAMES: [&str; 75] = [
    "action",
    "always",
    "any_errors_fatal",
    "args",
    "async",
    "async_val",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "block",
    "changed_when",
    "check_mode",
    "collections",
    "connection",
    "cycler",
    "debugger",
    "delay",
    "delegate_facts",
    "delegate_to",
    "dict",
    "diff",
    "environment",
    "fact_path",
    "failed_when",
    "force_handlers",
    "gather_facts",
    "gather_timeout",
    "handlers",
    "hosts",
    "ignore_errors",
    "ignore_unreachable",
    "joiner",
    "lipsum",
    "local_action",
    "lookup",
    "loop",
    "loop_control",
    "loop_with",
    "max_fail_percentage",
    "module_defaults",
    "name",
    "namespace",
    "no_log",
    "notify",
    "now",
    "omit",
    "order",
    "poll",
    "port",
    "post_tasks",
    "pre_tasks",
    "q",
    "query",
    "range",
    "register",
    "remote_user",
    "rescue",
    "retries",
    "roles",
    "run_once",
    "serial",
    "strategy",
    "tags",
    "tasks",
    "throttle",
    "timeout",
    "undef",
    "until",
    "vars",
    "vars_files",
    "vars_prompt",
    "when",
    "with_",
];

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

    fn add_to_group(&mut self, group: &str, host: &str) {
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

/// Build the inventory of `model` under `config`. The instances' raw API variables move into the
/// inventory (not copied).
pub fn build(mut model: Model, config: &Config) -> Result<Inventory> {
    let mut inv = Inventory::default();
    let mut raws: Vec<Option<Box<RawValue>>> = model
        .instances
        .iter_mut()
        .map(|i| i.api_vars.take().map(|a| a.0))
        .collect();
    let model = &model;
    let unique = unique_instances(&model.instances);
    let instances: Vec<&Instance> = unique.iter().map(|&i| &model.instances[i]).collect();
    let names = host_names(&instances, &config.hostnames);

    let mut chosen_attr: BTreeMap<&str, Option<HostAttr>> = BTreeMap::new();
    for ((instance, name), index) in instances.iter().zip(&names).zip(&unique) {
        let (vars, attr) = instance_vars(instance, raws[*index].take(), &config.ansible_host);
        chosen_attr.insert(name, attr);
        inv.hostvars.insert(name.clone(), vars);
        inv.add_to_group(GROUP_EC2, name);
        if !config.palin_extras {
            continue;
        }
        for (key, value) in &instance.tags {
            let wanted = match &config.tag_groups {
                TagGroups::AllButName => key != "Name",
                TagGroups::Only(keys) => keys.contains(key),
            };
            if wanted {
                inv.add_to_group(&safe_group_name(&format!("tag_{key}_{value}")), name);
            }
        }
        if let Some(resource) = &instance.origin.resource {
            inv.add_to_group(&safe_group_name(resource), name);
        }
        if let Some(module) = &instance.origin.module {
            add_to_module_groups(&mut inv, module, name);
        }
    }

    apply_users(&mut inv, &config.users);
    apply_connection(&mut inv, &instances, &names, &chosen_attr, config)?;
    crate::construct::apply(&mut inv, &names, &config.constructed)?;
    if config.palin_extras {
        add_endpoints(&mut inv, model, config)?;
    }
    add_outputs(&mut inv, model, config)?;
    if let Some(stale) = &model.stale {
        inv.all_vars.insert(
            "palin_inventory_stale".into(),
            json!({ "fetched_at": stale.fetched_at, "error": stale.error }),
        );
    }
    Ok(inv)
}

/// The same instance read from two states is one host: keep the first (indexes into `instances`).
fn unique_instances(instances: &[Instance]) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    (0..instances.len())
        .filter(|&i| seen.insert(instances[i].instance_id.as_str()))
        .collect()
}

fn attr_value<'a>(instance: &'a Instance, attr: &HostAttr) -> Option<&'a str> {
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

/// The first preferred attribute that has a value; a name shared by several instances gets the
/// instance id appended on every one of them, so no host is dropped and names don't depend on order.
fn host_names(instances: &[&Instance], preference: &[HostAttr]) -> Vec<String> {
    let wanted: Vec<&str> = instances
        .iter()
        .map(|i| {
            preference
                .iter()
                .find_map(|a| attr_value(i, a))
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
fn instance_vars(
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

fn add_to_module_groups(inv: &mut Inventory, module: &str, host: &str) {
    // `module.app.module.cache` → groups `module_app` ⊃ `module_app_module_cache`.
    let parts: Vec<&str> = module.split('.').collect();
    let mut parent: Option<String> = None;
    for depth in (2..=parts.len()).step_by(2) {
        let group = safe_group_name(&parts[..depth].join("_"));
        inv.groups.entry(group.clone()).or_default();
        if let Some(p) = &parent {
            inv.groups
                .entry(p.clone())
                .or_default()
                .children
                .insert(group.clone());
        }
        parent = Some(group);
    }
    if let Some(leaf) = parent {
        inv.add_to_group(&leaf, host);
    }
}

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

fn apply_users(inv: &mut Inventory, users: &[(String, String)]) {
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

fn apply_connection(
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
                    let i = names.iter().position(|n| n == host).ok_or_else(|| {
                        Error::config(
                            &config.origin,
                            format!(
                                "connection.bastion.host: no host named {host:?} in the inventory"
                            ),
                        )
                    })?;
                    Some(i)
                }
                BastionRule::Tag { key, value } => names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| instances[*i].tags.get(key) == Some(value))
                    .min_by_key(|(_, n)| n.as_str())
                    .map(|(i, _)| i),
            };
            let Some(b) = found else { return Ok(()) };
            let bastion_name = &names[b];
            let address = [HostAttr::PublicIp, HostAttr::PublicDns].iter().find_map(|a| attr_value(instances[b], a)).ok_or_else(|| {
                Error::Inventory(format!(
                    "bastion {bastion_name} has no public address (no Elastic IP, public IP or public DNS name); give it one, or set connection.bastion: false"
                ))
            })?;
            let user = bastion_user.clone().or_else(|| {
                inv.hostvars
                    .get(bastion_name)
                    .and_then(|v| v.get("ansible_user"))
                    .and_then(|v| v.as_str().map(str::to_owned))
            });
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

fn add_endpoints(inv: &mut Inventory, model: &Model, config: &Config) -> Result<()> {
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

fn add_outputs(inv: &mut Inventory, model: &Model, config: &Config) -> Result<()> {
    if !config.outputs {
        return Ok(());
    }
    let mut from: BTreeMap<String, &str> = BTreeMap::new();
    for output in &model.outputs {
        // Terraform allows `-` in output names; Ansible variable names do not. A name Ansible
        // reserves (an output called `tags`, `name`, `port`, ...) gets `tf_` in front.
        let mut name = format!("{}{}", config.outputs_prefix, output.name.replace('-', "_"));
        if RESERVED_NAMES.contains(&name.as_str()) {
            name.insert_str(0, "tf_");
        }
        if let Some(source) = from.get(&name) {
            if inv.all_vars.get(&name) != Some(&output.value) {
                return Err(Error::Inventory(format!(
                    "output {:?} has different values in {source} and {}; read only one of these states, or set terraform.outputs: false",
                    output.name, output.origin.source
                )));
            }
            continue;
        }
        if inv.all_vars.contains_key(&name) {
            return Err(Error::Inventory(format!(
                "output {:?} would overwrite palin's variable {name}; set terraform.outputs_prefix",
                output.name
            )));
        }
        from.insert(name.clone(), &output.origin.source);
        inv.all_vars.insert(name, output.value.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
