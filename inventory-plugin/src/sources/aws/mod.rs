//! The AWS API source: EC2 instances, RDS instances and Aurora clusters, ElastiCache replication
//! groups and clusters, from every configured region and account at once, mapped to palin's
//! model; with an optional on-disk cache (TTL, `--refresh-cache`, stale fallback on request).

mod cache;
pub mod ec2_vars;
mod fetch;
pub mod map;

use std::path::PathBuf;

use crate::config::{AwsSettings, Config};
use crate::error::{Error, Result};
use crate::model::{Model, Stale};

/// What [`load`] yields.
#[derive(Debug)]
pub enum Loaded {
    /// The model, and the cache entry still to write for it (see [`PendingCache`]).
    Model(Box<Model>, Option<PendingCache>),
    /// A fresh cache entry's `--list` document, rendered under the same configuration.
    List(String),
}

/// The cache entry of a freshly fetched model: written once the run has rendered its output, so
/// that a `--list` document can be stored next to the model.
#[derive(Debug)]
pub struct PendingCache {
    path: PathBuf,
    model_json: Vec<u8>,
}

impl PendingCache {
    /// Write the entry, with the `--list` document rendered under the configuration key `list.0`.
    pub fn write(&self, list: Option<(&str, &str)>) -> Result<()> {
        cache::write(&self.path, &self.model_json, list).map_err(|e| {
            Error::Aws(format!(
                "cannot write the cache {}: {e}",
                self.path.display()
            ))
        })
    }
}

/// The key of everything that shapes the output besides the fetched data: `config` (but for
/// `--refresh-cache`) and this program's version.
pub fn config_key(config: &Config) -> String {
    let config = Config {
        refresh_cache: false,
        ..config.clone()
    };
    let text = format!("{}|{config:?}", env!("CARGO_PKG_VERSION"));
    format!("{:016x}", cache::stable_hash(&text))
}

/// Fetch (or serve from cache) the model `settings` describe. With `list_key` (the
/// [`config_key`] of a run that prints the compact `--list` document) a fresh cache entry
/// rendered under the same key is returned as that document.
pub fn load(settings: &AwsSettings, refresh_cache: bool, list_key: Option<&str>) -> Result<Loaded> {
    let cache_file = settings
        .cache
        .as_ref()
        .map(|c| (c, cache::path(&c.dir, settings)));
    let mut cached = cache_file.as_ref().and_then(|(_, path)| cache::read(path));
    if let (Some((c, _)), Some(hit)) = (&cache_file, &mut cached)
        && !refresh_cache
        && hit.fresh(c.ttl)
    {
        if let Some(doc) = list_key.and_then(|key| hit.list(key)) {
            return Ok(Loaded::List(doc));
        }
        if let Some(model) = cached.take().and_then(cache::Cached::model) {
            return Ok(Loaded::Model(Box::new(model), None));
        }
        // A corrupt entry is no entry: fetch live.
    }
    // Several calls in flight can decode their pages on several cores; a single call cannot, and
    // on the current thread it saves starting workers and keeps one heap.
    let services = [settings.ec2, settings.rds, settings.elasticache]
        .iter()
        .filter(|on| **on)
        .count();
    let calls = settings
        .regions
        .as_ref()
        .map_or(usize::MAX, Vec::len)
        .saturating_mul(settings.assume_roles.len().max(1))
        .saturating_mul(services);
    let runtime = if calls > 1 {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| Error::Aws(format!("cannot start the async runtime: {e}")))?;
    match runtime.block_on(fetch::fetch(settings)) {
        Ok(model) => {
            let pending = match cache_file {
                Some((_, path)) => Some(PendingCache {
                    model_json: serde_json::to_vec(&model)
                        .map_err(|e| Error::Aws(format!("cannot write the cache: {e}")))?,
                    path,
                }),
                None => None,
            };
            Ok(Loaded::Model(Box::new(model), pending))
        }
        Err(e) => {
            let message = format!("{}: {}", e.scope, e.message);
            match (cache_file, cached) {
                (Some((c, _)), Some(old)) if c.stale_on_error => {
                    let fetched_at = cache::rfc3339(old.fetched_at);
                    let mut model = old.model().ok_or_else(|| Error::Aws(message.clone()))?;
                    model.stale = Some(Stale {
                        fetched_at,
                        error: message,
                    });
                    Ok(Loaded::Model(Box::new(model), None))
                }
                _ => Err(Error::Aws(message)),
            }
        }
    }
}
