//! The file schema of a palin.yml: the sections and entries as serde reads them (unknown keys
//! refused by name), before any validation. The readers in the sibling modules turn them into the
//! public types.

use serde::Deserialize;

use super::types::KeyedGroup;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) terraform: TerraformSection,
    #[serde(default)]
    pub(super) hostnames: Option<Vec<String>>,
    #[serde(default)]
    pub(super) ansible_host: Option<Vec<String>>,
    #[serde(default)]
    pub(super) tag_groups: Option<Vec<String>>,
    #[serde(default)]
    pub(super) endpoint_hosts: bool,
    #[serde(default)]
    pub(super) reveal: Vec<String>,
    #[serde(default)]
    pub(super) connection: ConnectionSection,
    #[serde(default)]
    pub(super) ansible_user: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    pub(super) aws: Option<AwsSection>,
    #[serde(default)]
    pub(super) compose: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    pub(super) groups: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    pub(super) keyed_groups: Vec<KeyedGroup>,
    #[serde(default)]
    pub(super) strict: bool,
    #[serde(default)]
    pub(super) leading_separator: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct AwsSection {
    #[serde(default)]
    pub(super) regions: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub(super) region: Option<String>,
    #[serde(default)]
    pub(super) assume_roles: Vec<String>,
    #[serde(default)]
    pub(super) profile: Option<String>,
    #[serde(default)]
    pub(super) endpoint_url: Option<String>,
    #[serde(default)]
    pub(super) concurrency: Option<usize>,
    #[serde(default)]
    pub(super) page_size: Option<i32>,
    #[serde(default)]
    pub(super) filters: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    pub(super) include_filters: Vec<serde_yaml_ng::Mapping>,
    #[serde(default)]
    pub(super) exclude_filters: Vec<serde_yaml_ng::Mapping>,
    #[serde(default)]
    pub(super) services: Option<Vec<String>>,
    #[serde(default)]
    pub(super) strict_permissions: Option<bool>,
    #[serde(default)]
    pub(super) cache: Option<CacheSection>,
    #[serde(default)]
    pub(super) connect_timeout: Option<f64>,
    #[serde(default)]
    pub(super) attempt_timeout: Option<f64>,
    #[serde(default)]
    pub(super) operation_timeout: Option<f64>,
    #[serde(default)]
    pub(super) max_attempts: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct CacheSection {
    #[serde(default)]
    pub(super) enabled: Option<bool>,
    #[serde(default)]
    pub(super) ttl: Option<u64>,
    #[serde(default)]
    pub(super) dir: Option<String>,
    #[serde(default)]
    pub(super) stale_on_error: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct TerraformSection {
    #[serde(default)]
    pub(super) states: Option<Vec<StateEntry>>,
    #[serde(default)]
    pub(super) outputs: Option<bool>,
    #[serde(default)]
    pub(super) outputs_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateEntry {
    #[serde(default)]
    pub(super) path: Option<String>,
    #[serde(default)]
    pub(super) command: Option<Vec<String>>,
    #[serde(default)]
    pub(super) dir: Option<String>,
    #[serde(default)]
    pub(super) s3: Option<S3Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct S3Entry {
    pub(super) bucket: String,
    pub(super) key: String,
    #[serde(default)]
    pub(super) region: Option<String>,
    #[serde(default)]
    pub(super) workspace: Option<String>,
    #[serde(default)]
    pub(super) workspace_key_prefix: Option<String>,
    #[serde(default)]
    pub(super) endpoint_url: Option<String>,
    #[serde(default)]
    pub(super) profile: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ConnectionSection {
    #[serde(default)]
    pub(super) mode: Option<String>,
    #[serde(default)]
    pub(super) bastion: Option<BastionEntry>,
    #[serde(default)]
    pub(super) ssm_bucket: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum BastionEntry {
    Enabled(bool),
    Spec(BastionSpec),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BastionSpec {
    #[serde(default)]
    pub(super) tag: Option<String>,
    #[serde(default)]
    pub(super) host: Option<String>,
    #[serde(default)]
    pub(super) user: Option<String>,
}
