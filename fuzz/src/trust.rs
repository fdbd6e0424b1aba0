//! The trust boundary of issue 20, checked on the documents palin prints: nothing a tag writer or
//! a state writer controls may become a template, a marker, a reserved name or an ssh option.
//! Read independently of palin's own rules (`marks.rs`, `inventory::trust`): these are the
//! rules of the design (.tmp/DESIGN-issue20.md), restated from Ansible's side.
//!
//! * host names (the keys of `_meta.hostvars`; every `hosts` list is checked against them) are
//!   never `localhost`, `127.0.0.1` or `::1` (any case), never hold `{{`, `{%` or `{#`, never
//!   start with `-` or `__ansible_`;
//! * group names are never `_meta`, `ungrouped` or `__ansible_*`, and `all` is only the document's
//!   own `all` (a duplicate key would be read last-wins by Ansible's JSON decoder);
//! * no object key starts with `__ansible_`, at any depth, except the unsafe wrappers, which are
//!   exactly `{"__ansible_unsafe": "<string>"}`; in the wrapped document (the default `--list`
//!   and `--host`) every string of a variable value (host, group and `all` variables, nested
//!   values included) is such a wrapper, and none is in the plain one (`--plain`);
//! * the connection values, wherever a variable of that name is set (host, group or `all`):
//!   `ansible_host` an IP address or an RFC 1123 host name not starting with `-`; `ansible_user`
//!   a plain user name; every `ProxyJump` in the ssh arguments (`ansible_ssh_common_args` and
//!   the other variables of [`SSH_ARGS`], read with shell quoting as Ansible and ssh read them)
//!   only `[user@]host[:port]` hops by those two rules.

#![allow(dead_code)] // each includer uses part of it

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::Value;

use super::common::{Checked, Violation, violation};

/// What every Ansible JSON marker key starts with.
pub const MARKER_PREFIX: &str = "__ansible_";
/// The one marker palin may write: Ansible's unsafe-text wrapper.
pub const UNSAFE_KEY: &str = "__ansible_unsafe";

/// How a document's variable strings must be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strings {
    /// Every string of a variable value is `{"__ansible_unsafe": "…"}` (the default `--list` and
    /// `--host`).
    Wrapped,
    /// Plain JSON strings and no marker key at all (`--plain`).
    Plain,
}

/// Host names that would capture the controller (`delegate_to: localhost`, implicit localhost).
pub const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why `name` may not be a host name, if it may not.
pub fn bad_host_name(name: &str) -> Option<&'static str> {
    if LOCAL_NAMES.iter().any(|l| name.eq_ignore_ascii_case(l)) {
        Some("is the controller's own name")
    } else if has_template(name) {
        Some("holds a template marker")
    } else if name.starts_with('-') {
        Some("starts with '-'")
    } else if name.starts_with(MARKER_PREFIX) {
        Some("starts with __ansible_")
    } else {
        None
    }
}

/// Why `name` may not be a group name of the document, if it may not (`all` is checked apart).
pub fn bad_group_name(name: &str) -> Option<&'static str> {
    if name == "_meta" {
        Some("is _meta")
    } else if name == "ungrouped" {
        Some("is ungrouped")
    } else if name.starts_with(MARKER_PREFIX) {
        Some("starts with __ansible_")
    } else {
        None
    }
}

/// Whether a string holds the start of a Jinja construct.
pub fn has_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// An IP address (v4 or v6), or an RFC 1123 host name: dot-separated labels of 1 to 63 ASCII
/// letters, digits and `-`, none starting or ending with `-`, at most 253 characters.
pub fn valid_address(s: &str) -> bool {
    if s.parse::<IpAddr>().is_ok() {
        return true;
    }
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A plain user name: `[A-Za-z0-9_][A-Za-z0-9._-]*`, at most 64 characters.
pub fn valid_user(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && s.len() <= 64
}

/// The `ProxyJump` values of an ssh argument string, read as Ansible's ssh plugin and ssh read
/// it: the string split into words with POSIX shell quoting (`shlex`), then `-J HOPS`, `-JHOPS`,
/// `-o OPTION`, `-oOPTION` (and a bare `Key=Value` word), the option's text split with quotes
/// again, `ProxyJump=HOPS` or `ProxyJump HOPS` in any case.
pub fn proxy_jumps(args: &str) -> Vec<String> {
    let words = split_words(args);
    let mut jumps = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        i += 1;
        let mut next = || {
            i += 1;
            words.get(i - 1).cloned().unwrap_or_default()
        };
        let option = if w == "-J" {
            jumps.push(next());
            continue;
        } else if let Some(hops) = w.strip_prefix("-J") {
            jumps.push(hops.to_owned());
            continue;
        } else if w == "-o" {
            next()
        } else if let Some(o) = w.strip_prefix("-o") {
            o.to_owned()
        } else {
            w.to_owned()
        };
        let option = split_words(&option).join(" ");
        let option = option.trim_start();
        let key_end = option
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(option.len());
        if option[..key_end].eq_ignore_ascii_case("proxyjump") {
            let rest = option[key_end..].trim_start();
            let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
            jumps.push(rest.to_owned());
        }
    }
    jumps
}

/// Whether a `ProxyJump` value is `none` or comma-separated hops `[user@]host[:port]` (an IPv6
/// host in brackets) with a [`valid_user`] and a [`valid_address`].
pub fn valid_jump(jump: &str) -> bool {
    let hop = |h: &str| {
        let (user, rest) = match h.rsplit_once('@') {
            Some((u, r)) => (Some(u), r),
            None => (None, h),
        };
        let port_ok = |p: &str| {
            p.is_empty()
                || p.strip_prefix(':')
                    .is_some_and(|p| p.parse::<u16>().is_ok())
        };
        let host = if let Some(v6) = rest.strip_prefix('[') {
            v6.split_once(']')
                .filter(|(a, port)| a.parse::<std::net::Ipv6Addr>().is_ok() && port_ok(port))
                .map(|(a, _)| a)
        } else {
            match rest.rsplit_once(':') {
                Some((a, p)) if port_ok(&format!(":{p}")) && !a.contains(':') => Some(a),
                _ => Some(rest),
            }
        };
        user.is_none_or(valid_user) && host.is_some_and(valid_address)
    };
    jump.eq_ignore_ascii_case("none") || jump.split(',').all(hop)
}

/// The first `ProxyJump` value of `args` that is not [`valid_jump`], if any.
pub fn bad_proxy_jump(args: &str) -> Option<String> {
    proxy_jumps(args).into_iter().find(|j| !valid_jump(j))
}

/// Split like Python's `shlex.split` (POSIX), as Ansible's ssh plugin splits ssh arguments:
/// whitespace separates words; single quotes keep everything; in double quotes a backslash
/// escapes only `"` and `\`; outside quotes a backslash escapes the next character.
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    word.get_or_insert_default().push(n);
                }
            }
            '\'' => {
                let w = word.get_or_insert_default();
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    w.push(n);
                }
            }
            '"' => {
                let w = word.get_or_insert_default();
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' => {
                            if let Some(m) = chars.next() {
                                if !matches!(m, '"' | '\\') {
                                    w.push('\\');
                                }
                                w.push(m);
                            }
                        }
                        n => w.push(n),
                    }
                }
            }
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

/// The variables that Ansible's ssh connection adds to the ssh command line (a `ProxyJump=` in
/// any of them is checked).
pub const SSH_ARGS: [&str; 5] = [
    "ansible_ssh_common_args",
    "ansible_ssh_extra_args",
    "ansible_ssh_args",
    "ansible_scp_extra_args",
    "ansible_sftp_extra_args",
];

/// A value with every unsafe wrapper replaced by its string (what Ansible reads).
pub fn unwrap(v: &Value) -> Value {
    match v {
        Value::Object(map) => match wrapped_text(v) {
            Some(s) => Value::String(s.to_owned()),
            None => Value::Object(map.iter().map(|(k, v)| (k.clone(), unwrap(v))).collect()),
        },
        Value::Array(items) => Value::Array(items.iter().map(unwrap).collect()),
        other => other.clone(),
    }
}

/// The text of an unsafe wrapper: an object of exactly the one key `__ansible_unsafe` with a
/// string value.
pub fn wrapped_text(v: &Value) -> Option<&str> {
    match v {
        Value::Object(map) if map.len() == 1 => map.get(UNSAFE_KEY)?.as_str(),
        _ => None,
    }
}

/// Check one variable value at `path`: markers and wrapping, recursively.
fn check_var_value(v: &Value, strings: Strings, path: &str) -> Checked {
    match v {
        Value::String(_) if strings == Strings::Wrapped => Err(violation(
            "bare-string",
            format!("{path} is a bare string in the wrapped document (Ansible would template it)"),
        )),
        Value::Object(map) => {
            if wrapped_text(v).is_some() {
                return match strings {
                    Strings::Wrapped => Ok(()),
                    Strings::Plain => Err(violation(
                        "marker-key",
                        format!("{path} is an unsafe wrapper in the plain document"),
                    )),
                };
            }
            for (k, item) in map {
                if k.starts_with(MARKER_PREFIX) {
                    return Err(violation(
                        "marker-key",
                        format!("{path} has the key {k:?} (not an exact unsafe wrapper)"),
                    ));
                }
                check_var_value(item, strings, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_var_value(item, strings, &format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}

/// Check a variables object (a host's, a group's `vars`): names, markers, wrapping, and the
/// connection values it sets.
pub fn check_vars(vars: &Value, strings: Strings, path: &str) -> Checked {
    let Value::Object(map) = vars else {
        return Err(violation(
            "bad-inventory",
            format!("{path} is not an object"),
        ));
    };
    for (name, value) in map {
        if name.starts_with(MARKER_PREFIX) {
            return Err(violation(
                "marker-key",
                format!("{path} has a variable named {name:?}"),
            ));
        }
        check_var_value(value, strings, &format!("{path}.{name}"))?;
    }
    check_connection(map, &format!("{path}."))
}

/// The connection values of one variables object (unwrapped: what Ansible reads).
fn check_connection(map: &serde_json::Map<String, Value>, path: &str) -> Checked {
    let text = |name: &str| map.get(name).map(unwrap);
    let bad =
        |field: &str, why: String| violation("bad-connection", format!("{path}{field} {why}"));
    if let Some(v) = text("ansible_host") {
        match v.as_str() {
            Some(s) if valid_address(s) => {}
            _ => {
                return Err(bad(
                    "ansible_host",
                    format!("is not an IP address or an RFC 1123 host name: {v}"),
                ));
            }
        }
    }
    if let Some(v) = text("ansible_user") {
        match v.as_str() {
            Some(s) if valid_user(s) => {}
            _ => {
                return Err(bad(
                    "ansible_user",
                    format!("is not a plain user name: {v}"),
                ));
            }
        }
    }
    for field in SSH_ARGS {
        let Some(v) = text(field) else { continue };
        let mut all = Vec::new();
        super::common::leaves(&v, &mut all);
        if let Some(jump) = all.iter().find_map(|s| bad_proxy_jump(s)) {
            return Err(bad(
                field,
                format!("has a ProxyJump that is not [user@]host[:port] hops: {jump:?}"),
            ));
        }
    }
    Ok(())
}

/// Check a parsed `--list` document (its shape already checked by `common::check_list`) against
/// the trust rules: host and group names, and every variables object with [`check_vars`].
pub fn check_list_trust(doc: &Value, strings: Strings) -> Checked {
    let Value::Object(top) = doc else {
        return Err(violation("bad-inventory", "--list is not a JSON object"));
    };
    let hostvars = top
        .get("_meta")
        .and_then(|m| m.get("hostvars"))
        .and_then(Value::as_object)
        .ok_or_else(|| violation("bad-inventory", "no _meta.hostvars object"))?;
    if let Some(extra) = top["_meta"]
        .as_object()
        .and_then(|m| m.keys().find(|k| *k != "hostvars"))
    {
        return Err(violation(
            "bad-inventory",
            format!("_meta has a key {extra:?} besides hostvars"),
        ));
    }
    for (host, vars) in hostvars {
        if let Some(why) = bad_host_name(host) {
            return Err(violation(
                "bad-host-name",
                format!("host name {host:?} {why}"),
            ));
        }
        check_vars(vars, strings, &format!("hostvars[{host:?}]"))?;
    }
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (name, group) in top.iter().filter(|(k, _)| *k != "_meta") {
        names.insert(name);
        if let Some(why) = bad_group_name(name) {
            return Err(violation("bad-group-name", format!("group {name:?} {why}")));
        }
        for child in group
            .get("children")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if let Some(why) = bad_group_name(child).or((child == "all").then_some("is all")) {
                return Err(violation(
                    "bad-group-name",
                    format!("group {name} has a child {child:?} that {why}"),
                ));
            }
        }
        if let Some(vars) = group.get("vars") {
            check_vars(vars, strings, &format!("{name}.vars"))?;
        }
    }
    Ok(())
}

/// Parse JSON text, refusing a duplicate key in any object (serde_json keeps the last, as
/// Python's `json` does: a second `"all"` would silently replace the document's own).
pub fn parse_unique(text: &str) -> Result<Value, Violation> {
    use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

    struct Unique;
    impl<'de> Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(UniqueVisitor)
        }
    }
    struct UniqueVisitor;
    impl<'de> Visitor<'de> for UniqueVisitor {
        type Value = Unique;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<Unique>()?;
                if !seen.insert(key.clone()) {
                    return Err(A::Error::custom(format!("duplicate key {key:?}")));
                }
            }
            Ok(Unique)
        }
    }
    let text = text.trim_end_matches('\n');
    let mut de = serde_json::Deserializer::from_str(text);
    if let Err(e) = Unique::deserialize(&mut de).and_then(|_| de.end()) {
        let rule = if e.to_string().contains("duplicate key") {
            "duplicate-key"
        } else {
            "bad-inventory"
        };
        return Err(violation(rule, format!("the document: {e}")));
    }
    serde_json::from_str(text).map_err(|e| {
        violation(
            "bad-inventory",
            format!("the document is not one JSON value: {e}"),
        )
    })
}
