"""Seed a running moto_server with the AWS estate that palin-inventory's AWS API tests read.

As a CLI (prints a JSON summary of what it created on stdout):

    .venv/bin/python tests/aws/seed.py --endpoint http://127.0.0.1:5000
    .venv/bin/python tests/aws/seed.py --endpoint http://127.0.0.1:5000 --count 1000 --reset

As a module: ``seed(endpoint)`` creates the fixture estate below and returns an ``Estate``;
``seed_count(endpoint, n)`` creates ``n`` plain, named instances as fast as moto allows (for
benchmarks).

The fixture estate (``seed``), two regions and three availability zones:

EC2, eu-west-1 (VPC 10.10.0.0/16; a public subnet in eu-west-1a, private ones in a, b and c):
  bastion-1   Role=bastion Env=prod     public subnet, an Elastic IP, t3.micro
  web-1..3    Role=web     Env=prod     private, one per AZ; web-1 has an IAM instance profile
  worker-1    Role=worker  Env=prod     private, stopped
  worker-2    Role=worker  Env=prod     private; shares its Name with a us-east-1 instance
  (no Name)   Role=worker  Env=prod     private: named by its private IP
  scratch-1   Role=scratch Env=prod     private (an exclude_filters target)
  dev-1       Role=web     Env=dev      private (outside an Env filter)
  old-web     Role=web     Env=prod     terminated
EC2, us-east-1 (VPC 10.20.0.0/16; public subnet in us-east-1a, private in us-east-1b):
  web-4       Role=web     Env=staging  public subnet (auto-assigned public IP); also tagged
                                        kubernetes.io/cluster/apps=owned (a key to sanitise)
  worker-2    Role=worker  Env=staging  private (the Name collision)
  (no Name)   Role=worker  Env=staging  private
  (Name "")   Role=worker  Env=staging  private: an empty Name tag counts as none
RDS, eu-west-1: postgres instance ``app-db``; aurora-postgresql cluster ``app-aurora`` with the
  instances ``app-aurora-1`` and ``app-aurora-2``.
RDS, us-east-1 (``bulk_rds``): more than 100 postgres instances ``bulk-db-NNN``; moto pages
  DescribeDBInstances at 100 records, so they prove pagination. (moto returns every DB
  *cluster* in one page whatever their number, so many clusters would prove nothing.)
ElastiCache, eu-west-1: standalone redis cache cluster ``sessions``; replication group
  ``app-redis`` (cluster mode disabled, two nodes).

Every resource is tagged ``Env``; EC2 instances also ``Name`` (except the unnamed ones), ``Role``
and ``Team=Platform & Ops`` (a value that group-name sanitising has to rewrite).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3
from botocore.config import Config

REGIONS = ("eu-west-1", "us-east-1")
AMI_ID = "ami-0palin000000000a"  # moto accepts unknown AMIs and fills in x86_64/paravirtual defaults
TEAM = "Platform & Ops"
BULK_RDS = 105


@dataclass
class Estate:
    """What ``seed`` created: instance ids by a logical key, and the data-store identifiers."""

    endpoint: str
    instances: dict[str, str] = field(default_factory=dict)  # "<region>/<key>" -> instance id
    elastic_ip: str = ""
    rds_instances: dict[str, list[str]] = field(default_factory=dict)  # region -> identifiers
    rds_clusters: dict[str, list[str]] = field(default_factory=dict)
    cache_clusters: dict[str, list[str]] = field(default_factory=dict)
    replication_groups: dict[str, list[str]] = field(default_factory=dict)


def client(service: str, endpoint: str, region: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=16),
    )


def _tags(**kv: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in kv.items()]


def _network(ec2, cidr: str, zones: dict[str, tuple[str, bool]]) -> dict[str, str]:
    """A VPC with one subnet per entry of ``zones`` (key -> (AZ, public?)); returns key -> subnet id."""
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subnets = {}
    for n, (key, (az, public)) in enumerate(zones.items()):
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{n}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        if public:
            ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
        subnets[key] = sub
    subnets["vpc"] = vpc
    return subnets


def _run(ec2, subnet: str, sg: str, itype: str, tags: dict[str, str], **extra: Any) -> str:
    resp = ec2.run_instances(
        ImageId=AMI_ID,
        MinCount=1,
        MaxCount=1,
        InstanceType=itype,
        KeyName="deploy",
        SubnetId=subnet,
        SecurityGroupIds=[sg],
        TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(**tags)}],
        **extra,
    )
    return resp["Instances"][0]["InstanceId"]


def _seed_ec2(endpoint: str, estate: Estate) -> None:
    iam = client("iam", endpoint, "us-east-1")
    iam.create_instance_profile(InstanceProfileName="web-node")

    # eu-west-1
    ec2 = client("ec2", endpoint, "eu-west-1")
    ec2.create_key_pair(KeyName="deploy")
    net = _network(
        ec2,
        "10.10",
        {
            "public-a": ("eu-west-1a", True),
            "private-a": ("eu-west-1a", False),
            "private-b": ("eu-west-1b", False),
            "private-c": ("eu-west-1c", False),
        },
    )
    sg = ec2.create_security_group(GroupName="app", Description="palin test hosts", VpcId=net["vpc"])["GroupId"]
    ids = estate.instances

    def run(key: str, subnet: str, itype: str, name: str | None, role: str, env: str, **extra: Any) -> str:
        tags = {"Role": role, "Env": env, "Team": TEAM}
        if name:
            tags["Name"] = name
        ids[f"eu-west-1/{key}"] = _run(ec2, net[subnet], sg, itype, tags, **extra)
        return ids[f"eu-west-1/{key}"]

    bastion = run("bastion-1", "public-a", "t3.micro", "bastion-1", "bastion", "prod")
    run("web-1", "private-a", "t3.small", "web-1", "web", "prod", IamInstanceProfile={"Name": "web-node"})
    run("web-2", "private-b", "t3.small", "web-2", "web", "prod", MetadataOptions={"HttpTokens": "required"})
    run("web-3", "private-c", "t3.small", "web-3", "web", "prod", Monitoring={"Enabled": True})
    worker1 = run("worker-1", "private-b", "m5.large", "worker-1", "worker", "prod", EbsOptimized=True)
    run("worker-2", "private-c", "m5.large", "worker-2", "worker", "prod")
    run("unnamed", "private-c", "m5.large", None, "worker", "prod")
    run("scratch-1", "private-b", "t3.micro", "scratch-1", "scratch", "prod")
    run("dev-1", "private-a", "t3.micro", "dev-1", "web", "dev")
    old = run("old-web", "private-a", "t3.small", "old-web", "web", "prod")
    ec2.stop_instances(InstanceIds=[worker1])
    ec2.terminate_instances(InstanceIds=[old])
    alloc = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=bastion)
    estate.elastic_ip = alloc["PublicIp"]

    # us-east-1
    ec2 = client("ec2", endpoint, "us-east-1")
    ec2.create_key_pair(KeyName="deploy")
    net = _network(ec2, "10.20", {"public-a": ("us-east-1a", True), "private-b": ("us-east-1b", False)})
    sg = ec2.create_security_group(GroupName="app", Description="palin test hosts", VpcId=net["vpc"])["GroupId"]
    for key, subnet, name, role, extra in (
        ("web-4", "public-a", "web-4", "web", {"kubernetes.io/cluster/apps": "owned"}),
        ("worker-2", "private-b", "worker-2", "worker", {}),
        ("unnamed", "private-b", None, "worker", {}),
        ("blank-name", "private-b", "", "worker", {}),
    ):
        tags = {"Role": role, "Env": "staging", "Team": TEAM, **extra}
        if name is not None:
            tags["Name"] = name
        ids[f"us-east-1/{key}"] = _run(ec2, net[subnet], sg, "t3.small", tags)


def _seed_rds(endpoint: str, estate: Estate, bulk: int) -> None:
    rds = client("rds", endpoint, "eu-west-1")
    rds.create_db_instance(
        DBInstanceIdentifier="app-db",
        Engine="postgres",
        EngineVersion="16.3",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        DBName="app",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        Tags=_tags(Env="prod"),
    )
    rds.create_db_cluster(
        DBClusterIdentifier="app-aurora",
        Engine="aurora-postgresql",
        EngineVersion="16.2",
        DatabaseName="app",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-2",
        Tags=_tags(Env="prod"),
    )
    for n in (1, 2):
        rds.create_db_instance(
            DBInstanceIdentifier=f"app-aurora-{n}",
            DBClusterIdentifier="app-aurora",
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
            Tags=_tags(Env="prod"),
        )
    estate.rds_instances["eu-west-1"] = ["app-db", "app-aurora-1", "app-aurora-2"]
    estate.rds_clusters["eu-west-1"] = ["app-aurora"]

    if bulk:
        rds = client("rds", endpoint, "us-east-1")

        def make(n: int) -> str:
            ident = f"bulk-db-{n:03d}"
            rds.create_db_instance(
                DBInstanceIdentifier=ident,
                Engine="postgres",
                DBInstanceClass="db.t3.micro",
                AllocatedStorage=20,
                MasterUsername="bulk",
                MasterUserPassword="not-a-secret-3",
                Tags=_tags(Env="bulk"),
            )
            return ident

        with ThreadPoolExecutor(8) as pool:
            estate.rds_instances["us-east-1"] = sorted(pool.map(make, range(1, bulk + 1)))


def _seed_elasticache(endpoint: str, estate: Estate) -> None:
    ec = client("elasticache", endpoint, "eu-west-1")
    ec.create_cache_cluster(
        CacheClusterId="sessions",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t3.micro",
        NumCacheNodes=1,
        Tags=_tags(Env="prod"),
    )
    ec.create_replication_group(
        ReplicationGroupId="app-redis",
        ReplicationGroupDescription="app cache",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
        Tags=_tags(Env="prod"),
    )
    estate.cache_clusters["eu-west-1"] = ["sessions"]
    estate.replication_groups["eu-west-1"] = ["app-redis"]


def seed(endpoint: str, bulk_rds: int = BULK_RDS) -> Estate:
    """Create the fixture estate (see the module docstring) in a fresh moto_server."""
    estate = Estate(endpoint=endpoint)
    _seed_ec2(endpoint, estate)
    _seed_rds(endpoint, estate, bulk_rds)
    _seed_elasticache(endpoint, estate)
    return estate


def seed_count(endpoint: str, count: int, regions: tuple[str, ...] = REGIONS, prefix: str = "bench") -> list[str]:
    """Create ``count`` running instances spread evenly over ``regions`` and three AZs each.

    Each gets ``Name=<prefix>-NNNNN``, ``Role`` (web/worker alternating per batch) and
    ``Env=bench``; a third of the batches get a public IP. Launches go in batches of up to 500
    (one RunInstances call each, rotating over the AZs), the unique Name tags in parallel
    CreateTags calls.
    """
    per_region = [count // len(regions) + (1 if i < count % len(regions) else 0) for i in range(len(regions))]
    created: list[str] = []
    for region, n_region in zip(regions, per_region):
        if not n_region:
            continue
        ec2 = client("ec2", endpoint, region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n * 64}.0/18", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
            for n, az in enumerate("abc")
        ]
        ids: list[str] = []
        batch_no = 0
        while len(ids) < n_region:
            size = min(500, -(-n_region // len(subnets)), n_region - len(ids))
            role = ("web", "worker")[batch_no % 2]
            resp = ec2.run_instances(
                ImageId=AMI_ID,
                MinCount=size,
                MaxCount=size,
                InstanceType=("t3.small", "m5.large")[batch_no % 2],
                NetworkInterfaces=[
                    {
                        "DeviceIndex": 0,
                        "SubnetId": subnets[batch_no % len(subnets)],
                        "AssociatePublicIpAddress": batch_no % 3 == 0,
                    }
                ],
                TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(Role=role, Env="bench")}],
            )
            ids += [i["InstanceId"] for i in resp["Instances"]]
            batch_no += 1
        base = len(created)

        def name(item: tuple[int, str], ec2=ec2, base=base) -> None:
            n, iid = item
            ec2.create_tags(Resources=[iid], Tags=_tags(Name=f"{prefix}-{base + n:05d}"))

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(name, enumerate(ids)))
        created += ids
    return created


def wait_until_up(endpoint: str, timeout: float = 30.0) -> None:
    """Block until a moto_server at ``endpoint`` answers HTTP, or raise TimeoutError."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"moto_server at {endpoint} did not answer within {timeout:.0f}s")
        time.sleep(0.1)


def reset(endpoint: str) -> None:
    """Forget everything the moto_server at ``endpoint`` holds."""
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="moto_server URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--count", type=int, help="create N plain instances instead of the fixture estate")
    parser.add_argument("--regions", default=",".join(REGIONS), help="with --count: comma-separated regions")
    parser.add_argument("--prefix", default="bench", help="with --count: Name tag prefix")
    parser.add_argument("--bulk-rds", type=int, default=BULK_RDS, help="bulk RDS instances in us-east-1 (0: none)")
    parser.add_argument("--reset", action="store_true", help="empty the emulator first (POST /moto-api/reset)")
    args = parser.parse_args(argv)
    endpoint = args.endpoint.rstrip("/")
    wait_until_up(endpoint)
    if args.reset:
        reset(endpoint)
    start = time.monotonic()
    if args.count is not None:
        ids = seed_count(endpoint, args.count, tuple(r for r in args.regions.split(",") if r), args.prefix)
        summary: dict[str, Any] = {"endpoint": endpoint, "instances": len(ids)}
    else:
        summary = asdict(seed(endpoint, args.bulk_rds))
    summary["seconds"] = round(time.monotonic() - start, 2)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
