//! The AWS API source: EC2 instances, RDS instances and Aurora clusters, ElastiCache replication
//! groups and clusters, from every configured region and account at once, mapped to palin's
//! model. A failed fetch may be answered by a stale model the caller offers (the output cache's
//! last entry, `crate::cache`); the source itself keeps nothing.

mod complete;
pub mod ec2_vars;
mod fetch;
pub mod map;
mod snake_case;

use crate::config::{AwsSettings, ClientSettings};
use crate::error::{Error, Result};
use crate::model::Model;

/// Fetch the model `settings` describe. If the fetch fails, `stale` is given the failure and may
/// return a model to use instead (marked stale); otherwise the failure is the error.
pub fn load(
    settings: &AwsSettings,
    client: &ClientSettings,
    stale: impl FnOnce(String) -> Option<Model>,
) -> Result<Model> {
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
    runtime
        .block_on(fetch::fetch(settings, client))
        .or_else(|e| {
            let message = format!("{}: {}", e.scope, e.message);
            stale(message.clone()).ok_or(Error::Aws(message))
        })
}
