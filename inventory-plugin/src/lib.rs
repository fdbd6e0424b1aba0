//! palin-inventory: an Ansible dynamic inventory built from Terraform state.
//!
//! The flow is config → source → model → inventory → render: [`config`] resolves the settings,
//! [`sources`] read states into the typed [`model`], [`inventory`] names hosts and builds groups
//! and variables, and [`render`] writes what Ansible (or a person) reads. Only `config` and the
//! sources touch the outside world; everything after the model is pure.

pub mod cli;
pub mod config;
pub mod construct;
pub mod error;
pub mod hostvars;
pub mod inventory;
pub mod model;
pub mod render;
pub mod sources;

pub use error::{Error, Result};

use cli::{Action, Cli, ExportFormat};

/// What a run prints, and what it was made from: a caller that is about to exit can leave the
/// inventory to the operating system instead of freeing it piece by piece.
#[derive(Debug)]
pub struct Output {
    /// The complete text for stdout, unless `list` is set.
    pub text: String,
    /// Print the compact `--list` document of `inventory`, rendered while it is written (the
    /// inventory is complete by then, so only a failing stdout can cut the document short).
    pub list: bool,
    pub inventory: Option<inventory::Inventory>,
}

impl Output {
    /// Write what the run prints to `out`.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        match &self.inventory {
            Some(inv) if self.list => {
                render::write_list(inv, out)?;
                out.write_all(b"\n")
            }
            _ => out.write_all(self.text.as_bytes()),
        }
    }
}

/// Run one invocation and return the complete text for stdout (printed only once it is whole, so a
/// failure never leaves a partial inventory behind).
pub fn run(cli: &Cli, ctx: &config::Context<'_>, pretty: bool) -> Result<Output> {
    let overrides = config::Overrides {
        config: cli.config.clone(),
        tfstate: cli.tfstate.clone(),
        reveal: cli.reveal.clone(),
        refresh_cache: cli.refresh_cache,
    };
    let config = config::load(&overrides, ctx)?;
    let action = cli.action();
    let (model, pending_cache) = match &config.source {
        config::Source::Terraform => (sources::terraform::load(&config)?, None),
        config::Source::Aws(settings) => {
            // Only the compact --list document is stored in (and served from) the cache.
            let list_key =
                (action == Action::List && !pretty).then(|| sources::aws::config_key(&config));
            match sources::aws::load(settings, config.refresh_cache, list_key.as_deref())? {
                sources::aws::Loaded::List(text) => {
                    return Ok(Output {
                        text,
                        list: false,
                        inventory: None,
                    });
                }
                sources::aws::Loaded::Model(model, pending) => {
                    (*model, pending.map(|p| (p, list_key)))
                }
            }
        }
    };
    let inv = inventory::build(model, &config)?;
    if action == Action::List && !pretty && pending_cache.is_none() {
        return Ok(Output {
            text: String::new(),
            list: true,
            inventory: Some(inv),
        });
    }
    let text = match action {
        Action::List if !pretty => {
            let mut text = render::list_json(&inv);
            text.push('\n');
            text
        }
        Action::List => json(&render::list(&inv), pretty),
        Action::Host(name) => json(&render::host(&inv, &name), pretty),
        Action::Graph => render::graph(&inv),
        Action::Export(ExportFormat::Ini) => render::ini(&inv),
        Action::Export(ExportFormat::Yaml) => {
            render::yaml(&inv).map_err(|e| Error::Inventory(format!("cannot write YAML: {e}")))?
        }
    };
    if let Some((pending, list_key)) = pending_cache {
        pending.write(list_key.as_deref().map(|key| (key, text.as_str())))?;
    }
    Ok(Output {
        text,
        list: false,
        inventory: Some(inv),
    })
}

/// JSON text of a document, compact or indented, ending in a newline.
fn json<T: serde::Serialize>(doc: &T, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    };
    let mut text = text.expect("inventory documents always serialise (string keys only)");
    text.push('\n');
    text
}
