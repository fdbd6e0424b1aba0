//! Settings: `palin.yml`, `PALIN_*` environment variables and command-line overrides, merged and
//! validated into one [`Config`]. Ansible runs an inventory with `--list` only, so the file and the
//! environment are the real interface; every setting and variable is named here once.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

mod aws_ec2;
mod plugin;

/// Path of the config file (`palin.yml`); takes precedence over the files found by convention.
pub const ENV_CONFIG: &str = "PALIN_CONFIG";
/// State sources separated by `:` (paths, `-` for stdin, `s3://bucket/key`); replaces `terraform.states`.
pub const ENV_TFSTATE: &str = "PALIN_TFSTATE";
/// Comma-separated names of sensitive outputs and secret attributes to include in the inventory.
pub const ENV_REVEAL: &str = "PALIN_REVEAL";
/// Terraform's own workspace selector, honoured for the default local state and for S3 keys.
pub const ENV_TF_WORKSPACE: &str = "TF_WORKSPACE";
/// Terraform's data directory (default `.terraform`), where `environment` names the selected workspace.
pub const ENV_TF_DATA_DIR: &str = "TF_DATA_DIR";
/// The config file name looked for in the current directory and next to the binary.
pub const CONFIG_FILE_NAME: &str = "palin.yml";

/// Where one Terraform state comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSource {
    /// A local v4 state or `terraform show -json` file.
    File(PathBuf),
    /// A state document on standard input.
    Stdin,
    /// A command that prints a state (e.g. `terraform state pull`).
    Command {
        argv: Vec<String>,
        dir: Option<PathBuf>,
    },
    /// An object of Terraform's S3 backend.
    S3(S3Location),
}

impl fmt::Display for StateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateSource::File(p) => write!(f, "{}", p.display()),
            StateSource::Stdin => f.write_str("<stdin>"),
            StateSource::Command { argv, .. } => write!(f, "from command `{}`", argv.join(" ")),
            StateSource::S3(s3) => write!(f, "s3://{}/{}", s3.bucket, s3.object_key()),
        }
    }
}

/// An S3 backend location, with Terraform's workspace rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
    pub region: Option<String>,
    pub workspace: String,
    pub workspace_key_prefix: String,
    pub endpoint_url: Option<String>,
    pub profile: Option<String>,
}

impl S3Location {
    /// The object key: `key` for the default workspace, else `<workspace_key_prefix>/<workspace>/<key>`.
    pub fn object_key(&self) -> String {
        if self.workspace == "default" {
            self.key.clone()
        } else {
            format!(
                "{}/{}/{}",
                self.workspace_key_prefix, self.workspace, self.key
            )
        }
    }
}

/// An instance attribute usable as a host name or as `ansible_host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAttr {
    Tag(String),
    InstanceId,
    Eip,
    PublicIp,
    PrivateIp,
    PublicDns,
    PrivateDns,
}

impl HostAttr {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "instance-id" => HostAttr::InstanceId,
            "eip" | "elastic-ip" => HostAttr::Eip,
            "ip-address" | "public-ip-address" => HostAttr::PublicIp,
            "private-ip-address" => HostAttr::PrivateIp,
            "dns-name" | "public-dns-name" => HostAttr::PublicDns,
            "private-dns-name" => HostAttr::PrivateDns,
            _ => HostAttr::Tag(s.strip_prefix("tag:").filter(|k| !k.is_empty())?.to_owned()),
        })
    }

    /// Whether the address is only reachable inside the VPC (so a bastion is needed from outside).
    pub fn is_private(&self) -> bool {
        matches!(self, HostAttr::PrivateIp | HostAttr::PrivateDns)
    }
}

/// Which tags become `tag_<key>_<value>` groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagGroups {
    /// Every tag except `Name` (one group per host would only cost Ansible time).
    AllButName,
    /// Only these tag keys.
    Only(Vec<String>),
}

/// How a bastion is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BastionRule {
    /// No bastion: never add a ProxyJump.
    Off,
    /// The instance carrying this tag (default `Role=bastion`), if any.
    Tag { key: String, value: String },
    /// The host of this inventory name (must exist).
    Host(String),
}

/// How Ansible connects to EC2 hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// SSH, through the bastion for hosts reached at a private address.
    Ssh {
        bastion: BastionRule,
        bastion_user: Option<String>,
    },
    /// AWS Systems Manager Session Manager (`community.aws.aws_ssm`).
    Ssm { bucket: Option<String> },
}

/// Where the inventory comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Terraform state (`states`).
    Terraform,
    /// The AWS API.
    Aws(Box<AwsSettings>),
}

/// Settings of the AWS API source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// Regions to read; `None` means every region enabled for the account (`DescribeRegions`).
    pub regions: Option<Vec<String>>,
    /// Region for `DescribeRegions` (default: the SDK's region, else `us-east-1`).
    pub region: Option<String>,
    /// Roles to assume, one per account; empty means the ambient credentials only.
    pub assume_roles: Vec<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// How many region × account × service calls run at once.
    pub concurrency: usize,
    /// Instances asked for per `DescribeInstances` page (`MaxResults`, 5 to 1,000).
    pub page_size: i32,
    /// `DescribeInstances` filter sets, OR-ed (`filters` is the first).
    pub include_filters: Vec<FilterSet>,
    /// Filter sets whose matches are removed.
    pub exclude_filters: Vec<FilterSet>,
    pub ec2: bool,
    pub rds: bool,
    pub elasticache: bool,
    /// false: a region or account that answers "not authorised" is skipped instead of failing the run.
    pub strict_permissions: bool,
    pub cache: Option<CacheSettings>,
    /// Also give each instance its tag dict as `tags`, next to `ec2_tags`, as the
    /// amazon.aws.aws_ec2 plugin does (an aws_ec2.yml; palin.yml gets `ec2_tags` only).
    pub tags_alias: bool,
}

impl AwsSettings {
    /// `concurrency` unless configured.
    pub const DEFAULT_CONCURRENCY: usize = 16;

    /// Instances asked for per `DescribeInstances` page (`MaxResults`) unless `aws.page_size` says
    /// otherwise. Without `MaxResults` EC2 may answer a filter-only call with every matching
    /// instance at once (AWS warns such unpaginated calls can be throttled or time out). The SDK
    /// holds a whole page (its body and its decoded structures) while decoding it, so the page
    /// size bounds palin's peak memory at any fleet size: 500 costs one more request per 1,000
    /// instances per region than EC2's maximum of 1,000 and took palin's peak at 1,000 instances
    /// from 16.5 to 14.6 MiB (bench/aws/README.md). `examples/bare_fetch.rs` sends the same.
    pub const DEFAULT_PAGE_SIZE: i32 = 500;
}

/// One set of `DescribeInstances` filters: name → accepted values.
pub type FilterSet = Vec<(String, Vec<String>)>;

/// The on-disk cache of the AWS source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    pub ttl: std::time::Duration,
    pub dir: PathBuf,
    /// Serve an expired cache (marked in `all.vars`) when the live fetch fails.
    pub stale_on_error: bool,
}

/// A `keyed_groups` entry (Ansible's constructed semantics).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyedGroup {
    pub key: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default = "default_separator")]
    pub separator: String,
    #[serde(default)]
    pub parent_group: Option<String>,
    #[serde(default)]
    pub default_value: Option<String>,
    #[serde(default)]
    pub trailing_separator: Option<bool>,
}

fn default_separator() -> String {
    "_".into()
}

/// Ansible's `constructed` options, applied to every EC2 host whatever the source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Constructed {
    /// Variable → Jinja expression, in file order.
    pub compose: Vec<(String, String)>,
    /// Group → Jinja condition, in file order.
    pub groups: Vec<(String, String)>,
    pub keyed_groups: Vec<KeyedGroup>,
    /// Fail on expressions that error instead of skipping them.
    pub strict: bool,
    /// Keyed groups without prefix start with the separator (ansible-core ≥ 2.11 default).
    pub leading_separator: bool,
}

/// The validated configuration of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the settings came from, for messages.
    pub origin: String,
    pub states: Vec<StateSource>,
    /// True when `states` is the conventional `./terraform.tfstate` (a missing file gets a friendlier error).
    pub default_state: bool,
    pub outputs: bool,
    pub outputs_prefix: String,
    pub hostnames: Vec<HostAttr>,
    pub ansible_host: Vec<HostAttr>,
    pub tag_groups: TagGroups,
    pub endpoint_hosts: bool,
    pub reveal: BTreeSet<String>,
    pub connection: Connection,
    /// `(group, user)` pairs: a host gets the user of the first group it belongs to.
    pub users: Vec<(String, String)>,
    pub source: Source,
    /// palin's own groups (`tag_*`, `<type>_<name>`, `module_*`) and endpoint variables; off for
    /// an `aws_ec2.yml`, which gets the plugin's groups only.
    pub palin_extras: bool,
    pub constructed: Constructed,
    /// Ignore a fresh cache and fetch live (`--refresh-cache`).
    pub refresh_cache: bool,
}

/// Values given on the command line, which win over the environment and the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub tfstate: Vec<String>,
    pub reveal: Vec<String>,
    pub refresh_cache: bool,
}

/// The process context a configuration is resolved in (injected so that tests need no globals).
pub struct Context<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub cwd: PathBuf,
    pub exe_dir: Option<PathBuf>,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("cwd", &self.cwd)
            .field("exe_dir", &self.exe_dir)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    terraform: TerraformSection,
    #[serde(default)]
    hostnames: Option<Vec<String>>,
    #[serde(default)]
    ansible_host: Option<Vec<String>>,
    #[serde(default)]
    tag_groups: Option<Vec<String>>,
    #[serde(default)]
    endpoint_hosts: bool,
    #[serde(default)]
    reveal: Vec<String>,
    #[serde(default)]
    connection: ConnectionSection,
    #[serde(default)]
    ansible_user: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    aws: Option<AwsSection>,
    #[serde(default)]
    compose: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    groups: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    keyed_groups: Vec<KeyedGroup>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    leading_separator: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AwsSection {
    #[serde(default)]
    regions: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    assume_roles: Vec<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    endpoint_url: Option<String>,
    #[serde(default)]
    concurrency: Option<usize>,
    #[serde(default)]
    page_size: Option<i32>,
    #[serde(default)]
    filters: Option<serde_yaml_ng::Mapping>,
    #[serde(default)]
    include_filters: Vec<serde_yaml_ng::Mapping>,
    #[serde(default)]
    exclude_filters: Vec<serde_yaml_ng::Mapping>,
    #[serde(default)]
    services: Option<Vec<String>>,
    #[serde(default)]
    strict_permissions: Option<bool>,
    #[serde(default)]
    cache: Option<CacheSection>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CacheSection {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    ttl: Option<u64>,
    #[serde(default)]
    dir: Option<String>,
    #[serde(default)]
    stale_on_error: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TerraformSection {
    #[serde(default)]
    states: Option<Vec<StateEntry>>,
    #[serde(default)]
    outputs: Option<bool>,
    #[serde(default)]
    outputs_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateEntry {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    dir: Option<String>,
    #[serde(default)]
    s3: Option<S3Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct S3Entry {
    bucket: String,
    key: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    workspace: Option<String>,
    #[serde(default)]
    workspace_key_prefix: Option<String>,
    #[serde(default)]
    endpoint_url: Option<String>,
    #[serde(default)]
    profile: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConnectionSection {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    bastion: Option<BastionEntry>,
    #[serde(default)]
    ssm_bucket: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BastionEntry {
    Enabled(bool),
    Spec(BastionSpec),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BastionSpec {
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    user: Option<String>,
}

/// Find and read the config file, merge the environment and the overrides, validate.
pub fn load(overrides: &Overrides, ctx: &Context<'_>) -> Result<Config> {
    let env = |name: &str| (ctx.env)(name).filter(|v| !v.is_empty());
    let path = match (&overrides.config, env(ENV_CONFIG)) {
        (Some(p), _) => Some(absolute(&ctx.cwd, p)),
        (None, Some(p)) => Some(absolute(&ctx.cwd, Path::new(&p))),
        (None, None) => [Some(ctx.cwd.clone()), ctx.exe_dir.clone()]
            .into_iter()
            .flatten()
            .map(|d| d.join(CONFIG_FILE_NAME))
            .find(|p| p.is_file()),
    };
    let (file, origin, base) = match &path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                Error::config(
                    p.display().to_string(),
                    format!("cannot read it: {}", io_reason(&e)),
                )
            })?;
            let yaml_error = |e: serde_yaml_ng::Error| {
                Error::config(p.display().to_string(), one_line(&e.to_string()))
            };
            let base = p
                .parent()
                .map_or_else(|| ctx.cwd.clone(), Path::to_path_buf);
            let mut value: serde_yaml_ng::Value = if text.trim().is_empty() {
                serde_yaml_ng::Value::Null
            } else {
                serde_yaml_ng::from_str(&text).map_err(yaml_error)?
            };
            match plugin::kind(&value).map_err(|m| Error::config(p.display().to_string(), m))? {
                plugin::Kind::Palin => {}
                plugin::Kind::PalinPlugin => value = plugin::palin_settings(value),
                // An aws_ec2 inventory file, read as palin's configuration.
                kind @ plugin::Kind::AwsEc2 { .. } => {
                    return aws_ec2::config(value, kind, p.display().to_string(), overrides, ctx);
                }
            }
            let file: FileConfig = if value.is_null() {
                FileConfig::default()
            } else {
                serde_yaml_ng::from_value(value).map_err(yaml_error)?
            };
            (file, p.display().to_string(), base)
        }
        None => (
            FileConfig::default(),
            "environment".to_owned(),
            ctx.cwd.clone(),
        ),
    };
    build(file, origin, &base, overrides, ctx)
}

fn build(
    mut file: FileConfig,
    origin: String,
    base: &Path,
    overrides: &Overrides,
    ctx: &Context<'_>,
) -> Result<Config> {
    let env = |name: &str| (ctx.env)(name).filter(|v| !v.is_empty());
    let bad = |message: String| Error::config(origin.clone(), message);
    let constructed = constructed(
        file.compose.as_ref(),
        file.groups.as_ref(),
        std::mem::take(&mut file.keyed_groups),
        file.strict,
        file.leading_separator,
    )
    .map_err(&bad)?;
    let source = match file.source.as_deref() {
        None | Some("terraform") => {
            if file.aws.is_some() {
                return Err(bad("aws: only used with source: aws".into()));
            }
            Source::Terraform
        }
        Some("aws") => {
            if !overrides.tfstate.is_empty() || env(ENV_TFSTATE).is_some() {
                return Err(bad(format!(
                    "source: aws, but {ENV_TFSTATE} or --tfstate names Terraform states; unset it or use a config with source: terraform"
                )));
            }
            let settings = aws_settings(file.aws.take().unwrap_or_default(), ctx)
                .map_err(|m| bad(format!("aws.{m}")))?;
            Source::Aws(Box::new(settings))
        }
        Some(other) => {
            return Err(bad(format!(
                "source: unknown source {other:?} (expected terraform or aws)"
            )));
        }
    };
    let workspace = env(ENV_TF_WORKSPACE);

    let env_states = if overrides.tfstate.is_empty() {
        env(ENV_TFSTATE)
            .map(|v| split_sources(&v))
            .transpose()
            .map_err(|m| Error::config(ENV_TFSTATE, m))?
            .unwrap_or_default()
    } else {
        overrides.tfstate.clone()
    };
    let (states, default_state) = if matches!(source, Source::Aws(_)) {
        (Vec::new(), false)
    } else if !env_states.is_empty() {
        let states = env_states
            .iter()
            .map(|s| parse_source_uri(s, &ctx.cwd, workspace.as_deref()))
            .collect::<Result<Vec<_>, String>>();
        (states.map_err(|m| Error::config(ENV_TFSTATE, m))?, false)
    } else if let Some(entries) = file.terraform.states {
        if entries.is_empty() {
            return Err(bad("terraform.states: the list is empty".into()));
        }
        let states = entries.into_iter().enumerate().map(|(i, e)| {
            state_entry(e, base, workspace.as_deref())
                .map_err(|m| bad(format!("terraform.states[{i}]: {m}")))
        });
        (states.collect::<Result<Vec<_>>>()?, false)
    } else {
        (
            vec![StateSource::File(default_local_state(
                ctx,
                workspace.as_deref(),
            ))],
            true,
        )
    };

    let attrs = |field: &str,
                 values: Option<Vec<String>>,
                 default: &[&str]|
     -> Result<Vec<HostAttr>> {
        let values = values.unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect());
        if values.is_empty() {
            return Err(bad(format!("{field}: the list is empty")));
        }
        values
            .iter()
            .map(|v| {
                HostAttr::parse(v).ok_or_else(|| {
                    bad(format!(
                        "{field}: unknown entry {v:?} (expected tag:<Key>, instance-id, eip, ip-address, private-ip-address, dns-name or private-dns-name)"
                    ))
                })
            })
            .collect()
    };
    let hostnames = attrs("hostnames", file.hostnames, &["tag:Name", "instance-id"])?;
    let ansible_host = attrs(
        "ansible_host",
        file.ansible_host,
        &["eip", "ip-address", "private-ip-address"],
    )?;

    let connection = match file.connection.mode.as_deref().unwrap_or("ssh") {
        "ssh" => {
            let (bastion, bastion_user) = match file.connection.bastion {
                None | Some(BastionEntry::Enabled(true)) => (default_bastion(), None),
                Some(BastionEntry::Enabled(false)) => (BastionRule::Off, None),
                Some(BastionEntry::Spec(spec)) => {
                    let rule = match (spec.tag, spec.host) {
                        (Some(_), Some(_)) => {
                            return Err(bad(
                                "connection.bastion: give either tag or host, not both".into(),
                            ));
                        }
                        (None, Some(host)) => BastionRule::Host(host),
                        (Some(tag), None) => {
                            let (key, value) = tag
                                .split_once('=')
                                .filter(|(k, _)| !k.is_empty())
                                .ok_or_else(|| {
                                bad(format!(
                                    "connection.bastion.tag: expected Key=Value, found {tag:?}"
                                ))
                            })?;
                            BastionRule::Tag {
                                key: key.to_owned(),
                                value: value.to_owned(),
                            }
                        }
                        (None, None) => default_bastion(),
                    };
                    (rule, spec.user)
                }
            };
            if file.connection.ssm_bucket.is_some() {
                return Err(bad("connection.ssm_bucket: only used with mode: ssm".into()));
            }
            Connection::Ssh {
                bastion,
                bastion_user,
            }
        }
        "ssm" => {
            if file.connection.bastion.is_some() {
                return Err(bad("connection.bastion: not used with mode: ssm (Session Manager needs no bastion)".into()));
            }
            Connection::Ssm {
                bucket: file.connection.ssm_bucket,
            }
        }
        other => {
            return Err(bad(format!(
                "connection.mode: unknown mode {other:?} (expected ssh or ssm)"
            )));
        }
    };

    let mut users = Vec::new();
    for (group, user) in file.ansible_user.unwrap_or_default() {
        match (group, user) {
            (serde_yaml_ng::Value::String(g), serde_yaml_ng::Value::String(u)) => {
                users.push((g, u));
            }
            _ => {
                return Err(bad(
                    "ansible_user: expected a mapping of group name to user name".into(),
                ));
            }
        }
    }

    let mut reveal: BTreeSet<String> = file.reveal.into_iter().collect();
    reveal.extend(
        env(ENV_REVEAL)
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    reveal.extend(overrides.reveal.iter().cloned());

    Ok(Config {
        origin,
        states,
        default_state,
        outputs: file.terraform.outputs.unwrap_or(true),
        outputs_prefix: file.terraform.outputs_prefix.unwrap_or_default(),
        hostnames,
        ansible_host,
        tag_groups: file
            .tag_groups
            .map_or(TagGroups::AllButName, TagGroups::Only),
        endpoint_hosts: file.endpoint_hosts,
        reveal,
        connection,
        users,
        source,
        palin_extras: true,
        constructed,
        refresh_cache: overrides.refresh_cache,
    })
}

/// Compose / groups / keyed_groups as Ansible's `constructed` options define them.
pub(crate) fn constructed(
    compose: Option<&serde_yaml_ng::Mapping>,
    groups: Option<&serde_yaml_ng::Mapping>,
    keyed_groups: Vec<KeyedGroup>,
    strict: bool,
    leading_separator: Option<bool>,
) -> Result<Constructed, String> {
    let pairs = |field: &str,
                 map: Option<&serde_yaml_ng::Mapping>|
     -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for (k, v) in map.into_iter().flatten() {
            let key = k
                .as_str()
                .ok_or_else(|| format!("{field}: keys must be strings"))?;
            let expr = match v {
                serde_yaml_ng::Value::String(s) => s.clone(),
                serde_yaml_ng::Value::Bool(b) => b.to_string(),
                serde_yaml_ng::Value::Number(n) => n.to_string(),
                _ => {
                    return Err(format!(
                        "{field}.{key}: expected a Jinja expression (a string)"
                    ));
                }
            };
            out.push((key.to_owned(), expr));
        }
        Ok(out)
    };
    Ok(Constructed {
        compose: pairs("compose", compose)?,
        groups: pairs("groups", groups)?,
        keyed_groups,
        strict,
        leading_separator: leading_separator.unwrap_or(true),
    })
}

/// Filter values as `DescribeInstances` takes them: a scalar or a list, as strings.
pub(crate) fn filter_set(map: &serde_yaml_ng::Mapping) -> Result<FilterSet, String> {
    let scalar = |v: &serde_yaml_ng::Value| -> Option<String> {
        match v {
            serde_yaml_ng::Value::String(s) => Some(s.clone()),
            serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
            serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let name = k.as_str().ok_or("filter names must be strings")?;
        let values = match v {
            serde_yaml_ng::Value::Sequence(items) => {
                items.iter().map(scalar).collect::<Option<Vec<_>>>()
            }
            other => scalar(other).map(|s| vec![s]),
        }
        .ok_or_else(|| format!("filter {name:?}: expected a value or a list of values"))?;
        out.push((name.to_owned(), values));
    }
    Ok(out)
}

/// The cache directory: `$XDG_CACHE_HOME/palin`, else `~/.cache/palin`.
pub(crate) fn default_cache_dir(ctx: &Context<'_>) -> PathBuf {
    let env = |n: &str| (ctx.env)(n).filter(|v| !v.is_empty());
    env("XDG_CACHE_HOME")
        .map_or_else(
            || {
                env("HOME").map_or_else(
                    || ctx.cwd.join(".cache"),
                    |h| PathBuf::from(h).join(".cache"),
                )
            },
            PathBuf::from,
        )
        .join("palin")
}

/// Validate the `aws:` section.
fn aws_settings(a: AwsSection, ctx: &Context<'_>) -> Result<AwsSettings, String> {
    let regions = match a.regions {
        None | Some(serde_yaml_ng::Value::Null) => None,
        Some(serde_yaml_ng::Value::String(s)) if s == "all" => None,
        Some(serde_yaml_ng::Value::String(s)) => Some(vec![s]),
        Some(serde_yaml_ng::Value::Sequence(items)) => {
            let list = items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or("regions: expected `all` or a list of region names")?;
            if list.is_empty() { None } else { Some(list) }
        }
        Some(_) => return Err("regions: expected `all` or a list of region names".into()),
    };
    for r in regions.iter().flatten().chain(a.region.iter()) {
        if !is_region_name(r) {
            return Err(format!(
                "regions: {r:?} is not an AWS region name (like eu-west-1)"
            ));
        }
    }
    let mut include_filters = Vec::new();
    if let Some(f) = &a.filters {
        include_filters.push(filter_set(f).map_err(|m| format!("filters: {m}"))?);
    }
    for (i, f) in a.include_filters.iter().enumerate() {
        include_filters.push(filter_set(f).map_err(|m| format!("include_filters[{i}]: {m}"))?);
    }
    let exclude_filters = a
        .exclude_filters
        .iter()
        .enumerate()
        .map(|(i, f)| filter_set(f).map_err(|m| format!("exclude_filters[{i}]: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    let services = a
        .services
        .unwrap_or_else(|| vec!["ec2".into(), "rds".into(), "elasticache".into()]);
    if let Some(s) = services
        .iter()
        .find(|s| !["ec2", "rds", "elasticache"].contains(&s.as_str()))
    {
        return Err(format!(
            "services: unknown service {s:?} (expected ec2, rds, elasticache)"
        ));
    }
    if a.concurrency == Some(0) {
        return Err("concurrency: must be at least 1".into());
    }
    if let Some(n) = a.page_size.filter(|n| !(5..=1000).contains(n)) {
        return Err(format!(
            "page_size: {n} is outside 5 to 1000 (DescribeInstances' MaxResults)"
        ));
    }
    let cache = match a.cache {
        Some(c) if c.enabled != Some(false) => Some(CacheSettings {
            ttl: std::time::Duration::from_secs(c.ttl.unwrap_or(3600)),
            dir: c.dir.map_or_else(
                || default_cache_dir(ctx),
                |d| absolute(&ctx.cwd, Path::new(&d)),
            ),
            stale_on_error: c.stale_on_error,
        }),
        _ => None,
    };
    Ok(AwsSettings {
        regions,
        region: a.region,
        assume_roles: a.assume_roles,
        profile: a.profile,
        endpoint_url: a.endpoint_url,
        concurrency: a.concurrency.unwrap_or(AwsSettings::DEFAULT_CONCURRENCY),
        page_size: a.page_size.unwrap_or(AwsSettings::DEFAULT_PAGE_SIZE),
        include_filters,
        exclude_filters,
        ec2: services.iter().any(|s| s == "ec2"),
        rds: services.iter().any(|s| s == "rds"),
        elasticache: services.iter().any(|s| s == "elasticache"),
        strict_permissions: a.strict_permissions.unwrap_or(true),
        cache,
        tags_alias: false,
    })
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-4`, `cn-north-1`…
pub(crate) fn is_region_name(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

fn default_bastion() -> BastionRule {
    BastionRule::Tag {
        key: "Role".into(),
        value: "bastion".into(),
    }
}

/// `./terraform.tfstate`, or `terraform.tfstate.d/<ws>/terraform.tfstate` when a non-default
/// workspace is selected (by `TF_WORKSPACE` or `<TF_DATA_DIR>/environment`), as Terraform reads it.
fn default_local_state(ctx: &Context<'_>, workspace: Option<&str>) -> PathBuf {
    let selected = workspace.map(str::to_owned).or_else(|| {
        let data_dir = (ctx.env)(ENV_TF_DATA_DIR)
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| ".terraform".into());
        let text =
            std::fs::read_to_string(absolute(&ctx.cwd, Path::new(&data_dir)).join("environment"))
                .ok()?;
        Some(text.trim().to_owned()).filter(|w| !w.is_empty())
    });
    match selected.as_deref() {
        None | Some("default") => ctx.cwd.join("terraform.tfstate"),
        Some(ws) => ctx
            .cwd
            .join("terraform.tfstate.d")
            .join(ws)
            .join("terraform.tfstate"),
    }
}

/// Split `PALIN_TFSTATE` on `:`, keeping `s3://…` URIs whole.
fn split_sources(value: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut parts = value.split(':').peekable();
    while let Some(part) = parts.next() {
        if part == "s3" && parts.peek().is_some_and(|next| next.starts_with("//")) {
            let uri = format!("s3:{}", parts.next().unwrap_or_default());
            if parts.peek().is_some_and(|next| next.starts_with('/')) {
                // `s3://b/env:/staging/k`: the workspace key prefix has a `:`, the separator.
                return Err(format!(
                    "{uri}:… looks like an S3 key with a ':' (such as env:/<workspace>/), which PALIN_TFSTATE cannot hold because ':' separates sources; give the plain key and select the workspace with TF_WORKSPACE=<workspace>, or use an s3 entry in palin.yml"
                ));
            }
            out.push(uri);
        } else if !part.is_empty() {
            out.push(part.to_owned());
        }
    }
    Ok(out)
}

fn parse_source_uri(s: &str, cwd: &Path, workspace: Option<&str>) -> Result<StateSource, String> {
    if s == "-" {
        return Ok(StateSource::Stdin);
    }
    if let Some(rest) = s.strip_prefix("s3://") {
        let (bucket, key) = rest
            .split_once('/')
            .filter(|(b, k)| !b.is_empty() && !k.is_empty())
            .ok_or_else(|| format!("{s:?}: expected s3://<bucket>/<key>"))?;
        return Ok(StateSource::S3(S3Location {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            workspace: workspace.unwrap_or("default").to_owned(),
            workspace_key_prefix: "env:".to_owned(),
            ..S3Location::default()
        }));
    }
    Ok(StateSource::File(absolute(cwd, Path::new(s))))
}

fn state_entry(e: StateEntry, base: &Path, workspace: Option<&str>) -> Result<StateSource, String> {
    let given = usize::from(e.path.is_some())
        + usize::from(e.command.is_some())
        + usize::from(e.s3.is_some());
    if given != 1 {
        return Err("give exactly one of path, command or s3".into());
    }
    if e.dir.is_some() && e.command.is_none() {
        return Err("dir is only used with command".into());
    }
    if let Some(path) = e.path {
        return Ok(if path == "-" {
            StateSource::Stdin
        } else {
            StateSource::File(absolute(base, Path::new(&path)))
        });
    }
    if let Some(argv) = e.command {
        if argv.first().is_none_or(String::is_empty) {
            return Err("command: the list is empty".into());
        }
        let dir = Some(
            e.dir
                .map_or_else(|| base.to_path_buf(), |d| absolute(base, Path::new(&d))),
        );
        return Ok(StateSource::Command { argv, dir });
    }
    let s3 = e.s3.ok_or("give exactly one of path, command or s3")?;
    if s3.bucket.is_empty() || s3.key.is_empty() {
        return Err("s3: bucket and key must not be empty".into());
    }
    Ok(StateSource::S3(S3Location {
        bucket: s3.bucket,
        key: s3.key,
        region: s3.region,
        workspace: s3
            .workspace
            .or_else(|| workspace.map(str::to_owned))
            .unwrap_or_else(|| "default".into()),
        workspace_key_prefix: s3.workspace_key_prefix.unwrap_or_else(|| "env:".into()),
        endpoint_url: s3.endpoint_url,
        profile: s3.profile,
    }))
}

fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// An I/O error's reason without the OS error number noise.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Collapse a possibly multi-line message into one line (Ansible shows one stderr line).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load_with(yaml: Option<&str>, vars: &[(&str, &str)]) -> Result<Config> {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(y) = yaml {
            std::fs::write(dir.path().join(CONFIG_FILE_NAME), y).expect("write");
        }
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let env = move |k: &str| vars.get(k).cloned();
        let ctx = Context {
            env: &env,
            cwd: dir.path().to_path_buf(),
            exe_dir: None,
        };
        let mut cfg = load(&Overrides::default(), &ctx)?;
        // Make paths comparable across runs.
        for s in &mut cfg.states {
            if let StateSource::File(p) = s {
                *p = p
                    .strip_prefix(dir.path())
                    .map_or_else(|_| p.clone(), Path::to_path_buf);
            }
            if let StateSource::Command { dir: Some(d), .. } = s {
                *d = d
                    .strip_prefix(dir.path())
                    .map_or_else(|_| d.clone(), Path::to_path_buf);
            }
        }
        cfg.origin = cfg
            .origin
            .replace(&dir.path().display().to_string(), "<dir>");
        Ok(cfg)
    }

    #[test]
    fn no_config_reads_terraform_tfstate_with_defaults() {
        let cfg = load_with(None, &[]).expect("loads");
        assert_eq!(cfg.states, [StateSource::File("terraform.tfstate".into())]);
        assert!(cfg.default_state);
        assert_eq!(
            cfg.hostnames,
            [HostAttr::Tag("Name".into()), HostAttr::InstanceId]
        );
        assert_eq!(
            cfg.ansible_host,
            [HostAttr::Eip, HostAttr::PublicIp, HostAttr::PrivateIp]
        );
        assert_eq!(cfg.tag_groups, TagGroups::AllButName);
        assert!(matches!(
            cfg.connection,
            Connection::Ssh {
                bastion: BastionRule::Tag { .. },
                ..
            }
        ));
    }

    #[test]
    fn tf_workspace_selects_the_workspace_state() {
        let cfg = load_with(None, &[("TF_WORKSPACE", "staging")]).expect("loads");
        assert_eq!(
            cfg.states,
            [StateSource::File(
                "terraform.tfstate.d/staging/terraform.tfstate".into()
            )]
        );
    }

    #[test]
    fn palin_tfstate_splits_paths_and_keeps_s3_uris() {
        let cfg = load_with(
            Some("terraform: {states: [{path: x}]}"),
            &[
                ("PALIN_TFSTATE", "a.tfstate:s3://b/k/t.tfstate:-"),
                ("TF_WORKSPACE", "w"),
            ],
        )
        .expect("loads");
        assert_eq!(cfg.states.len(), 3);
        assert_eq!(cfg.states[0], StateSource::File("a.tfstate".into()));
        let StateSource::S3(s3) = &cfg.states[1] else {
            panic!("s3 expected")
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.object_key()),
            ("b", "env:/w/k/t.tfstate".to_owned())
        );
        assert_eq!(cfg.states[2], StateSource::Stdin);
    }

    #[test]
    fn s3_keys_with_a_colon_are_refused_with_advice() {
        let err = load_with(None, &[("PALIN_TFSTATE", "s3://b/env:/staging/k.tfstate")])
            .expect_err("ambiguous")
            .to_string();
        assert!(
            err.starts_with("config PALIN_TFSTATE: s3://b/env:") && err.contains("TF_WORKSPACE"),
            "{err}"
        );
    }

    #[test]
    fn file_settings_are_read_and_validated() {
        let cfg = load_with(
            Some(
                "terraform:\n  states:\n    - path: infra/terraform.tfstate\n    - command: [terraform, state, pull]\n      dir: infra\n    - s3: {bucket: b, key: k, region: eu-west-1}\n  outputs_prefix: tf_\nhostnames: [tag:Name, private-ip-address]\ntag_groups: [Role]\nreveal: [db_password]\nconnection: {bastion: {host: jump, user: admin}}\nansible_user: {tag_Role_web: ubuntu, all: ec2-user}\n",
            ),
            &[("PALIN_REVEAL", "auth_token, x")],
        )
        .expect("loads");
        assert_eq!(
            cfg.states[0],
            StateSource::File("infra/terraform.tfstate".into())
        );
        assert_eq!(
            cfg.states[1],
            StateSource::Command {
                argv: vec!["terraform".into(), "state".into(), "pull".into()],
                dir: Some("infra".into())
            }
        );
        assert_eq!(cfg.outputs_prefix, "tf_");
        assert_eq!(cfg.tag_groups, TagGroups::Only(vec!["Role".into()]));
        assert_eq!(
            cfg.reveal.iter().map(String::as_str).collect::<Vec<_>>(),
            ["auth_token", "db_password", "x"]
        );
        assert_eq!(
            cfg.connection,
            Connection::Ssh {
                bastion: BastionRule::Host("jump".into()),
                bastion_user: Some("admin".into())
            }
        );
        assert_eq!(
            cfg.users,
            [
                ("tag_Role_web".to_owned(), "ubuntu".to_owned()),
                ("all".to_owned(), "ec2-user".to_owned())
            ]
        );
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let err = |y: &str| load_with(Some(y), &[]).expect_err("must fail").to_string();
        assert!(err("hostname: [x]").contains("unknown field `hostname`"));
        assert!(err("hostnames: [\"tag:\"]").contains("hostnames: unknown entry"));
        assert!(err("connection: {mode: telnet}").contains("connection.mode"));
        assert!(
            err("terraform: {states: [{path: a, command: [b]}]}")
                .contains("terraform.states[0]: give exactly one")
        );
        assert!(err("terraform: {states: []}").contains("empty"));
        assert!(err("source: pulumi").contains("unknown source"));
        assert!(err("connection: {bastion: {tag: Role}}").contains("Key=Value"));
        let syntax = err("hostnames: [\n");
        assert!(
            syntax.starts_with("config /") && syntax.contains("/palin.yml: "),
            "{syntax}"
        );
    }

    #[test]
    fn aws_page_size_defaults_and_is_bounded() {
        let page_size = |y: &str| match load_with(Some(y), &[]).map(|c| c.source) {
            Ok(Source::Aws(a)) => Ok(a.page_size),
            Ok(Source::Terraform) => panic!("source: aws expected"),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(page_size("source: aws"), Ok(AwsSettings::DEFAULT_PAGE_SIZE));
        assert_eq!(page_size("source: aws\naws: {page_size: 5}"), Ok(5));
        assert_eq!(page_size("source: aws\naws: {page_size: 1000}"), Ok(1000));
        for bad in ["4", "1001", "-1"] {
            let err = page_size(&format!("source: aws\naws: {{page_size: {bad}}}"))
                .expect_err("out of range");
            assert!(
                err.contains("page_size: ") && err.contains("outside 5 to 1000"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_collections_plugins_leave_their_own_keys_to_ansible() {
        let aws = |y: &str| match load_with(Some(y), &[]).map(|c| c.source) {
            Ok(Source::Aws(a)) => Ok(*a),
            Ok(Source::Terraform) => panic!("an AWS source expected"),
            Err(e) => Err(e.to_string()),
        };
        let ansible_keys = "executable: /opt/palin-inventory\ncache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_timeout: 60\ncache_connection: /tmp/c\ncache_prefix: p_\n";
        // palin.aws.aws_ec2: Ansible's cache, not palin's; the plugin's `tags` too.
        let a = aws(&format!(
            "plugin: palin.aws.aws_ec2\nregions: [eu-west-1]\n{ansible_keys}"
        ))
        .expect("loads");
        assert_eq!((a.cache, a.tags_alias), (None, true));
        // amazon.aws.aws_ec2 read through PALIN_CONFIG: its cache options are palin's cache.
        let a = aws("plugin: amazon.aws.aws_ec2\ncache: true\ncache_timeout: 60\n").expect("loads");
        assert_eq!(a.cache.map(|c| c.ttl.as_secs()), Some(60));
        assert!(a.tags_alias);
        for key in ["executable", "cache_prefix"] {
            let err = aws(&format!("plugin: amazon.aws.aws_ec2\n{key}: x\n")).expect_err(key);
            assert!(err.contains(&format!("option \"{key}\"")), "{err}");
        }
        // A typo is still named, whichever plugin the file is for.
        let err = aws("plugin: palin.aws.aws_ec2\nregoins: [eu-west-1]\n").expect_err("typo");
        assert!(err.contains("option \"regoins\""), "{err}");

        // palin.aws.palin: the same palin.yml, whatever Ansible's keys say.
        let plain =
            load_with(Some("source: aws\naws: {regions: [eu-west-1]}\n"), &[]).expect("loads");
        let with_plugin = load_with(
            Some(&format!(
                "plugin: palin.aws.palin\n{ansible_keys}source: aws\naws: {{regions: [eu-west-1]}}\n"
            )),
            &[],
        )
        .expect("loads");
        assert_eq!(plain, with_plugin);
        let Source::Aws(a) = &plain.source else {
            panic!("aws")
        };
        assert!(!a.tags_alias, "palin.yml keeps ec2_tags only");
        let err = load_with(Some("plugin: palin.aws.palin\nexecutible: /x\n"), &[])
            .expect_err("typo")
            .to_string();
        assert!(err.contains("unknown field `executible`"), "{err}");
        // Without the plugin line, Ansible's keys are not palin.yml settings.
        let err = load_with(Some("cache: true\n"), &[])
            .expect_err("not palin's")
            .to_string();
        assert!(err.contains("unknown field `cache`"), "{err}");
        let err = load_with(Some("plugin: amazon.aws.aws_rds\n"), &[])
            .expect_err("other plugin")
            .to_string();
        assert!(
            err.contains("plugin: \"amazon.aws.aws_rds\" is not supported"),
            "{err}"
        );
    }

    #[test]
    fn missing_explicit_config_is_an_error() {
        let err = load_with(None, &[("PALIN_CONFIG", "/nonexistent/palin.yml")])
            .expect_err("must fail")
            .to_string();
        assert_eq!(
            err,
            "config /nonexistent/palin.yml: cannot read it: no such file"
        );
    }
}
