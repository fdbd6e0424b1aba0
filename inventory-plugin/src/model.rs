//! palin's own typed model of what an inventory is made of: EC2 hosts, database, cache and
//! load-balancer endpoints, and Terraform outputs. Every source (Terraform state today, the AWS API
//! later) maps into these types; naming, grouping and rendering only ever see them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// Where a model item came from, for hostvars and error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Origin {
    /// Human-readable name of the source (a path, `s3://bucket/key`, a command).
    pub source: String,
    /// Terraform resource instance address (`module.app.aws_instance.web[0]`), if any.
    pub address: Option<String>,
    /// Module path without instance keys (`module.app.module.cache`), if not the root module.
    pub module: Option<String>,
    /// `<type>.<name>` of the Terraform resource, if any.
    pub resource: Option<String>,
}

/// One EC2 instance.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Instance {
    pub instance_id: String,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
    pub key_name: Option<String>,
    pub subnet_id: Option<String>,
    pub availability_zone: Option<String>,
    pub region: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub private_dns: Option<String>,
    pub public_dns: Option<String>,
    /// Public address of an Elastic IP associated with the instance.
    pub eip: Option<String>,
    /// Public DNS name of that Elastic IP.
    pub eip_dns: Option<String>,
    pub state: Option<String>,
    pub security_group_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub origin: Origin,
    /// Every hostvar the API reported, in the amazon.aws.aws_ec2 plugin's shapes (AWS source only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_vars: Option<ApiVars>,
}

/// Host variables as the compact JSON object they are printed as (keys in byte order): kept as
/// text, parsed only where a value is needed (see [`crate::hostvars::HostVars`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiVars(pub Box<RawValue>);

impl ApiVars {
    /// The JSON text of a map.
    pub fn from_map(map: &serde_json::Map<String, Value>) -> Self {
        Self(serde_json::value::to_raw_value(map).expect("string keys only"))
    }
}

impl PartialEq for ApiVars {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

/// A JSON value kept as its compact text (a Terraform output): copied from the state and printed
/// as it is, never expanded into a tree. An output can be any size and shape, and a
/// [`serde_json::Value`] of a big nested array costs tens of times its text; this costs its text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<RawValue>);

impl RawJson {
    /// `raw` without the whitespace between its tokens (a v4 state is indented). An object that
    /// names a key twice (JSON allows it; Terraform never writes it) keeps its last value, as
    /// serde_json and Python read it, so the text palin prints never repeats a key.
    pub fn compact(raw: &RawValue) -> Self {
        let text = raw.get();
        let mut out = String::with_capacity(text.len());
        let (mut in_string, mut escaped) = (false, false);
        // The keys met so far in each open container (`None` for an array), and where the
        // current string started.
        let mut open: Vec<Option<std::collections::HashSet<String>>> = Vec::new();
        let (mut expect_key, mut repeated, mut start) = (false, false, 0);
        for c in text.chars() {
            if in_string {
                out.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                    if let (true, Some(Some(keys))) =
                        (std::mem::take(&mut expect_key), open.last_mut())
                    {
                        repeated |= !keys.insert(out[start..].to_owned());
                    }
                }
            } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
                match c {
                    '"' => {
                        in_string = true;
                        start = out.len();
                    }
                    '{' => {
                        open.push(Some(std::collections::HashSet::new()));
                        expect_key = true;
                    }
                    '[' => open.push(None),
                    '}' | ']' => {
                        open.pop();
                    }
                    ',' => expect_key = matches!(open.last(), Some(Some(_))),
                    _ => {}
                }
                out.push(c);
            }
        }
        if repeated {
            let value: Value = serde_json::from_str(text).expect("a RawValue holds valid JSON");
            out = serde_json::to_string(&value).expect("string keys only");
        }
        // Whitespace between tokens is all that went: still the same valid JSON.
        Self(RawValue::from_string(out).expect("compacting keeps valid JSON valid"))
    }

    /// `null`.
    pub fn null() -> Self {
        Self(RawValue::from_string("null".into()).expect("null is JSON"))
    }

    /// The value as a tree (for the rare caller that needs one: exports, comparisons).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).expect("a RawJson holds valid JSON")
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get() || self.to_value() == other.to_value()
    }
}

/// Whether an RDS endpoint is a single DB instance or an Aurora cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatabaseKind {
    Instance,
    Cluster,
}

/// An RDS DB instance or Aurora cluster endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Database {
    /// DB instance identifier or cluster identifier.
    pub id: String,
    pub kind: DatabaseKind,
    /// Writer endpoint host name (never `host:port`).
    pub host: String,
    pub port: Option<u16>,
    /// Reader endpoint host name (clusters only).
    pub reader_host: Option<String>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub db_name: Option<String>,
    pub username: Option<String>,
    /// Master password: only present when the user revealed it.
    pub password: Option<String>,
    pub arn: Option<String>,
    pub region: Option<String>,
    pub origin: Origin,
}

/// One node of an ElastiCache cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheNode {
    pub id: String,
    pub host: String,
    pub port: Option<u16>,
    pub availability_zone: Option<String>,
}

/// Whether a Redis endpoint is a replication group or a standalone cache cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CacheKind {
    ReplicationGroup,
    Cluster,
}

/// An ElastiCache (Redis / Valkey) endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cache {
    /// Replication group id or cache cluster id.
    pub id: String,
    pub kind: CacheKind,
    /// Primary endpoint (or configuration endpoint in cluster mode).
    pub host: String,
    pub port: Option<u16>,
    pub reader_host: Option<String>,
    /// In-transit encryption: clients must use TLS.
    pub tls: Option<bool>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    /// Whether the endpoint is a cluster-mode configuration endpoint.
    pub cluster_mode: bool,
    pub nodes: Vec<CacheNode>,
    /// AUTH token: only present when the user revealed it.
    pub auth_token: Option<String>,
    pub arn: Option<String>,
    pub region: Option<String>,
    pub origin: Origin,
}

/// A load balancer (ALB/NLB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub name: String,
    pub dns_name: String,
    pub zone_id: Option<String>,
    pub arn: Option<String>,
    pub internal: Option<bool>,
    pub origin: Origin,
}

/// A Terraform output, already filtered for secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub name: String,
    pub value: RawJson,
    pub origin: Origin,
}

/// An Elastic IP associated with an instance, to be laid onto that instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticIp {
    pub instance_id: String,
    pub public_ip: String,
    pub public_dns: Option<String>,
}

/// Everything one or more sources yielded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Model {
    pub instances: Vec<Instance>,
    pub databases: Vec<Database>,
    pub caches: Vec<Cache>,
    pub load_balancers: Vec<LoadBalancer>,
    pub outputs: Vec<Output>,
    /// Elastic IPs not yet laid onto their instances (see [`Model::attach_elastic_ips`]).
    pub elastic_ips: Vec<ElasticIp>,
    /// Set when the model is an expired cache served because the live fetch failed.
    #[serde(skip)]
    pub stale: Option<Stale>,
}

/// Why and since when a model is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// When the cached data was fetched (RFC 3339, UTC).
    pub fetched_at: String,
    /// The error of the live fetch that failed.
    pub error: String,
}

impl Model {
    /// Append another source's model to this one.
    pub fn extend(&mut self, other: Model) {
        self.instances.extend(other.instances);
        self.databases.extend(other.databases);
        self.caches.extend(other.caches);
        self.load_balancers.extend(other.load_balancers);
        self.outputs.extend(other.outputs);
        self.elastic_ips.extend(other.elastic_ips);
    }

    /// Lay each Elastic IP onto the instance it is associated with (the instance's own
    /// `public_ip` in state is the address it had before the EIP was attached).
    pub fn attach_elastic_ips(&mut self) {
        let eips: std::collections::HashMap<String, ElasticIp> =
            std::mem::take(&mut self.elastic_ips)
                .into_iter()
                .map(|e| (e.instance_id.clone(), e))
                .collect();
        if eips.is_empty() {
            return;
        }
        for instance in &mut self.instances {
            if let Some(eip) = eips.get(&instance.instance_id) {
                instance.eip = Some(eip.public_ip.clone());
                instance.eip_dns.clone_from(&eip.public_dns);
            }
        }
    }
}

/// The AWS region of a resource, from its explicit `region`, its ARN, or its availability zone.
pub fn region_of(
    region: Option<&str>,
    arn: Option<&str>,
    availability_zone: Option<&str>,
) -> Option<String> {
    if let Some(r) = region.filter(|r| !r.is_empty()) {
        return Some(r.to_owned());
    }
    if let Some(r) = arn
        .and_then(|a| a.split(':').nth(3))
        .filter(|r| !r.is_empty())
    {
        return Some(r.to_owned());
    }
    let az = availability_zone.filter(|az| az.len() > 1)?;
    let region = az.trim_end_matches(|c: char| c.is_ascii_lowercase() && !c.is_ascii_digit());
    // `eu-west-1a` -> `eu-west-1`; a local zone `us-west-2-lax-1a` -> `us-west-2-lax-1`.
    (region.len() < az.len() && region.ends_with(|c: char| c.is_ascii_digit()))
        .then(|| region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_prefers_explicit_then_arn_then_zone() {
        assert_eq!(
            region_of(
                Some("eu-west-3"),
                Some("arn:aws:ec2:us-east-1:1:x"),
                Some("eu-west-1a")
            )
            .as_deref(),
            Some("eu-west-3")
        );
        assert_eq!(
            region_of(
                None,
                Some("arn:aws:ec2:us-east-1:1:instance/i-1"),
                Some("eu-west-1a")
            )
            .as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            region_of(Some(""), None, Some("eu-west-1a")).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of(None, None, Some("us-west-2-lax-1a")).as_deref(),
            Some("us-west-2-lax-1")
        );
        assert_eq!(region_of(None, None, Some("a")), None);
        assert_eq!(region_of(None, None, None), None);
    }

    #[test]
    fn compact_output_text_never_repeats_a_key() {
        let raw = |t: &str| RawValue::from_string(t.to_owned()).expect("valid JSON");
        let kept = RawJson::compact(&raw("{ \"a\": [1, {\"b\": \"x y\"}], \"c\": {\"a\": 1} }"));
        assert_eq!(kept.0.get(), r#"{"a":[1,{"b":"x y"}],"c":{"a":1}}"#);
        let last_wins = RawJson::compact(&raw(
            "{\"o\": {\"k\": 1, \"j\": [], \"k\": \"two\"}, \"p\": [{\"k\": 1}, {\"k\": 2}]}",
        ));
        assert_eq!(
            last_wins.0.get(),
            r#"{"o":{"j":[],"k":"two"},"p":[{"k":1},{"k":2}]}"#
        );
    }
}
