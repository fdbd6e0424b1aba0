//! The command line: what Ansible calls (`--list`, `--host NAME`), what people call (`--graph`,
//! `--export ini|yaml`), and the overrides that win over `palin.yml` and `PALIN_*` variables.
//! `--help` carries the reference of every setting.

use std::path::PathBuf;

use clap::{ArgGroup, Parser, ValueEnum};

/// Static snapshot formats for `--export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// An INI inventory (Ansible's `ini` plugin).
    Ini,
    /// A YAML inventory (Ansible's `yaml` plugin).
    Yaml,
}

/// What the run prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    List,
    Host(String),
    Graph,
    Export(ExportFormat),
}

/// Ansible dynamic inventory from Terraform state: EC2 hosts, RDS/Aurora and ElastiCache endpoints,
/// Terraform outputs.
#[derive(Debug, Parser)]
#[command(
    name = "palin-inventory",
    version,
    about,
    long_about = "Ansible dynamic inventory from Terraform state: EC2 hosts, RDS/Aurora and ElastiCache endpoints and Terraform outputs, without the terraform binary.\n\nUse it as an inventory: `ansible-playbook -i palin-inventory site.yml`. Ansible calls it with --list only, so it is configured by palin.yml and PALIN_* environment variables (below).",
    after_long_help = SETTINGS_HELP,
    group(ArgGroup::new("action").required(true).args(["list", "host", "graph", "export"]))
)]
pub struct Cli {
    /// Print the whole inventory as JSON for Ansible (groups and `_meta.hostvars`).
    #[arg(long)]
    pub list: bool,

    /// Print the variables of one host as JSON (`{}` for an unknown host).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// Print the group tree, like `ansible-inventory --graph`.
    #[arg(long)]
    pub graph: bool,

    /// Print a static inventory snapshot in this format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub export: Option<ExportFormat>,

    /// Config file to use instead of the ones found by convention [env: PALIN_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// State to read (repeatable; a path, `-` for stdin or s3://BUCKET/KEY); replaces
    /// PALIN_TFSTATE and terraform.states.
    #[arg(long = "tfstate", value_name = "SOURCE")]
    pub tfstate: Vec<String>,

    /// Include this sensitive output or secret attribute (repeatable or comma-separated; adds
    /// to PALIN_REVEAL and `reveal`).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub reveal: Vec<String>,

    /// Fetch from the AWS API even when the cache is fresh, and rewrite the cache.
    #[arg(long)]
    pub refresh_cache: bool,

    /// Write the strings of --list and --host as plain JSON strings (for jq and other
    /// tools). Without it, every string of a variable is written as
    /// {"__ansible_unsafe": "..."}, which Ansible reads as data, never as a template.
    #[arg(long)]
    pub plain: bool,

    /// Indent JSON output (the default when stdout is a terminal).
    #[arg(long)]
    pub pretty: bool,
}

impl Cli {
    /// The one action this invocation asked for.
    pub fn action(&self) -> Action {
        if let Some(h) = &self.host {
            Action::Host(h.clone())
        } else if self.graph {
            Action::Graph
        } else if let Some(f) = self.export {
            Action::Export(f)
        } else {
            Action::List
        }
    }
}

/// The settings reference printed by `--help`; `docs/configuration.md` explains each in depth.
pub const SETTINGS_HELP: &str = "\
WHERE SETTINGS COME FROM (first found wins)
  --config FILE, else PALIN_CONFIG=FILE, else ./palin.yml, else palin.yml next to this binary.
  With no config file and no PALIN_TFSTATE, ./terraform.tfstate is read (or
  terraform.tfstate.d/<workspace>/terraform.tfstate when TF_WORKSPACE or .terraform/environment
  selects a workspace), as Terraform itself would.

ENVIRONMENT
  PALIN_CONFIG=FILE           config file (must exist)
  PALIN_TFSTATE=SRC[:SRC...]  states to read, replacing terraform.states: a path (v4 state or
                              `terraform show -json` output), - for stdin, or s3://BUCKET/KEY
  PALIN_REVEAL=NAME[,NAME]    sensitive outputs / secret attributes to include
  PALIN_AWS_CONNECT_TIMEOUT, PALIN_AWS_ATTEMPT_TIMEOUT, PALIN_AWS_OPERATION_TIMEOUT (seconds),
  PALIN_AWS_MAX_ATTEMPTS      every AWS call, S3 states included (defaults 5, 10, 30, 5)
  TF_WORKSPACE, TF_DATA_DIR   Terraform's own workspace selection, honoured as Terraform does
  AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...
                              the standard AWS settings, used for s3:// states

palin.yml (every key optional)
  source: terraform                      the inventory source: terraform or aws
  terraform:
    states:                              read in order and merged
      - path: terraform.tfstate          v4 state or `terraform show -json`; - = stdin;
                                         relative to the config file
      - command: [terraform, state, pull]  any command printing a state (any backend)
        dir: ../infra                    its working directory
      - s3: {bucket: B, key: K, region: R, workspace: W, workspace_key_prefix: \"env:\",
             endpoint_url: URL, profile: P}
                                         the S3 backend object (workspace W != default is
                                         read from <workspace_key_prefix>/W/K)
    outputs: true                        Terraform outputs become variables of `all`
                                         (ansible_* and magic names get tf_ in front)
    outputs_prefix: \"\"                   prefix for those variable names
  hostnames: [tag:Name, instance-id]     host name preference: tag:KEY, instance-id,
                                         ip-address, private-ip-address, dns-name,
                                         private-dns-name, eip; a name shared by several
                                         instances gets _<instance-id> appended on each;
                                         localhost, 127.0.0.1, ::1, a template or -... is
                                         skipped for the next preference
  ansible_host: [eip, ip-address, private-ip-address]
                                         address preference for ansible_host (same names)
  tag_groups: [Role, Env]                tags that become tag_KEY_VALUE groups
                                         (default: every tag but Name)
  endpoint_hosts: false                  also list RDS / ElastiCache endpoints as hosts
                                         (groups aws_rds, aws_elasticache;
                                         ansible_connection: local)
  reveal: [db_password]                  sensitive outputs / secret attributes (password,
                                         master_password, auth_token, ...) to include
  connection:
    mode: ssh                            ssh, or ssm (community.aws.aws_ssm, instance id as
                                         ansible_host)
    bastion: {tag: Role=bastion, user: ec2-user}
                                         or {host: NAME or INSTANCE-ID}, or false. Hosts
                                         reached at a private address get a ProxyJump through
                                         the bastion's public address (default: the instance
                                         tagged Role=bastion, if any; several matches refuse
                                         the inventory: pin one with host:)
    ssm_bucket: BUCKET                   ansible_aws_ssm_bucket_name (mode: ssm)
  ansible_user: {tag_Role_web: ubuntu, all: ec2-user}
                                         ansible_user of the first listed group a host is in
  compose: {ansible_host: private_ip_address}   Ansible's constructed options (Jinja,
  groups: {web: \"ec2_tags.Role == 'web'\"}        both sources)
  keyed_groups: [{key: placement.region, prefix: aws_region}]
  strict: false                          fail on expressions that error
  leading_separator: true                keyed groups without prefix start with _
  aws:                                   with source: aws
    regions: [eu-west-1]                 or all (default: every region DescribeRegions lists)
    region: eu-west-1                    for DescribeRegions / STS
    assume_roles: [ARN, ...]             one role per account, fetched concurrently
    profile: P                           default: the standard credential chain
    endpoint_url: URL                    default: AWS_ENDPOINT_URL
    concurrency: 16                      calls in flight
    page_size: 500                       instances per DescribeInstances page (5 to 1000)
    filters: {tag:Env: prod}             DescribeInstances filters; include_filters: [...]
    exclude_filters: [{...}]             and exclude_filters: [...] as in aws_ec2
    services: [ec2, rds, elasticache]
    strict_permissions: true             false: skip regions/accounts not authorised
    attempt_timeout: 10                  seconds per attempt; also connect_timeout: 5,
    operation_timeout: 30                a call with its retries; max_attempts: 5
    cache: {ttl: 3600, dir: DIR, stale_on_error: false}
                                         on-disk cache of the fetched data (--refresh-cache)
  An amazon.aws.aws_ec2 file (plugin: amazon.aws.aws_ec2, or palin.aws.aws_ec2) given as the
  config is read as such; options palin does not support are refused by name. A palin.yml may
  say plugin: palin.aws.palin. With a palin.aws.* plugin, the keys the collection's inventory
  plugin reads itself (executable, cache, cache_plugin, cache_timeout, cache_connection,
  cache_prefix: Ansible's inventory cache) are skipped.

VARIABLES (the same whatever the source)
  every host: instance_id, instance_type, image_id, private_ip_address, public_ip_address,
    private_dns_name, public_dns_name, placement.{availability_zone,region}, state.name, ec2_tags,
    ansible_host; groups aws_ec2, tag_KEY_VALUE, <type>_<name>, module_<path>
  all: palin_rds.<id>.{host,port,endpoint,reader_host,engine,db_name,username,...},
    palin_redis.<id>.{host,port,reader_host,tls,engine,nodes,...}, palin_lb.<name>.dns_name;
    with exactly one of a kind: palin_postgres_{host,port,db_name,username,reader_host},
    palin_mysql_*, palin_redis_{host,port,tls,reader_host}, palin_lb_dns_name
  --list and --host write every string of a variable as {\"__ansible_unsafe\": \"...\"}:
    Ansible reads it as data, never as a template. --plain writes plain strings (jq); never
    let Ansible's script plugin read that. --export yaml marks strings with a { !unsafe; --export ini
    refuses a value holding {{, {% or {#. ansible_host, ansible_user and ProxyJumps must be
    IP addresses, RFC 1123 host names and plain user names (SECURITY.md in the repository).

EXIT STATUS
  0 success (stderr empty); 1 a state could not be read or mapped, or the inventory was
  refused (see above); 2 bad usage or config. On failure one line on stderr and nothing on
  stdout.";
