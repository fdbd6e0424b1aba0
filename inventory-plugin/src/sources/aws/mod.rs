//! The AWS API source: EC2 instances, RDS instances and Aurora clusters, ElastiCache replication
//! groups and clusters, from every configured region and account at once, mapped to palin's
//! model; with an optional on-disk cache (TTL, `--refresh-cache`, stale fallback on request).

mod cache;
pub mod ec2_vars;
mod fetch;
pub mod map;

use crate::config::AwsSettings;
use crate::error::{Error, Result};
use crate::model::{Model, Stale};

/// Fetch (or serve from cache) the model `settings` describe.
pub fn load(settings: &AwsSettings, refresh_cache: bool) -> Result<Model> {
    let cache_file = settings
        .cache
        .as_ref()
        .map(|c| (c, cache::path(&c.dir, settings)));
    let cached = cache_file.as_ref().and_then(|(_, path)| cache::read(path));
    if let (Some((c, _)), Some(hit)) = (&cache_file, &cached)
        && !refresh_cache
        && hit.fresh(c.ttl)
    {
        return Ok(cached.map(|c| c.model).unwrap_or_default());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()
        .map_err(|e| Error::Aws(format!("cannot start the async runtime: {e}")))?;
    match runtime.block_on(fetch::fetch(settings)) {
        Ok(model) => {
            if let Some((_, path)) = &cache_file {
                cache::write(path, &model).map_err(|e| {
                    Error::Aws(format!("cannot write the cache {}: {e}", path.display()))
                })?;
            }
            Ok(model)
        }
        Err(e) => {
            let message = format!("{}: {}", e.scope, e.message);
            match (cache_file, cached) {
                (Some((c, _)), Some(old)) if c.stale_on_error => {
                    let mut model = old.model;
                    model.stale = Some(Stale {
                        fetched_at: cache::rfc3339(old.fetched_at),
                        error: message,
                    });
                    Ok(model)
                }
                _ => Err(Error::Aws(message)),
            }
        }
    }
}
