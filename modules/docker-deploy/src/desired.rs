//! The desired container, normalised: ports, volumes and durations parsed into canonical forms,
//! maps sorted, defaults filled. Its canonical JSON is hashed (SHA-256) into the
//! `palin.spec-hash` label, which is what idempotency compares — never the fields of `inspect`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::options::{Healthcheck, Options};

/// Label with the spec hash.
pub const LABEL_HASH: &str = "palin.spec-hash";
/// Label with the canonical spec, secret values replaced by digests (for `--diff`).
pub const LABEL_SPEC: &str = "palin.spec";
/// Label marking containers palin manages.
pub const LABEL_MANAGED: &str = "palin.managed";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("published_ports entry {0:?}: {1}")]
    Port(String, String),
    #[error("volumes entry {0:?}: {1}")]
    Volume(String, String),
    #[error("{0}: invalid duration {1:?} (use e.g. 30s, 1m30s, 500ms or a number of seconds)")]
    Duration(String, String),
    #[error("label {0:?}: keys starting with palin. are reserved")]
    ReservedLabel(String),
    #[error("{0:?} is both in env and secret_env")]
    EnvTwice(String),
    #[error("image is required when state=present")]
    NoImage,
}

/// One published port, canonical.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Port {
    pub host_ip: String,
    /// Empty: Docker picks a host port.
    pub host_port: String,
    pub container_port: u16,
    pub proto: String,
}

impl Port {
    /// The `8080/tcp` key Docker uses.
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.proto)
    }

    /// Where the host reaches this port, when it has a fixed host port.
    pub fn host_addr(&self) -> Option<(String, u16)> {
        let port = self.host_port.parse().ok()?;
        let ip = match self.host_ip.as_str() {
            "" | "0.0.0.0" => "127.0.0.1".to_owned(),
            "::" => "::1".to_owned(),
            ip => ip.to_owned(),
        };
        Some((ip, port))
    }
}

fn port_number(text: &str, raw: &str) -> Result<u16, SpecError> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ if text.contains('-') => Err(SpecError::Port(
            raw.into(),
            "port ranges are not supported".into(),
        )),
        _ => Err(SpecError::Port(
            raw.into(),
            format!("{text:?} is not a port number"),
        )),
    }
}

/// Parses `[ip:][host_port:]container_port[/proto]` (IPv6 in brackets).
pub fn parse_port(raw: &str) -> Result<Port, SpecError> {
    let s = raw.trim();
    let (rest, proto) = match s.rsplit_once('/') {
        Some((r, p)) => (r, p.to_ascii_lowercase()),
        None => (s, "tcp".to_owned()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(SpecError::Port(
            raw.into(),
            format!("unknown protocol {proto:?}"),
        ));
    }
    let (host_ip, rest) = if let Some(after) = rest.strip_prefix('[') {
        let (ip, tail) = after
            .split_once(']')
            .ok_or_else(|| SpecError::Port(raw.into(), "unclosed [".into()))?;
        let tail = tail.strip_prefix(':').ok_or_else(|| {
            SpecError::Port(raw.into(), "expected : after the IPv6 address".into())
        })?;
        (ip.to_owned(), tail)
    } else {
        let parts: Vec<&str> = rest.split(':').collect();
        match parts.len() {
            1 | 2 => (String::new(), rest),
            3 => (
                parts[0].to_owned(),
                rest.split_once(':').map_or("", |x| x.1),
            ),
            _ => {
                return Err(SpecError::Port(
                    raw.into(),
                    "expected [ip:][host_port:]container_port[/proto]".into(),
                ));
            }
        }
    };
    let (host_port, container) = match rest.split_once(':') {
        Some((h, c)) => (h.to_owned(), c),
        None => (String::new(), rest),
    };
    if !host_port.is_empty() {
        port_number(&host_port, raw)?;
    }
    Ok(Port {
        host_ip,
        host_port,
        container_port: port_number(container, raw)?,
        proto,
    })
}

/// A volume: a bind/named volume (`src:dst[:mode]`) or an anonymous one (`dst`).
pub fn parse_volume(raw: &str) -> Result<String, SpecError> {
    let s = raw.trim();
    let parts: Vec<&str> = s.split(':').collect();
    let check_dst = |d: &str| {
        if d.starts_with('/') {
            Ok(())
        } else {
            Err(SpecError::Volume(
                raw.into(),
                "the container path must be absolute".into(),
            ))
        }
    };
    match parts.as_slice() {
        [dst] => check_dst(dst).map(|()| (*dst).to_owned()),
        [src, dst] if !src.is_empty() => check_dst(dst).map(|()| format!("{src}:{dst}")),
        [src, dst, mode] if !src.is_empty() => {
            check_dst(dst)?;
            for m in mode.split(',') {
                if !matches!(
                    m,
                    "ro" | "rw"
                        | "z"
                        | "Z"
                        | "nocopy"
                        | "shared"
                        | "rshared"
                        | "slave"
                        | "rslave"
                        | "private"
                        | "rprivate"
                ) {
                    return Err(SpecError::Volume(raw.into(), format!("unknown mode {m:?}")));
                }
            }
            Ok(format!("{src}:{dst}:{mode}"))
        }
        _ => Err(SpecError::Volume(
            raw.into(),
            "expected source:container_path[:mode] or container_path".into(),
        )),
    }
}

/// Parses `1m30s`, `500ms`, `2h`, `10` (seconds) into nanoseconds.
pub fn parse_duration(field: &str, raw: &str) -> Result<i64, SpecError> {
    let bad = || SpecError::Duration(field.into(), raw.into());
    let s = raw.trim();
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = s.parse::<f64>() {
        #[allow(clippy::cast_possible_truncation)]
        return (secs >= 0.0).then_some((secs * 1e9) as i64).ok_or_else(bad);
    }
    let mut total: f64 = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let value: f64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let factor = match unit.as_str() {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += value * factor;
    }
    if !num.is_empty() {
        return Err(bad());
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(total as i64)
}

/// Healthcheck with durations in nanoseconds, as the Engine wants them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub test: Vec<String>,
    pub interval_ns: Option<i64>,
    pub timeout_ns: Option<i64>,
    pub retries: Option<i64>,
    pub start_period_ns: Option<i64>,
}

fn normalise_health(h: &Healthcheck) -> Result<Health, SpecError> {
    let test = match h.test.first().map(String::as_str) {
        Some("CMD" | "CMD-SHELL" | "NONE") => h.test.clone(),
        _ if h.test.len() == 1 => vec!["CMD-SHELL".to_owned(), h.test[0].clone()],
        _ => std::iter::once("CMD".to_owned())
            .chain(h.test.iter().cloned())
            .collect(),
    };
    let dur = |field: &str, v: &Option<String>| {
        v.as_deref().map(|s| parse_duration(field, s)).transpose()
    };
    Ok(Health {
        test,
        interval_ns: dur("healthcheck.interval", &h.interval)?,
        timeout_ns: dur("healthcheck.timeout", &h.timeout)?,
        retries: h.retries,
        start_period_ns: dur("healthcheck.start_period", &h.start_period)?,
    })
}

/// Everything that defines the container. Field order is the canonical order; maps are sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desired {
    pub image: String,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub secret_env: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<Port>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
    pub restart_policy: String,
    pub stop_timeout: u32,
    pub healthcheck: Option<Health>,
}

impl Desired {
    pub fn from_options(o: &Options) -> Result<Self, SpecError> {
        let image = o.image.clone().ok_or(SpecError::NoImage)?;
        if let Some(k) = o.labels.keys().find(|k| k.starts_with("palin.")) {
            return Err(SpecError::ReservedLabel(k.clone()));
        }
        if let Some(k) = o.env.keys().find(|k| o.secret_env.contains_key(*k)) {
            return Err(SpecError::EnvTwice(k.clone()));
        }
        let mut ports = o
            .published_ports
            .iter()
            .map(|p| parse_port(p))
            .collect::<Result<Vec<_>, _>>()?;
        ports.sort();
        ports.dedup();
        let mut volumes = o
            .volumes
            .iter()
            .map(|v| parse_volume(v))
            .collect::<Result<Vec<_>, _>>()?;
        volumes.sort();
        volumes.dedup();
        Ok(Self {
            image,
            command: o.command.clone(),
            entrypoint: o.entrypoint.clone(),
            env: o.env.clone(),
            secret_env: o.secret_env.clone(),
            labels: o.labels.clone(),
            ports,
            networks: o.networks.clone(),
            volumes,
            restart_policy: o.restart_policy.clone(),
            stop_timeout: o.stop_timeout,
            healthcheck: o.healthcheck.as_ref().map(normalise_health).transpose()?,
        })
    }

    /// Canonical JSON: the hash input.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 (hex) of the canonical JSON.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.canonical_json().as_bytes()))
    }

    /// The spec with secret values replaced by short digests: safe to store in a label and to
    /// show in a diff, yet a changed secret still shows as a changed line.
    #[must_use]
    pub fn redacted(&self) -> Self {
        let mut r = self.clone();
        for (k, v) in &mut r.secret_env {
            let digest = hex(&Sha256::digest(format!("{k}={v}").as_bytes()));
            *v = format!("<secret sha256:{}>", &digest[..12]);
        }
        r
    }

    /// The first published port with a fixed host port, as the host reaches it.
    pub fn first_host_port(&self) -> Option<(String, u16)> {
        self.ports.iter().find_map(Port::host_addr)
    }

    /// Environment as `K=V` for the Engine.
    pub fn env_list(&self) -> Vec<String> {
        self.env
            .iter()
            .chain(self.secret_env.iter())
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    /// Labels for the Engine: the user's plus palin's.
    pub fn engine_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(LABEL_MANAGED.into(), "true".into());
        labels.insert(LABEL_HASH.into(), self.hash());
        labels.insert(LABEL_SPEC.into(), self.redacted().canonical_json());
        labels
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The text a diff shows for a (redacted) spec and image ID.
pub fn diff_text(spec_json: Option<&str>, image_id: Option<&str>) -> String {
    let mut value = spec_json
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    if let (serde_json::Value::Object(map), Some(id)) = (&mut value, image_id) {
        map.insert("image_id".into(), serde_json::Value::String(id.to_owned()));
    }
    match &value {
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        v => palin_module::doc::to_yaml(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::spec;

    fn opts(json: &str) -> Options {
        let raw = palin_module::RawArgs::from_json(json).expect("json");
        palin_module::prepare::<Options>(&spec(), raw)
            .expect("valid")
            .1
    }

    #[test]
    fn ports() {
        let p = parse_port("127.0.0.1:8080:80/udp").expect("ok");
        assert_eq!(
            (
                p.host_ip.as_str(),
                p.host_port.as_str(),
                p.container_port,
                p.proto.as_str()
            ),
            ("127.0.0.1", "8080", 80, "udp")
        );
        let p = parse_port("8080:80").expect("ok");
        assert_eq!(
            (p.host_ip.as_str(), p.host_port.as_str(), p.key()),
            ("", "8080", "80/tcp".to_owned())
        );
        assert_eq!(p.host_addr(), Some(("127.0.0.1".into(), 8080)));
        let p = parse_port("80").expect("ok");
        assert_eq!((p.host_port.as_str(), p.host_addr()), ("", None));
        let p = parse_port("[::1]:8080:80").expect("ok");
        assert_eq!((p.host_ip.as_str(), p.host_port.as_str()), ("::1", "8080"));
        let p = parse_port("127.0.0.1::80").expect("ok");
        assert_eq!(
            (p.host_ip.as_str(), p.host_port.as_str()),
            ("127.0.0.1", "")
        );
        assert!(
            parse_port("8080-8090:80")
                .expect_err("range")
                .to_string()
                .contains("ranges")
        );
        assert!(parse_port("http").is_err());
        assert!(parse_port("80/icmp").is_err());
        assert!(parse_port("1:2:3:4").is_err());
    }

    #[test]
    fn volumes() {
        assert_eq!(
            parse_volume("/srv/data:/data:ro"),
            Ok("/srv/data:/data:ro".into())
        );
        assert_eq!(parse_volume("cache:/cache"), Ok("cache:/cache".into()));
        assert_eq!(parse_volume("/anon"), Ok("/anon".into()));
        assert!(parse_volume("data:relative").is_err());
        assert!(parse_volume("a:/b:bogus").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("x", "1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("x", "500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("x", "2"), Ok(2_000_000_000));
        assert_eq!(parse_duration("x", "1.5s"), Ok(1_500_000_000));
        assert!(parse_duration("x", "soon").is_err());
        assert!(parse_duration("x", "10").is_ok());
        assert!(parse_duration("x", "5 parsecs").is_err());
        assert!(parse_duration("x", "30").is_ok());
    }

    #[test]
    fn hash_ignores_order_and_non_container_options() {
        let a = Desired::from_options(&opts(
            r#"{"name": "a", "image": "app:1", "published_ports": ["9090:90", "8080:80"],
                "env": {"B": "2", "A": "1"}, "readiness": {"timeout": 5}}"#,
        ))
        .expect("ok");
        let b = Desired::from_options(&opts(
            r#"{"name": "a", "image": "app:1", "published_ports": "8080:80,9090:90",
                "env": {"A": 1, "B": 2}, "gate": {"url": "http://x/"}, "rollback": false}"#,
        ))
        .expect("ok");
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.hash().len(), 64);
        let c = Desired::from_options(&opts(
            r#"{"name": "a", "image": "app:1", "env": {"A": "1"}}"#,
        ))
        .expect("ok");
        assert_ne!(a.hash(), c.hash());
    }

    #[test]
    fn secrets_change_the_hash_but_never_appear_in_labels() {
        let a = Desired::from_options(&opts(
            r#"{"name": "a", "image": "i", "secret_env": {"PW": "hunter22"}}"#,
        ))
        .expect("ok");
        let b = Desired::from_options(&opts(
            r#"{"name": "a", "image": "i", "secret_env": {"PW": "hunter23"}}"#,
        ))
        .expect("ok");
        assert_ne!(a.hash(), b.hash());
        let labels = a.engine_labels();
        assert!(labels.values().all(|v| !v.contains("hunter22")));
        assert_ne!(a.redacted().secret_env["PW"], b.redacted().secret_env["PW"]);
        assert_eq!(labels[LABEL_MANAGED], "true");
        assert!(a.env_list().contains(&"PW=hunter22".to_owned()));
    }

    #[test]
    fn healthcheck_is_normalised() {
        let d = Desired::from_options(&opts(
            r#"{"name": "a", "image": "i", "healthcheck": {"test": ["/app", "--health"], "interval": "1s", "retries": "3"}}"#,
        ))
        .expect("ok");
        let h = d.healthcheck.expect("health");
        assert_eq!(h.test, vec!["CMD", "/app", "--health"]);
        assert_eq!(h.interval_ns, Some(1_000_000_000));
        assert_eq!(h.retries, Some(3));
        let d = Desired::from_options(&opts(
            r#"{"name": "a", "image": "i", "healthcheck": {"test": "curl -f localhost"}}"#,
        ))
        .expect("ok");
        assert_eq!(
            d.healthcheck.expect("h").test,
            vec!["CMD-SHELL", "curl -f localhost"]
        );
    }

    #[test]
    fn semantic_errors() {
        assert_eq!(
            Desired::from_options(&opts(r#"{"name": "a"}"#)),
            Err(SpecError::NoImage)
        );
        assert!(matches!(
            Desired::from_options(&opts(
                r#"{"name": "a", "image": "i", "labels": {"palin.x": "1"}}"#
            )),
            Err(SpecError::ReservedLabel(_))
        ));
        assert!(matches!(
            Desired::from_options(&opts(
                r#"{"name": "a", "image": "i", "env": {"X": "1"}, "secret_env": {"X": "2"}}"#
            )),
            Err(SpecError::EnvTwice(_))
        ));
    }

    #[test]
    fn diff_text_is_yaml_with_the_image_id() {
        let d = Desired::from_options(&opts(
            r#"{"name": "a", "image": "app:1", "secret_env": {"PW": "x1y2z3"}}"#,
        ))
        .expect("ok");
        let text = diff_text(Some(&d.redacted().canonical_json()), Some("sha256:abc"));
        assert!(text.contains("image: \"app:1\""), "{text}");
        assert!(text.contains("image_id: \"sha256:abc\""), "{text}");
        assert!(!text.contains("x1y2z3"));
        assert_eq!(diff_text(None, None), "");
    }
}
