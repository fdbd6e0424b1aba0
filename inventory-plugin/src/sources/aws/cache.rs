//! The on-disk cache of the AWS source: the fetched model (not the rendered inventory, so groups,
//! `compose` and `keyed_groups` are computed the same way on a hit as on a live call), one JSON
//! file per distinct set of AWS settings, written atomically.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::AwsSettings;
use crate::model::Model;

const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    fetched_at: u64,
    model: Model,
}

/// A cached model and when it was fetched.
#[derive(Debug)]
pub struct Cached {
    pub model: Model,
    pub fetched_at: u64,
}

impl Cached {
    /// Whether the entry is younger than `ttl`.
    pub fn fresh(&self, ttl: Duration) -> bool {
        now().saturating_sub(self.fetched_at) < ttl.as_secs()
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The cache file of these settings: a stable hash (FNV-1a) of everything that shapes the fetch.
pub fn path(dir: &Path, settings: &AwsSettings) -> PathBuf {
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}{}{}|{}",
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
    );
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    dir.join(format!("palin-inventory-aws-{hash:016x}.json"))
}

/// Read a cache entry; an absent, unreadable or foreign file is simply no entry.
pub fn read(path: &Path) -> Option<Cached> {
    let text = std::fs::read(path).ok()?;
    let entry: Entry = serde_json::from_slice(&text).ok()?;
    (entry.format == FORMAT).then_some(Cached {
        model: entry.model,
        fetched_at: entry.fetched_at,
    })
}

/// Write a cache entry (to a temporary file renamed into place, so readers never see half a file).
pub fn write(path: &Path, model: &Model) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let entry = Entry {
        format: FORMAT,
        fetched_at: now(),
        model: model.clone(),
    };
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(
        &tmp,
        serde_json::to_vec(&entry).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, path)
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-11-24T02:30:00Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_487_400), "2026-11-24T02:30:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

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
        write(&p, &m).expect("written");
        let c = read(&p).expect("read back");
        assert_eq!(c.model, m);
        assert!(c.fresh(Duration::from_mins(1)));
        assert!(
            !Cached {
                model: m,
                fetched_at: now() - 120
            }
            .fresh(Duration::from_mins(1))
        );
        std::fs::write(&p, "{").expect("corrupt");
        assert!(
            read(&p).is_none(),
            "a corrupt cache is a miss, not an error"
        );
    }
}
