//! Settings: `palin.yml`, `PALIN_*` environment variables and command-line overrides, merged and
//! validated into one [`Config`]. Ansible runs an inventory with `--list` only, so the file and the
//! environment are the real interface; every setting and variable is named here once.
//!
//! This module finds and reads the file ([`load`]) and assembles the [`Config`] (`build`); the
//! concerns live in their own modules, none of which imports this one:
//!
//! * `types`: the public types, setting and variable names, and the path rules;
//! * `schema`: the file as serde reads it;
//! * `states`: which Terraform states a run reads;
//! * `aws`: the `aws:` section;
//! * `hosts`: host naming, addresses, connection, users, `constructed` and `reveal`;
//! * `plugin` and `aws_ec2`: files written for an Ansible inventory plugin.

use std::path::Path;

use crate::error::{Error, Result, io_reason, one_line};

mod aws;
mod aws_ec2;
mod hosts;
mod plugin;
mod schema;
mod states;
mod types;

pub use types::{
    AwsSettings, BastionRule, CONFIG_FILE_NAME, CacheSettings, ClientSettings, Config, Connection,
    Constructed, Context, ENV_ATTEMPT_TIMEOUT, ENV_CONFIG, ENV_CONNECT_TIMEOUT, ENV_MAX_ATTEMPTS,
    ENV_OPERATION_TIMEOUT, ENV_REVEAL, ENV_TF_DATA_DIR, ENV_TF_WORKSPACE, ENV_TFSTATE, FilterSet,
    HostAttr, KeyedGroup, Overrides, S3Location, Source, StateSource, TagGroups,
};

use schema::FileConfig;
use types::absolute;

/// Find and read the config file, merge the environment and the overrides, validate.
pub fn load(overrides: &Overrides, ctx: &Context<'_>) -> Result<Config> {
    let env = |name: &str| (ctx.env)(name).filter(|v| !v.is_empty());
    let path = match (&overrides.config, env(ENV_CONFIG)) {
        (Some(p), _) => Some(absolute(&ctx.cwd, p)),
        (None, Some(p)) => Some(absolute(&ctx.cwd, Path::new(&p))),
        (None, None) => [Some(ctx.cwd.clone()), ctx.exe_dir.clone()]
            .into_iter()
            .flatten()
            .map(|d| d.join(CONFIG_FILE_NAME))
            .find(|p| p.is_file()),
    };
    let (file, origin, base) = match &path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                Error::config(
                    p.display().to_string(),
                    format!("cannot read it: {}", io_reason(&e)),
                )
            })?;
            let yaml_error = |e: serde_yaml_ng::Error| {
                Error::config(p.display().to_string(), one_line(&e.to_string()))
            };
            let base = p
                .parent()
                .map_or_else(|| ctx.cwd.clone(), Path::to_path_buf);
            let mut value: serde_yaml_ng::Value = if text.trim().is_empty() {
                serde_yaml_ng::Value::Null
            } else {
                serde_yaml_ng::from_str(&text).map_err(yaml_error)?
            };
            match plugin::kind(&value).map_err(|m| Error::config(p.display().to_string(), m))? {
                plugin::Kind::Palin => {}
                plugin::Kind::PalinPlugin => value = plugin::palin_settings(value),
                // An aws_ec2 inventory file, read as palin's configuration.
                kind @ plugin::Kind::AwsEc2 { .. } => {
                    let reveal = hosts::reveal(Vec::new(), overrides, ctx);
                    return aws_ec2::config(
                        value,
                        kind,
                        p.display().to_string(),
                        reveal,
                        overrides,
                        ctx,
                    );
                }
            }
            let file: FileConfig = if value.is_null() {
                FileConfig::default()
            } else {
                serde_yaml_ng::from_value(value).map_err(yaml_error)?
            };
            (file, p.display().to_string(), base)
        }
        None => (
            FileConfig::default(),
            "environment".to_owned(),
            ctx.cwd.clone(),
        ),
    };
    build(file, origin, &base, overrides, ctx)
}

/// The [`Config`] of a palin.yml (`file`, read from `origin`; relative paths from `base`).
fn build(
    mut file: FileConfig,
    origin: String,
    base: &Path,
    overrides: &Overrides,
    ctx: &Context<'_>,
) -> Result<Config> {
    let env = |name: &str| (ctx.env)(name).filter(|v| !v.is_empty());
    let bad = |message: String| Error::config(origin.clone(), message);
    let constructed = hosts::constructed(
        file.compose.as_ref(),
        file.groups.as_ref(),
        std::mem::take(&mut file.keyed_groups),
        file.strict,
        file.leading_separator,
    )
    .map_err(&bad)?;
    let mut client = None;
    let source = match file.source.as_deref() {
        None | Some("terraform") => {
            if file.aws.is_some() {
                return Err(bad("aws: only used with source: aws".into()));
            }
            Source::Terraform
        }
        Some("aws") => {
            if !overrides.tfstate.is_empty() || env(ENV_TFSTATE).is_some() {
                return Err(bad(format!(
                    "source: aws, but {ENV_TFSTATE} or --tfstate names Terraform states; unset it or use a config with source: terraform"
                )));
            }
            client = Some(aws::client(file.aws.as_ref(), &origin, ctx)?);
            let settings = aws::settings(file.aws.take().unwrap_or_default(), ctx)
                .map_err(|m| bad(format!("aws.{m}")))?;
            Source::Aws(Box::new(settings))
        }
        Some(_) => {
            return Err(bad(
                "source: unknown source (expected terraform or aws)".into()
            ));
        }
    };
    let (states, default_state) = states::resolve(
        file.terraform.states,
        matches!(source, Source::Aws(_)),
        base,
        &origin,
        env(ENV_TF_WORKSPACE).as_deref(),
        overrides,
        ctx,
    )?;
    let hostnames = hosts::host_attrs("hostnames", file.hostnames, &["tag:Name", "instance-id"])
        .map_err(&bad)?;
    let ansible_host = hosts::host_attrs(
        "ansible_host",
        file.ansible_host,
        &["eip", "ip-address", "private-ip-address"],
    )
    .map_err(&bad)?;
    let connection = hosts::connection(file.connection).map_err(&bad)?;
    let users = hosts::users(file.ansible_user).map_err(&bad)?;
    Ok(Config {
        states,
        default_state,
        outputs: file.terraform.outputs.unwrap_or(true),
        outputs_prefix: file.terraform.outputs_prefix.unwrap_or_default(),
        hostnames,
        ansible_host,
        tag_groups: file
            .tag_groups
            .map_or(TagGroups::AllButName, TagGroups::Only),
        endpoint_hosts: file.endpoint_hosts,
        reveal: hosts::reveal(file.reveal, overrides, ctx),
        connection,
        users,
        source,
        palin_extras: true,
        constructed,
        refresh_cache: overrides.refresh_cache,
        client: match client {
            Some(c) => c,
            None => aws::client(None, &origin, ctx)?,
        },
        origin,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load_with(yaml: Option<&str>, vars: &[(&str, &str)]) -> Result<Config> {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(y) = yaml {
            std::fs::write(dir.path().join(CONFIG_FILE_NAME), y).expect("write");
        }
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let env = move |k: &str| vars.get(k).cloned();
        let ctx = Context {
            env: &env,
            cwd: dir.path().to_path_buf(),
            exe_dir: None,
        };
        let mut cfg = load(&Overrides::default(), &ctx)?;
        // Make paths comparable across runs.
        for s in &mut cfg.states {
            if let StateSource::File(p) = s {
                *p = p
                    .strip_prefix(dir.path())
                    .map_or_else(|_| p.clone(), Path::to_path_buf);
            }
            if let StateSource::Command { dir: Some(d), .. } = s {
                *d = d
                    .strip_prefix(dir.path())
                    .map_or_else(|_| d.clone(), Path::to_path_buf);
            }
        }
        cfg.origin = cfg
            .origin
            .replace(&dir.path().display().to_string(), "<dir>");
        Ok(cfg)
    }

    #[test]
    fn no_config_reads_terraform_tfstate_with_defaults() {
        let cfg = load_with(None, &[]).expect("loads");
        assert_eq!(cfg.states, [StateSource::File("terraform.tfstate".into())]);
        assert!(cfg.default_state);
        assert_eq!(
            cfg.hostnames,
            [HostAttr::Tag("Name".into()), HostAttr::InstanceId]
        );
        assert_eq!(
            cfg.ansible_host,
            [HostAttr::Eip, HostAttr::PublicIp, HostAttr::PrivateIp]
        );
        assert_eq!(cfg.tag_groups, TagGroups::AllButName);
        assert!(matches!(
            cfg.connection,
            Connection::Ssh {
                bastion: BastionRule::Tag { .. },
                ..
            }
        ));
    }

    #[test]
    fn tf_workspace_selects_the_workspace_state() {
        let cfg = load_with(None, &[("TF_WORKSPACE", "staging")]).expect("loads");
        assert_eq!(
            cfg.states,
            [StateSource::File(
                "terraform.tfstate.d/staging/terraform.tfstate".into()
            )]
        );
    }

    #[test]
    fn palin_tfstate_splits_paths_and_keeps_s3_uris() {
        let cfg = load_with(
            Some("terraform: {states: [{path: x}]}"),
            &[
                ("PALIN_TFSTATE", "a.tfstate:s3://b/k/t.tfstate:-"),
                ("TF_WORKSPACE", "w"),
            ],
        )
        .expect("loads");
        assert_eq!(cfg.states.len(), 3);
        assert_eq!(cfg.states[0], StateSource::File("a.tfstate".into()));
        let StateSource::S3(s3) = &cfg.states[1] else {
            panic!("s3 expected")
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.object_key()),
            ("b", "env:/w/k/t.tfstate".to_owned())
        );
        assert_eq!(cfg.states[2], StateSource::Stdin);
    }

    #[test]
    fn s3_keys_with_a_colon_are_refused_with_advice() {
        let err = load_with(None, &[("PALIN_TFSTATE", "s3://b/env:/staging/k.tfstate")])
            .expect_err("ambiguous")
            .to_string();
        assert!(
            err.starts_with("config PALIN_TFSTATE: s3://b/env:") && err.contains("TF_WORKSPACE"),
            "{err}"
        );
    }

    #[test]
    fn file_settings_are_read_and_validated() {
        let cfg = load_with(
            Some(
                "terraform:\n  states:\n    - path: infra/terraform.tfstate\n    - command: [terraform, state, pull]\n      dir: infra\n    - s3: {bucket: b, key: k, region: eu-west-1}\n  outputs_prefix: tf_\nhostnames: [tag:Name, private-ip-address]\ntag_groups: [Role]\nreveal: [db_password]\nconnection: {bastion: {host: jump, user: admin}}\nansible_user: {tag_Role_web: ubuntu, all: ec2-user}\n",
            ),
            &[("PALIN_REVEAL", "auth_token, x")],
        )
        .expect("loads");
        assert_eq!(
            cfg.states[0],
            StateSource::File("infra/terraform.tfstate".into())
        );
        assert_eq!(
            cfg.states[1],
            StateSource::Command {
                argv: vec!["terraform".into(), "state".into(), "pull".into()],
                dir: Some("infra".into())
            }
        );
        assert_eq!(cfg.outputs_prefix, "tf_");
        assert_eq!(cfg.tag_groups, TagGroups::Only(vec!["Role".into()]));
        assert_eq!(
            cfg.reveal.iter().map(String::as_str).collect::<Vec<_>>(),
            ["auth_token", "db_password", "x"]
        );
        assert_eq!(
            cfg.connection,
            Connection::Ssh {
                bastion: BastionRule::Host("jump".into()),
                bastion_user: Some("admin".into())
            }
        );
        assert_eq!(
            cfg.users,
            [
                ("tag_Role_web".to_owned(), "ubuntu".to_owned()),
                ("all".to_owned(), "ec2-user".to_owned())
            ]
        );
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let err = |y: &str| load_with(Some(y), &[]).expect_err("must fail").to_string();
        assert!(err("hostname: [x]").contains("unknown field `hostname`"));
        assert!(err("hostnames: [\"tag:\"]").contains("hostnames[0]: unknown entry"));
        assert!(err("connection: {mode: telnet}").contains("connection.mode"));
        assert!(
            err("terraform: {states: [{path: a, command: [b]}]}")
                .contains("terraform.states[0]: give exactly one")
        );
        assert!(err("terraform: {states: []}").contains("empty"));
        assert!(err("source: pulumi").contains("unknown source"));
        assert!(err("connection: {bastion: {tag: Role}}").contains("Key=Value"));
        let syntax = err("hostnames: [\n");
        assert!(
            syntax.starts_with("config /") && syntax.contains("/palin.yml: "),
            "{syntax}"
        );
    }

    #[test]
    fn jinja_syntax_errors_are_config_errors_even_without_strict() {
        for yaml in [
            "compose: {x: 'a +'}",
            "groups: {g: \"tags['Role' == 'web'\"}",
            "keyed_groups: [{key: 'tags.Role |'}]",
            "strict: false\ncompose: {ansible_host: 'private_ip_address }}'}",
            // minijinja 2.24's lexer panics on this one (found by fuzz/, target expression).
            "compose: {x: ' x }} y'}",
        ] {
            let err = load_with(Some(yaml), &[]).expect_err(yaml);
            assert!(err.is_config(), "{err}");
            assert!(
                err.to_string().contains("not a valid Jinja expression"),
                "{err}"
            );
        }
        // An undefined variable is met only when evaluating, so it is not a config error.
        load_with(Some("compose: {x: no_such_var}"), &[]).expect("loads");
    }

    #[test]
    fn aws_timeouts_come_from_the_file_and_the_environment() {
        let c = load_with(Some("source: aws"), &[]).expect("loads").client;
        assert_eq!(c, ClientSettings::default());
        let c = load_with(
            Some("source: aws\naws: {attempt_timeout: 2.5, max_attempts: 2}"),
            &[(ENV_OPERATION_TIMEOUT, "7")],
        )
        .expect("loads")
        .client;
        assert_eq!(c.attempt_timeout, std::time::Duration::from_millis(2500));
        assert_eq!(c.operation_timeout, std::time::Duration::from_secs(7));
        assert_eq!(c.max_attempts, 2);
        let c = load_with(None, &[(ENV_ATTEMPT_TIMEOUT, "1")])
            .expect("loads")
            .client;
        assert_eq!(c.attempt_timeout, std::time::Duration::from_secs(1));
        for (yaml, vars, want) in [
            (
                "source: aws\naws: {attempt_timeout: 0}",
                &[][..],
                "aws.attempt_timeout",
            ),
            (
                "source: aws\naws: {max_attempts: 0}",
                &[],
                "aws.max_attempts",
            ),
            (
                "source: aws",
                &[(ENV_CONNECT_TIMEOUT, "soon")],
                ENV_CONNECT_TIMEOUT,
            ),
            ("source: aws", &[(ENV_MAX_ATTEMPTS, "99")], ENV_MAX_ATTEMPTS),
        ] {
            let err = load_with(Some(yaml), vars).expect_err(yaml).to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn aws_page_size_defaults_and_is_bounded() {
        let page_size = |y: &str| match load_with(Some(y), &[]).map(|c| c.source) {
            Ok(Source::Aws(a)) => Ok(a.page_size),
            Ok(Source::Terraform) => panic!("source: aws expected"),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(page_size("source: aws"), Ok(AwsSettings::DEFAULT_PAGE_SIZE));
        assert_eq!(page_size("source: aws\naws: {page_size: 5}"), Ok(5));
        assert_eq!(page_size("source: aws\naws: {page_size: 1000}"), Ok(1000));
        for bad in ["4", "1001", "-1"] {
            let err = page_size(&format!("source: aws\naws: {{page_size: {bad}}}"))
                .expect_err("out of range");
            assert!(
                err.contains("page_size: ") && err.contains("outside 5 to 1000"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_collections_plugins_leave_their_own_keys_to_ansible() {
        let aws = |y: &str| match load_with(Some(y), &[]).map(|c| c.source) {
            Ok(Source::Aws(a)) => Ok(*a),
            Ok(Source::Terraform) => panic!("an AWS source expected"),
            Err(e) => Err(e.to_string()),
        };
        let ansible_keys = "executable: /opt/palin-inventory\ncache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_timeout: 60\ncache_connection: /tmp/c\ncache_prefix: p_\n";
        // palin.aws.aws_ec2: Ansible's cache, not palin's; the plugin's `tags` too.
        let a = aws(&format!(
            "plugin: palin.aws.aws_ec2\nregions: [eu-west-1]\n{ansible_keys}"
        ))
        .expect("loads");
        assert_eq!((a.cache, a.tags_alias), (None, true));
        // amazon.aws.aws_ec2 read through PALIN_CONFIG: its cache options are palin's cache.
        let a = aws("plugin: amazon.aws.aws_ec2\ncache: true\ncache_timeout: 60\n").expect("loads");
        assert_eq!(a.cache.map(|c| c.ttl.as_secs()), Some(60));
        assert!(a.tags_alias);
        for key in ["executable", "cache_prefix"] {
            let err = aws(&format!("plugin: amazon.aws.aws_ec2\n{key}: x\n")).expect_err(key);
            assert!(err.contains(&format!("option \"{key}\"")), "{err}");
        }
        // A typo is still named, whichever plugin the file is for.
        let err = aws("plugin: palin.aws.aws_ec2\nregoins: [eu-west-1]\n").expect_err("typo");
        assert!(err.contains("option \"regoins\""), "{err}");

        // palin.aws.palin: the same palin.yml, whatever Ansible's keys say.
        let plain =
            load_with(Some("source: aws\naws: {regions: [eu-west-1]}\n"), &[]).expect("loads");
        let with_plugin = load_with(
            Some(&format!(
                "plugin: palin.aws.palin\n{ansible_keys}source: aws\naws: {{regions: [eu-west-1]}}\n"
            )),
            &[],
        )
        .expect("loads");
        assert_eq!(plain, with_plugin);
        let Source::Aws(a) = &plain.source else {
            panic!("aws")
        };
        assert!(!a.tags_alias, "palin.yml keeps ec2_tags only");
        let err = load_with(Some("plugin: palin.aws.palin\nexecutible: /x\n"), &[])
            .expect_err("typo")
            .to_string();
        assert!(err.contains("unknown field `executible`"), "{err}");
        // Without the plugin line, Ansible's keys are not palin.yml settings.
        let err = load_with(Some("cache: true\n"), &[])
            .expect_err("not palin's")
            .to_string();
        assert!(err.contains("unknown field `cache`"), "{err}");
        let err = load_with(Some("plugin: amazon.aws.aws_rds\n"), &[])
            .expect_err("other plugin")
            .to_string();
        assert!(
            err.contains("plugin: not supported") && !err.contains("aws_rds"),
            "{err}"
        );
    }

    #[test]
    fn missing_explicit_config_is_an_error() {
        let err = load_with(None, &[("PALIN_CONFIG", "/nonexistent/palin.yml")])
            .expect_err("must fail")
            .to_string();
        assert_eq!(
            err,
            "config /nonexistent/palin.yml: cannot read it: no such file"
        );
    }
}
