//! Inventory sources: each turns its input into palin's [`Model`]: Terraform state, or the AWS
//! API. Naming, grouping and the variable scheme after the model are shared.

pub mod aws;
mod sdk;
pub mod terraform;

use crate::config::{Config, Source};
use crate::error::Result;
use crate::model::Model;

/// The model of the source `config` names. If an AWS fetch fails, `stale` is given the failure
/// and may return a model to use instead (see [`aws::load`]).
pub fn load(config: &Config, stale: impl FnOnce(String) -> Option<Model>) -> Result<Model> {
    match &config.source {
        Source::Terraform => terraform::load(config),
        Source::Aws(settings) => aws::load(settings, &config.client, stale),
    }
}
