//! An `amazon.aws.aws_ec2` inventory file read as palin's configuration, so an existing
//! `aws_ec2.yml` works unchanged through `PALIN_CONFIG`, or through the collection's
//! `palin.aws.aws_ec2` inventory plugin. Every option is either translated to its palin equivalent
//! or refused by name: nothing is silently ignored, but for the keys the `palin.aws.aws_ec2`
//! plugin reads itself (`super::plugin::ANSIBLE_KEYS`). The hosts get the plugin's variables, the
//! tag dict as both `tags` and `ec2_tags`.

use std::collections::BTreeSet;

use serde_yaml_ng::{Mapping, Value};

use super::aws::{cache_settings, check_regions, client, filter_set};
use super::hosts::constructed;
use super::plugin::Kind;
use super::types::{
    AwsSettings, BastionRule, CacheSettings, Config, Connection, Constructed, Context, FilterSet,
    HostAttr, KeyedGroup, Overrides, Source, TagGroups,
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

/// Read an aws_ec2 file; `kind` is what its `plugin:` names (`super::plugin::kind`), `reveal` the
/// names the environment and the command line reveal.
pub(super) fn config(
    value: Value,
    kind: Kind,
    origin: String,
    reveal: BTreeSet<String>,
    overrides: &Overrides,
    ctx: &Context<'_>,
) -> Result<Config> {
    let Value::Mapping(mut map) = value else {
        return Err(Error::config(
            origin,
            "expected a mapping of aws_ec2 options",
        ));
    };
    // The plugin's own keys (which binary, Ansible's cache) are none of the binary's business.
    map.retain(|k, _| k.as_str().is_none_or(|k| !kind.is_ansible_key(k)));
    let o = Options {
        map: &map,
        origin: &origin,
    };
    for key in map.keys() {
        let name = key.as_str().unwrap_or("?");
        if !SUPPORTED.contains(&name) {
            return Err(o.bad(format!(
                "option {name:?} of amazon.aws.aws_ec2 is not supported by palin-inventory"
            )));
        }
    }
    let (regions, region) = o.regions()?;
    let (include_filters, exclude_filters) = o.filters()?;
    let hostnames = o.hostnames()?;
    let cache = o.cache(ctx)?;
    let constructed = o.constructed()?;
    let client = client(None, &origin, ctx)?;
    let settings = AwsSettings {
        regions: if regions.is_empty() {
            None
        } else {
            Some(regions)
        },
        region,
        assume_roles: o
            .string(&["assume_role_arn", "iam_role_arn"])?
            .into_iter()
            .collect(),
        profile: o.string(&["profile", "aws_profile"])?,
        endpoint_url: o.string(&["endpoint_url", "aws_endpoint_url"])?,
        concurrency: AwsSettings::DEFAULT_CONCURRENCY,
        page_size: AwsSettings::DEFAULT_PAGE_SIZE,
        include_filters,
        exclude_filters,
        ec2: true,
        rds: false,
        elasticache: false,
        strict_permissions: o.boolean("strict_permissions", true)?,
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
        client,
    })
}

/// The options of one aws_ec2 file, read by type; every message names the option.
struct Options<'a> {
    map: &'a Mapping,
    origin: &'a str,
}

impl Options<'_> {
    fn bad(&self, message: String) -> Error {
        Error::config(self.origin, message)
    }

    /// The first of `names` that is set, as a string.
    fn string(&self, names: &[&str]) -> Result<Option<String>> {
        for n in names {
            match self.map.get(*n) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => return Ok(Some(s.clone())),
                Some(_) => return Err(self.bad(format!("{n}: expected a string"))),
            }
        }
        Ok(None)
    }

    fn boolean(&self, name: &str, default: bool) -> Result<bool> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.bad(format!("{name}: expected true or false"))),
        }
    }

    fn mapping(&self, name: &str) -> Result<Option<&Mapping>> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Mapping(m)) => Ok(Some(m)),
            Some(_) => Err(self.bad(format!("{name}: expected a mapping"))),
        }
    }

    fn list(&self, name: &str) -> Result<Vec<Value>> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(s)) => Ok(s.clone()),
            Some(_) => Err(self.bad(format!("{name}: expected a list"))),
        }
    }

    /// `regions` and `region`, checked to be region names.
    fn regions(&self) -> Result<(Vec<String>, Option<String>)> {
        let regions: Vec<String> = self
            .list("regions")?
            .iter()
            .map(|r| {
                r.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.bad("regions: expected a list of region names".into()))
            })
            .collect::<Result<_>>()?;
        let region = self.string(&["region"])?;
        check_regions(&regions, region.as_ref()).map_err(|m| self.bad(m))?;
        Ok((regions, region))
    }

    /// The include (`filters`, then `include_filters`) and exclude filter sets.
    fn filters(&self) -> Result<(Vec<FilterSet>, Vec<FilterSet>)> {
        let mut include_filters = Vec::new();
        if let Some(f) = self.mapping("filters")? {
            include_filters.push(filter_set(f).map_err(|m| self.bad(format!("filters: {m}")))?);
        }
        let filter_list = |name: &str| -> Result<Vec<_>> {
            self.list(name)?
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Mapping(m) => {
                        filter_set(m).map_err(|e| self.bad(format!("{name}[{i}]: {e}")))
                    }
                    _ => Err(self.bad(format!("{name}[{i}]: expected a mapping of filters"))),
                })
                .collect()
        };
        include_filters.extend(filter_list("include_filters")?);
        Ok((include_filters, filter_list("exclude_filters")?))
    }

    /// `hostnames` (the plugin's default: public, then private DNS name); the plugin's
    /// `allow_duplicated_hosts: true` is refused here, since it changes which hosts exist.
    fn hostnames(&self) -> Result<Vec<HostAttr>> {
        let hostnames = match self.list("hostnames")? {
            h if h.is_empty() => vec![HostAttr::PublicDns, HostAttr::PrivateDns],
            h => h
                .iter()
                .enumerate()
                .map(|(i, entry)| {
                    entry
                        .as_str()
                        .filter(|s| !(s.contains('|') || s.contains(',') || (s.starts_with("tag:") && s.contains('='))))
                        .and_then(HostAttr::parse)
                        .ok_or_else(|| {
                            // The place, not the entry (messages never quote values).
                            self.bad(format!(
                                "hostnames[{i}]: not supported by palin-inventory (supported: tag:<Key>, instance-id, ip-address, private-ip-address, dns-name, private-dns-name)"
                            ))
                        })
                })
                .collect::<Result<_>>()?,
        };
        if self.boolean("allow_duplicated_hosts", false)? {
            return Err(self.bad(
                "allow_duplicated_hosts: true is not supported: palin-inventory makes one host per instance and never drops one (a shared name gets _<instance-id> appended)"
                    .into(),
            ));
        }
        Ok(hostnames)
    }

    /// amazon.aws's cache options as palin's cache (a JSON file cache only).
    fn cache(&self, ctx: &Context<'_>) -> Result<Option<CacheSettings>> {
        if let Some(p) = self.string(&["cache_plugin"])?
            && !matches!(
                p.as_str(),
                "jsonfile" | "ansible.builtin.jsonfile" | "community.general.jsonfile"
            )
        {
            return Err(self.bad(
                "cache_plugin: not supported (palin-inventory keeps its own JSON file cache: jsonfile)"
                    .into(),
            ));
        }
        if !self.boolean("cache", false)? {
            return Ok(None);
        }
        let ttl = match self.map.get("cache_timeout") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| self.bad("cache_timeout: expected seconds".into()))?,
            ),
        };
        let dir = self.string(&["cache_connection"])?;
        Ok(Some(cache_settings(ttl, dir, false, ctx)))
    }

    /// `compose`, `groups`, `keyed_groups`, `strict` and `leading_separator`.
    fn constructed(&self) -> Result<Constructed> {
        let keyed_groups: Vec<KeyedGroup> = match self.map.get("keyed_groups") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_yaml_ng::from_value(v.clone())
                .map_err(|e| self.bad(format!("keyed_groups: {e}")))?,
        };
        let leading_separator = match self.map.get("leading_separator") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(self.bad("leading_separator: expected true or false".into())),
        };
        constructed(
            self.mapping("compose")?,
            self.mapping("groups")?,
            keyed_groups,
            self.boolean("strict", false)?,
            leading_separator,
        )
        .map_err(|m| self.bad(m))
    }
}
