//! Resource objects of a parsed state → palin's model (pure, no I/O).
//!
//! Owns the Terraform-to-AWS mapping: which resource types become hosts and endpoints, how their
//! provider attributes translate (note `aws_db_instance.endpoint` is `host:port` while
//! `aws_rds_cluster.endpoint` is the host alone), and the secret rule: attributes that are secret by
//! nature (`password`, `master_password`, `auth_token`) or marked sensitive in the state, and
//! sensitive outputs, are left out unless the user reveals them by name.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};

use super::state::{ResourceObject, Sensitive, StateDoc};
use crate::error::{Error, Result};
use crate::model::{
    Cache, CacheKind, CacheNode, Database, DatabaseKind, ElasticIp, Instance, LoadBalancer, Model,
    Origin, Output, RawJson, region_of,
};

/// Map one parsed state to the model. `source` names the state in errors and hostvars;
/// `reveal` holds the output and attribute names the user asked to see although they are secret.
pub fn extract(source: &str, doc: &StateDoc<'_>, reveal: &BTreeSet<String>) -> Result<Model> {
    let mut model = Model::default();
    for obj in doc.objects.iter().filter(|o| o.managed && !o.deposed) {
        let ctx = Ctx {
            source,
            obj,
            reveal,
        };
        match obj.resource_type.as_str() {
            "aws_instance" => model.instances.push(ctx.instance()?),
            "aws_eip" => model.elastic_ips.extend(ctx.eip()?),
            "aws_eip_association" => model.elastic_ips.extend(ctx.eip_association()?),
            "aws_db_instance" => model.databases.extend(ctx.db_instance()?),
            "aws_rds_cluster" => model.databases.extend(ctx.rds_cluster()?),
            "aws_elasticache_replication_group" => model.caches.extend(ctx.replication_group()?),
            "aws_elasticache_cluster" => model.caches.extend(ctx.cache_cluster()?),
            "aws_lb" | "aws_alb" => model.load_balancers.extend(ctx.load_balancer()?),
            _ => {}
        }
    }
    for (name, output) in &doc.outputs {
        if output.sensitive && !reveal.contains(name) {
            continue;
        }
        let origin = Origin {
            source: source.to_owned(),
            ..Origin::default()
        };
        model.outputs.push(Output {
            name: name.clone(),
            value: output.value.map_or_else(RawJson::null, RawJson::compact),
            origin,
        });
    }
    Ok(model)
}

/// Attributes secret by nature, whatever the state marks.
const SECRET_ATTRIBUTES: [&str; 3] = ["password", "master_password", "auth_token"];

struct Ctx<'a, 'd> {
    source: &'a str,
    obj: &'a ResourceObject<'d>,
    reveal: &'a BTreeSet<String>,
}

impl Ctx<'_, '_> {
    fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        self.obj.attributes.parse().map_err(|e| {
            Error::state(
                self.source,
                format!("{}: unexpected attributes: {e}", self.obj.address()),
            )
        })
    }

    fn origin(&self) -> Origin {
        let module = self.obj.module.as_deref().map(strip_instance_keys);
        Origin {
            source: self.source.to_owned(),
            address: Some(self.obj.address()),
            module,
            resource: Some(format!("{}.{}", self.obj.resource_type, self.obj.name)),
        }
    }

    /// Keep an attribute unless it is secret (by nature or by the state's marking) and not revealed.
    fn keep<T>(&self, name: &str, value: Option<T>) -> Option<T> {
        let secret = SECRET_ATTRIBUTES.contains(&name) || self.obj.sensitive.attr(name);
        if secret && !self.reveal.contains(name) {
            None
        } else {
            value
        }
    }

    fn text(&self, name: &str, value: Option<String>) -> Option<String> {
        self.keep(name, value.filter(|v| !v.is_empty()))
    }

    fn instance(&self) -> Result<Instance> {
        let a: InstanceAttrs = self.parse()?;
        let sensitive: &Sensitive = &self.obj.sensitive;
        // `tags_all` adds the provider's `default_tags`, which the real instance carries too.
        let tags = a
            .tags_all
            .filter(|t| !t.is_empty())
            .or(a.tags)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| {
                !(sensitive.key("tags", k) || sensitive.key("tags_all", k))
                    || self.reveal.contains("tags")
            })
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        let availability_zone = self.text("availability_zone", a.availability_zone);
        let arn = self.text("arn", a.arn);
        Ok(Instance {
            region: region_of(
                a.region.as_deref(),
                arn.as_deref(),
                availability_zone.as_deref(),
            ),
            instance_id: a.id,
            instance_type: self.text("instance_type", a.instance_type),
            image_id: self.text("ami", a.ami),
            key_name: self.text("key_name", a.key_name),
            subnet_id: self.text("subnet_id", a.subnet_id),
            availability_zone,
            private_ip: self.text("private_ip", a.private_ip),
            public_ip: self.text("public_ip", a.public_ip),
            private_dns: self.text("private_dns", a.private_dns),
            public_dns: self.text("public_dns", a.public_dns),
            eip: None,
            eip_dns: None,
            state: self.text("instance_state", a.instance_state),
            security_group_ids: self
                .keep("vpc_security_group_ids", a.vpc_security_group_ids)
                .unwrap_or_default(),
            tags,
            origin: self.origin(),
            api_vars: None,
        })
    }

    fn eip(&self) -> Result<Option<ElasticIp>> {
        let a: EipAttrs = self.parse()?;
        Ok(self.elastic_ip(a.instance, a.public_ip, a.public_dns))
    }

    fn eip_association(&self) -> Result<Option<ElasticIp>> {
        let a: EipAssociationAttrs = self.parse()?;
        Ok(self.elastic_ip(a.instance_id, a.public_ip, None))
    }

    fn elastic_ip(
        &self,
        instance: Option<String>,
        ip: Option<String>,
        dns: Option<String>,
    ) -> Option<ElasticIp> {
        Some(ElasticIp {
            instance_id: instance.filter(|i| !i.is_empty())?,
            public_ip: self.text("public_ip", ip)?,
            public_dns: self.text("public_dns", dns),
        })
    }

    fn db_instance(&self) -> Result<Option<Database>> {
        let a: DbInstanceAttrs = self.parse()?;
        // `address` is the host; `endpoint` is `address:port`.
        let host = self.text("address", a.address).or_else(|| {
            let endpoint = self.text("endpoint", a.endpoint)?;
            Some(
                endpoint
                    .rsplit_once(':')
                    .map_or(endpoint.clone(), |(h, _)| h.to_owned()),
            )
        });
        let Some(host) = host else { return Ok(None) };
        let id = a
            .identifier
            .filter(|i| !i.is_empty())
            .or(a.id)
            .unwrap_or_else(|| self.obj.name.clone());
        let arn = self.text("arn", a.arn);
        let availability_zone = a.availability_zone.filter(|z| !z.is_empty());
        Ok(Some(Database {
            id,
            kind: DatabaseKind::Instance,
            host,
            port: self.keep("port", a.port),
            reader_host: None,
            engine: self.text("engine", a.engine),
            engine_version: self
                .text("engine_version_actual", a.engine_version_actual)
                .or(self.text("engine_version", a.engine_version)),
            db_name: self
                .text("db_name", a.db_name)
                .or(self.text("name", a.name)),
            username: self.text("username", a.username),
            password: self.text("password", a.password),
            region: region_of(
                a.region.as_deref(),
                arn.as_deref(),
                availability_zone.as_deref(),
            ),
            arn,
            origin: self.origin(),
        }))
    }

    fn rds_cluster(&self) -> Result<Option<Database>> {
        let a: RdsClusterAttrs = self.parse()?;
        let Some(host) = self.text("endpoint", a.endpoint) else {
            return Ok(None);
        };
        let id = a
            .cluster_identifier
            .filter(|i| !i.is_empty())
            .or(a.id)
            .unwrap_or_else(|| self.obj.name.clone());
        let arn = self.text("arn", a.arn);
        let first_zone = a
            .availability_zones
            .as_ref()
            .and_then(|z| z.first().cloned());
        Ok(Some(Database {
            id,
            kind: DatabaseKind::Cluster,
            host,
            port: self.keep("port", a.port),
            reader_host: self.text("reader_endpoint", a.reader_endpoint),
            engine: self.text("engine", a.engine),
            engine_version: self
                .text("engine_version_actual", a.engine_version_actual)
                .or(self.text("engine_version", a.engine_version)),
            db_name: self.text("database_name", a.database_name),
            username: self.text("master_username", a.master_username),
            password: self.text("master_password", a.master_password),
            region: region_of(a.region.as_deref(), arn.as_deref(), first_zone.as_deref()),
            arn,
            origin: self.origin(),
        }))
    }

    fn replication_group(&self) -> Result<Option<Cache>> {
        let a: ReplicationGroupAttrs = self.parse()?;
        let primary = self.text("primary_endpoint_address", a.primary_endpoint_address);
        let configuration = self.text(
            "configuration_endpoint_address",
            a.configuration_endpoint_address,
        );
        let cluster_mode = primary.is_none() && configuration.is_some();
        let Some(host) = primary.or(configuration) else {
            return Ok(None);
        };
        let id = a
            .replication_group_id
            .filter(|i| !i.is_empty())
            .or(a.id)
            .unwrap_or_else(|| self.obj.name.clone());
        let arn = self.text("arn", a.arn);
        Ok(Some(Cache {
            id,
            kind: CacheKind::ReplicationGroup,
            host,
            port: self.keep("port", a.port),
            reader_host: self.text("reader_endpoint_address", a.reader_endpoint_address),
            tls: self.keep("transit_encryption_enabled", a.transit_encryption_enabled),
            engine: self
                .text("engine", a.engine)
                .or_else(|| Some("redis".to_owned())),
            engine_version: self
                .text("engine_version_actual", a.engine_version_actual)
                .or(self.text("engine_version", a.engine_version)),
            cluster_mode,
            nodes: Vec::new(),
            auth_token: self.text("auth_token", a.auth_token),
            region: region_of(a.region.as_deref(), arn.as_deref(), None),
            arn,
            origin: self.origin(),
        }))
    }

    fn cache_cluster(&self) -> Result<Option<Cache>> {
        let a: CacheClusterAttrs = self.parse()?;
        let engine = a.engine.unwrap_or_default();
        // Members of a replication group are reached through the group's endpoints; memcached
        // is not Redis and has no place in `palin_redis`.
        if a.replication_group_id.is_some_and(|g| !g.is_empty())
            || !matches!(engine.as_str(), "redis" | "valkey")
        {
            return Ok(None);
        }
        let nodes: Vec<CacheNode> = self
            .keep("cache_nodes", a.cache_nodes)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| {
                Some(CacheNode {
                    id: n.id.unwrap_or_default(),
                    host: n.address.filter(|h| !h.is_empty())?,
                    port: n.port,
                    availability_zone: n.availability_zone.filter(|z| !z.is_empty()),
                })
            })
            .collect();
        let Some(first) = nodes.first() else {
            return Ok(None);
        };
        let id = a
            .cluster_id
            .filter(|i| !i.is_empty())
            .or(a.id)
            .unwrap_or_else(|| self.obj.name.clone());
        let arn = self.text("arn", a.arn);
        let zone = first.availability_zone.clone();
        Ok(Some(Cache {
            id,
            kind: CacheKind::Cluster,
            host: first.host.clone(),
            port: self.keep("port", a.port).or(first.port),
            reader_host: None,
            tls: self.keep("transit_encryption_enabled", a.transit_encryption_enabled),
            engine: Some(engine),
            engine_version: self
                .text("engine_version_actual", a.engine_version_actual)
                .or(self.text("engine_version", a.engine_version)),
            cluster_mode: false,
            nodes,
            auth_token: None,
            region: region_of(a.region.as_deref(), arn.as_deref(), zone.as_deref()),
            arn,
            origin: self.origin(),
        }))
    }

    fn load_balancer(&self) -> Result<Option<LoadBalancer>> {
        let a: LbAttrs = self.parse()?;
        let Some(dns_name) = self.text("dns_name", a.dns_name) else {
            return Ok(None);
        };
        Ok(Some(LoadBalancer {
            name: a
                .name
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| self.obj.name.clone()),
            dns_name,
            zone_id: self.text("zone_id", a.zone_id),
            arn: self.text("arn", a.arn),
            internal: self.keep("internal", a.internal),
            origin: self.origin(),
        }))
    }
}

/// `module.app["x"].module.cache[0]` → `module.app.module.cache`.
fn strip_instance_keys(module: &str) -> String {
    let mut out = String::with_capacity(module.len());
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in module.chars() {
        match (depth, c) {
            (_, _) if in_string => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            }
            (d, '"') if d > 0 => in_string = true,
            (_, '[') => depth += 1,
            (d, ']') if d > 0 => depth -= 1,
            (0, c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// Accept a port written as a number (v4 state) or a string (legacy flat attributes).
fn de_port<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u16>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Port {
        Num(u64),
        Text(String),
    }
    match Option::<Port>::deserialize(d)? {
        None | Some(Port::Num(0)) => Ok(None),
        Some(Port::Num(n)) => u16::try_from(n)
            .map(Some)
            .map_err(|_| de::Error::custom("port: a number out of range 0 to 65535")),
        Some(Port::Text(s)) if s.is_empty() => Ok(None),
        Some(Port::Text(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom("port: a string that is not a number")),
    }
}

/// Accept a bool written as a JSON bool or as `"true"`/`"false"` (legacy flat attributes).
fn de_bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        Some(Flag::Bool(b)) => Some(b),
        Some(Flag::Text(s)) => s.parse().ok(),
        None => None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InstanceAttrs {
    id: String,
    arn: Option<String>,
    ami: Option<String>,
    instance_type: Option<String>,
    availability_zone: Option<String>,
    region: Option<String>,
    subnet_id: Option<String>,
    key_name: Option<String>,
    private_ip: Option<String>,
    public_ip: Option<String>,
    private_dns: Option<String>,
    public_dns: Option<String>,
    instance_state: Option<String>,
    tags: Option<BTreeMap<String, Option<String>>>,
    tags_all: Option<BTreeMap<String, Option<String>>>,
    vpc_security_group_ids: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EipAttrs {
    instance: Option<String>,
    public_ip: Option<String>,
    public_dns: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EipAssociationAttrs {
    instance_id: Option<String>,
    public_ip: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DbInstanceAttrs {
    id: Option<String>,
    identifier: Option<String>,
    address: Option<String>,
    endpoint: Option<String>,
    #[serde(deserialize_with = "de_port")]
    port: Option<u16>,
    engine: Option<String>,
    engine_version: Option<String>,
    engine_version_actual: Option<String>,
    db_name: Option<String>,
    name: Option<String>,
    username: Option<String>,
    password: Option<String>,
    arn: Option<String>,
    availability_zone: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RdsClusterAttrs {
    id: Option<String>,
    cluster_identifier: Option<String>,
    endpoint: Option<String>,
    reader_endpoint: Option<String>,
    #[serde(deserialize_with = "de_port")]
    port: Option<u16>,
    engine: Option<String>,
    engine_version: Option<String>,
    engine_version_actual: Option<String>,
    database_name: Option<String>,
    master_username: Option<String>,
    master_password: Option<String>,
    arn: Option<String>,
    availability_zones: Option<Vec<String>>,
    region: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplicationGroupAttrs {
    id: Option<String>,
    replication_group_id: Option<String>,
    primary_endpoint_address: Option<String>,
    reader_endpoint_address: Option<String>,
    configuration_endpoint_address: Option<String>,
    #[serde(deserialize_with = "de_port")]
    port: Option<u16>,
    engine: Option<String>,
    engine_version: Option<String>,
    engine_version_actual: Option<String>,
    #[serde(deserialize_with = "de_bool")]
    transit_encryption_enabled: Option<bool>,
    auth_token: Option<String>,
    arn: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CacheClusterAttrs {
    id: Option<String>,
    cluster_id: Option<String>,
    engine: Option<String>,
    engine_version: Option<String>,
    engine_version_actual: Option<String>,
    #[serde(deserialize_with = "de_port")]
    port: Option<u16>,
    replication_group_id: Option<String>,
    #[serde(deserialize_with = "de_bool")]
    transit_encryption_enabled: Option<bool>,
    cache_nodes: Option<Vec<CacheNodeAttrs>>,
    arn: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CacheNodeAttrs {
    id: Option<String>,
    address: Option<String>,
    #[serde(deserialize_with = "de_port")]
    port: Option<u16>,
    availability_zone: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LbAttrs {
    name: Option<String>,
    dns_name: Option<String>,
    zone_id: Option<String>,
    arn: Option<String>,
    #[serde(deserialize_with = "de_bool")]
    internal: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::terraform::state::parse;

    fn model(text: &str, reveal: &[&str]) -> Model {
        let doc = parse("t", text).expect("valid state");
        extract("t", &doc, &reveal.iter().map(|s| (*s).to_owned()).collect()).expect("extracts")
    }

    fn v4(resources: &str) -> String {
        format!(
            r#"{{"version":4,"outputs":{{"pw":{{"value":"S3CRET","type":"string","sensitive":true}},"url":{{"value":"https://x","type":"string"}}}},"resources":[{resources}]}}"#
        )
    }

    #[test]
    fn errors_name_the_place_and_kind_never_the_value() {
        let cases = [
            // A tag map given as a string, a password as a number, a port as text.
            r#"{"mode":"managed","type":"aws_instance","name":"web","instances":[{"attributes":{"id":"i-1","tags":"SECRET-TAG-1"}}]}"#,
            r#"{"mode":"managed","type":"aws_db_instance","name":"db","instances":[{"attributes":{"identifier":"d","address":"d.rds","port":5432,"password":123456789}}]}"#,
            r#"{"mode":"managed","type":"aws_db_instance","name":"db","instances":[{"attributes":{"identifier":"d","address":"d.rds","port":"SECRET-PORT"}}]}"#,
        ];
        for resource in cases {
            let text = v4(resource);
            let doc = parse("t", &text).expect("valid JSON state");
            let err = extract("t", &doc, &BTreeSet::new())
                .expect_err("wrong attribute types")
                .to_string();
            assert!(
                !err.contains("SECRET") && !err.contains("123456789"),
                "{err}"
            );
            assert!(err.contains("unexpected attributes"), "{err}");
        }
        let bad_version = parse("t", r#"{"version":"SECRET-V"}"#).expect_err("not a state");
        assert!(!bad_version.to_string().contains("SECRET"), "{bad_version}");
    }

    #[test]
    fn outputs_keep_their_value_as_compact_text() {
        let text = "{\"version\": 4, \"outputs\": {\"o\": {\"value\": [ 1, {\"a b\" : \" x \\\" y \"} ],\n \"type\": \"x\"}}, \"resources\": []}";
        let m = model(text, &[]);
        assert_eq!(m.outputs[0].value.0.get(), r#"[1,{"a b":" x \" y "}]"#);
    }

    #[test]
    fn db_instance_endpoint_is_split_and_cluster_endpoint_kept() {
        let m = model(
            &v4(
                r#"{"mode":"managed","type":"aws_db_instance","name":"db","instances":[{"attributes":{"identifier":"app","endpoint":"app.x.rds.amazonaws.com:5432","port":5432,"engine":"postgres","db_name":"pal","username":"u","password":"S3CRET","arn":"arn:aws:rds:eu-west-1:1:db:app"}}]},
                   {"mode":"managed","type":"aws_rds_cluster","name":"c","instances":[{"attributes":{"cluster_identifier":"rep","endpoint":"rep.cluster-x.rds.amazonaws.com","reader_endpoint":"rep.cluster-ro-x.rds.amazonaws.com","port":5432,"engine":"aurora-postgresql","master_password":"S3CRET","availability_zones":["eu-west-1b"]}}]}"#,
            ),
            &[],
        );
        assert_eq!(m.databases.len(), 2);
        let db = &m.databases[0];
        assert_eq!(
            (db.id.as_str(), db.host.as_str(), db.port),
            ("app", "app.x.rds.amazonaws.com", Some(5432))
        );
        assert_eq!(db.region.as_deref(), Some("eu-west-1"));
        assert_eq!(db.password, None);
        let c = &m.databases[1];
        assert_eq!(c.host, "rep.cluster-x.rds.amazonaws.com");
        assert_eq!(
            c.reader_host.as_deref(),
            Some("rep.cluster-ro-x.rds.amazonaws.com")
        );
        assert_eq!(c.kind, DatabaseKind::Cluster);
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.password, None);
    }

    #[test]
    fn secrets_need_revealing_by_name() {
        let text = v4(
            r#"{"mode":"managed","type":"aws_elasticache_replication_group","name":"r","instances":[{"attributes":{"replication_group_id":"cache","primary_endpoint_address":"p.cache","reader_endpoint_address":"r.cache","port":6379,"transit_encryption_enabled":true,"auth_token":"S3CRET"},"sensitive_attributes":[[{"type":"get_attr","value":"auth_token"}]]}]}"#,
        );
        let hidden = model(&text, &[]);
        assert_eq!(hidden.caches[0].auth_token, None);
        assert_eq!(
            hidden
                .outputs
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>(),
            ["url"]
        );
        let shown = model(&text, &["auth_token", "pw"]);
        assert_eq!(shown.caches[0].auth_token.as_deref(), Some("S3CRET"));
        assert_eq!(shown.outputs.len(), 2);
        assert_eq!(shown.caches[0].tls, Some(true));
    }

    #[test]
    fn sensitive_marked_attributes_and_tags_are_withheld() {
        let m = model(
            &v4(
                r#"{"mode":"managed","type":"aws_instance","name":"w","instances":[{"attributes":{"id":"i-1","private_ip":"10.0.0.1","key_name":"k","tags":{"Name":"w","Token":"S3CRET"}},
                "sensitive_attributes":[[{"type":"get_attr","value":"key_name"}],[{"type":"get_attr","value":"tags"},{"type":"index","value":{"value":"Token","type":"string"}}]]}]}"#,
            ),
            &[],
        );
        let i = &m.instances[0];
        assert_eq!(i.key_name, None);
        assert_eq!(i.tags.keys().collect::<Vec<_>>(), ["Name"]);
        assert_eq!(i.private_ip.as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn provider_default_tags_come_from_tags_all() {
        let m = model(
            &v4(
                r#"{"mode":"managed","type":"aws_instance","name":"w","instances":[{"attributes":{"id":"i-1","tags":{"Name":"w"},"tags_all":{"Name":"w","Env":"prod"}}}]}"#,
            ),
            &[],
        );
        assert_eq!(
            m.instances[0].tags.keys().collect::<Vec<_>>(),
            ["Env", "Name"]
        );
    }

    #[test]
    fn cache_cluster_members_and_memcached_are_not_redis_endpoints() {
        let m = model(
            &v4(
                r#"{"mode":"managed","type":"aws_elasticache_cluster","name":"a","instances":[{"attributes":{"cluster_id":"solo","engine":"redis","port":6379,"replication_group_id":"","cache_nodes":[{"id":"0001","address":"solo.cache","port":6379,"availability_zone":"eu-west-1a"}]}}]},
                   {"mode":"managed","type":"aws_elasticache_cluster","name":"b","instances":[{"attributes":{"cluster_id":"member","engine":"redis","replication_group_id":"rg","cache_nodes":[{"id":"0001","address":"m.cache","port":6379}]}}]},
                   {"mode":"managed","type":"aws_elasticache_cluster","name":"c","instances":[{"attributes":{"cluster_id":"mc","engine":"memcached","cache_nodes":[{"id":"0001","address":"mc.cache","port":11211}]}}]}"#,
            ),
            &[],
        );
        assert_eq!(m.caches.len(), 1);
        assert_eq!(
            (m.caches[0].id.as_str(), m.caches[0].host.as_str()),
            ("solo", "solo.cache")
        );
        assert_eq!(m.caches[0].region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn deposed_and_data_objects_are_ignored_and_eips_collected() {
        let m = model(
            &v4(
                r#"{"mode":"managed","type":"aws_instance","name":"w","instances":[{"attributes":{"id":"i-1"}},{"deposed":"0001","attributes":{"id":"i-0"}}]},
                   {"mode":"data","type":"aws_instance","name":"d","instances":[{"attributes":{"id":"i-9"}}]},
                   {"mode":"managed","type":"aws_eip","name":"e","instances":[{"attributes":{"instance":"i-1","public_ip":"203.0.113.9"}}]}"#,
            ),
            &[],
        );
        assert_eq!(
            m.instances
                .iter()
                .map(|i| i.instance_id.as_str())
                .collect::<Vec<_>>(),
            ["i-1"]
        );
        assert_eq!(m.elastic_ips[0].public_ip, "203.0.113.9");
    }

    #[test]
    fn module_keys_are_stripped_for_grouping() {
        assert_eq!(
            strip_instance_keys(r#"module.app["x]"].module.cache[0]"#),
            "module.app.module.cache"
        );
        assert_eq!(strip_instance_keys("module.app"), "module.app");
    }

    #[test]
    fn wrong_attribute_types_name_the_resource() {
        let text = v4(
            r#"{"mode":"managed","type":"aws_instance","name":"w","instances":[{"index_key":2,"attributes":{"id":"i-1","tags":"oops"}}]}"#,
        );
        let doc = parse("s.tfstate", &text).expect("valid");
        let err = extract("s.tfstate", &doc, &BTreeSet::new())
            .expect_err("bad tags")
            .to_string();
        assert!(err.contains("aws_instance.w[2]"), "{err}");
    }
}
