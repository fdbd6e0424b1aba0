//! Host settings: how hosts are named (`hostnames`), addressed (`ansible_host`), reached
//! (`connection`, `ansible_user`) and grouped and composed (Ansible's `constructed` options), and
//! which secrets they may show (`reveal`). Each reader returns the message of a bad value; the
//! caller says where it came from.

use std::collections::BTreeSet;

use super::schema::{BastionEntry, ConnectionSection};
use super::types::{
    BastionRule, Connection, Constructed, Context, ENV_REVEAL, HostAttr, KeyedGroup, Overrides,
};

/// A `hostnames` / `ansible_host` preference list (`default` when not given).
pub(super) fn host_attrs(
    field: &str,
    values: Option<Vec<String>>,
    default: &[&str],
) -> Result<Vec<HostAttr>, String> {
    let values = values.unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect());
    if values.is_empty() {
        return Err(format!("{field}: the list is empty"));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            HostAttr::parse(v).ok_or_else(|| {
                format!(
                    "{field}[{i}]: unknown entry (expected tag:<Key>, instance-id, eip, ip-address, private-ip-address, dns-name or private-dns-name)"
                )
            })
        })
        .collect()
}

/// The `connection:` section: SSH (through a bastion unless it is off) or Session Manager.
pub(super) fn connection(c: ConnectionSection) -> Result<Connection, String> {
    match c.mode.as_deref().unwrap_or("ssh") {
        "ssh" => {
            let (bastion, bastion_user) = match c.bastion {
                None | Some(BastionEntry::Enabled(true)) => (default_bastion(), None),
                Some(BastionEntry::Enabled(false)) => (BastionRule::Off, None),
                Some(BastionEntry::Spec(spec)) => {
                    let rule = match (spec.tag, spec.host) {
                        (Some(_), Some(_)) => {
                            return Err(
                                "connection.bastion: give either tag or host, not both".into()
                            );
                        }
                        (None, Some(host)) => BastionRule::Host(host),
                        (Some(tag), None) => {
                            let (key, value) = tag
                                .split_once('=')
                                .filter(|(k, _)| !k.is_empty())
                                .ok_or_else(|| {
                                "connection.bastion.tag: expected Key=Value".to_owned()
                            })?;
                            BastionRule::Tag {
                                key: key.to_owned(),
                                value: value.to_owned(),
                            }
                        }
                        (None, None) => default_bastion(),
                    };
                    (rule, spec.user)
                }
            };
            if c.ssm_bucket.is_some() {
                return Err("connection.ssm_bucket: only used with mode: ssm".into());
            }
            Ok(Connection::Ssh {
                bastion,
                bastion_user,
            })
        }
        "ssm" => {
            if c.bastion.is_some() {
                return Err("connection.bastion: not used with mode: ssm (Session Manager needs no bastion)".into());
            }
            Ok(Connection::Ssm {
                bucket: c.ssm_bucket,
            })
        }
        _ => Err("connection.mode: unknown mode (expected ssh or ssm)".into()),
    }
}

fn default_bastion() -> BastionRule {
    BastionRule::Tag {
        key: "Role".into(),
        value: "bastion".into(),
    }
}

/// `ansible_user`: `(group, user)` pairs in file order.
pub(super) fn users(map: Option<serde_yaml_ng::Mapping>) -> Result<Vec<(String, String)>, String> {
    let mut users = Vec::new();
    for (group, user) in map.unwrap_or_default() {
        match (group, user) {
            (serde_yaml_ng::Value::String(g), serde_yaml_ng::Value::String(u)) => {
                users.push((g, u));
            }
            _ => return Err("ansible_user: expected a mapping of group name to user name".into()),
        }
    }
    Ok(users)
}

/// The names to reveal: the file's, `PALIN_REVEAL`'s (comma-separated) and `--reveal`'s.
pub(super) fn reveal(
    file: Vec<String>,
    overrides: &Overrides,
    ctx: &Context<'_>,
) -> BTreeSet<String> {
    let mut reveal: BTreeSet<String> = file.into_iter().collect();
    reveal.extend(
        (ctx.env)(ENV_REVEAL)
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    reveal.extend(overrides.reveal.iter().cloned());
    reveal
}

/// Compose / groups / keyed_groups as Ansible's `constructed` options define them.
pub(super) fn constructed(
    compose: Option<&serde_yaml_ng::Mapping>,
    groups: Option<&serde_yaml_ng::Mapping>,
    keyed_groups: Vec<KeyedGroup>,
    strict: bool,
    leading_separator: Option<bool>,
) -> Result<Constructed, String> {
    let pairs = |field: &str,
                 map: Option<&serde_yaml_ng::Mapping>|
     -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for (k, v) in map.into_iter().flatten() {
            let key = k
                .as_str()
                .ok_or_else(|| format!("{field}: keys must be strings"))?;
            let expr = match v {
                serde_yaml_ng::Value::String(s) => s.clone(),
                serde_yaml_ng::Value::Bool(b) => b.to_string(),
                serde_yaml_ng::Value::Number(n) => n.to_string(),
                _ => {
                    return Err(format!(
                        "{field}.{key}: expected a Jinja expression (a string)"
                    ));
                }
            };
            check_syntax(&expr).map_err(|e| format!("{field}.{key}: {e}"))?;
            out.push((key.to_owned(), expr));
        }
        Ok(out)
    };
    for (i, k) in keyed_groups.iter().enumerate() {
        check_syntax(&k.key).map_err(|e| format!("keyed_groups[{i}].key: {e}"))?;
    }
    Ok(Constructed {
        compose: pairs("compose", compose)?,
        groups: pairs("groups", groups)?,
        keyed_groups,
        strict,
        leading_separator: leading_separator.unwrap_or(true),
    })
}

/// A Jinja syntax error in `compose`, `groups` or `keyed_groups` is a configuration error, with
/// `strict` or without: as in amazon.aws, `strict: false` skips only errors met while evaluating an
/// expression for a host (an undefined variable), never a typo in the expression itself.
fn check_syntax(expr: &str) -> Result<(), String> {
    let env = minijinja::Environment::new();
    crate::panics::catch(|| env.compile_expression(expr).map(|_| ()))
        .map_err(|_| "not a valid Jinja expression (the template engine failed on it)".to_owned())?
        .map_err(|e| format!("not a valid Jinja expression: {e}"))
}
