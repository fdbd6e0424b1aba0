//! The Terraform source: read every configured state (local file, stdin, a command, the S3
//! backend), parse it, map it to the model and merge the results in configuration order.

pub mod extract;
mod fetch;
pub mod state;

use crate::config::Config;
use crate::error::Result;
use crate::model::Model;

/// Read, parse and map every state of `config`; any failing state fails the whole load.
pub fn load(config: &Config) -> Result<Model> {
    let texts = fetch::read_all(&config.states, config.default_state, &config.client)?;
    let mut model = Model::default();
    for (name, text) in &texts {
        let doc = state::parse(name, text)?;
        model.extend(extract::extract(name, &doc, &config.reveal)?);
    }
    model.attach_elastic_ips();
    Ok(model)
}
