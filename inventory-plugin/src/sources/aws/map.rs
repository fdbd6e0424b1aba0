//! AWS API responses → palin's model (pure, no I/O). The endpoint fields land in the same model
//! types the Terraform source fills, so both sources give playbooks the same variables.

use std::collections::BTreeMap;

use crate::model::{
    Cache, CacheKind, CacheNode, Database, DatabaseKind, Instance, Origin, region_of,
};

use super::ec2_vars;

fn s(v: Option<&str>) -> Option<String> {
    v.filter(|v| !v.is_empty()).map(str::to_owned)
}

fn port(p: Option<i32>) -> Option<u16> {
    p.and_then(|p| u16::try_from(p).ok()).filter(|p| *p != 0)
}

/// Where an item was read: `aws:<account>/<region>`.
pub fn origin(account: &str, region: &str) -> Origin {
    Origin {
        source: format!("aws:{account}/{region}"),
        ..Origin::default()
    }
}

/// One EC2 instance of a reservation, its API variables with the tag dict under `tags`' names.
pub fn instance(
    reservation: &aws_sdk_ec2::types::Reservation,
    i: &aws_sdk_ec2::types::Instance,
    region: &str,
    origin: Origin,
    tags: ec2_vars::TagVars,
) -> Option<Instance> {
    let placement = i.placement();
    let az = placement.and_then(|p| p.availability_zone());
    Some(Instance {
        instance_id: s(i.instance_id())?,
        instance_type: i.instance_type().map(|t| t.as_str().to_owned()),
        image_id: s(i.image_id()),
        key_name: s(i.key_name()),
        subnet_id: s(i.subnet_id()),
        availability_zone: s(az),
        region: region_of(Some(region), None, az),
        private_ip: s(i.private_ip_address()),
        // In the API the public address already is the Elastic IP when one is associated.
        public_ip: s(i.public_ip_address()),
        private_dns: s(i.private_dns_name()),
        public_dns: s(i.public_dns_name()),
        eip: None,
        eip_dns: None,
        state: i
            .state()
            .and_then(|st| st.name())
            .map(|n| n.as_str().to_owned()),
        security_group_ids: i
            .security_groups()
            .iter()
            .filter_map(|g| s(g.group_id()))
            .collect(),
        tags: i
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect::<BTreeMap<_, _>>(),
        origin,
        api_vars: Some(crate::model::ApiVars(ec2_vars::instance_json(
            reservation,
            i,
            tags,
        ))),
    })
}

/// An RDS DB instance, unless it belongs to an Aurora cluster (reached through the cluster).
pub fn db_instance(
    d: &aws_sdk_rds::types::DbInstance,
    region: &str,
    origin: Origin,
) -> Option<Database> {
    if d.db_cluster_identifier().is_some_and(|c| !c.is_empty()) {
        return None;
    }
    let endpoint = d.endpoint()?;
    Some(Database {
        id: s(d.db_instance_identifier())?,
        kind: DatabaseKind::Instance,
        host: s(endpoint.address())?,
        port: port(endpoint.port()),
        reader_host: None,
        engine: s(d.engine()),
        engine_version: s(d.engine_version()),
        db_name: s(d.db_name()),
        username: s(d.master_username()),
        password: None,
        arn: s(d.db_instance_arn()),
        region: region_of(Some(region), d.db_instance_arn(), d.availability_zone()),
        origin,
    })
}

/// An Aurora (or Multi-AZ) DB cluster with its writer and reader endpoints.
pub fn db_cluster(
    c: &aws_sdk_rds::types::DbCluster,
    region: &str,
    origin: Origin,
) -> Option<Database> {
    Some(Database {
        id: s(c.db_cluster_identifier())?,
        kind: DatabaseKind::Cluster,
        host: s(c.endpoint())?,
        port: port(c.port()),
        reader_host: s(c.reader_endpoint()),
        engine: s(c.engine()),
        engine_version: s(c.engine_version()),
        db_name: s(c.database_name()),
        username: s(c.master_username()),
        password: None,
        arn: s(c.db_cluster_arn()),
        region: region_of(Some(region), c.db_cluster_arn(), None),
        origin,
    })
}

/// A replication group: primary and reader endpoints, or the configuration endpoint in cluster mode.
pub fn replication_group(
    g: &aws_sdk_elasticache::types::ReplicationGroup,
    region: &str,
    origin: Origin,
) -> Option<Cache> {
    let group = g.node_groups().first();
    let primary = group.and_then(|n| n.primary_endpoint());
    let configuration = g.configuration_endpoint();
    let cluster_mode = primary.is_none() && configuration.is_some();
    let main = primary.or(configuration)?;
    Some(Cache {
        id: s(g.replication_group_id())?,
        kind: CacheKind::ReplicationGroup,
        host: s(main.address())?,
        port: port(main.port()),
        reader_host: group
            .and_then(|n| n.reader_endpoint())
            .and_then(|e| s(e.address())),
        tls: g.transit_encryption_enabled(),
        engine: s(g.engine()).or_else(|| Some("redis".to_owned())),
        engine_version: None,
        cluster_mode,
        nodes: Vec::new(),
        auth_token: None,
        arn: s(g.arn()),
        region: region_of(Some(region), g.arn(), None),
        origin,
    })
}

/// A standalone Redis / Valkey cache cluster (members of a replication group and memcached are skipped).
pub fn cache_cluster(
    c: &aws_sdk_elasticache::types::CacheCluster,
    region: &str,
    origin: Origin,
) -> Option<Cache> {
    let engine = s(c.engine())?;
    if c.replication_group_id().is_some_and(|g| !g.is_empty())
        || !matches!(engine.as_str(), "redis" | "valkey")
    {
        return None;
    }
    let nodes: Vec<CacheNode> = c
        .cache_nodes()
        .iter()
        .filter_map(|n| {
            let e = n.endpoint()?;
            Some(CacheNode {
                id: n.cache_node_id().unwrap_or_default().to_owned(),
                host: s(e.address())?,
                port: port(e.port()),
                availability_zone: s(n.customer_availability_zone()),
            })
        })
        .collect();
    let first = nodes.first()?;
    Some(Cache {
        id: s(c.cache_cluster_id())?,
        kind: CacheKind::Cluster,
        host: first.host.clone(),
        port: first.port,
        reader_host: None,
        tls: c.transit_encryption_enabled(),
        engine: Some(engine),
        engine_version: s(c.engine_version()),
        cluster_mode: false,
        auth_token: None,
        arn: s(c.arn()),
        region: region_of(Some(region), c.arn(), c.preferred_availability_zone()),
        nodes,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types as ec2;
    use aws_sdk_elasticache::types as ec;
    use aws_sdk_rds::types as rds;

    use super::*;

    #[test]
    fn instance_fields_and_tags() {
        let i = ec2::Instance::builder()
            .instance_id("i-1")
            .instance_type(ec2::InstanceType::T3Micro)
            .private_ip_address("10.0.0.5")
            .public_ip_address("")
            .placement(
                ec2::Placement::builder()
                    .availability_zone("eu-west-1b")
                    .build(),
            )
            .state(
                ec2::InstanceState::builder()
                    .name(ec2::InstanceStateName::Running)
                    .build(),
            )
            .tags(ec2::Tag::builder().key("Name").value("web-0").build())
            .security_groups(ec2::GroupIdentifier::builder().group_id("sg-1").build())
            .build();
        let r = ec2::Reservation::builder().instances(i.clone()).build();
        let m = instance(
            &r,
            &i,
            "eu-west-1",
            origin("123", "eu-west-1"),
            ec2_vars::TagVars::Ec2Tags,
        )
        .expect("has an id");
        assert_eq!(m.instance_type.as_deref(), Some("t3.micro"));
        assert_eq!(m.public_ip, None, "empty strings are absent");
        assert_eq!(m.region.as_deref(), Some("eu-west-1"));
        assert_eq!(m.state.as_deref(), Some("running"));
        assert_eq!(m.tags["Name"], "web-0");
        assert_eq!(m.security_group_ids, ["sg-1"]);
        assert_eq!(m.origin.source, "aws:123/eu-west-1");
    }

    #[test]
    fn aurora_members_are_reached_through_their_cluster() {
        let member = rds::DbInstance::builder()
            .db_instance_identifier("rep-1")
            .db_cluster_identifier("rep")
            .endpoint(
                rds::Endpoint::builder()
                    .address("rep-1.x")
                    .port(5432)
                    .build(),
            )
            .build();
        assert!(db_instance(&member, "eu-west-1", Origin::default()).is_none());
        let solo = rds::DbInstance::builder()
            .db_instance_identifier("app")
            .engine("postgres")
            .endpoint(rds::Endpoint::builder().address("app.x").port(5432).build())
            .build();
        let db = db_instance(&solo, "eu-west-1", Origin::default()).expect("mapped");
        assert_eq!((db.host.as_str(), db.port), ("app.x", Some(5432)));
        let cluster = rds::DbCluster::builder()
            .db_cluster_identifier("rep")
            .endpoint("rep.cluster-x")
            .reader_endpoint("rep.cluster-ro-x")
            .port(5432)
            .build();
        let c = db_cluster(&cluster, "eu-west-1", Origin::default()).expect("mapped");
        assert_eq!(c.reader_host.as_deref(), Some("rep.cluster-ro-x"));
    }

    #[test]
    fn replication_group_primary_reader_and_cluster_mode() {
        let ep = |a: &str| ec::Endpoint::builder().address(a).port(6379).build();
        let g = ec::ReplicationGroup::builder()
            .replication_group_id("cache")
            .node_groups(
                ec::NodeGroup::builder()
                    .primary_endpoint(ep("master.cache"))
                    .reader_endpoint(ep("replica.cache"))
                    .build(),
            )
            .transit_encryption_enabled(true)
            .build();
        let c = replication_group(&g, "eu-west-1", Origin::default()).expect("mapped");
        assert_eq!(
            (c.host.as_str(), c.reader_host.as_deref(), c.tls),
            ("master.cache", Some("replica.cache"), Some(true))
        );
        let clustered = ec::ReplicationGroup::builder()
            .replication_group_id("big")
            .configuration_endpoint(ep("clustercfg.big"))
            .node_groups(ec::NodeGroup::builder().build())
            .build();
        let c = replication_group(&clustered, "eu-west-1", Origin::default()).expect("mapped");
        assert!(c.cluster_mode);
        assert_eq!(c.host, "clustercfg.big");
    }

    #[test]
    fn cache_cluster_members_and_memcached_are_skipped() {
        let node = ec::CacheNode::builder()
            .cache_node_id("0001")
            .endpoint(
                ec::Endpoint::builder()
                    .address("solo.cache")
                    .port(6379)
                    .build(),
            )
            .build();
        let solo = ec::CacheCluster::builder()
            .cache_cluster_id("solo")
            .engine("redis")
            .cache_nodes(node.clone())
            .build();
        assert_eq!(
            cache_cluster(&solo, "eu-west-1", Origin::default()).map(|c| c.host),
            Some("solo.cache".into())
        );
        let member = ec::CacheCluster::builder()
            .cache_cluster_id("m")
            .engine("redis")
            .replication_group_id("cache")
            .cache_nodes(node.clone())
            .build();
        assert!(cache_cluster(&member, "eu-west-1", Origin::default()).is_none());
        let mc = ec::CacheCluster::builder()
            .cache_cluster_id("mc")
            .engine("memcached")
            .cache_nodes(node)
            .build();
        assert!(cache_cluster(&mc, "eu-west-1", Origin::default()).is_none());
    }
}
