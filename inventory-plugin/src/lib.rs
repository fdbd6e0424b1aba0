//! palin-inventory: an Ansible dynamic inventory built from Terraform state or the AWS API.
//!
//! The flow is config → cache → source → model → inventory → render: [`config`] resolves the
//! settings, [`cache`] serves a fresh entry of the output cache (and stores the next one),
//! [`sources`] read states or the AWS API into the typed [`model`], [`inventory`] names hosts and
//! builds groups and variables, and [`render`] writes what Ansible (or a person) reads. Only
//! `config`, the cache and the sources touch the outside world; everything after the model is
//! pure.

pub mod cache;
pub mod cli;
pub mod config;
pub mod date;
pub mod error;
pub mod hostvars;
pub mod inventory;
pub mod json_text;
pub mod marks;
pub mod model;
pub mod panics;
pub mod render;
pub mod sources;

pub use error::{Error, Result};

use cache::{Hit, OutputCache};
use cli::{Action, Cli, ExportFormat};
use marks::Strings;

/// What a run prints, and what it was made from: a caller that is about to exit can leave the
/// inventory to the operating system instead of freeing it piece by piece.
#[derive(Debug)]
pub struct Output {
    /// The complete text for stdout, unless `list` is set.
    pub text: String,
    /// `text` is a plain compact `--list` document (the cache's form), printed with its strings
    /// written as `strings` says.
    pub plain_list: bool,
    /// Print the compact `--list` document of `inventory`, rendered while it is written (the
    /// inventory is complete by then, so only a failing stdout can cut the document short).
    pub list: bool,
    /// How the strings of a `--list` document are written.
    pub strings: Strings,
    pub inventory: Option<inventory::Inventory>,
}

impl Output {
    /// Write what the run prints to `out`.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        match &self.inventory {
            Some(inv) if self.list => {
                render::write_list(inv, self.strings, out)?;
                out.write_all(b"\n")
            }
            _ if self.plain_list && self.strings != Strings::Plain => {
                marks::write_document(self.text.trim_end(), self.strings, out)?;
                out.write_all(b"\n")
            }
            _ => out.write_all(self.text.as_bytes()),
        }
    }
}

/// Run one invocation and return the complete text for stdout (printed only once it is whole, so a
/// failure never leaves a partial inventory behind): config → cache hit? → source → inventory →
/// render → store. The cache keeps the plain `--list` document; strings are marked on the way out.
pub fn run(cli: &Cli, ctx: &config::Context<'_>, pretty: bool) -> Result<Output> {
    let overrides = config::Overrides {
        config: cli.config.clone(),
        tfstate: cli.tfstate.clone(),
        reveal: cli.reveal.clone(),
        refresh_cache: cli.refresh_cache,
    };
    let config = config::load(&overrides, ctx)?;
    let action = cli.action();
    let strings = if cli.plain {
        Strings::Plain
    } else {
        Strings::Unsafe
    };
    // Only the compact --list document is stored in (and served from) the cache.
    let compact_list = action == Action::List && !pretty;
    let mut cache = OutputCache::open(&config, compact_list);
    let output = |text: String, plain_list: bool, list: bool, inventory| Output {
        text,
        plain_list,
        list,
        strings,
        inventory,
    };
    let (model, pending) = match cache.as_mut().and_then(OutputCache::hit) {
        Some(Hit::List(text)) => return Ok(output(text, true, false, None)),
        Some(Hit::Model(model)) => (*model, None),
        None => {
            let model = sources::load(&config, |error| cache.as_mut()?.stale(error))?;
            let pending = cache.map(|c| c.store(&model)).transpose()?.flatten();
            (model, pending)
        }
    };
    let inv = inventory::build(model, &config)?;
    if compact_list && pending.is_none() {
        return Ok(output(String::new(), false, true, Some(inv)));
    }
    let text = match action {
        Action::List if !pretty => {
            let mut text = render::list_json(&inv, Strings::Plain);
            text.push('\n');
            text
        }
        Action::List => json(
            &marks::document(
                serde_json::to_value(render::list(&inv)).expect("string keys only"),
                strings,
            ),
            pretty,
        ),
        Action::Host(name) => json(&render::host(&inv, &name, strings), pretty),
        Action::Graph => render::graph(&inv),
        Action::Export(ExportFormat::Ini) => render::ini(&inv)?,
        Action::Export(ExportFormat::Yaml) => render::yaml(&inv),
    };
    if let Some(pending) = pending {
        pending.write(&text)?;
    }
    let plain_list = compact_list;
    Ok(output(text, plain_list, false, Some(inv)))
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
