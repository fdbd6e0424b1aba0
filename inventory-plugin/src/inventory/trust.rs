//! The trust boundary's checks (pure; SECURITY.md): what a tag writer or a state writer controls
//! never names the controller, never becomes a template in a host name, and never reaches ssh as
//! anything but an address or a user name.
//!
//! * host names: [`usable_name`] (a name that fails is skipped like a missing one, by `hosts`),
//!   instance ids: [`plain_id`];
//! * addresses and users ([`address`], [`user`]): checked where palin builds a `ProxyJump`
//!   (`connection`), and on every host's final `ansible_host`, `ansible_user` and the jumps in
//!   its `ansible_ssh_common_args` ([`proxy_jumps`]), whoever set them ([`check`]);
//! * group names ([`check`]): `all` and `ungrouped` from keyed_groups or groups add nothing (every
//!   host is in `all` already, and in `aws_ec2`), `_meta` and `__ansible_*` refuse the inventory.
//!
//! Every refusal names the instance (its id, checked by [`plain_id`]) or the host, and the field;
//! never the offending value.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use super::types::Inventory;
use crate::error::{Error, Result};
use crate::marks::{has_template, is_marker};

/// The names Ansible gives the controller (`delegate_to: localhost` resolves them).
const CONTROLLER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Whether a host name candidate may name a host: not the controller's name (in any case), no
/// Jinja marker, no leading `-` (an unaddressed host is reached by its name), not an Ansible
/// marker key.
pub fn usable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !is_marker(name)
        && !has_template(name)
        && !CONTROLLER_NAMES
            .iter()
            .any(|c| name.eq_ignore_ascii_case(c))
}

/// Whether an instance id is a plain identifier (letters, digits, `.`, `_`, `-`) that may name a
/// host: the last fallback of every name, and what error messages name an instance by.
pub fn plain_id(id: &str) -> bool {
    id.len() <= 255
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && usable_name(id)
}

/// Whether `addr` may reach ssh as a host: an IP address, or an RFC 1123 host name (labels of
/// letters, digits and inner hyphens, so never a leading `-`).
pub fn address(addr: &str) -> bool {
    if addr.parse::<IpAddr>().is_ok() {
        return true;
    }
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (1..=253).contains(&addr.len()) && addr.split('.').all(label)
}

/// Whether `name` is a plain user name: letters, digits, `_`, `.`, `-`, not starting with `-` or
/// `.`, at most 64 characters.
pub fn user(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !name.starts_with(['-', '.'])
}

/// Whether every `ProxyJump` in ssh arguments (`-o ProxyJump=…`, `-oProxyJump=…`, `-J …`) is a
/// list of `[user@]host[:port]` hops with plain users and [`address`]es: OpenSSH runs a jump
/// through `$SHELL -c`.
pub fn proxy_jumps(args: &str) -> bool {
    let words = shell_words(args);
    let mut words = words.iter().map(String::as_str);
    let mut jumps = Vec::new();
    while let Some(w) = words.next() {
        if w == "-J" {
            jumps.push(words.next().unwrap_or("").to_owned());
            continue;
        }
        if let Some(value) = w.strip_prefix("-J") {
            jumps.push(value.to_owned());
            continue;
        }
        let option = match w.strip_prefix("-o").map(str::trim_start) {
            Some("") => words.next().unwrap_or(""),
            Some(option) => option,
            None => w,
        };
        // ssh reads `-o Key=Value` and `-o "Key Value"`, and splits the option's own text with
        // quotes again.
        let option = shell_words(option).join(" ");
        let split = option.find(|c: char| c == '=' || c.is_whitespace());
        if let Some(at) = split.filter(|&at| option[..at].eq_ignore_ascii_case("ProxyJump")) {
            let value =
                option[at + 1..].trim_start_matches(|c: char| c == '=' || c.is_whitespace());
            jumps.push(value.to_owned());
        }
    }
    let hop = |h: &str| {
        let (user_ok, rest) = match h.rsplit_once('@') {
            Some((u, rest)) => (user(u), rest),
            None => (true, h),
        };
        let host = match rest.strip_prefix('[') {
            Some(v6) => v6
                .split_once(']')
                .filter(|(_, port)| {
                    port.is_empty()
                        || port
                            .strip_prefix(':')
                            .is_some_and(|p| p.parse::<u16>().is_ok())
                })
                .map(|(a, _)| a),
            None => match rest.rsplit_once(':') {
                Some((a, port)) if port.parse::<u16>().is_ok() => Some(a),
                _ => Some(rest),
            },
        };
        user_ok && host.is_some_and(address)
    };
    jumps
        .iter()
        .all(|j| j.eq_ignore_ascii_case("none") || j.split(',').all(hop))
}

/// `args` split as Ansible's ssh plugin splits ssh arguments (POSIX `shlex`: quotes and
/// backslashes).
fn shell_words(args: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = args.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    word.get_or_insert_default().push(n);
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (_, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

/// The final checks of a built inventory: reserved group names, and every host's `ansible_host`
/// and `ansible_user` (whoever set them: palin, or `compose` from a tag). `instance_ids` names
/// the instance behind each EC2 host.
pub(super) fn check(inv: &mut Inventory, instance_ids: &BTreeMap<String, String>) -> Result<()> {
    for name in inv.groups.keys() {
        if name == "_meta" || is_marker(name) {
            return Err(Error::Inventory(format!(
                "keyed_groups or groups would make a group named {}, which Ansible's inventory document reserves; give those groups a prefix",
                if name == "_meta" {
                    "_meta"
                } else {
                    "__ansible_…"
                }
            )));
        }
    }
    for reserved in ["all", "ungrouped"] {
        inv.groups.remove(reserved);
        for g in inv.groups.values_mut() {
            g.children.remove(reserved);
        }
    }
    for (host, vars) in &inv.hostvars {
        let who = || match instance_ids.get(host) {
            Some(id) => format!("instance {id}"),
            None => format!("host {host}"),
        };
        for (field, ok, what) in [
            (
                "ansible_host",
                address as fn(&str) -> bool,
                "neither an IP address nor an RFC 1123 host name",
            ),
            (
                "ansible_user",
                user,
                "not a plain user name (letters, digits, '_', '.', '-')",
            ),
            (
                "ansible_ssh_common_args",
                proxy_jumps,
                "a ProxyJump that is not [user@]host[:port] with a plain user and an IP address or RFC 1123 host name",
            ),
            (
                "ansible_ssh_extra_args",
                proxy_jumps,
                "a ProxyJump that is not [user@]host[:port] with a plain user and an IP address or RFC 1123 host name",
            ),
            (
                "ansible_ssh_args",
                proxy_jumps,
                "a ProxyJump that is not [user@]host[:port] with a plain user and an IP address or RFC 1123 host name",
            ),
            (
                "ansible_scp_extra_args",
                proxy_jumps,
                "a ProxyJump that is not [user@]host[:port] with a plain user and an IP address or RFC 1123 host name",
            ),
            (
                "ansible_sftp_extra_args",
                proxy_jumps,
                "a ProxyJump that is not [user@]host[:port] with a plain user and an IP address or RFC 1123 host name",
            ),
        ] {
            match vars.get(field).as_deref() {
                None => {}
                Some(Value::String(v)) if ok(v) => {}
                Some(Value::String(_)) if field.ends_with("_args") => {
                    return Err(Error::Inventory(format!(
                        "{}: {field} holds {what}; refusing the inventory rather than passing it to ssh",
                        who()
                    )));
                }
                Some(_) => {
                    return Err(Error::Inventory(format!(
                        "{}: {field} is {what}; refusing the inventory rather than passing it to ssh",
                        who()
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_be_the_controller_or_a_template_are_not_usable() {
        for bad in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "::1",
            "{{ lookup('pipe', 'id') }}",
            "a{%b",
            "x{#",
            "-oProxyCommand=x",
            "__ansible_unsafe",
            "",
        ] {
            assert!(!usable_name(bad), "{bad}");
        }
        for good in [
            "web-1",
            "My Server",
            "localhost2",
            "127.0.0.2",
            "i-0abc",
            "{x}",
        ] {
            assert!(usable_name(good), "{good}");
        }
        assert!(plain_id("i-0123456789abcdef0") && plain_id("web_1.a"));
        assert!(!plain_id("i-1 2") && !plain_id("localhost") && !plain_id("-i"));
    }

    #[test]
    fn addresses_are_ips_or_rfc_1123_names() {
        for good in [
            "10.0.0.1",
            "2001:db8::1",
            "ip-10-0-0-1.eu-west-1.compute.internal",
            "a",
            "ec2-1-2-3-4.compute-1.amazonaws.com",
        ] {
            assert!(address(good), "{good}");
        }
        for bad in [
            "-oProxyCommand=touch x",
            "198.51.100.7|sh",
            "a b",
            "x$(id)",
            "a..b",
            "-a.b",
            "a-.b",
            "",
            "a_b.c",
            "{{ x }}",
        ] {
            assert!(!address(bad), "{bad}");
        }
        assert!(user("ec2-user") && user("admin") && user("svc_deploy.1"));
        for good in [
            "-o ProxyJump=admin@198.51.100.1",
            "-o ProxyJump=[2001:db8::7]:2222 -o StrictHostKeyChecking=no",
            "-oProxyJump=a@b.example,c:22",
            "-J jump.example",
            "-o ProxyJump=none",
            "",
        ] {
            assert!(proxy_jumps(good), "{good}");
        }
        for bad in [
            "-o ProxyJump=x|touch /tmp/y",
            "-o ProxyJump=$(id)",
            "-o ProxyJump=a;b@c",
            "-J -oProxyCommand=x",
            "-o ProxyJump=",
            "-oproxyjump=a,b|c",
            "'-o \"ProxyJump=a|touch /tmp/q\"'",
            "-o 'ProxyJump a|touch /tmp/q'",
            "-o\\ ProxyJump=a\\|b",
        ] {
            assert!(!proxy_jumps(bad), "{bad}");
        }
        for bad in ["-oX", "a b", "a@b", "root;id", "", ".x", &"a".repeat(65)] {
            assert!(!user(bad), "{bad}");
        }
    }
}
