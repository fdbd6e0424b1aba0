//! The output cache of a run (`aws.cache` in palin.yml, `cache*` in an aws_ec2.yml): a step of the
//! pipeline, not of a source. [`crate::run`] asks it for a fresh entry before it asks the source
//! for a model, and stores the fetched model, with the compact `--list` document rendered from it,
//! once the output is rendered. The key of a stored document is [`config_key`]; the file and its
//! layout are `file`'s. A source knows nothing of it but that, on a failed fetch, the run may
//! offer it the last entry as a stale model ([`OutputCache::stale`]).

mod file;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, Source};
use crate::date::rfc3339;
use crate::error::{Error, Result};
use crate::model::{Model, Stale};

/// What a fresh entry serves.
#[derive(Debug)]
pub enum Hit {
    /// The compact `--list` document, rendered under the same configuration: print it as it is.
    List(String),
    /// The model, to build the inventory from as if it had just been fetched.
    Model(Box<Model>),
}

/// The cache of one run: its file, the entry found there (opened once, read as needed), and the
/// key of the document this run would print, if it prints the compact `--list` document (the only
/// output stored and served).
#[derive(Debug)]
pub struct OutputCache {
    path: PathBuf,
    ttl: Duration,
    stale_on_error: bool,
    /// `--refresh-cache`: an entry is never fresh, though it may still be served stale.
    refresh: bool,
    list_key: Option<String>,
    entry: Option<file::Cached>,
}

impl OutputCache {
    /// The cache of a run under `config`, if its source keeps one; `compact_list` when the run
    /// prints the compact `--list` document.
    pub fn open(config: &Config, compact_list: bool) -> Option<Self> {
        let Source::Aws(settings) = &config.source else {
            return None;
        };
        let c = settings.cache.as_ref()?;
        let path = file::path(&c.dir, settings);
        let entry = file::read(&path);
        Some(OutputCache {
            ttl: c.ttl,
            stale_on_error: c.stale_on_error,
            refresh: config.refresh_cache,
            list_key: compact_list.then(|| config_key(config)),
            entry,
            path,
        })
    }

    /// A fresh entry (younger than the TTL, and no `--refresh-cache`): the stored document when it
    /// was rendered under this run's configuration, else the stored model. A corrupt entry is no
    /// entry.
    pub fn hit(&mut self) -> Option<Hit> {
        let entry = self.entry.as_mut()?;
        if self.refresh || !entry.fresh(self.ttl) {
            return None;
        }
        if let Some(doc) = self.list_key.as_deref().and_then(|key| entry.list(key)) {
            return Some(Hit::List(doc));
        }
        let model = self.entry.take().and_then(file::Cached::model)?;
        Some(Hit::Model(Box::new(model)))
    }

    /// The last entry's model, however old, marked stale by `error` (the failed fetch), if the
    /// cache serves stale entries (`stale_on_error`) and has a readable one.
    pub fn stale(&mut self, error: String) -> Option<Model> {
        if !self.stale_on_error {
            return None;
        }
        let old = self.entry.take()?;
        let fetched_at = rfc3339(old.fetched_at);
        let mut model = old.model()?;
        model.stale = Some(Stale { fetched_at, error });
        Some(model)
    }

    /// The entry to write for `model`, taken before the inventory takes the model apart: `None`
    /// for a stale model, which is never stored.
    pub fn store(self, model: &Model) -> Result<Option<PendingEntry>> {
        if model.stale.is_some() {
            return Ok(None);
        }
        let model_json = serde_json::to_vec(model)
            .map_err(|e| Error::Aws(format!("cannot write the cache: {e}")))?;
        Ok(Some(PendingEntry {
            path: self.path,
            model_json,
            list_key: self.list_key,
        }))
    }
}

/// The entry of a freshly fetched model, written once the run has rendered its output, so that
/// the compact `--list` document can be stored next to the model.
#[derive(Debug)]
pub struct PendingEntry {
    path: PathBuf,
    model_json: Vec<u8>,
    list_key: Option<String>,
}

impl PendingEntry {
    /// Write the entry; `output` is stored as the document when the run prints the compact `--list`
    /// document.
    pub fn write(self, output: &str) -> Result<()> {
        let list = self.list_key.as_deref().map(|key| (key, output));
        file::write(&self.path, &self.model_json, list).map_err(|e| {
            Error::Aws(format!(
                "cannot write the cache {}: {e}",
                self.path.display()
            ))
        })
    }
}

/// The key of everything that shapes the output besides the fetched data: `config` (but for
/// `--refresh-cache` and the AWS client's timeouts) and this program's version.
pub fn config_key(config: &Config) -> String {
    let config = Config {
        refresh_cache: false,
        client: crate::config::ClientSettings::default(),
        ..config.clone()
    };
    let text = format!("{}|{config:?}", env!("CARGO_PKG_VERSION"));
    format!("{:016x}", file::stable_hash(&text))
}
