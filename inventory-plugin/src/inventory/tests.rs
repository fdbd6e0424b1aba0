//! Tests of naming, grouping, connection settings and the endpoint variable scheme (pure: models in, inventories out).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::*;
use crate::config::{self, Context, Overrides};
use crate::model::{Cache, CacheKind, Database, DatabaseKind, Origin, Output, RawJson};

fn config(yaml: &str) -> Config {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("palin.yml"), yaml).expect("write config");
    let env = |_: &str| None;
    let ctx = Context {
        env: &env,
        cwd: dir.path().to_path_buf(),
        exe_dir: None,
    };
    config::load(&Overrides::default(), &ctx).expect("valid config")
}

fn instance(
    id: &str,
    name: Option<&str>,
    private_ip: &str,
    public_ip: Option<&str>,
    tags: &[(&str, &str)],
) -> Instance {
    let mut t: BTreeMap<String, String> = tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(n) = name {
        t.insert("Name".into(), n.into());
    }
    Instance {
        instance_id: id.into(),
        private_ip: Some(private_ip.into()),
        public_ip: public_ip.map(Into::into),
        availability_zone: Some("eu-west-1a".into()),
        region: Some("eu-west-1".into()),
        tags: t,
        origin: Origin {
            source: "t".into(),
            address: Some(format!("module.app.aws_instance.{id}")),
            module: Some("module.app".into()),
            resource: Some("aws_instance.web".into()),
        },
        ..Instance::default()
    }
}

fn db(id: &str, engine: &str) -> Database {
    Database {
        id: id.into(),
        kind: DatabaseKind::Instance,
        host: format!("{id}.rds.example"),
        port: Some(5432),
        reader_host: None,
        engine: Some(engine.into()),
        engine_version: None,
        db_name: Some("app".into()),
        username: Some("admin".into()),
        password: None,
        arn: None,
        region: None,
        origin: Origin {
            source: "t".into(),
            ..Origin::default()
        },
    }
}

fn cache(id: &str) -> Cache {
    Cache {
        id: id.into(),
        kind: CacheKind::ReplicationGroup,
        host: format!("master.{id}.cache"),
        port: Some(6379),
        reader_host: Some(format!("replica.{id}.cache")),
        tls: Some(true),
        engine: Some("redis".into()),
        engine_version: None,
        cluster_mode: false,
        nodes: vec![],
        auth_token: None,
        arn: None,
        region: None,
        origin: Origin {
            source: "t".into(),
            ..Origin::default()
        },
    }
}

#[test]
fn colliding_names_get_instance_ids_and_nothing_is_dropped() {
    let model = Model {
        instances: vec![
            instance("i-2", Some("web"), "10.0.0.2", None, &[]),
            instance("i-1", Some("web"), "10.0.0.1", None, &[]),
            instance("i-3", None, "10.0.0.3", None, &[]),
            instance("i-1", Some("web"), "10.0.0.1", None, &[]), // the same instance from a second state
        ],
        ..Model::default()
    };
    let inv = build(model.clone(), &config("")).expect("builds");
    assert_eq!(
        inv.hostvars.keys().collect::<Vec<_>>(),
        ["i-3", "web_i-1", "web_i-2"]
    );
}

#[test]
fn groups_come_from_tags_resource_and_nested_modules() {
    let mut nested = instance(
        "i-9",
        Some("cache-0"),
        "10.0.0.9",
        None,
        &[("Role", "cache node")],
    );
    nested.origin.module = Some("module.app.module.cache".into());
    let model = Model {
        instances: vec![
            instance(
                "i-1",
                Some("web-0"),
                "10.0.0.1",
                None,
                &[("Role", "web"), ("Env", "prod")],
            ),
            nested,
        ],
        ..Model::default()
    };
    let inv = build(model.clone(), &config("")).expect("builds");
    let names: Vec<&str> = inv.groups.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "aws_ec2",
            "aws_instance_web",
            "module_app",
            "module_app_module_cache",
            "tag_Env_prod",
            "tag_Role_cache_node",
            "tag_Role_web"
        ]
    );
    assert_eq!(
        inv.groups["module_app"].children.iter().collect::<Vec<_>>(),
        ["module_app_module_cache"]
    );
    assert!(!inv.top_groups().contains("module_app_module_cache"));
    let only_role = build(model.clone(), &config("tag_groups: [Role]")).expect("builds");
    assert!(!only_role.groups.contains_key("tag_Env_prod"));
}

#[test]
fn safe_group_names() {
    assert_eq!(safe_group_name("tag_Name_web-1.a"), "tag_Name_web_1_a");
    assert_eq!(safe_group_name("1st"), "_st");
    assert_eq!(safe_group_name("tag_K_é"), "tag_K_é");
    assert_eq!(safe_group_name("-x"), "_x");
}

#[test]
fn private_hosts_jump_through_the_bastion() {
    let model = Model {
        instances: vec![
            instance(
                "i-b",
                Some("bastion"),
                "10.0.100.1",
                Some("198.51.100.1"),
                &[("Role", "bastion")],
            ),
            instance("i-1", Some("web-0"), "10.0.0.1", None, &[("Role", "web")]),
            instance(
                "i-2",
                Some("web-pub"),
                "10.0.0.2",
                Some("198.51.100.2"),
                &[("Role", "web")],
            ),
        ],
        ..Model::default()
    };
    let inv = build(
        model.clone(),
        &config("ansible_user: {tag_Role_bastion: admin, all: ec2-user}"),
    )
    .expect("builds");
    assert_eq!(inv.hostvars["web-0"].to_map()["ansible_host"], "10.0.0.1");
    assert_eq!(
        inv.hostvars["web-0"].to_map()["ansible_ssh_common_args"],
        "-o ProxyJump=admin@198.51.100.1"
    );
    assert_eq!(inv.hostvars["web-0"].to_map()["ansible_user"], "ec2-user");
    assert_eq!(inv.hostvars["bastion"].to_map()["ansible_user"], "admin");
    assert!(!inv.hostvars["bastion"].contains_key("ansible_ssh_common_args"));
    assert_eq!(
        inv.hostvars["web-pub"].to_map()["ansible_host"],
        "198.51.100.2"
    );
    assert!(!inv.hostvars["web-pub"].contains_key("ansible_ssh_common_args"));

    let off = build(model.clone(), &config("connection: {bastion: false}")).expect("builds");
    assert!(!off.hostvars["web-0"].contains_key("ansible_ssh_common_args"));

    let named = build(
        model.clone(),
        &config("connection: {bastion: {host: web-pub, user: jump}}"),
    )
    .expect("builds");
    assert_eq!(
        named.hostvars["web-0"].to_map()["ansible_ssh_common_args"],
        "-o ProxyJump=jump@198.51.100.2"
    );

    let missing = build(
        model.clone(),
        &config("connection: {bastion: {host: nope}}"),
    )
    .expect_err("unknown bastion");
    assert!(
        missing
            .to_string()
            .contains("connection.bastion.host: no host has that name or instance id"),
        "{missing}"
    );
    let by_id = build(model.clone(), &config("connection: {bastion: {host: i-2}}"))
        .expect("an instance id pins the bastion");
    assert_eq!(
        by_id.hostvars["web-0"].to_map()["ansible_ssh_common_args"],
        "-o ProxyJump=198.51.100.2"
    );
}

#[test]
fn the_bastion_is_chosen_never_guessed() {
    let bastion = |id: &str, name: &str, public: &str| {
        instance(
            id,
            Some(name),
            "10.0.100.1",
            Some(public),
            &[("Role", "bastion")],
        )
    };
    let web = instance("i-1", Some("web-0"), "10.0.0.1", None, &[]);
    let two = Model {
        instances: vec![
            bastion("i-b", "bastion", "198.51.100.1"),
            bastion("i-evil", "0-anything", "203.0.113.9"),
            web.clone(),
        ],
        ..Model::default()
    };
    let err = build(two.clone(), &config(""))
        .expect_err("two candidates")
        .to_string();
    assert_eq!(
        err,
        "connection.bastion: 2 instances match the bastion tag (i-b, i-evil); pin one with connection.bastion.host (its host name or instance id), or set connection.bastion: false"
    );
    let pinned = build(two.clone(), &config("connection: {bastion: {host: i-b}}")).expect("pinned");
    assert_eq!(
        pinned.hostvars["web-0"].to_map()["ansible_ssh_common_args"],
        "-o ProxyJump=198.51.100.1"
    );
    // A Name tag equal to the pinned id, listed first, does not take the pin over.
    let mut spoof = two;
    spoof.instances[1].tags.insert("Name".into(), "i-b".into());
    spoof.instances.swap(0, 1);
    let pinned = build(spoof, &config("connection: {bastion: {host: i-b}}")).expect("pinned");
    assert_eq!(
        pinned.hostvars["web-0"].to_map()["ansible_ssh_common_args"],
        "-o ProxyJump=198.51.100.1"
    );
    let none = Model {
        instances: vec![web.clone()],
        ..Model::default()
    };
    let plain = build(none, &config("")).expect("no bastion asked for, none found");
    assert!(!plain.hostvars["web-0"].contains_key("ansible_ssh_common_args"));

    for public in ["198.51.100.7|touch /tmp/x", "-oProxyCommand=id", "a b"] {
        let model = Model {
            instances: vec![bastion("i-b", "bastion", public), web.clone()],
            ..Model::default()
        };
        let err = build(model, &config(""))
            .expect_err("a shell in the address")
            .to_string();
        assert_eq!(
            err,
            "bastion (instance i-b): its public address is neither an IP address nor an RFC 1123 host name; refusing to put it into ProxyJump"
        );
    }
    let v6 = Model {
        instances: vec![bastion("i-b", "bastion", "2001:db8::7"), web.clone()],
        ..Model::default()
    };
    let v6 = build(v6, &config("connection: {bastion: {user: jump}}")).expect("IPv6 bastion");
    assert_eq!(
        v6.hostvars["web-0"].to_map()["ansible_ssh_common_args"],
        "-o ProxyJump=jump@[2001:db8::7]"
    );
    let model = Model {
        instances: vec![bastion("i-b", "bastion", "198.51.100.1"), web],
        ..Model::default()
    };
    let err = build(model, &config("connection: {bastion: {user: 'a;id'}}"))
        .expect_err("a user that is not plain")
        .to_string();
    assert!(err.starts_with("bastion (instance i-b): its user"), "{err}");
}

#[test]
fn names_never_impersonate_the_controller_or_carry_templates() {
    let model = Model {
        instances: vec![
            instance("i-1", Some("localhost"), "10.0.0.1", None, &[]),
            instance(
                "i-2",
                Some("{{ lookup('pipe', 'id') }}"),
                "10.0.0.2",
                None,
                &[],
            ),
            instance("i-3", Some("127.0.0.1"), "10.0.0.3", None, &[]),
            instance("i-4", Some("-oProxyCommand=x"), "10.0.0.4", None, &[]),
            instance("i-5", Some("web-5"), "10.0.0.5", None, &[]),
        ],
        ..Model::default()
    };
    let inv = build(model.clone(), &config("connection: {bastion: false}")).expect("builds");
    let names: Vec<&str> = inv.hostvars.keys().map(String::as_str).collect();
    assert_eq!(names, ["i-1", "i-2", "i-3", "i-4", "web-5"]);
    let by_ip = build(
        model,
        &config("hostnames: [tag:Name, private-ip-address]\nconnection: {bastion: false}"),
    )
    .expect("builds");
    assert!(by_ip.hostvars.contains_key("10.0.0.1") && !by_ip.hostvars.contains_key("localhost"));

    let bad_id = Model {
        instances: vec![instance("localhost", None, "10.0.0.1", None, &[])],
        ..Model::default()
    };
    let err = build(bad_id, &config(""))
        .expect_err("a state-made id")
        .to_string();
    assert!(
        err.starts_with("t holds an EC2 instance whose id is not a plain identifier"),
        "{err}"
    );
}

#[test]
fn connection_values_and_reserved_groups_are_checked_on_the_final_inventory() {
    let model = Model {
        instances: vec![instance(
            "i-1",
            Some("web-0"),
            "10.0.0.1",
            None,
            &[("Addr", "-oProxyCommand=id"), ("G", "meta"), ("K", "all")],
        )],
        ..Model::default()
    };
    let err = build(
        model.clone(),
        &config("compose: {ansible_host: ec2_tags.Addr}"),
    )
    .expect_err("an option in ansible_host")
    .to_string();
    assert_eq!(
        err,
        "instance i-1: ansible_host is neither an IP address nor an RFC 1123 host name; refusing the inventory rather than passing it to ssh"
    );
    let err = build(
        model.clone(),
        &config("compose: {ansible_user: ec2_tags.Addr}"),
    )
    .expect_err("an option in ansible_user")
    .to_string();
    assert!(
        err.starts_with("instance i-1: ansible_user is not a plain user name"),
        "{err}"
    );
    let err = build(model.clone(), &config("keyed_groups: [{key: ec2_tags.G}]"))
        .expect_err("_meta")
        .to_string();
    assert!(err.contains("a group named _meta"), "{err}");
    let inv = build(
        model,
        &config("keyed_groups: [{key: ec2_tags.K, separator: ''}, {key: ec2_tags.K, prefix: x, parent_group: all}]"),
    )
    .expect("all adds nothing");
    assert!(!inv.groups.contains_key("all") && inv.groups.contains_key("x_all"));
    assert!(inv.top_groups().contains("x_all"));
}

#[test]
fn a_bastion_without_public_address_is_an_error() {
    let model = Model {
        instances: vec![instance(
            "i-b",
            Some("bastion"),
            "10.0.100.1",
            None,
            &[("Role", "bastion")],
        )],
        ..Model::default()
    };
    let err = build(model.clone(), &config(""))
        .expect_err("no public address")
        .to_string();
    assert!(
        err.contains("bastion bastion has no public address"),
        "{err}"
    );
}

#[test]
fn ssm_mode_connects_by_instance_id() {
    let model = Model {
        instances: vec![instance("i-1", Some("web-0"), "10.0.0.1", None, &[])],
        ..Model::default()
    };
    let inv = build(
        model.clone(),
        &config("connection: {mode: ssm, ssm_bucket: b}"),
    )
    .expect("builds");
    let v = &inv.hostvars["web-0"].to_map();
    assert_eq!(v["ansible_host"], "i-1");
    assert_eq!(v["ansible_connection"], "community.aws.aws_ssm");
    assert_eq!(v["ansible_aws_ssm_region"], "eu-west-1");
    assert_eq!(v["ansible_aws_ssm_bucket_name"], "b");
}

#[test]
fn eip_wins_for_ansible_host_and_public_address() {
    let mut m = Model {
        instances: vec![instance(
            "i-1",
            Some("web"),
            "10.0.0.1",
            Some("198.51.100.7"),
            &[],
        )],
        ..Model::default()
    };
    m.elastic_ips.push(crate::model::ElasticIp {
        instance_id: "i-1".into(),
        public_ip: "203.0.113.5".into(),
        public_dns: None,
    });
    m.attach_elastic_ips();
    let inv = build(m.clone(), &config("")).expect("builds");
    assert_eq!(inv.hostvars["web"].to_map()["ansible_host"], "203.0.113.5");
    assert_eq!(
        inv.hostvars["web"].to_map()["public_ip_address"],
        "203.0.113.5"
    );
    let private = build(m.clone(), &config("ansible_host: [private-ip-address]")).expect("builds");
    assert_eq!(private.hostvars["web"].to_map()["ansible_host"], "10.0.0.1");
}

#[test]
fn endpoint_aliases_exist_only_for_a_single_endpoint_of_a_kind() {
    let one = Model {
        databases: vec![db("app", "postgres")],
        caches: vec![cache("c")],
        ..Model::default()
    };
    let inv = build(one.clone(), &config("")).expect("builds");
    assert_eq!(inv.all_vars["palin_postgres_host"], "app.rds.example");
    assert_eq!(inv.all_vars["palin_postgres_port"], 5432);
    assert_eq!(inv.all_vars["palin_postgres_db_name"], "app");
    assert_eq!(inv.all_vars["palin_redis_host"], "master.c.cache");
    assert_eq!(inv.all_vars["palin_redis_reader_host"], "replica.c.cache");
    assert_eq!(inv.all_vars["palin_redis_tls"], true);
    assert_eq!(
        inv.all_vars["palin_rds"]["app"]["endpoint"],
        "app.rds.example:5432"
    );
    assert!(!inv.all_vars.contains_key("palin_mysql_host"));

    let two = Model {
        databases: vec![
            db("a", "postgres"),
            db("b", "aurora-postgresql"),
            db("m", "mysql"),
        ],
        ..Model::default()
    };
    let inv = build(two.clone(), &config("")).expect("builds");
    assert!(!inv.all_vars.contains_key("palin_postgres_host"));
    assert_eq!(inv.all_vars["palin_mysql_host"], "m.rds.example");
    assert_eq!(inv.all_vars["palin_rds"].as_object().map(Map::len), Some(3));
    assert_eq!(inv.all_vars["palin_redis"], json!({}));
}

#[test]
fn endpoint_hosts_are_local_hosts_in_their_groups() {
    let m = Model {
        databases: vec![db("app", "postgres")],
        caches: vec![cache("c")],
        ..Model::default()
    };
    let inv = build(m.clone(), &config("endpoint_hosts: true")).expect("builds");
    assert_eq!(
        inv.groups[GROUP_RDS].hosts.iter().collect::<Vec<_>>(),
        ["app"]
    );
    assert_eq!(
        inv.groups[GROUP_ELASTICACHE]
            .hosts
            .iter()
            .collect::<Vec<_>>(),
        ["c"]
    );
    assert_eq!(inv.hostvars["app"].to_map()["ansible_connection"], "local");
    assert_eq!(
        inv.hostvars["app"].to_map()["ansible_host"],
        "app.rds.example"
    );
    assert_eq!(inv.hostvars["c"].to_map()["palin_endpoint"]["port"], 6379);
}

#[test]
fn endpoints_sharing_a_name_are_kept_apart_or_merged() {
    // The same database read from two states is one endpoint.
    let mut again = db("app", "postgres");
    again.origin.source = "other.tfstate".into();
    let m = Model {
        databases: vec![db("app", "postgres"), again],
        ..Model::default()
    };
    let inv = build(m.clone(), &config("")).expect("builds");
    assert_eq!(inv.all_vars["palin_rds"].as_object().map(Map::len), Some(1));
    assert_eq!(inv.all_vars["palin_postgres_host"], "app.rds.example");

    // The same identifier in two regions: both kept, keyed by region.
    let mut eu = db("app", "postgres");
    eu.region = Some("eu-west-1".into());
    let mut us = db("app", "postgres");
    us.region = Some("us-east-1".into());
    us.host = "app.us.rds.example".into();
    let inv = build(
        Model {
            databases: vec![us.clone(), eu.clone()],
            ..Model::default()
        },
        &config(""),
    )
    .expect("builds");
    let keys: Vec<&String> = inv.all_vars["palin_rds"]
        .as_object()
        .expect("dict")
        .keys()
        .collect();
    assert_eq!(keys, ["app_eu-west-1", "app_us-east-1"]);

    // Same region, two accounts: keyed by account and region.
    let mut a = eu.clone();
    a.arn = Some("arn:aws:rds:eu-west-1:111111111111:db:app".into());
    let mut b = eu.clone();
    b.host = "app.other.rds.example".into();
    b.arn = Some("arn:aws:rds:eu-west-1:222222222222:db:app".into());
    let inv = build(
        Model {
            databases: vec![a, b.clone()],
            ..Model::default()
        },
        &config(""),
    )
    .expect("builds");
    let keys: Vec<&String> = inv.all_vars["palin_rds"]
        .as_object()
        .expect("dict")
        .keys()
        .collect();
    assert_eq!(
        keys,
        ["app_111111111111_eu-west-1", "app_222222222222_eu-west-1"]
    );

    // Indistinguishable but different: an error naming both sources.
    let mut c = b.clone();
    c.host = "app.third.rds.example".into();
    c.origin.source = "other.tfstate".into();
    let err = build(
        Model {
            databases: vec![b, c],
            ..Model::default()
        },
        &config(""),
    )
    .expect_err("ambiguous")
    .to_string();
    assert!(
        err.contains("two RDS databases named \"app\"") && err.contains("t and other.tfstate"),
        "{err}"
    );
}

#[test]
fn outputs_merge_when_equal_and_fail_when_they_disagree() {
    let out = |name: &str, value: Value, source: &str| Output {
        name: name.into(),
        value: RawJson(serde_json::value::to_raw_value(&value).expect("json")),
        origin: Origin {
            source: source.into(),
            ..Origin::default()
        },
    };
    let same = Model {
        outputs: vec![
            out("vpc-id", json!("vpc-1"), "a"),
            out("vpc-id", json!("vpc-1"), "b"),
        ],
        ..Model::default()
    };
    let inv = build(same.clone(), &config("")).expect("builds");
    assert_eq!(inv.all_vars_tree()["vpc_id"], "vpc-1");
    let prefixed =
        build(same.clone(), &config("terraform: {outputs_prefix: tf_}")).expect("builds");
    assert_eq!(prefixed.all_vars_tree()["tf_vpc_id"], "vpc-1");
    let off = build(same.clone(), &config("terraform: {outputs: false}")).expect("builds");
    assert!(!off.all_vars_tree().contains_key("vpc_id"));

    let differ = Model {
        outputs: vec![
            out("vpc_id", json!("vpc-1"), "a"),
            out("vpc_id", json!("vpc-2"), "b"),
        ],
        ..Model::default()
    };
    let err = build(differ.clone(), &config(""))
        .expect_err("conflict")
        .to_string();
    assert!(err.contains("different values in a and b"), "{err}");

    let reserved = Model {
        outputs: vec![
            out("tags", json!({"Env": "prod"}), "a"),
            out("port", json!(1), "a"),
            out("ansible_ssh_common_args", json!("-o ProxyCommand=id"), "a"),
            out("ansible-become-exe", json!("x"), "a"),
            out("hostvars", json!({}), "a"),
        ],
        ..Model::default()
    };
    let inv = build(reserved.clone(), &config("")).expect("builds");
    let vars = inv.all_vars_tree();
    assert_eq!(vars["tf_tags"], json!({"Env": "prod"}));
    assert_eq!(vars["tf_port"], 1);
    assert!(!vars.contains_key("tags") && !vars.contains_key("port"));
    // A state writer never sets how Ansible connects or shadows a magic variable.
    assert_eq!(vars["tf_ansible_ssh_common_args"], "-o ProxyCommand=id");
    assert_eq!(vars["tf_ansible_become_exe"], "x");
    assert_eq!(vars["tf_hostvars"], json!({}));
    assert!(
        !vars
            .keys()
            .any(|k| k.starts_with("ansible_") || k == "hostvars")
    );

    let clash = Model {
        outputs: vec![out("palin_rds", json!(1), "a")],
        ..Model::default()
    };
    assert!(
        build(clash.clone(), &config(""))
            .expect_err("clash")
            .to_string()
            .contains("outputs_prefix")
    );
}
