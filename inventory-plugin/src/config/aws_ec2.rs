//! An `amazon.aws.aws_ec2` inventory file read as palin's configuration, so an existing
//! `aws_ec2.yml` works unchanged through `PALIN_CONFIG`, or through the collection's
//! `palin.aws.aws_ec2` inventory plugin. Every option is either translated to its palin equivalent
//! or refused by name: nothing is silently ignored, but for the keys the `palin.aws.aws_ec2`
//! plugin reads itself (`super::plugin::ANSIBLE_KEYS`). The hosts get the plugin's variables, the
//! tag dict as both `tags` and `ec2_tags`.

use std::collections::BTreeSet;

use serde_yaml_ng::{Mapping, Value};

use super::plugin::Kind;
use super::{
    AwsSettings, BastionRule, CacheSettings, Config, Connection, Context, ENV_REVEAL, HostAttr,
    KeyedGroup, Overrides, Source, TagGroups, absolute, constructed, default_cache_dir, filter_set,
    is_region_name,
};
use crate::error::{Error, Result};

/// The aws_ec2 options palin understands; anything else in the file is an error.
const SUPPORTED: [&str; 24] = [
    "plugin",
    "regions",
    "region",
    "filters",
    "include_filters",
    "exclude_filters",
    "hostnames",
    "compose",
    "groups",
    "keyed_groups",
    "strict",
    "leading_separator",
    "endpoint_url",
    "aws_endpoint_url",
    "profile",
    "aws_profile",
    "iam_role_arn",
    "assume_role_arn",
    "allow_duplicated_hosts",
    "strict_permissions",
    "cache",
    "cache_timeout",
    "cache_connection",
    "cache_plugin",
];

/// Read an aws_ec2 file; `kind` is what its `plugin:` names (`super::plugin::kind`).
pub(super) fn config(
    value: Value,
    kind: Kind,
    origin: String,
    overrides: &Overrides,
    ctx: &Context<'_>,
) -> Result<Config> {
    let bad = |m: String| Error::config(origin.clone(), m);
    let Value::Mapping(mut map) = value else {
        return Err(bad("expected a mapping of aws_ec2 options".into()));
    };
    // The plugin's own keys (which binary, Ansible's cache) are none of the binary's business.
    map.retain(|k, _| k.as_str().is_none_or(|k| !kind.is_ansible_key(k)));
    for key in map.keys() {
        let name = key.as_str().unwrap_or("?");
        if !SUPPORTED.contains(&name) {
            return Err(bad(format!(
                "option {name:?} of amazon.aws.aws_ec2 is not supported by palin-inventory"
            )));
        }
    }
    let str_opt = |names: &[&str]| -> Result<Option<String>> {
        for n in names {
            match map.get(*n) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => return Ok(Some(s.clone())),
                Some(_) => return Err(bad(format!("{n}: expected a string"))),
            }
        }
        Ok(None)
    };
    let bool_opt = |name: &str, default: bool| -> Result<bool> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(bad(format!("{name}: expected true or false"))),
        }
    };
    let mapping = |name: &str| -> Result<Option<&Mapping>> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Mapping(m)) => Ok(Some(m)),
            Some(_) => Err(bad(format!("{name}: expected a mapping"))),
        }
    };
    let list = |name: &str| -> Result<Vec<Value>> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(s)) => Ok(s.clone()),
            Some(_) => Err(bad(format!("{name}: expected a list"))),
        }
    };

    let regions: Vec<String> = list("regions")?
        .iter()
        .map(|r| {
            r.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad("regions: expected a list of region names".into()))
        })
        .collect::<Result<_>>()?;
    let region = str_opt(&["region"])?;
    if let Some(r) = regions
        .iter()
        .chain(region.iter())
        .find(|r| !is_region_name(r))
    {
        return Err(bad(format!(
            "regions: {r:?} is not an AWS region name (like eu-west-1)"
        )));
    }

    let mut include_filters = Vec::new();
    if let Some(f) = mapping("filters")? {
        include_filters.push(filter_set(f).map_err(|m| bad(format!("filters: {m}")))?);
    }
    let filter_list = |name: &str| -> Result<Vec<_>> {
        list(name)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Mapping(m) => filter_set(m).map_err(|e| bad(format!("{name}[{i}]: {e}"))),
                _ => Err(bad(format!("{name}[{i}]: expected a mapping of filters"))),
            })
            .collect()
    };
    include_filters.extend(filter_list("include_filters")?);
    let exclude_filters = filter_list("exclude_filters")?;

    let hostnames = match list("hostnames")? {
        h if h.is_empty() => vec![HostAttr::PublicDns, HostAttr::PrivateDns],
        h => h
            .iter()
            .map(|entry| {
                entry
                    .as_str()
                    .filter(|s| !(s.contains('|') || s.contains(',') || (s.starts_with("tag:") && s.contains('='))))
                    .and_then(HostAttr::parse)
                    .ok_or_else(|| {
                        bad(format!(
                            "hostnames: entry {} is not supported by palin-inventory (supported: tag:<Key>, instance-id, ip-address, private-ip-address, dns-name, private-dns-name)",
                            serde_yaml_ng::to_string(entry).unwrap_or_default().trim()
                        ))
                    })
            })
            .collect::<Result<_>>()?,
    };
    if bool_opt("allow_duplicated_hosts", false)? {
        return Err(bad(
            "allow_duplicated_hosts: true is not supported: palin-inventory makes one host per instance and never drops one (a shared name gets _<instance-id> appended)"
                .into(),
        ));
    }
    if let Some(p) = str_opt(&["cache_plugin"])?
        && !matches!(
            p.as_str(),
            "jsonfile" | "ansible.builtin.jsonfile" | "community.general.jsonfile"
        )
    {
        return Err(bad(format!(
            "cache_plugin: {p:?} is not supported (palin-inventory keeps its own JSON file cache)"
        )));
    }
    let cache = if bool_opt("cache", false)? {
        let ttl = match map.get("cache_timeout") {
            None | Some(Value::Null) => 3600,
            Some(v) => v
                .as_u64()
                .ok_or_else(|| bad("cache_timeout: expected seconds".into()))?,
        };
        Some(CacheSettings {
            ttl: std::time::Duration::from_secs(ttl),
            dir: str_opt(&["cache_connection"])?.map_or_else(
                || default_cache_dir(ctx),
                |d| absolute(&ctx.cwd, std::path::Path::new(&d)),
            ),
            stale_on_error: false,
        })
    } else {
        None
    };

    let keyed_groups: Vec<KeyedGroup> = match map.get("keyed_groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => {
            serde_yaml_ng::from_value(v.clone()).map_err(|e| bad(format!("keyed_groups: {e}")))?
        }
    };
    let leading_separator = match map.get("leading_separator") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad("leading_separator: expected true or false".into())),
    };
    let constructed = constructed(
        mapping("compose")?,
        mapping("groups")?,
        keyed_groups,
        bool_opt("strict", false)?,
        leading_separator,
    )
    .map_err(&bad)?;

    let mut reveal: BTreeSet<String> = overrides.reveal.iter().cloned().collect();
    reveal.extend(
        (ctx.env)(ENV_REVEAL)
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );

    let settings = AwsSettings {
        regions: if regions.is_empty() {
            None
        } else {
            Some(regions)
        },
        region,
        assume_roles: str_opt(&["assume_role_arn", "iam_role_arn"])?
            .into_iter()
            .collect(),
        profile: str_opt(&["profile", "aws_profile"])?,
        endpoint_url: str_opt(&["endpoint_url", "aws_endpoint_url"])?,
        concurrency: AwsSettings::DEFAULT_CONCURRENCY,
        page_size: AwsSettings::DEFAULT_PAGE_SIZE,
        include_filters,
        exclude_filters,
        ec2: true,
        rds: false,
        elasticache: false,
        strict_permissions: bool_opt("strict_permissions", true)?,
        // With `palin.aws.aws_ec2` the cache keys are Ansible's (removed above): no palin cache.
        cache,
        tags_alias: true,
    };
    Ok(Config {
        origin,
        states: Vec::new(),
        default_state: false,
        outputs: false,
        outputs_prefix: String::new(),
        hostnames,
        ansible_host: vec![HostAttr::Eip, HostAttr::PublicIp, HostAttr::PrivateIp],
        tag_groups: TagGroups::AllButName,
        endpoint_hosts: false,
        reveal,
        // The plugin has no notion of a bastion; an aws_ec2.yml keeps its own connection settings.
        connection: Connection::Ssh {
            bastion: BastionRule::Off,
            bastion_user: None,
        },
        users: Vec::new(),
        source: Source::Aws(Box::new(settings)),
        palin_extras: false,
        constructed,
        refresh_cache: overrides.refresh_cache,
    })
}
