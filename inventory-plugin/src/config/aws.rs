//! AWS settings: the `aws:` section of a palin.yml validated into [`AwsSettings`], and the value
//! rules the aws_ec2 reader shares (region names, `DescribeInstances` filters, the cache).

use std::path::Path;

use super::schema::AwsSection;
use super::types::{AwsSettings, CacheSettings, Context, FilterSet, absolute, default_cache_dir};

/// Validate the `aws:` section (messages name the key under `aws.`).
pub(super) fn settings(a: AwsSection, ctx: &Context<'_>) -> Result<AwsSettings, String> {
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
    check_regions(regions.iter().flatten().chain(a.region.iter()))?;
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
        ttl: std::time::Duration::from_secs(ttl.unwrap_or(3600)),
        dir: dir.map_or_else(
            || default_cache_dir(ctx),
            |d| absolute(&ctx.cwd, Path::new(&d)),
        ),
        stale_on_error,
    }
}

/// The first name that is not an AWS region name, as an error.
pub(super) fn check_regions<'a>(mut names: impl Iterator<Item = &'a String>) -> Result<(), String> {
    match names.find(|r| !is_region_name(r)) {
        Some(r) => Err(format!(
            "regions: {r:?} is not an AWS region name (like eu-west-1)"
        )),
        None => Ok(()),
    }
}

/// Filter values as `DescribeInstances` takes them: a scalar or a list, as strings.
pub(super) fn filter_set(map: &serde_yaml_ng::Mapping) -> Result<FilterSet, String> {
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
