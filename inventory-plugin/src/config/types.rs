//! The public types of the configuration: the validated [`Config`] of one run and everything it is
//! made of, the setting and variable names, the command-line [`Overrides`] and the process
//! [`Context`] settings are resolved in (with the two path rules every reader shares). No logic
//! beyond small parsers of one value; the readers are the sibling modules.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Path of the config file (`palin.yml`); takes precedence over the files found by convention.
pub const ENV_CONFIG: &str = "PALIN_CONFIG";
/// State sources separated by `:` (paths, `-` for stdin, `s3://bucket/key`); replaces `terraform.states`.
pub const ENV_TFSTATE: &str = "PALIN_TFSTATE";
/// Comma-separated names of sensitive outputs and secret attributes to include in the inventory.
pub const ENV_REVEAL: &str = "PALIN_REVEAL";
/// Overrides of [`ClientSettings`] for every AWS call, in seconds (the attempts: a count).
pub const ENV_CONNECT_TIMEOUT: &str = "PALIN_AWS_CONNECT_TIMEOUT";
pub const ENV_ATTEMPT_TIMEOUT: &str = "PALIN_AWS_ATTEMPT_TIMEOUT";
pub const ENV_OPERATION_TIMEOUT: &str = "PALIN_AWS_OPERATION_TIMEOUT";
pub const ENV_MAX_ATTEMPTS: &str = "PALIN_AWS_MAX_ATTEMPTS";
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
    /// A `hostnames` / `ansible_host` entry (`tag:<Key>`, `instance-id`, `ip-address`, ...).
    pub(super) fn parse(s: &str) -> Option<Self> {
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
    /// Timeouts and attempts of every AWS call (the AWS source and S3 states).
    pub client: ClientSettings,
}

/// How long an AWS call may take and how often it is tried: palin's defaults are short because
/// Ansible waits on the inventory (the SDK's own total timeout would hold a run for 120 s on a
/// stalled endpoint). Set by `aws.*_timeout` / `aws.max_attempts` and the `PALIN_AWS_*`
/// variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientSettings {
    /// Establishing a connection.
    pub connect_timeout: std::time::Duration,
    /// One attempt, from sending the request to the whole answer being read.
    pub attempt_timeout: std::time::Duration,
    /// One call with all its retries (an S3 state: the whole object, body included).
    pub operation_timeout: std::time::Duration,
    /// Attempts per call under the SDK's standard retry mode (1: no retries).
    pub max_attempts: u32,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: std::time::Duration::from_secs(5),
            attempt_timeout: std::time::Duration::from_secs(10),
            operation_timeout: std::time::Duration::from_secs(30),
            max_attempts: 5,
        }
    }
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

/// `p`, relative to `base` unless it is absolute.
pub(super) fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The cache directory: `$XDG_CACHE_HOME/palin`, else `~/.cache/palin`.
pub(super) fn default_cache_dir(ctx: &Context<'_>) -> PathBuf {
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
