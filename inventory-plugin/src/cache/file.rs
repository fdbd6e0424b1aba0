//! The cache file: one file per distinct set of AWS settings, written atomically. It holds the
//! fetched model (so that groups, `compose` and `keyed_groups` are computed the same way on a hit
//! as on a live call, whatever the configuration) and, next to it, the compact `--list` document
//! rendered from that model together with a key of the configuration that rendered it: a hit under
//! the same configuration prints that document as it is.
//!
//! Layout: one line of JSON (the [`Header`]), then `list_len` bytes of `--list` document, then
//! `model_len` bytes of the model as JSON. A file whose size is not exactly that (cut short by a
//! full disk or a crashed copy, or grown) or whose document does not match its hash is no entry:
//! a damaged cache is a miss, never an inventory. This module knows the layout only; when to read
//! and write is `super`'s.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::AwsSettings;
use crate::model::Model;

/// 4: the stored `--list` document is the plain one with Ansible's marker keys dropped (issue 20);
/// an entry of an earlier format is a miss.
const FORMAT: u32 = 4;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    fetched_at: u64,
    /// [`crate::config::Config`] key of the `--list` document that follows, if any.
    list_key: Option<String>,
    list_len: u64,
    /// [`stable_hash`] of the `--list` document (it is served as it is, never parsed).
    list_hash: u64,
    model_len: u64,
}

/// An open cache entry (only its header read so far).
#[derive(Debug)]
pub struct Cached {
    pub fetched_at: u64,
    list_key: Option<String>,
    list_len: u64,
    list_hash: u64,
    /// The file, positioned just after the header.
    file: BufReader<File>,
}

impl Cached {
    /// Whether the entry is younger than `ttl`.
    pub fn fresh(&self, ttl: Duration) -> bool {
        now().saturating_sub(self.fetched_at) < ttl.as_secs()
    }

    /// The `--list` document, if one rendered under the configuration `key` is stored.
    pub fn list(&mut self, key: &str) -> Option<String> {
        if self.list_key.as_deref() != Some(key) {
            return None;
        }
        let mut text = Vec::with_capacity(usize::try_from(self.list_len).ok()?);
        (&mut self.file)
            .take(self.list_len)
            .read_to_end(&mut text)
            .ok()?;
        if text.len() as u64 != self.list_len || stable_hash_bytes(&text) != self.list_hash {
            return None;
        }
        String::from_utf8(text).ok()
    }

    /// The cached model (a file cut short or corrupt is no entry).
    pub fn model(mut self) -> Option<Model> {
        let skip = i64::try_from(self.list_len).ok()?;
        self.file.seek_relative(skip).ok()?;
        let mut text = Vec::new();
        self.file.read_to_end(&mut text).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

/// Seconds since the epoch.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// FNV-1a: a stable 64-bit hash (the standard library's hashers may change between releases).
pub fn stable_hash(text: &str) -> u64 {
    stable_hash_bytes(text.as_bytes())
}

fn stable_hash_bytes(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The cache file of these settings: a stable hash of everything that shapes the fetch.
pub fn path(dir: &Path, settings: &AwsSettings) -> PathBuf {
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}{}{}|{}|{}",
        settings.regions,
        settings.region,
        settings.assume_roles,
        settings.profile,
        settings.endpoint_url,
        settings.include_filters,
        settings.exclude_filters,
        settings.ec2,
        settings.rds,
        settings.elasticache,
        settings.strict_permissions,
        // The cached model's instance variables hold the tag dict under these names.
        settings.tags_alias,
    );
    dir.join(format!(
        "palin-inventory-aws-{:016x}.json",
        stable_hash(&key)
    ))
}

/// Open a cache entry; an absent, unreadable, foreign or damaged (wrong size) file is simply no
/// entry.
pub fn read(path: &Path) -> Option<Cached> {
    let file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut file = BufReader::new(file);
    let mut line = String::new();
    file.by_ref().take(4096).read_line(&mut line).ok()?;
    let header: Header = serde_json::from_str(&line).ok()?;
    let whole = (line.len() as u64)
        .checked_add(header.list_len)?
        .checked_add(header.model_len)?;
    (header.format == FORMAT && whole == size).then_some(Cached {
        fetched_at: header.fetched_at,
        list_key: header.list_key,
        list_len: header.list_len,
        list_hash: header.list_hash,
        file,
    })
}

/// Write a cache entry: the model's JSON and, if given, a `--list` document with the key of the
/// configuration that rendered it (to a temporary file renamed into place, so readers never see
/// half a file).
pub fn write(path: &Path, model_json: &[u8], list: Option<(&str, &str)>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let header = Header {
        format: FORMAT,
        fetched_at: now(),
        list_key: list.map(|(key, _)| key.to_owned()),
        list_len: list.map_or(0, |(_, doc)| doc.len() as u64),
        list_hash: list.map_or(0, |(_, doc)| stable_hash(doc)),
        model_len: model_json.len() as u64,
    };
    let mut text = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    text.push(b'\n');
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        out.write_all(&text)?;
        if let Some((_, doc)) = list {
            out.write_all(doc.as_bytes())?;
        }
        out.write_all(model_json)?;
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_freshness() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("c.json");
        assert!(read(&p).is_none());
        let mut m = Model::default();
        m.instances.push(crate::model::Instance {
            instance_id: "i-1".into(),
            ..Default::default()
        });
        let json = serde_json::to_vec(&m).expect("serialises");
        write(&p, &json, Some(("k1", "{\"doc\":1}\n"))).expect("written");
        let mut c = read(&p).expect("read back");
        assert!(c.fresh(Duration::from_mins(1)));
        assert_eq!(c.list("other"), None, "a document of another configuration");
        assert_eq!(c.list("k1").as_deref(), Some("{\"doc\":1}\n"));
        assert_eq!(read(&p).expect("again").model(), Some(m.clone()));
        write(&p, &json, None).expect("written without a document");
        let mut c = read(&p).expect("read back");
        assert_eq!(c.list("k1"), None);
        assert_eq!(c.model(), Some(m));
        let mut old = read(&p).expect("read back");
        old.fetched_at = now() - 120;
        assert!(!old.fresh(Duration::from_mins(1)));
        std::fs::write(&p, "{").expect("corrupt");
        assert!(
            read(&p).is_none(),
            "a corrupt cache is a miss, not an error"
        );
        // Cut anywhere, grown, or changed within the document: never served.
        write(&p, &json, Some(("k1", "{\"doc\":1}\n"))).expect("written");
        let whole = std::fs::read(&p).expect("read");
        for cut in 0..whole.len() {
            std::fs::write(&p, &whole[..cut]).expect("cut");
            assert!(read(&p).is_none(), "cut at {cut}");
        }
        std::fs::write(&p, [&whole[..], b" "].concat()).expect("grown");
        assert!(read(&p).is_none(), "grown");
        let body = whole.iter().position(|&b| b == b'\n').expect("header line") + 1;
        let at = body
            + whole[body..]
                .iter()
                .position(|&b| b == b'1')
                .expect("doc digit");
        let mut changed = whole.clone();
        changed[at] = b'2';
        std::fs::write(&p, &changed).expect("changed");
        assert_eq!(
            read(&p).expect("same size").list("k1"),
            None,
            "changed document"
        );
    }
}
