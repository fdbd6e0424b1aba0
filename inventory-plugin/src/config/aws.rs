//! AWS settings: the `aws:` section of a palin.yml validated into [`AwsSettings`], and the value
//! rules the aws_ec2 reader shares (region names, `DescribeInstances` filters, the cache).

use std::path::Path;

use std::time::Duration;

use super::schema::AwsSection;
use super::types::{
    AwsSettings, CacheSettings, ClientSettings, Context, ENV_ATTEMPT_TIMEOUT, ENV_CONNECT_TIMEOUT,
    ENV_MAX_ATTEMPTS, ENV_OPERATION_TIMEOUT, FilterSet, absolute, default_cache_dir,
};
use crate::error::{Error, Result};

/// The AWS client's timeouts and attempts: the defaults, the `aws:` section's keys over them
/// (`origin` names the file in messages), the `PALIN_AWS_*` variables over both.
pub(super) fn client(
    section: Option<&AwsSection>,
    origin: &str,
    ctx: &Context<'_>,
) -> Result<ClientSettings> {
    const SECONDS: &str = "expected a positive number of seconds";
    let seconds = |value: f64| {
        Duration::try_from_secs_f64(value)
            .ok()
            .filter(|d| !d.is_zero())
    };
    let mut c = ClientSettings::default();
    if let Some(a) = section {
        let file = |m: String| Error::config(origin, format!("aws.{m}"));
        let keys = [
            ("connect_timeout", a.connect_timeout, &mut c.connect_timeout),
            ("attempt_timeout", a.attempt_timeout, &mut c.attempt_timeout),
            (
                "operation_timeout",
                a.operation_timeout,
                &mut c.operation_timeout,
            ),
        ];
        for (key, value, slot) in keys {
            if let Some(v) = value {
                *slot = seconds(v).ok_or_else(|| file(format!("{key}: {SECONDS}")))?;
            }
        }
        if let Some(n) = a.max_attempts {
            c.max_attempts = attempts(n).map_err(|m| file(format!("max_attempts: {m}")))?;
        }
    }
    let env = |name: &str| (ctx.env)(name).filter(|v| !v.trim().is_empty());
    let keys = [
        (ENV_CONNECT_TIMEOUT, &mut c.connect_timeout),
        (ENV_ATTEMPT_TIMEOUT, &mut c.attempt_timeout),
        (ENV_OPERATION_TIMEOUT, &mut c.operation_timeout),
    ];
    for (name, slot) in keys {
        if let Some(v) = env(name) {
            *slot = v
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(seconds)
                .ok_or_else(|| Error::config(name, SECONDS))?;
        }
    }
    if let Some(v) = env(ENV_MAX_ATTEMPTS) {
        let bad = |m: String| Error::config(ENV_MAX_ATTEMPTS, m);
        let n = v
            .trim()
            .parse::<u32>()
            .map_err(|_| bad("expected a whole number of attempts".into()))?;
        c.max_attempts = attempts(n).map_err(bad)?;
    }
    Ok(c)
}

fn attempts(n: u32) -> std::result::Result<u32, String> {
    if (1..=10).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is outside 1 to 10"))
    }
}

/// Validate the `aws:` section (messages name the key under `aws.`).
pub(super) fn settings(
    a: AwsSection,
    ctx: &Context<'_>,
) -> std::result::Result<AwsSettings, String> {
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
    check_regions(regions.as_deref().unwrap_or_default(), a.region.as_ref())?;
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
    // Messages name the entry by its position, never quote it (see error::without_values).
    if let Some(i) = services
        .iter()
        .position(|s| !["ec2", "rds", "elasticache"].contains(&s.as_str()))
    {
        return Err(format!(
            "services[{i}]: unknown service (expected ec2, rds or elasticache)"
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
        Some(c) if c.enabled != Some(false) => {
            Some(cache_settings(c.ttl, c.dir, c.stale_on_error, ctx))
        }
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

/// The cache settings: `ttl` seconds (default an hour), in `dir` (relative to the working
/// directory) or the default cache directory.
pub(super) fn cache_settings(
    ttl: Option<u64>,
    dir: Option<String>,
    stale_on_error: bool,
    ctx: &Context<'_>,
) -> CacheSettings {
    CacheSettings {
        ttl: Duration::from_secs(ttl.unwrap_or(3600)),
        dir: dir.map_or_else(
            || default_cache_dir(ctx),
            |d| absolute(&ctx.cwd, Path::new(&d)),
        ),
        stale_on_error,
    }
}

/// The first of `regions` and then `region` that is not an AWS region name, as an error naming
/// its place.
pub(super) fn check_regions(
    regions: &[String],
    region: Option<&String>,
) -> std::result::Result<(), String> {
    if let Some(i) = regions.iter().position(|r| !is_region_name(r)) {
        return Err(format!(
            "regions[{i}]: not an AWS region name (like eu-west-1)"
        ));
    }
    match region {
        Some(r) if !is_region_name(r) => {
            Err("region: not an AWS region name (like eu-west-1)".into())
        }
        _ => Ok(()),
    }
}

/// Filter values as `DescribeInstances` takes them: a scalar or a list, as strings.
pub(super) fn filter_set(map: &serde_yaml_ng::Mapping) -> std::result::Result<FilterSet, String> {
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

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-4`, `cn-north-1`…
fn is_region_name(r: &str) -> bool {
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
