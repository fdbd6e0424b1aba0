//! Talking to AWS: credentials (the standard chain, a profile, one assumed role per account),
//! regions (`DescribeRegions` for `all`), and the describe calls of EC2, RDS and ElastiCache for
//! every account × region, run concurrently under a bound with the SDK's standard retries.

use std::sync::Arc;

use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};
use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::Semaphore;

use super::complete::CompleteXml;
use super::map;
use crate::config::{AwsSettings, ClientSettings, FilterSet};
use crate::model::Model;

/// A failed call, with where it happened.
#[derive(Debug)]
pub struct FetchError {
    pub scope: String,
    pub message: String,
    /// The caller is not allowed (skipped when `strict_permissions` is false).
    pub unauthorized: bool,
}

impl FetchError {
    fn new(scope: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            scope: scope.into(),
            message: message.into(),
            unauthorized: false,
        }
    }
}

/// Describe an SDK error in one line: the service's code, HTTP status and message, or the
/// transport failure.
fn describe<E>(err: &SdkError<E, HttpResponse>) -> (String, bool)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(service) = err.as_service_error() {
        let code = service.code();
        let unauthorized = matches!(
            code,
            Some("UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException")
        );
        let status = err.raw_response().map(|r| r.status().as_u16());
        let head = match (code, status) {
            (Some(c), Some(s)) => format!("{c} (HTTP {s})"),
            (Some(c), None) => c.to_owned(),
            // A successful status whose body the SDK could not decode (malformed inside; a cut
            // or foreign body is caught before, by `complete`). The decoder's words may quote the
            // body, so they are not repeated.
            (None, Some(s)) if (200..300).contains(&s) => {
                format!("the answer (HTTP {s}) is not a valid document of the call")
            }
            (None, Some(s)) => format!("HTTP {s}"),
            (None, None) => "error".to_owned(),
        };
        let message = match service.message() {
            Some(m) if !m.is_empty() => format!("{head}: {}", crate::error::one_line(m)),
            _ => head,
        };
        return (message, unauthorized);
    }
    (crate::error::chain(err), false)
}

fn fail<E>(scope: &str, what: &str, err: &SdkError<E, HttpResponse>) -> FetchError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (message, unauthorized) = describe(err);
    FetchError {
        scope: scope.to_owned(),
        message: format!("{what} failed: {message}"),
        unauthorized,
    }
}

async fn base_config(settings: &AwsSettings, client: &ClientSettings) -> SdkConfig {
    let mut loader = crate::sources::sdk::loader(client);
    if let Some(p) = &settings.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    // Always an explicit region: left to itself the SDK's region chain ends by asking the instance
    // metadata service (IMDS), which costs connection attempts (and timeouts where a network
    // drops them) on every run outside EC2. The environment and the profile are honoured as the
    // SDK would; the fallback is us-east-1, what the AWS CLI uses. This region only serves
    // DescribeRegions and STS: the describe calls run in each listed region.
    let region = if let Some(r) = &settings.region {
        Region::new(r.clone())
    } else {
        let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
        if let Some(p) = &settings.profile {
            profile = profile.profile_name(p);
        }
        RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
            .or_else(profile.build())
            .region()
            .await
            .unwrap_or_else(|| Region::from_static("us-east-1"))
    };
    loader.region(region).load().await
}

/// One account: a label for messages and hostvars, and its SDK configuration.
struct Account {
    label: String,
    config: SdkConfig,
}

async fn accounts(settings: &AwsSettings, base: &SdkConfig) -> Vec<Account> {
    if settings.assume_roles.is_empty() {
        return vec![Account {
            label: "default credentials".into(),
            config: base.clone(),
        }];
    }
    let mut out = Vec::new();
    for arn in &settings.assume_roles {
        let provider = aws_config::sts::AssumeRoleProvider::builder(arn)
            .session_name("palin-inventory")
            .configure(base)
            .build()
            .await;
        let config = base
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
        out.push(Account {
            label: format!("role {arn}"),
            config,
        });
    }
    out
}

/// The regions to read: the listed ones, or every region enabled for the account (`all`, from
/// `DescribeRegions`). Listed names are not checked up front (that would cost a round trip on
/// every run); a failing fetch is explained by [`unknown_region`] when a name is wrong.
async fn regions(settings: &AwsSettings, base: &SdkConfig) -> Result<Vec<String>, FetchError> {
    if let Some(list) = &settings.regions {
        return Ok(list.clone());
    }
    let client = ec2_client(base);
    let region = base.region().map(ToString::to_string).unwrap_or_default();
    let out = client
        .describe_regions()
        .send()
        .await
        .map_err(|e| fail(&region, "ec2 DescribeRegions", &e))?;
    let mut names: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

/// After a failed fetch: the first listed region that `DescribeRegions` does not know, as the
/// error to report instead (a typo in a region name otherwise surfaces as a DNS failure or an
/// endpoint's 500). One attempt, no retries; if `DescribeRegions` fails too, nothing is said.
async fn unknown_region(settings: &AwsSettings, base: &SdkConfig) -> Option<FetchError> {
    let list = settings.regions.as_ref()?;
    let config = aws_sdk_ec2::config::Builder::from(base)
        .retry_config(RetryConfig::disabled())
        .interceptor(CompleteXml)
        .build();
    let out = aws_sdk_ec2::Client::from_conf(config)
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .ok()?;
    let known: Vec<&str> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name())
        .collect();
    let unknown = list.iter().find(|r| !known.contains(&r.as_str()))?;
    Some(FetchError::new(
        base.region().map(ToString::to_string).unwrap_or_default(),
        format!("unknown region {unknown:?}: DescribeRegions does not list it"),
    ))
}

/// Fetch everything `settings` asks for. Any failing call fails the whole fetch, except calls the
/// caller is not authorised for when `strict_permissions` is false.
pub async fn fetch(settings: &AwsSettings, client: &ClientSettings) -> Result<Model, FetchError> {
    let base = base_config(settings, client).await;
    let regions = regions(settings, &base).await?;
    let accounts = accounts(settings, &base).await;
    let limit = Arc::new(Semaphore::new(settings.concurrency));
    let settings = Arc::new(settings.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for (a, account) in accounts.into_iter().enumerate() {
        for (r, region) in regions.iter().enumerate() {
            let config = account
                .config
                .to_builder()
                .region(Region::new(region.clone()))
                .build();
            let scope = format!("{} in {region}", account.label);
            for service in [Service::Ec2, Service::Rds, Service::ElastiCache] {
                if !service.enabled(&settings) {
                    continue;
                }
                let (config, scope, region, settings, limit) = (
                    config.clone(),
                    scope.clone(),
                    region.clone(),
                    settings.clone(),
                    limit.clone(),
                );
                tasks.spawn(async move {
                    let _permit = limit
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed");
                    let result = match service {
                        Service::Ec2 => ec2(&config, &region, &settings, &scope).await,
                        Service::Rds => rds(&config, &region, &scope).await,
                        Service::ElastiCache => elasticache(&config, &region, &scope).await,
                    };
                    ((a, r, service as u8), result)
                });
            }
        }
    }
    // Every call runs to its end, so that the error reported is the same whatever finished first:
    // the first in account, region, service order (EC2 first, whose errors AWS words best).
    let mut parts = Vec::new();
    let mut failed: Option<((usize, usize, u8), FetchError)> = None;
    while let Some(joined) = tasks.join_next().await {
        let (key, result) =
            joined.map_err(|e| FetchError::new("fetch", format!("a fetch task failed: {e}")))?;
        match result {
            Ok(model) if failed.is_none() => parts.push((key, model)),
            Ok(_) => {}
            Err(e) if e.unauthorized && !settings.strict_permissions => {}
            Err(e) => {
                parts.clear();
                if failed.as_ref().is_none_or(|(first, _)| key < *first) {
                    failed = Some((key, e));
                }
            }
        }
    }
    if let Some((_, e)) = failed {
        return Err(unknown_region(&settings, &base).await.unwrap_or(e));
    }
    // Deterministic order whatever finished first.
    parts.sort_by_key(|(key, _)| *key);
    let mut model = Model::default();
    for (_, part) in parts {
        model.extend(part);
    }
    Ok(model)
}

/// An EC2 client that refuses incomplete answers ([`CompleteXml`]).
fn ec2_client(config: &SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(config)
            .interceptor(CompleteXml)
            .build(),
    )
}

#[derive(Debug, Clone, Copy)]
enum Service {
    Ec2 = 0,
    Rds = 1,
    ElastiCache = 2,
}

impl Service {
    fn enabled(self, s: &AwsSettings) -> bool {
        match self {
            Service::Ec2 => s.ec2,
            Service::Rds => s.rds,
            Service::ElastiCache => s.elasticache,
        }
    }
}

/// The default of the aws_ec2 plugin: without an `instance-state-name` filter, skip terminated
/// and shutting-down instances.
fn with_state_default(set: &FilterSet) -> FilterSet {
    let mut set = set.clone();
    if !set.iter().any(|(name, _)| name == "instance-state-name") {
        let states = ["running", "pending", "stopping", "stopped"]
            .map(str::to_owned)
            .to_vec();
        set.push(("instance-state-name".into(), states));
    }
    set
}

/// Page through `DescribeInstances` with one filter set, pages of `page_size` instances
/// (`AwsSettings::page_size`), handing each instance (with its reservation) to `each`.
async fn describe_instances(
    client: &aws_sdk_ec2::Client,
    page_size: i32,
    set: &FilterSet,
    scope: &str,
    mut each: impl FnMut(&aws_sdk_ec2::types::Reservation, &aws_sdk_ec2::types::Instance),
) -> Result<(), FetchError> {
    let filters: Vec<aws_sdk_ec2::types::Filter> = set
        .iter()
        .map(|(name, values)| {
            aws_sdk_ec2::types::Filter::builder()
                .name(name)
                .set_values(Some(values.clone()))
                .build()
        })
        .collect();
    let mut pages = client
        .describe_instances()
        .set_filters(Some(filters))
        .into_paginator()
        .page_size(page_size)
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fail(scope, "ec2 DescribeInstances", &e))?;
        // Taken by value: each instance's decoded structure is freed once `each` has mapped it,
        // so the page's structures shrink while the hosts' JSON grows (lower peak memory).
        for mut reservation in page.reservations.unwrap_or_default() {
            for instance in reservation.instances.take().unwrap_or_default() {
                each(&reservation, &instance);
            }
        }
    }
    Ok(())
}

async fn ec2(
    config: &SdkConfig,
    region: &str,
    settings: &AwsSettings,
    scope: &str,
) -> Result<Model, FetchError> {
    let client = ec2_client(config);
    let includes: Vec<FilterSet> = if settings.include_filters.is_empty() {
        vec![with_state_default(&Vec::new())]
    } else {
        settings
            .include_filters
            .iter()
            .map(with_state_default)
            .collect()
    };
    // Exclude sets get the same default state filter as include sets, as in the aws_ec2 plugin.
    let mut excluded = std::collections::HashSet::new();
    for set in &settings.exclude_filters {
        describe_instances(
            &client,
            settings.page_size,
            &with_state_default(set),
            scope,
            |_, i| {
                excluded.insert(i.instance_id().unwrap_or_default().to_owned());
            },
        )
        .await?;
    }
    let tags = if settings.tags_alias {
        super::ec2_vars::TagVars::Both
    } else {
        super::ec2_vars::TagVars::Ec2Tags
    };
    let mut seen = std::collections::HashSet::new();
    let mut model = Model::default();
    for set in &includes {
        describe_instances(&client, settings.page_size, set, scope, |reservation, i| {
            let id = i.instance_id().unwrap_or_default();
            if excluded.contains(id) || !seen.insert(id.to_owned()) {
                return;
            }
            let owner = reservation.owner_id().unwrap_or("unknown");
            model.instances.extend(map::instance(
                reservation,
                i,
                region,
                map::origin(owner, region),
                tags,
            ));
        })
        .await?;
    }
    Ok(model)
}

async fn rds(config: &SdkConfig, region: &str, scope: &str) -> Result<Model, FetchError> {
    let client = aws_sdk_rds::Client::from_conf(
        aws_sdk_rds::config::Builder::from(config)
            .interceptor(CompleteXml)
            .build(),
    );
    let mut model = Model::default();
    let mut pages = client.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fail(scope, "rds DescribeDBInstances", &e))?;
        for d in page.db_instances() {
            model
                .databases
                .extend(map::db_instance(d, region, map::origin("rds", region)));
        }
    }
    let mut pages = client.describe_db_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fail(scope, "rds DescribeDBClusters", &e))?;
        for c in page.db_clusters() {
            model
                .databases
                .extend(map::db_cluster(c, region, map::origin("rds", region)));
        }
    }
    Ok(model)
}

async fn elasticache(config: &SdkConfig, region: &str, scope: &str) -> Result<Model, FetchError> {
    let client = aws_sdk_elasticache::Client::from_conf(
        aws_sdk_elasticache::config::Builder::from(config)
            .interceptor(CompleteXml)
            .build(),
    );
    let mut model = Model::default();
    let mut pages = client.describe_replication_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fail(scope, "elasticache DescribeReplicationGroups", &e))?;
        for g in page.replication_groups() {
            model.caches.extend(map::replication_group(
                g,
                region,
                map::origin("elasticache", region),
            ));
        }
    }
    let mut pages = client
        .describe_cache_clusters()
        .show_cache_node_info(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fail(scope, "elasticache DescribeCacheClusters", &e))?;
        for c in page.cache_clusters() {
            model.caches.extend(map::cache_cluster(
                c,
                region,
                map::origin("elasticache", region),
            ));
        }
    }
    Ok(model)
}
