//! The `plugin:` key of a config file: which reader takes the file, and which keys belong to
//! Ansible rather than to palin-inventory.
//!
//! A file without `plugin:` is a palin.yml. `amazon.aws.aws_ec2` (or `aws_ec2`) and
//! `palin.aws.aws_ec2` name an aws_ec2.yml; `palin.aws.palin` names a palin.yml written for the
//! collection's inventory plugin. For the two `palin.aws.*` plugins, the Python side runs this
//! binary and owns exactly [`ANSIBLE_KEYS`]: which binary to run and Ansible's inventory cache
//! (the `inventory_cache` options, answered by Ansible's cache plugin, not by palin's own file
//! cache). The binary skips those keys there and nowhere else; every other key is still checked.

use serde_yaml_ng::Value;

/// The keys the `palin.aws.*` inventory plugins read themselves (see the module documentation).
pub const ANSIBLE_KEYS: [&str; 6] = [
    "executable",
    "cache",
    "cache_plugin",
    "cache_timeout",
    "cache_connection",
    "cache_prefix",
];

/// The collection's inventory plugin for palin.yml files.
pub const PALIN_PLUGIN: &str = "palin.aws.palin";
/// The collection's drop-in for amazon.aws.aws_ec2.
pub const AWS_EC2_PLUGIN: &str = "palin.aws.aws_ec2";

/// What a config file is, by its `plugin:` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A palin.yml (no `plugin:` key).
    Palin,
    /// A palin.yml with `plugin: palin.aws.palin`: [`ANSIBLE_KEYS`] are Ansible's.
    PalinPlugin,
    /// An aws_ec2.yml; `collection` when it names `palin.aws.aws_ec2` ([`ANSIBLE_KEYS`] are
    /// Ansible's), not when it names amazon.aws's plugin (its cache options are palin's cache).
    AwsEc2 { collection: bool },
}

impl Kind {
    /// Whether `key` belongs to the collection's Python side, which the binary skips.
    pub fn is_ansible_key(self, key: &str) -> bool {
        matches!(self, Kind::PalinPlugin | Kind::AwsEc2 { collection: true })
            && ANSIBLE_KEYS.contains(&key)
    }
}

/// Read the `plugin:` key of a parsed config file.
pub fn kind(value: &Value) -> Result<Kind, String> {
    let Some(plugin) = value.get("plugin") else {
        return Ok(Kind::Palin);
    };
    match plugin.as_str() {
        Some(PALIN_PLUGIN) => Ok(Kind::PalinPlugin),
        Some(AWS_EC2_PLUGIN) => Ok(Kind::AwsEc2 { collection: true }),
        Some("amazon.aws.aws_ec2" | "aws_ec2") => Ok(Kind::AwsEc2 { collection: false }),
        Some(_) => Err(format!(
            "plugin: not supported (palin-inventory reads palin.yml, with or without plugin: {PALIN_PLUGIN}, and aws_ec2 files with plugin: amazon.aws.aws_ec2 or {AWS_EC2_PLUGIN})"
        )),
        None => Err("plugin: expected a plugin name".into()),
    }
}

/// A palin.yml of `plugin: palin.aws.palin` without `plugin` and the keys Ansible owns, ready to be
/// read as a palin.yml.
pub fn palin_settings(mut value: Value) -> Value {
    if let Value::Mapping(map) = &mut value {
        map.retain(|k, _| {
            k.as_str()
                .is_none_or(|k| k != "plugin" && !Kind::PalinPlugin.is_ansible_key(k))
        });
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml_ng::from_str(text).expect("yaml")
    }

    #[test]
    fn the_plugin_key_picks_the_reader() {
        assert_eq!(kind(&yaml("source: aws")), Ok(Kind::Palin));
        assert_eq!(
            kind(&yaml("plugin: palin.aws.palin")),
            Ok(Kind::PalinPlugin)
        );
        assert_eq!(
            kind(&yaml("plugin: palin.aws.aws_ec2")),
            Ok(Kind::AwsEc2 { collection: true })
        );
        for name in ["amazon.aws.aws_ec2", "aws_ec2"] {
            assert_eq!(
                kind(&yaml(&format!("plugin: {name}"))),
                Ok(Kind::AwsEc2 { collection: false })
            );
        }
        let err = kind(&yaml("plugin: amazon.aws.aws_rds")).expect_err("not read");
        assert!(
            err.contains("plugin: not supported") && !err.contains("aws_rds"),
            "{err}"
        );
        assert!(kind(&yaml("plugin: [x]")).is_err());
    }

    #[test]
    fn only_the_collections_plugins_leave_keys_to_ansible() {
        for key in ANSIBLE_KEYS {
            assert!(Kind::PalinPlugin.is_ansible_key(key));
            assert!(Kind::AwsEc2 { collection: true }.is_ansible_key(key));
            assert!(!Kind::AwsEc2 { collection: false }.is_ansible_key(key));
            assert!(!Kind::Palin.is_ansible_key(key));
        }
        assert!(!Kind::PalinPlugin.is_ansible_key("cache_dir"));
        assert!(!Kind::PalinPlugin.is_ansible_key("source"));
    }

    #[test]
    fn palin_settings_keep_everything_but_ansibles_keys() {
        let value = palin_settings(yaml(
            "plugin: palin.aws.palin\nexecutable: /x\ncache: true\ncache_plugin: jsonfile\ncache_timeout: 60\ncache_connection: /c\ncache_prefix: p\nsource: aws\ncache_dir: typo\n",
        ));
        assert_eq!(value, yaml("source: aws\ncache_dir: typo\n"));
    }
}
