#!/usr/bin/env python3
"""Generate a large, realistic Terraform v4 state for benchmarking palin-inventory.

usage: gen_state.py [N] [OUT] [--seed S]

N    number of resource instance objects (default 20000). That is every
     element of every resource's `instances` list; the number of resource
     blocks is much smaller, because most of them use count.
OUT  output path (default: stdout)

The mix, roughly: 92 % aws_instance (count resources in 6 modules, 4 to 9 tags
each, ~42 top-level attributes, ~2.1 KB compact, ~3.3 KB as written), 4 %
aws_eip (attached to instances), 2 % aws_security_group, 1.5 % aws_subnet,
plus some aws_db_instance, aws_rds_cluster(_instance),
aws_elasticache_replication_group, aws_lb, data sources, root outputs
(one of them sensitive), one tainted and one deposed aws_instance object.

The output is deterministic for a given N and seed. It is written the way
Terraform writes state: 2-space indent, sorted attribute keys. Standard
library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys

REGION = "eu-west-1"
ACCOUNT = "123456789012"
AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
MODULES = ["module.api", "module.batch", "module.ingest", "module.search", "module.cache_proxy",
           "module.edge"]
ROLES = {"module.api": ["api", "api_internal", "admin"],
         "module.batch": ["batch", "scheduler"],
         "module.ingest": ["ingest", "kafka_connect", "collector"],
         "module.search": ["search", "search_master"],
         "module.cache_proxy": ["proxy"],
         "module.edge": ["edge", "gateway"]}
INSTANCE_TYPES = ["t3.medium", "m6i.large", "m6i.xlarge", "c6i.large", "c6i.2xlarge",
                  "r6i.large", "m7g.large"]
EC2_PRIVATE = base64.b64encode(
    b'{"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0":{"create":600000000000,"delete":1200000000000,'
    b'"read":900000000000,"update":600000000000},"schema_version":"1"}').decode()


class Gen:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def aws_id(self, prefix: str) -> str:
        return f"{prefix}-0{self.hex(16)}"

    def ip(self, third: int) -> str:
        return f"10.{self.rng.randint(16, 31)}.{third}.{self.rng.randint(4, 250)}"

    def volume_size(self) -> int:
        return self.rng.choice([20, 30, 50, 100])

    def public_ip(self) -> str:
        return f"{self.rng.choice([34, 52, 54, 63])}.{self.rng.randint(0, 255)}." \
               f"{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"


def dns(ip: str, public: bool) -> str:
    d = ip.replace(".", "-")
    return f"ec2-{d}.{REGION}.compute.amazonaws.com" if public else f"ip-{d}.{REGION}.compute.internal"


def instance_attrs(g: Gen, *, name, role, module, az_i, subnet, sgs, ami, public):
    iid = g.aws_id("i")
    itype = g.rng.choice(INSTANCE_TYPES)
    private_ip = g.ip(az_i + 1)
    public_ip = g.public_ip() if public else ""
    tags = {"Name": name, "Role": role, "Env": "prod", "Service": module.split(".", 1)[1]}
    for k in g.rng.sample(["Team", "CostCenter", "Owner", "Backup", "Patch", "Tier", "Version"],
                          g.rng.randint(0, 5)):
        tags[k] = {"Team": "platform", "CostCenter": f"cc-{g.rng.randint(100, 999)}",
                   "Owner": "ops@palin.example", "Backup": "daily", "Patch": "group-b",
                   "Tier": "app", "Version": f"1.{g.rng.randint(0, 40)}.{g.rng.randint(0, 9)}"}[k]
    return {
        "ami": ami,
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{iid}",
        "associate_public_ip_address": public,
        "availability_zone": AZS[az_i],
        "cpu_core_count": 2,
        "cpu_threads_per_core": 2,
        "credit_specification": [{"cpu_credits": "unlimited"}] if itype.startswith("t") else [],
        "disable_api_termination": False,
        "ebs_block_device": [],
        "ebs_optimized": not itype.startswith("t"),
        "get_password_data": False,
        "hibernation": False,
        "iam_instance_profile": f"palin-{role}",
        "id": iid,
        "instance_initiated_shutdown_behavior": "stop",
        "instance_state": "running",
        "instance_type": itype,
        "ipv6_address_count": 0,
        "ipv6_addresses": [],
        "key_name": "palin-ops",
        "metadata_options": [{"http_endpoint": "enabled", "http_put_response_hop_limit": 2,
                              "http_tokens": "required", "instance_metadata_tags": "disabled"}],
        "monitoring": g.rng.random() < 0.3,
        "outpost_arn": "",
        "password_data": "",
        "placement_group": "",
        "primary_network_interface_id": g.aws_id("eni"),
        "private_dns": dns(private_ip, False),
        "private_ip": private_ip,
        "public_dns": dns(public_ip, True) if public else "",
        "public_ip": public_ip,
        "root_block_device": [{"delete_on_termination": True, "device_name": "/dev/xvda",
                               "encrypted": True, "iops": 3000, "throughput": 125,
                               "volume_id": g.aws_id("vol"), "volume_size": g.volume_size(),
                               "volume_type": "gp3"}],
        "secondary_private_ips": [],
        "security_groups": [],
        "source_dest_check": True,
        "subnet_id": subnet,
        "tags": tags,
        "tags_all": {**tags, "ManagedBy": "terraform"},
        "tenancy": "default",
        "timeouts": None,
        "user_data": g.hex(40),
        "volume_tags": None,
        "vpc_security_group_ids": sorted(sgs),
    }


def obj(attrs, *, key=None, schema_version=1, private=EC2_PRIVATE, deps=(), sensitive=(),
        status=None, deposed=None):
    o = {}
    if key is not None:
        o["index_key"] = key
    if status:
        o["status"] = status
    if deposed:
        o["deposed"] = deposed
    o["schema_version"] = schema_version
    o["attributes"] = attrs
    o["sensitive_attributes"] = [[{"type": "get_attr", "value": s}] for s in sensitive]
    if private:
        o["private"] = private
    if deps:
        o["dependencies"] = sorted(deps)
    return o


def resource(module, rtype, name, instances, mode="managed"):
    r = {}
    if module:
        r["module"] = module
    r.update({"mode": mode, "type": rtype, "name": name, "provider": AWS, "instances": instances})
    return r


def generate(n: int, seed: int) -> dict:
    g = Gen(seed)
    resources = []
    budget = n

    def take(k: int) -> int:
        nonlocal budget
        k = max(0, min(k, budget))
        budget -= k
        return k

    vpc = g.aws_id("vpc")
    # subnets (~1.5 %): count resources in the root module
    n_sub = take(max(3, n * 15 // 1000))
    subnets = []
    sub_objs = []
    for i in range(n_sub):
        sid = g.aws_id("subnet")
        subnets.append(sid)
        az = i % 3
        sub_objs.append(obj({
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
            "availability_zone": AZS[az], "availability_zone_id": f"euw1-az{az + 1}",
            "cidr_block": f"10.{16 + i // 256}.{i % 256}.0/24", "id": sid,
            "map_public_ip_on_launch": i % 4 == 0, "owner_id": ACCOUNT,
            "tags": {"Name": f"palin-{i}", "Tier": "public" if i % 4 == 0 else "private"},
            "tags_all": {"Name": f"palin-{i}", "ManagedBy": "terraform"}, "vpc_id": vpc,
        }, key=i, deps=["aws_vpc.main"]))
    if sub_objs:
        resources.append(resource("", "aws_subnet", "this", sub_objs))

    # security groups (~2 %)
    n_sg = take(max(1, n * 2 // 100))
    sgs = []
    sg_objs = []
    for i in range(n_sg):
        sid = g.aws_id("sg")
        sgs.append(sid)
        sg_objs.append(obj({
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{sid}",
            "description": f"palin sg {i}",
            "egress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0,
                        "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1",
                        "security_groups": [], "self": False, "to_port": 0}],
            "id": sid,
            "ingress": [{"cidr_blocks": ["10.16.0.0/12"], "description": "app", "from_port": p,
                         "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
                         "security_groups": [], "self": False, "to_port": p}
                        for p in g.rng.sample([22, 443, 8080, 8443, 9090, 5432], 2)],
            "name": f"palin-{i}", "name_prefix": "", "owner_id": ACCOUNT,
            "revoke_rules_on_delete": False, "tags": {"Name": f"palin-sg-{i}"},
            "tags_all": {"Name": f"palin-sg-{i}", "ManagedBy": "terraform"}, "timeouts": None,
            "vpc_id": vpc,
        }, key=i))
    if sg_objs:
        resources.append(resource("", "aws_security_group", "this", sg_objs))

    # data sources: a few AMIs, never hosts
    amis = []
    for d in ["debian", "ubuntu", "al2023"]:
        if not take(1):
            break
        aid = g.aws_id("ami")
        amis.append(aid)
        resources.append(resource("", "aws_ami", d, [obj({
            "architecture": "x86_64", "id": aid, "image_id": aid, "most_recent": True,
            "name": f"{d}-amd64-2024", "owner_id": "136693071363", "root_device_name": "/dev/xvda",
            "state": "available", "tags": {}, "virtualization_type": "hvm",
        }, schema_version=0, private=None)], mode="data"))

    # data stores: ~0.3 % RDS, ~0.2 % ElastiCache, 1 LB per module
    n_db = take(max(1, n * 3 // 1000))
    db_objs = []
    for i in range(n_db):
        ident = f"palin-db-{i}"
        addr = f"{ident}.c7x2kq9mdl4e.{REGION}.rds.amazonaws.com"
        db_objs.append(obj({
            "address": addr, "allocated_storage": 100, "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{ident}",
            "availability_zone": AZS[i % 3], "backup_retention_period": 7, "db_name": "app",
            "endpoint": f"{addr}:5432", "engine": "postgres", "engine_version": "16.3",
            "engine_version_actual": "16.3", "hosted_zone_id": "Z29XKXDKYMONMX",
            "id": "db-" + g.hex(26).upper(), "identifier": ident, "instance_class": "db.m6g.large",
            "multi_az": i % 2 == 0, "password": f"BENCH-SECRET-{g.hex(12)}", "port": 5432,
            "resource_id": "db-" + g.hex(26).upper(), "status": "available", "storage_encrypted": True,
            "tags": {"Role": "db"}, "tags_all": {"Role": "db", "ManagedBy": "terraform"},
            "username": "app_admin", "vpc_security_group_ids": [g.rng.choice(sgs)] if sgs else [],
        }, key=i, schema_version=2, sensitive=["password"]))
    if db_objs:
        resources.append(resource("module.data", "aws_db_instance", "this", db_objs))
    if take(3) == 3:
        ep = f"palin-reporting.cluster-c7x2kq9mdl4e.{REGION}.rds.amazonaws.com"
        resources.append(resource("module.data", "aws_rds_cluster", "reporting", [obj({
            "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:palin-reporting",
            "cluster_identifier": "palin-reporting", "cluster_members": ["palin-reporting-0", "palin-reporting-1"],
            "database_name": "reporting", "endpoint": ep, "engine": "aurora-postgresql",
            "engine_version": "16.2", "id": "palin-reporting", "master_password": f"BENCH-SECRET-{g.hex(12)}",
            "master_username": "reporting_admin", "port": 5432,
            "reader_endpoint": ep.replace(".cluster-", ".cluster-ro-"), "tags": {"Role": "reporting"},
        }, schema_version=0, sensitive=["master_password"])]))
        resources.append(resource("module.data", "aws_rds_cluster_instance", "reporting", [obj({
            "cluster_identifier": "palin-reporting", "endpoint": f"palin-reporting-{i}.c7x2kq9mdl4e.{REGION}.rds.amazonaws.com",
            "engine": "aurora-postgresql", "id": f"palin-reporting-{i}", "identifier": f"palin-reporting-{i}",
            "instance_class": "db.r6g.large", "port": 5432, "writer": i == 0, "tags": {"Role": "reporting"},
        }, key=i, schema_version=0, deps=["module.data.aws_rds_cluster.reporting"]) for i in range(2)]))
    n_rg = take(max(1, n * 2 // 1000))
    rg_objs = []
    for i in range(n_rg):
        rid = f"palin-cache-{i}"
        rg_objs.append(obj({
            "arn": f"arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:{rid}",
            "at_rest_encryption_enabled": True, "auth_token": f"BENCH-SECRET-{g.hex(16)}",
            "cluster_enabled": False, "configuration_endpoint_address": "", "engine": "redis",
            "engine_version_actual": "7.1.0", "id": rid,
            "member_clusters": [f"{rid}-001", f"{rid}-002"], "port": 6379,
            "primary_endpoint_address": f"master.{rid}.w3xq1n.euw1.cache.amazonaws.com",
            "reader_endpoint_address": f"replica.{rid}.w3xq1n.euw1.cache.amazonaws.com",
            "replication_group_id": rid, "tags": {"Role": "cache"}, "transit_encryption_enabled": True,
        }, key=i, schema_version=2, sensitive=["auth_token"]))
    if rg_objs:
        resources.append(resource("module.cache", "aws_elasticache_replication_group", "this", rg_objs))
    for m in MODULES:
        if not take(1):
            break
        short = m.split(".", 1)[1].replace("_", "-")
        arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/palin-{short}/{g.hex(16)}"
        resources.append(resource(m, "aws_lb", "this", [obj({
            "arn": arn, "dns_name": f"palin-{short}-{g.rng.randint(10**9, 10**10)}.{REGION}.elb.amazonaws.com",
            "id": arn, "internal": m != "module.edge", "load_balancer_type": "application",
            "name": f"palin-{short}", "subnets": subnets[:3], "zone_id": "Z32O12XQLNTSW2",
        }, schema_version=0)]))

    # the rest: aws_instance (~96 % of what is left) + EIPs for ~4 % of them
    rest = budget
    n_eip = rest * 4 // 100
    n_inst = take(rest - n_eip)
    # spread over modules/roles as count resources
    slots = [(m, r) for m in MODULES for r in ROLES[m]]
    weights = [g.rng.randint(1, 10) for _ in slots]
    total_w = sum(weights)
    counts = [n_inst * w // total_w for w in weights]
    counts[0] += n_inst - sum(counts)
    eip_targets = []
    special_done = False
    for (m, role), cnt in zip(slots, counts):
        if cnt <= 0:
            continue
        public = m == "module.edge"
        # the first big enough resource gets one tainted and one deposed object;
        # the deposed one counts toward N, so it replaces one current object
        special = not special_done and cnt >= 4
        special_done = special_done or special
        objs = []
        for i in range(cnt - 1 if special else cnt):
            az = i % 3
            subnet = subnets[g.rng.randrange(len(subnets))] if subnets else ""
            attrs = instance_attrs(g, name=f"{role.replace('_', '-')}-{i}", role=role, module=m,
                                   az_i=az, subnet=subnet,
                                   sgs=g.rng.sample(sgs, min(len(sgs), 2)),
                                   ami=amis[0] if amis else "ami-00000000000000000", public=public)
            deps = ["aws_security_group.this", "aws_subnet.this", "data.aws_ami.debian"]
            objs.append(obj(attrs, key=i, status="tainted" if special and i == 1 else None,
                            deps=deps))
            if special and i == 2:
                old = dict(attrs, id=g.aws_id("i"), private_ip=g.ip(az + 1))
                objs.append(obj(old, key=i, deposed="0000" + g.hex(4), deps=deps))
            if len(eip_targets) < n_eip and (public or g.rng.random() < 0.05):
                eip_targets.append(attrs)
        resources.append(resource(m, "aws_instance", role, objs))
    eips = []
    n_eip = take(n_eip)
    # not enough attached candidates (tiny N): the rest are unattached EIPs
    targets = eip_targets[:n_eip] + [None] * (n_eip - len(eip_targets[:n_eip]))
    for i, target in enumerate(targets):
        pip = g.public_ip()
        alloc = g.aws_id("eipalloc")
        eips.append(obj({
            "allocation_id": alloc, "association_id": g.aws_id("eipassoc") if target else "",
            "domain": "vpc", "id": alloc, "instance": target["id"] if target else "",
            "network_interface": target["primary_network_interface_id"] if target else "",
            "private_dns": target["private_dns"] if target else None,
            "private_ip": target["private_ip"] if target else None,
            "public_dns": dns(pip, True), "public_ip": pip, "public_ipv4_pool": "amazon",
            "tags": {}, "tags_all": {"ManagedBy": "terraform"}, "vpc": True,
        }, key=i, schema_version=0, private=None))
    if eips:
        resources.append(resource("", "aws_eip", "attached", eips))

    resources.sort(key=lambda r: (r.get("module", ""), r["mode"], r["type"], r["name"]))
    outputs = {
        "vpc_id": {"value": vpc, "type": "string"},
        "subnet_ids": {"value": subnets, "type": ["list", "string"]},
        "db_endpoints": {"value": [o["attributes"]["endpoint"] for o in db_objs],
                         "type": ["list", "string"]},
        "db_passwords": {"value": [o["attributes"]["password"] for o in db_objs],
                         "type": ["list", "string"], "sensitive": True},
        "tags": {"value": {"Env": "prod", "Project": "palin"},
                 "type": ["object", {"Env": "string", "Project": "string"}]},
    }
    return {
        "version": 4,
        "terraform_version": "1.9.5",
        "serial": 1000 + seed % 1000,
        "lineage": "6f1c2a8e-0b7d-4e3a-9c55-2d8e4f1a7b90",
        "outputs": outputs,
        "resources": resources,
        "check_results": None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("n", nargs="?", type=int, default=20000)
    ap.add_argument("out", nargs="?", default="-")
    ap.add_argument("--seed", type=int, default=20240917)
    args = ap.parse_args()
    if args.n < 1:
        ap.error("N must be >= 1")
    state = generate(args.n, args.seed)
    text = json.dumps(state, indent=2, sort_keys=True) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    objs = sum(len(r["instances"]) for r in state["resources"])
    n_ec2 = sum(len(r["instances"]) for r in state["resources"] if r["type"] == "aws_instance")
    print(f"gen_state: {objs} objects ({n_ec2} aws_instance) in {len(state['resources'])} resources, "
          f"{len(text.encode()) / 1e6:.1f} MB -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
