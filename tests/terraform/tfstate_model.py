#!/usr/bin/env python3
"""The Terraform state that `terraform apply` of terraform/examples/production would record,
modelled from the .tf files of terraform/ and the hashicorp/aws 6.x provider's documented
attributes, for two deployments of the stack:

  production   the values of terraform/examples/production/terraform.tfvars.example: a bastion
               with an Elastic IP and SSH keys, SSM, a NAT gateway per AZ, three app hosts, an
               ACM certificate validated in Route 53, ALB access logs, Postgres Multi-AZ with the
               master password in Secrets Manager, two Redis nodes;
  ssm          environment "staging" as palin-ssm.yml expects it: no bastion and no SSH keys
               (SSM only), one NAT gateway, two app hosts, an imported certificate, no access
               logs, a Terraform-generated Postgres password (sensitive output db_password),
               one Redis node.

Written as Terraform 1.12 writes a v4 state (`terraform state pull`, the S3 backend object):
resources sorted by module, mode, type and name; attributes as the provider stores them (every
regional resource has the provider-6 `region` attribute; `tags_all` = the example's provider
`default_tags` + `tags`). The resource addresses, count/for_each keys and outputs are checked
against the .tf files by tests/terraform/test_tf_contract.py, so the model cannot drift from the
configuration unnoticed.

Every secret value (passwords, the Redis AUTH token, random_password results) contains the marker
FIXTURE-SECRET, so tests can assert that none reaches palin-inventory's output.

Usage (standard library only, deterministic output):
  python3 tfstate_model.py           # (re)write fixtures/<scenario>.tfstate
  python3 tfstate_model.py --check   # exit 1 if a fixture on disk differs from the model
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"

MARKER = "FIXTURE-SECRET"
TERRAFORM_VERSION = "1.12.2"
REGION = "eu-west-1"
REGION_SHORT = "euw1"
ACCOUNT = "123456789012"
PARTITION = "aws"
AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
AZ_IDS = ["euw1-az2", "euw1-az3", "euw1-az1"]
AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
RANDOM = 'provider["registry.terraform.io/hashicorp/random"]'
ROOT = "module.palin"  # the example calls the stack as module "palin"
DEFAULT_TAGS = {"ManagedBy": "terraform", "Stack": "palin"}  # examples/production/main.tf
ELB_ZONE_ID = "Z32O12XQLNTSW2"  # ALB hosted zone of eu-west-1
RDS_ZONE_ID = "Z29XKXDKYMONMX"  # RDS hosted zone of eu-west-1
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZpeHR1cmUta2V5LW5vdC1hLXJlYWwta2V5LTAw ops@example"
AMI = "ami-0e5f882be1900e43b"
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@dataclass(frozen=True)
class Scenario:
    name: str
    environment: str
    bastion: bool
    ssh_keys: tuple[str, ...]
    bastion_ingress_cidrs: tuple[str, ...]
    ssm: bool
    nat_mode: str
    app_count: int
    app_instance_type: str
    domain_name: str | None
    route53_zone_id: str | None
    certificate_arn: str | None
    access_logs: bool
    db_managed_password: bool
    db_multi_az: bool
    redis_nodes: int
    extra_tags: dict = field(default_factory=dict)
    project: str = "palin"
    vpc_cidr: str = "10.20.0.0/16"
    app_port: int = 5000
    health_check_path: str = "/health"
    deploy_paths: tuple[str, ...] = ("/deploy/drain", "/deploy/ready")
    alb_ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    db_name: str = "palindromes"
    db_username: str = "palin_admin"
    serial: int = 1

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    @property
    def tags(self) -> dict:
        return {**self.extra_tags, "Project": self.project, "Env": self.environment}


SCENARIOS = {
    "production": Scenario(
        name="production", environment="prod", bastion=True, ssh_keys=(SSH_KEY,),
        bastion_ingress_cidrs=("198.51.100.0/24",), ssm=True, nat_mode="one_per_az", app_count=3,
        app_instance_type="t3.small", domain_name="app.palin.example",
        route53_zone_id="Z0123456789ABCDEFGHIJ", certificate_arn=None, access_logs=True,
        db_managed_password=True, db_multi_az=True, redis_nodes=2,
        extra_tags={"CostCenter": "platform"}, serial=37,
    ),
    "ssm": Scenario(
        name="ssm", environment="staging", bastion=False, ssh_keys=(), bastion_ingress_cidrs=(),
        ssm=True, nat_mode="single", app_count=2, app_instance_type="t3.small", domain_name=None,
        route53_zone_id=None,
        certificate_arn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/5f0c1a2e-7b7d-4c36-9e43-2b1f0d6a9c11",
        access_logs=False, db_managed_password=False, db_multi_az=False, redis_nodes=1, serial=12,
    ),
}

# --------------------------------------------------------------------------- identifiers


def hexid(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def aws_id(prefix: str, seed: str) -> str:
    return f"{prefix}-0{hexid(prefix + ':' + seed, 16)}"


def uuid_like(seed: str) -> str:
    h = hexid("uuid:" + seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def alnum(seed: str, n: int, upper: bool = False) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" if upper else "abcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


def digits(seed: str, n: int) -> str:
    return str(int(hexid(seed, 16), 16))[:n]


# data.aws_caller_identity.current, wherever a module reads it.
CALLER = {"account_id": ACCOUNT, "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform/ci",
          "id": ACCOUNT, "user_id": f"AROA{alnum('caller', 17, upper=True)}:ci"}


def arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def ec2_dns(ip: str, public: bool) -> str:
    dashed = ip.replace(".", "-")
    return f"ec2-{dashed}.{REGION}.compute.amazonaws.com" if public else f"ip-{dashed}.{REGION}.compute.internal"


def cidrsubnet(cidr: str, newbits: int, netnum: int) -> str:
    """Terraform's cidrsubnet() for IPv4."""
    base, plen = cidr.split("/")
    plen = int(plen)
    value = 0
    for part in base.split("."):
        value = value * 256 + int(part)
    new_len = plen + newbits
    value += netnum << (32 - new_len)
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0)) + f"/{new_len}"


def host_ip(cidr: str, n: int) -> str:
    base = cidr.split("/")[0].split(".")
    value = 0
    for part in base:
        value = value * 256 + int(part)
    value += n
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))


# --------------------------------------------------------------------------- state builder


@dataclass
class Obj:
    attributes: dict
    schema_version: int = 0
    key: int | str | None = None
    sensitive: tuple = ()  # attribute names whose whole value is sensitive
    dependencies: tuple = ()
    create_before_destroy: bool = False


class State:
    def __init__(self, sc: Scenario):
        self.sc = sc
        self.resources: dict[tuple, dict] = {}

    def add(self, module: str, rtype: str, name: str, objs: list[Obj], mode: str = "managed",
            provider: str = AWS) -> None:
        key = (module, mode, rtype, name)
        assert key not in self.resources, key
        self.resources[key] = {"module": module, "mode": mode, "type": rtype, "name": name,
                               "provider": provider, "objs": objs}

    def data(self, module: str, rtype: str, name: str, attrs: dict) -> None:
        self.add(module, rtype, name, [Obj(attrs)], mode="data")

    def to_json(self, outputs: dict) -> dict:
        resources = []
        for key in sorted(self.resources, key=lambda k: (k[0], k[1] != "data", k[2], k[3])):
            r = self.resources[key]
            instances = []
            for o in sorted(r["objs"], key=lambda o: (str(type(o.key)), o.key if o.key is not None else 0)):
                inst: dict = {}
                if o.key is not None:
                    inst["index_key"] = o.key
                inst["schema_version"] = o.schema_version
                inst["attributes"] = dict(sorted(o.attributes.items()))
                inst["sensitive_attributes"] = [[{"type": "get_attr", "value": a}] for a in o.sensitive]
                if r["mode"] == "managed":
                    inst["dependencies"] = sorted(o.dependencies)
                if o.create_before_destroy:
                    inst["create_before_destroy"] = True
                instances.append(inst)
            res = {}
            if r["module"]:
                res["module"] = r["module"]
            res.update(mode=r["mode"], type=r["type"], name=r["name"], provider=r["provider"],
                       instances=instances)
            resources.append(res)
        return {
            "version": 4,
            "terraform_version": TERRAFORM_VERSION,
            "serial": self.sc.serial,
            "lineage": uuid_like("lineage:" + self.sc.name),
            "outputs": outputs,
            "resources": resources,
            "check_results": None,
        }


def tagged(sc: Scenario, name: str | None, extra: dict | None = None) -> dict:
    tags = dict(sc.tags)
    if name is not None:
        tags["Name"] = name
    tags.update(extra or {})
    return {"tags": tags, "tags_all": {**DEFAULT_TAGS, **tags}}


def string_type(value):
    """The cty type JSON of an output value as Terraform records it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, tuple):
        return ["tuple", [string_type(v) for v in value]]
    if isinstance(value, list):
        return ["list", string_type(value[0]) if value else "string"]
    raise TypeError(value)


# --------------------------------------------------------------------------- the model


def build(sc: Scenario) -> dict:
    st = State(sc)
    p = sc.prefix
    net = f"{ROOT}.module.network"
    lbm = f"{ROOT}.module.load_balancer"
    hosts = f"{ROOT}.module.app_hosts"
    data_mod = f"{ROOT}.module.data_stores"
    reg = f"{ROOT}.module.registry"
    seed = sc.name

    # ---- root module -------------------------------------------------------------
    partition = {"dns_suffix": "amazonaws.com", "id": PARTITION, "partition": PARTITION,
                 "reverse_dns_prefix": "com.amazonaws"}
    region = {"description": "Europe (Ireland)", "endpoint": f"ec2.{REGION}.amazonaws.com",
              "id": REGION, "name": REGION, "region": REGION}
    for module in (ROOT, net):
        st.data(module, "aws_caller_identity", "current", dict(CALLER))
        st.data(module, "aws_partition", "current", dict(partition))
    st.data(ROOT, "aws_region", "current", dict(region))
    st.data(net, "aws_region", "current", dict(region))
    st.data(lbm, "aws_caller_identity", "current", dict(CALLER))
    st.data(lbm, "aws_partition", "current", dict(partition))
    st.data(hosts, "aws_partition", "current", dict(partition))
    st.data(data_mod, "aws_partition", "current", dict(partition))
    st.data(ROOT, "aws_availability_zones", "available", {
        "all_availability_zones": None, "exclude_names": None, "exclude_zone_ids": None,
        "filter": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        "group_names": [REGION], "id": REGION, "names": list(AZS), "region": REGION,
        "state": "available", "timeouts": None, "zone_ids": list(AZ_IDS),
    })

    key_id = uuid_like(f"kms:{seed}")
    kms_arn = arn("kms", f"key/{key_id}")
    st.add(ROOT, "aws_kms_key", "this", [Obj({
        "arn": kms_arn, "bypass_policy_lockout_safety_check": False, "custom_key_store_id": "",
        "customer_master_key_spec": "SYMMETRIC_DEFAULT", "deletion_window_in_days": 30,
        "description": f"{p}: data at rest and logs", "enable_key_rotation": True, "id": key_id,
        "is_enabled": True, "key_id": key_id, "key_usage": "ENCRYPT_DECRYPT", "multi_region": False,
        "policy": compact({"Version": "2012-10-17", "Statement": [
            {"Sid": "AccountIamPolicies", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudWatchLogsOfThisAccount", "Effect": "Allow",
             "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*", "Condition": {"ArnLike": {
                 "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"}}}]}),
        "region": REGION, "rotation_period_in_days": 365, "timeouts": None, "xks_key_id": "",
        **tagged(sc, p),
    }, key=0, dependencies=(f"{ROOT}.data.aws_caller_identity.current",
                            f"{ROOT}.data.aws_partition.current", f"{ROOT}.data.aws_region.current"))])
    st.add(ROOT, "aws_kms_alias", "this", [Obj({
        "arn": arn("kms", f"alias/{p}"), "id": f"alias/{p}", "name": f"alias/{p}", "name_prefix": "",
        "region": REGION, "target_key_arn": kms_arn, "target_key_id": key_id,
    }, key=0, dependencies=(f"{ROOT}.aws_kms_key.this",))])

    # ---- network -------------------------------------------------------------------
    vpc_id = aws_id("vpc", seed)
    public_cidrs = [cidrsubnet(sc.vpc_cidr, 8, i) for i in range(3)]
    data_cidrs = [cidrsubnet(sc.vpc_cidr, 8, 8 + i) for i in range(3)]
    private_cidrs = [cidrsubnet(sc.vpc_cidr, 4, 1 + i) for i in range(3)]
    st.add(net, "aws_vpc", "this", [Obj({
        "arn": arn("ec2", f"vpc/{vpc_id}"), "assign_generated_ipv6_cidr_block": False,
        "cidr_block": sc.vpc_cidr, "default_network_acl_id": aws_id("acl", seed),
        "default_route_table_id": aws_id("rtb", seed + "-main"),
        "default_security_group_id": aws_id("sg", seed + "-default"),
        "dhcp_options_id": aws_id("dopt", seed), "enable_dns_hostnames": True, "enable_dns_support": True,
        "enable_network_address_usage_metrics": False, "id": vpc_id, "instance_tenancy": "default",
        "ipv4_ipam_pool_id": None, "ipv4_netmask_length": None, "ipv6_association_id": "",
        "ipv6_cidr_block": "", "ipv6_cidr_block_network_border_group": "", "ipv6_ipam_pool_id": "",
        "ipv6_netmask_length": 0, "main_route_table_id": aws_id("rtb", seed + "-main"),
        "owner_id": ACCOUNT, "region": REGION, **tagged(sc, p),
    }, schema_version=1)])
    vpc_dep = (f"{net}.aws_vpc.this",)
    st.add(net, "aws_default_security_group", "this", [Obj({
        "arn": arn("ec2", f"security-group/{aws_id('sg', seed + '-default')}"), "description": "default VPC security group",
        "egress": [], "id": aws_id("sg", seed + "-default"), "ingress": [], "name": "default",
        "name_prefix": "", "owner_id": ACCOUNT, "region": REGION, "revoke_rules_on_delete": False,
        "vpc_id": vpc_id, **tagged(sc, f"{p}-default-deny"),
    }, schema_version=1, dependencies=vpc_dep)])
    igw = aws_id("igw", seed)
    st.add(net, "aws_internet_gateway", "this", [Obj({
        "arn": arn("ec2", f"internet-gateway/{igw}"), "id": igw, "owner_id": ACCOUNT, "region": REGION,
        "timeouts": None, "vpc_id": vpc_id, **tagged(sc, p),
    }, dependencies=vpc_dep)])

    subnets: dict[str, list[str]] = {}
    for tier, cidrs in (("public", public_cidrs), ("private", private_cidrs), ("data", data_cidrs)):
        ids = [aws_id("subnet", f"{seed}-{tier}-{i}") for i in range(3)]
        subnets[tier] = ids
        objs = []
        for i in range(3):
            extra = {"Tier": tier}
            objs.append(Obj({
                "arn": arn("ec2", f"subnet/{ids[i]}"), "assign_ipv6_address_on_creation": False,
                "availability_zone": AZS[i], "availability_zone_id": AZ_IDS[i], "cidr_block": cidrs[i],
                "customer_owned_ipv4_pool": "", "enable_dns64": False, "enable_lni_at_device_index": 0,
                "enable_resource_name_dns_a_record_on_launch": False,
                "enable_resource_name_dns_aaaa_record_on_launch": False, "id": ids[i],
                "ipv6_cidr_block": "", "ipv6_cidr_block_association_id": "", "ipv6_native": False,
                "map_customer_owned_ip_on_launch": False, "map_public_ip_on_launch": False,
                "outpost_arn": "", "owner_id": ACCOUNT, "private_dns_hostname_type_on_launch": "ip-name",
                "region": REGION, "timeouts": None, "vpc_id": vpc_id,
                **tagged(sc, f"{p}-{tier}-{AZS[i]}", extra),
            }, schema_version=1, key=i, dependencies=vpc_dep))
        st.add(net, "aws_subnet", tier, objs)

    def route_table(name: str, rtb: str, routes: list, key=None) -> Obj:
        return Obj({
            "arn": arn("ec2", f"route-table/{rtb}"), "id": rtb, "owner_id": ACCOUNT, "propagating_vgws": [],
            "region": REGION, "route": routes, "timeouts": None, "vpc_id": vpc_id, **tagged(sc, name),
        }, key=key, dependencies=vpc_dep)

    def route_entry(**kw) -> dict:
        entry = {"carrier_gateway_id": "", "cidr_block": "0.0.0.0/0", "core_network_arn": "",
                 "destination_prefix_list_id": "", "egress_only_gateway_id": "", "gateway_id": "",
                 "ipv6_cidr_block": "", "local_gateway_id": "", "nat_gateway_id": "",
                 "network_interface_id": "", "transit_gateway_id": "", "vpc_endpoint_id": "",
                 "vpc_peering_connection_id": ""}
        entry.update(kw)
        return entry

    def route(rtb: str, key=None, **target) -> Obj:
        return Obj({
            "carrier_gateway_id": "", "core_network_arn": "", "destination_cidr_block": "0.0.0.0/0",
            "destination_ipv6_cidr_block": "", "destination_prefix_list_id": "", "egress_only_gateway_id": "",
            "gateway_id": target.get("gateway_id", ""), "id": f"r-{rtb}1080289494",
            "instance_id": "", "instance_owner_id": "", "local_gateway_id": "",
            "nat_gateway_id": target.get("nat_gateway_id", ""), "network_interface_id": "",
            "origin": "CreateRoute", "region": REGION, "route_table_id": rtb, "state": "active",
            "timeouts": None, "transit_gateway_id": "", "vpc_endpoint_id": "", "vpc_peering_connection_id": "",
        }, key=key)

    def association(rtb: str, subnet: str, key: int) -> Obj:
        return Obj({"gateway_id": "", "id": aws_id("rtbassoc", subnet), "region": REGION,
                    "route_table_id": rtb, "subnet_id": subnet, "timeouts": None}, key=key)

    rtb_public = aws_id("rtb", seed + "-public")
    st.add(net, "aws_route_table", "public", [route_table(f"{p}-public", rtb_public, [route_entry(gateway_id=igw)])])
    st.add(net, "aws_route", "public_internet", [route(rtb_public, gateway_id=igw)])
    st.add(net, "aws_route_table_association", "public",
           [association(rtb_public, subnets["public"][i], i) for i in range(3)])

    nat_count = 1 if sc.nat_mode == "single" else 3
    nat_eips, nat_gws = [], []
    nat_ids = []
    for i in range(nat_count):
        alloc = aws_id("eipalloc", f"{seed}-nat-{i}")
        eip_ip = f"203.0.113.{20 + i if sc.name == 'production' else 40 + i}"
        nat_private = host_ip(public_cidrs[i], 10)
        eni = aws_id("eni", f"{seed}-nat-{i}")
        nat_eips.append(Obj({
            "address": None, "allocation_id": alloc, "arn": arn("ec2", f"elastic-ip/{alloc}"),
            "associate_with_private_ip": None, "association_id": aws_id("eipassoc", f"{seed}-nat-{i}"),
            "carrier_ip": "", "customer_owned_ip": "", "customer_owned_ipv4_pool": "", "domain": "vpc",
            "id": alloc, "instance": "", "ipam_pool_id": None, "network_border_group": REGION,
            "network_interface": eni, "private_dns": ec2_dns(nat_private, public=False),
            "private_ip": nat_private, "ptr_record": "", "public_dns": ec2_dns(eip_ip, public=True),
            "public_ip": eip_ip, "public_ipv4_pool": "amazon", "region": REGION, "timeouts": None,
            **tagged(sc, f"{p}-nat-{AZS[i]}"),
        }, key=i, dependencies=(f"{net}.aws_internet_gateway.this", f"{net}.aws_vpc.this")))
        nat_id = aws_id("nat", f"{seed}-{i}")
        nat_ids.append(nat_id)
        nat_gws.append(Obj({
            "allocation_id": alloc, "association_id": aws_id("eipassoc", f"{seed}-nat-{i}"),
            "availability_mode": "zonal", "connectivity_type": "public", "id": nat_id,
            "network_interface_id": eni, "private_ip": nat_private, "public_ip": eip_ip, "region": REGION,
            "secondary_allocation_ids": [], "secondary_private_ip_address_count": 0,
            "secondary_private_ip_addresses": [], "subnet_id": subnets["public"][i], "timeouts": None,
            **tagged(sc, f"{p}-{AZS[i]}"),
        }, key=i, dependencies=(f"{net}.aws_eip.nat", f"{net}.aws_internet_gateway.this", f"{net}.aws_subnet.public")))
    st.add(net, "aws_eip", "nat", nat_eips)
    st.add(net, "aws_nat_gateway", "this", nat_gws)

    rtb_private = [aws_id("rtb", f"{seed}-private-{i}") for i in range(3)]
    st.add(net, "aws_route_table", "private",
           [route_table(f"{p}-private-{AZS[i]}", rtb_private[i], [route_entry(nat_gateway_id=nat_ids[0 if nat_count == 1 else i])], key=i)
            for i in range(3)])
    st.add(net, "aws_route", "private_nat",
           [route(rtb_private[i], key=i, nat_gateway_id=nat_ids[0 if nat_count == 1 else i]) for i in range(3)])
    st.add(net, "aws_route_table_association", "private",
           [association(rtb_private[i], subnets["private"][i], i) for i in range(3)])
    rtb_data = aws_id("rtb", seed + "-data")
    st.add(net, "aws_route_table", "data", [route_table(f"{p}-data", rtb_data, [])])
    st.add(net, "aws_route_table_association", "data",
           [association(rtb_data, subnets["data"][i], i) for i in range(3)])
    vpce = aws_id("vpce", seed + "-s3")
    st.add(net, "aws_vpc_endpoint", "s3", [Obj({
        "arn": arn("ec2", f"vpc-endpoint/{vpce}"), "auto_accept": None, "cidr_blocks": ["52.218.0.0/17"],
        "dns_entry": [], "dns_options": [], "id": vpce, "ip_address_type": "", "network_interface_ids": [],
        "owner_id": ACCOUNT, "policy": "{\"Statement\":[{\"Action\":\"*\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Resource\":\"*\"}],\"Version\":\"2008-10-17\"}",
        "prefix_list_id": "pl-6da54004", "private_dns_enabled": False, "region": REGION,
        "requester_managed": False, "resource_configuration_arn": "", "route_table_ids": sorted(rtb_private),
        "security_group_ids": [], "service_name": f"com.amazonaws.{REGION}.s3", "service_network_arn": "",
        "service_region": REGION, "state": "available", "subnet_configuration": [], "subnet_ids": [],
        "timeouts": None, "vpc_endpoint_type": "Gateway", "vpc_id": vpc_id, **tagged(sc, f"{p}-s3"),
    }, dependencies=(f"{net}.aws_route_table.private", f"{net}.aws_vpc.this", f"{net}.data.aws_region.current"))])

    # flow logs
    flow_group = f"/aws/vpc/{p}/flow-logs"
    flow_group_arn = arn("logs", f"log-group:{flow_group}")
    st.add(net, "aws_cloudwatch_log_group", "flow_logs", [Obj({
        "arn": flow_group_arn, "deletion_protection_enabled": False, "id": flow_group, "kms_key_id": kms_arn,
        "log_group_class": "STANDARD", "name": flow_group, "name_prefix": "", "region": REGION,
        "retention_in_days": 365, "skip_destroy": False, **tagged(sc, f"{p}-flow-logs"),
    }, key=0, dependencies=(f"{ROOT}.aws_kms_key.this",))])
    flow_role = f"{p}-vpc-flow-logs"
    st.add(net, "aws_iam_role", "flow_logs", [Obj(iam_role(sc, flow_role, f"Lets VPC Flow Logs write to the {p} flow log group.", "vpc-flow-logs.amazonaws.com"), key=0)])
    st.add(net, "aws_iam_role_policy", "flow_logs", [Obj({
        "id": f"{flow_role}:write-flow-logs", "name": "write-flow-logs", "name_prefix": "",
        "policy": json.dumps({"Statement": [{"Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"], "Effect": "Allow", "Resource": [flow_group_arn, f"{flow_group_arn}:*"]}], "Version": "2012-10-17"}, separators=(",", ":")),
        "role": flow_role,
    }, key=0, dependencies=(f"{net}.aws_cloudwatch_log_group.flow_logs", f"{net}.aws_iam_role.flow_logs"))])
    fl = aws_id("fl", seed)
    st.add(net, "aws_flow_log", "this", [Obj({
        "arn": arn("ec2", f"vpc-flow-log/{fl}"), "deliver_cross_account_role": "", "destination_options": [],
        "eni_id": None, "iam_role_arn": f"arn:aws:iam::{ACCOUNT}:role/{flow_role}", "id": fl,
        "log_destination": flow_group_arn, "log_destination_type": "cloud-watch-logs",
        "log_format": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
        "max_aggregation_interval": 60, "region": REGION, "subnet_id": None, "traffic_type": "ALL",
        "transit_gateway_attachment_id": None, "transit_gateway_id": None, "vpc_id": vpc_id,
        **tagged(sc, f"{p}-flow-logs"),
    }, key=0, dependencies=(f"{net}.aws_cloudwatch_log_group.flow_logs", f"{net}.aws_iam_role.flow_logs", f"{net}.aws_vpc.this"))])

    # security groups and rules
    sg = {name: aws_id("sg", f"{seed}-{name}") for name in ("alb", "app", "bastion", "db", "cache")}
    sg_desc = {
        "alb": f"ALB of {p}: HTTPS (and HTTP redirect) in, app port out to the app hosts",
        "app": f"App hosts of {p}: app port from the ALB, SSH from the bastion",
        "bastion": f"Bastion of {p}: SSH from known networks, SSH out to the app hosts",
        "db": f"Postgres of {p}: 5432 from the app hosts only",
        "cache": f"Redis of {p}: 6379 from the app hosts only",
    }
    sg_name = {"alb": "alb", "app": "app", "bastion": "bastion", "db": "postgres", "cache": "redis"}

    def sg_rules(direction: str, name: str) -> list:
        return [r for r in rules if r[0] == direction and r[1] == name]

    rules = []  # (direction, sg, resource name, key, port, peer_sg, cidr, description)

    def rule(direction, group, rname, port, peer=None, cidr=None, description="", key=None):
        rules.append((direction, group, rname, key, port, peer, cidr, description))

    for c in sc.alb_ingress_cidrs:
        rule("ingress", "alb", "alb_https", 443, cidr=c, description=f"HTTPS from {c}", key=c)
        rule("ingress", "alb", "alb_http", 80, cidr=c, description=f"HTTP from {c} (redirected to HTTPS)", key=c)
    rule("egress", "alb", "alb_to_app", sc.app_port, peer="app", description="App port to the app hosts")
    rule("ingress", "app", "app_from_alb", sc.app_port, peer="alb", description="App port from the ALB")
    if sc.bastion:
        rule("ingress", "app", "app_ssh_from_bastion", 22, peer="bastion", description="SSH from the bastion", key=0)
    rule("egress", "app", "app_https", 443, cidr="0.0.0.0/0", description="HTTPS out (ECR, SSM, package repositories) through NAT")
    rule("egress", "app", "app_http", 80, cidr="0.0.0.0/0", description="HTTP out (package mirrors that serve signed packages over HTTP) through NAT")
    rule("egress", "app", "app_to_db", 5432, peer="db", description="Postgres")
    rule("egress", "app", "app_to_cache", 6379, peer="cache", description="Redis")
    if sc.bastion:
        for c in sc.bastion_ingress_cidrs:
            rule("ingress", "bastion", "bastion_ssh", 22, cidr=c, description=f"SSH from {c}", key=c)
        rule("egress", "bastion", "bastion_ssh_to_app", 22, peer="app", description="SSH to the app hosts", key=0)
        rule("egress", "bastion", "bastion_https", 443, cidr="0.0.0.0/0", description="HTTPS out (SSM agent, package repositories)", key=0)
    rule("ingress", "db", "db_from_app", 5432, peer="app", description="Postgres from the app hosts")
    rule("ingress", "cache", "cache_from_app", 6379, peer="app", description="Redis from the app hosts")

    for name in ("alb", "app", "bastion", "db", "cache"):
        if name == "bastion" and not sc.bastion:
            continue

        def inline(direction):
            out = []
            for (_d, _g, _r, _k, port, peer, cidr, desc) in sg_rules(direction, name):
                out.append({"cidr_blocks": [cidr] if cidr else [], "description": desc, "from_port": port,
                            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
                            "security_groups": [sg[peer]] if peer else [], "self": False, "to_port": port})
            return sorted(out, key=lambda r: (r["from_port"], r["description"]))

        st.add(net, "aws_security_group", name, [Obj({
            "arn": arn("ec2", f"security-group/{sg[name]}"), "description": sg_desc[name],
            "egress": inline("egress"), "id": sg[name], "ingress": inline("ingress"),
            "name": f"{p}-{sg_name[name]}", "name_prefix": "", "owner_id": ACCOUNT, "region": REGION,
            "revoke_rules_on_delete": False, "timeouts": None, "vpc_id": vpc_id,
            **tagged(sc, f"{p}-{sg_name[name]}"),
        }, schema_version=1, key=0 if name == "bastion" else None, dependencies=vpc_dep)])

    by_resource: dict[tuple, list[Obj]] = {}
    for (direction, group, rname, key, port, peer, cidr, desc) in rules:
        rid = aws_id("sgr", f"{seed}-{rname}-{key}")
        attrs = {
            "arn": arn("ec2", f"security-group-rule/{rid}"), "cidr_ipv4": cidr, "cidr_ipv6": None,
            "description": desc, "from_port": port, "id": rid, "ip_protocol": "tcp", "prefix_list_id": None,
            "referenced_security_group_id": sg[peer] if peer else None, "region": REGION,
            "security_group_id": sg[group], "security_group_rule_id": rid,
            "tags": dict(sc.tags), "tags_all": {**DEFAULT_TAGS, **sc.tags}, "to_port": port,
        }
        deps = [f"{net}.aws_security_group.{group}"] + ([f"{net}.aws_security_group.{peer}"] if peer else [])
        rtype = f"aws_vpc_security_group_{direction}_rule"
        by_resource.setdefault((rtype, rname), []).append(Obj(attrs, key=key, dependencies=tuple(deps)))
    for (rtype, rname), objs in by_resource.items():
        st.add(net, rtype, rname, objs)

    # ---- registry ------------------------------------------------------------------
    repo = f"{sc.project}/app"
    repo_arn = arn("ecr", f"repository/{repo}")
    repo_url = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repo}"
    st.add(reg, "aws_ecr_repository", "this", [Obj({
        "arn": repo_arn, "encryption_configuration": [{"encryption_type": "KMS", "kms_key": kms_arn}],
        "force_delete": False, "id": repo, "image_scanning_configuration": [{"scan_on_push": True}],
        "image_tag_mutability": "IMMUTABLE", "image_tag_mutability_exclusion_filter": [], "name": repo,
        "region": REGION, "registry_id": ACCOUNT, "repository_url": repo_url, "timeouts": None,
        **tagged(sc, repo),
    }, dependencies=(f"{ROOT}.aws_kms_key.this",))])
    st.add(reg, "aws_ecr_lifecycle_policy", "this", [Obj({
        "id": repo, "policy": json.dumps({"rules": [
            {"action": {"type": "expire"}, "description": "Expire untagged images after 7 days", "rulePriority": 1,
             "selection": {"countNumber": 7, "countType": "sinceImagePushed", "countUnit": "days", "tagStatus": "untagged"}},
            {"action": {"type": "expire"}, "description": "Keep the 30 most recent images", "rulePriority": 2,
             "selection": {"countNumber": 30, "countType": "imageCountMoreThan", "tagStatus": "any"}}]},
            separators=(",", ":")),
        "region": REGION, "registry_id": ACCOUNT, "repository": repo,
    }, dependencies=(f"{reg}.aws_ecr_repository.this",))])
    pull_policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/{p}-ecr-pull"
    st.add(reg, "aws_iam_policy", "pull", [Obj({
        "arn": pull_policy_arn, "attachment_count": 1, "delay_after_policy_creation_in_ms": None,
        "description": f"Pull images from {repo}", "id": pull_policy_arn, "name": f"{p}-ecr-pull",
        "name_prefix": "", "path": "/", "policy": json.dumps({"Statement": [
            {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*", "Sid": "Login"},
            {"Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
             "Effect": "Allow", "Resource": repo_arn, "Sid": "Pull"}], "Version": "2012-10-17"}, separators=(",", ":")),
        "policy_id": f"ANPA{alnum('pull' + seed, 17, upper=True)}", **tagged(sc, f"{p}-ecr-pull"),
    }, dependencies=(f"{reg}.aws_ecr_repository.this",))])

    # ---- load balancer ---------------------------------------------------------------
    lb_hash = hexid(f"lb:{seed}", 16)
    lb_arn = arn("elasticloadbalancing", f"loadbalancer/app/{p}/{lb_hash}")
    lb_dns = f"{p}-{digits('lbdns' + seed, 10)}.{REGION}.elb.amazonaws.com"
    logs_module = f"{lbm}.module.access_logs_bucket"  # count = 1 when access logs go to a created bucket
    logs_bucket = f"{p}-alb-logs-{ACCOUNT}"
    st.add(lbm, "aws_lb", "this", [Obj({
        "access_logs": [{"bucket": logs_bucket, "enabled": True, "prefix": p}] if sc.access_logs else [],
        "arn": lb_arn, "arn_suffix": f"app/{p}/{lb_hash}", "client_keep_alive": 3600,
        "connection_logs": [], "customer_owned_ipv4_pool": "", "desync_mitigation_mode": "defensive",
        "dns_name": lb_dns, "dns_record_client_routing_policy": None, "drop_invalid_header_fields": True,
        "enable_cross_zone_load_balancing": True, "enable_deletion_protection": True, "enable_http2": True,
        "enable_tls_version_and_cipher_suite_headers": False, "enable_waf_fail_open": False,
        "enable_xff_client_port": False, "enable_zonal_shift": False,
        "enforce_security_group_inbound_rules_on_private_link_traffic": "", "id": lb_arn, "idle_timeout": 60,
        "internal": False, "ip_address_type": "ipv4", "ipam_pools": [], "load_balancer_type": "application",
        "minimum_load_balancer_capacity": [], "name": p, "name_prefix": "", "preserve_host_header": False,
        "region": REGION, "security_groups": [sg["alb"]],
        "subnet_mapping": [{"allocation_id": "", "ipv6_address": "", "outpost_id": "", "private_ipv4_address": "",
                            "subnet_id": s} for s in sorted(subnets["public"])],
        "subnets": sorted(subnets["public"]), "timeouts": None, "vpc_id": vpc_id,
        "xff_header_processing_mode": "append", "zone_id": ELB_ZONE_ID, **tagged(sc, p),
    }, dependencies=tuple([f"{net}.aws_security_group.alb", f"{net}.aws_subnet.public"]
                          + ([f"{logs_module}.aws_s3_bucket.this", f"{logs_module}.aws_s3_bucket_policy.this"] if sc.access_logs else [])))])
    tg_arn = arn("elasticloadbalancing", f"targetgroup/{p}-app/{hexid('tg' + seed, 16)}")
    st.add(lbm, "aws_lb_target_group", "app", [Obj({
        "arn": tg_arn, "arn_suffix": f"targetgroup/{p}-app/{hexid('tg' + seed, 16)}",
        "connection_termination": None, "deregistration_delay": "30",
        "health_check": [{"enabled": True, "healthy_threshold": 2, "interval": 10, "matcher": "200",
                          "path": sc.health_check_path, "port": "traffic-port", "protocol": "HTTP",
                          "timeout": 5, "unhealthy_threshold": 2}],
        "id": tg_arn, "ip_address_type": "ipv4", "lambda_multi_value_headers_enabled": False,
        "load_balancer_arns": [lb_arn], "load_balancing_algorithm_type": "round_robin",
        "load_balancing_anomaly_mitigation": "off", "load_balancing_cross_zone_enabled": "use_load_balancer_configuration",
        "name": f"{p}-app", "name_prefix": "", "port": sc.app_port, "preserve_client_ip": None,
        "protocol": "HTTP", "protocol_version": "HTTP1", "proxy_protocol_v2": False, "region": REGION,
        "slow_start": 0, "stickiness": [{"cookie_duration": 86400, "cookie_name": "", "enabled": False, "type": "lb_cookie"}],
        "target_failover": [], "target_group_health": [], "target_health_state": [], "target_type": "instance",
        "vpc_id": vpc_id, **tagged(sc, f"{p}-app"),
    }, dependencies=(f"{net}.aws_vpc.this",))])

    if sc.certificate_arn is None:
        cert_arn = arn("acm", f"certificate/{uuid_like('cert' + seed)}")
        dvo = {"domain_name": sc.domain_name,
               "resource_record_name": f"_{hexid('acm-name' + seed, 32)}.{sc.domain_name}.",
               "resource_record_type": "CNAME",
               "resource_record_value": f"_{hexid('acm-value' + seed, 32)}.xlfgrmvvlj.acm-validations.aws."}
        st.add(lbm, "aws_acm_certificate", "this", [Obj({
            "arn": cert_arn, "certificate_authority_arn": "", "certificate_body": None, "certificate_chain": None,
            "domain_name": sc.domain_name, "domain_validation_options": [dvo], "early_renewal_duration": "",
            "id": cert_arn, "key_algorithm": "RSA_2048", "not_after": "2027-01-20T23:59:59Z",
            "not_before": "2025-12-22T00:00:00Z",
            "options": [{"certificate_transparency_logging_preference": "ENABLED", "export": "DISABLED"}],
            "pending_renewal": False, "private_key": None, "region": REGION, "renewal_eligibility": "ELIGIBLE",
            "renewal_summary": [], "status": "ISSUED", "subject_alternative_names": [sc.domain_name],
            "type": "AMAZON_ISSUED", "validation_emails": [], "validation_method": "DNS", "validation_option": [],
            **tagged(sc, sc.domain_name),
        }, key=0, sensitive=("private_key",), create_before_destroy=True)])
        fqdn = dvo["resource_record_name"].rstrip(".")
        st.add(lbm, "aws_route53_record", "validation", [Obj(route53_record(
            sc.route53_zone_id, fqdn, "CNAME", records=[dvo["resource_record_value"]], ttl=300,
            allow_overwrite=True), key=sc.domain_name, dependencies=(f"{lbm}.aws_acm_certificate.this",))])
        st.add(lbm, "aws_acm_certificate_validation", "this", [Obj({
            "certificate_arn": cert_arn, "id": "2025-12-22 08:14:05.123 +0000 UTC", "region": REGION,
            "timeouts": None, "validation_record_fqdns": [fqdn],
        }, key=0, dependencies=(f"{lbm}.aws_acm_certificate.this", f"{lbm}.aws_route53_record.validation"))])
    else:
        cert_arn = sc.certificate_arn
    if sc.domain_name and sc.route53_zone_id:
        st.add(lbm, "aws_route53_record", "alias", [Obj(route53_record(
            sc.route53_zone_id, sc.domain_name, "A",
            alias=[{"evaluate_target_health": True, "name": lb_dns, "zone_id": ELB_ZONE_ID}]),
            key=0, dependencies=(f"{lbm}.aws_lb.this",))])

    listener_http = arn("elasticloadbalancing", f"listener/app/{p}/{lb_hash}/{hexid('l80' + seed, 16)}")
    listener_https = arn("elasticloadbalancing", f"listener/app/{p}/{lb_hash}/{hexid('l443' + seed, 16)}")
    st.add(lbm, "aws_lb_listener", "http", [Obj(listener(sc, listener_http, lb_arn, 80, "HTTP", None, None, [{
        "authenticate_cognito": [], "authenticate_oidc": [], "fixed_response": [], "forward": [], "order": 1,
        "redirect": [{"host": "#{host}", "path": "/#{path}", "port": "443", "protocol": "HTTPS",
                      "query": "#{query}", "status_code": "HTTP_301"}],
        "target_group_arn": "", "type": "redirect"}], f"{p}-http"), dependencies=(f"{lbm}.aws_lb.this",))])
    st.add(lbm, "aws_lb_listener", "https", [Obj(listener(sc, listener_https, lb_arn, 443, "HTTPS", cert_arn,
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", [{
            "authenticate_cognito": [], "authenticate_oidc": [], "fixed_response": [], "forward": [], "order": 1,
            "redirect": [], "target_group_arn": tg_arn, "type": "forward"}], f"{p}-https"),
        dependencies=(f"{lbm}.aws_lb.this", f"{lbm}.aws_lb_target_group.app")
        + ((f"{lbm}.aws_acm_certificate_validation.this",) if sc.certificate_arn is None else ()))])
    rule_objs = []
    paths = list(sc.deploy_paths)
    for i in range(0, len(paths), 2):
        k = f"{i // 2:02d}"
        values = [v for q in paths[i:i + 2] for v in (q, f"{q}/*")]
        rule_arn = arn("elasticloadbalancing", f"listener-rule/app/{p}/{lb_hash}/{hexid('l443' + seed, 16)}/{hexid('rule' + k + seed, 16)}")
        rule_objs.append(Obj({
            "action": [{"authenticate_cognito": [], "authenticate_oidc": [], "fixed_response": [{
                "content_type": "text/plain", "message_body": "Not Found", "status_code": "404"}],
                "forward": [], "order": 1, "redirect": [], "target_group_arn": "", "type": "fixed-response"}],
            "arn": rule_arn,
            "condition": [{"host_header": [], "http_header": [], "http_request_method": [],
                           "path_pattern": [{"values": sorted(values)}], "query_string": [], "source_ip": []}],
            "id": rule_arn, "listener_arn": listener_https, "priority": 1 + i // 2, "region": REGION,
            "transform": [], **tagged(sc, f"{p}-hide-deploy-{k}"),
        }, key=k, dependencies=(f"{lbm}.aws_lb_listener.https",)))
    st.add(lbm, "aws_lb_listener_rule", "hide_deploy_paths", rule_objs)

    if sc.access_logs:
        hardened_bucket(st, sc, f"{logs_module}[0]", f"{p}-alb-logs", force_destroy=False, versioned=True,
                        rule_id="expire-access-logs", days=90,
                        writers=(("AlbLogDelivery", "logdelivery.elasticloadbalancing.amazonaws.com",
                                  f"{p}/AWSLogs/{ACCOUNT}/*"),),
                        writer_deps=(f"{lbm}.data.aws_caller_identity.current",))

    # ---- app hosts -------------------------------------------------------------------
    # `value` is sensitive in the data source's schema (it may be a SecureString); this public
    # parameter holds an AMI id, read through `insecure_value`.
    st.add(hosts, "aws_ssm_parameter", "ami", [Obj({
        "arn": arn("ssm", f"parameter{AMI_PARAMETER}", account=""), "id": AMI_PARAMETER,
        "insecure_value": AMI, "name": AMI_PARAMETER, "region": REGION, "type": "String", "value": AMI,
        "version": 114, "with_decryption": True,
    }, key=0, sensitive=("value",))], mode="data")
    key_name = None
    if sc.ssh_keys:
        key_name = p
        st.add(hosts, "aws_key_pair", "this", [Obj({
            "arn": arn("ec2", f"key-pair/{p}"), "fingerprint": "Qw7rTAh3uFRx3bsG7LUA0Z2bvPJ7QHCLRkqphSEfkUE=",
            "id": p, "key_name": p, "key_name_prefix": "", "key_pair_id": aws_id("key", seed), "key_type": "ed25519",
            "public_key": sc.ssh_keys[0], "region": REGION, **tagged(sc, p),
        }, schema_version=1, key=0)])
    user_data = None
    if sc.ssh_keys:
        # join("\n", ["#cloud-config", yamlencode({ssh_authorized_keys = [...]})])
        user_data = "#cloud-config\n\"ssh_authorized_keys\":\n" + "".join(f"- \"{k}\"\n" for k in sc.ssh_keys)

    app_role = f"{p}-app"
    st.add(hosts, "aws_iam_role", "app", [Obj(iam_role(sc, app_role, f"App hosts of {p}", "ec2.amazonaws.com"))])
    profile_arn = f"arn:aws:iam::{ACCOUNT}:instance-profile/{app_role}"
    st.add(hosts, "aws_iam_instance_profile", "app", [Obj({
        "arn": profile_arn, "create_date": "2025-12-22T08:02:11Z", "id": app_role, "name": app_role,
        "name_prefix": "", "path": "/", "role": app_role, "unique_id": f"AIPA{alnum('profile' + seed, 17, upper=True)}",
        **tagged(sc, app_role),
    }, dependencies=(f"{hosts}.aws_iam_role.app",))])
    ssm_core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    if sc.ssm:
        st.add(hosts, "aws_iam_role_policy_attachment", "app_ssm", [Obj(
            {"id": f"{app_role}-{hexid('att1' + seed, 26)}", "policy_arn": ssm_core, "role": app_role},
            key=0, dependencies=(f"{hosts}.aws_iam_role.app",))])
    st.add(hosts, "aws_iam_role_policy_attachment", "app_extra", [Obj(
        {"id": f"{app_role}-{hexid('att2' + seed, 26)}", "policy_arn": pull_policy_arn, "role": app_role},
        key="ecr_pull", dependencies=(f"{hosts}.aws_iam_role.app", f"{reg}.aws_iam_policy.pull"))])

    web_names, web_ids, web_ips = [], [], []
    web_objs, attach_objs = [], []
    for i in range(sc.app_count):
        az = i % 3
        name = f"{p}-web-{i}"
        ip = host_ip(private_cidrs[az], 11 + 7 * i)
        inst = aws_instance(sc, seed=f"{seed}-web-{i}", instance_type=sc.app_instance_type, az=AZS[az],
                            subnet=subnets["private"][az], sgs=[sg["app"]], profile=app_role,
                            key_name=key_name, private_ip=ip, public_ip=None, user_data=user_data,
                            kms_arn=kms_arn, volume_size=20, name=name, role="web")
        web_names.append(name)
        web_ids.append(inst["id"])
        web_ips.append(ip)
        web_objs.append(Obj(inst, schema_version=1, key=i, dependencies=tuple(
            [f"{hosts}.aws_iam_instance_profile.app", f"{hosts}.data.aws_ssm_parameter.ami", f"{net}.aws_security_group.app",
             f"{net}.aws_subnet.private", f"{ROOT}.aws_kms_key.this"] + ([f"{hosts}.aws_key_pair.this"] if key_name else []))))
        attach_objs.append(Obj({
            "availability_zone": None, "id": f"{tg_arn}-{hexid('attach' + name, 20)}", "port": sc.app_port,
            "quic_server_id": None, "region": REGION, "target_group_arn": tg_arn, "target_id": inst["id"],
        }, key=i, dependencies=(f"{hosts}.aws_instance.web", f"{lbm}.aws_lb_target_group.app")))
    st.add(hosts, "aws_instance", "web", web_objs)
    st.add(hosts, "aws_lb_target_group_attachment", "web", attach_objs)

    bastion_id = bastion_eip = None
    if sc.bastion:
        b_role = f"{p}-bastion"
        st.add(hosts, "aws_iam_role", "bastion", [Obj(iam_role(sc, b_role, f"Bastion of {p}", "ec2.amazonaws.com"), key=0)])
        st.add(hosts, "aws_iam_instance_profile", "bastion", [Obj({
            "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{b_role}", "create_date": "2025-12-22T08:02:12Z",
            "id": b_role, "name": b_role, "name_prefix": "", "path": "/", "role": b_role,
            "unique_id": f"AIPA{alnum('bprofile' + seed, 17, upper=True)}", **tagged(sc, b_role),
        }, key=0, dependencies=(f"{hosts}.aws_iam_role.bastion",))])
        if sc.ssm:
            st.add(hosts, "aws_iam_role_policy_attachment", "bastion_ssm", [Obj(
                {"id": f"{b_role}-{hexid('att3' + seed, 26)}", "policy_arn": ssm_core, "role": b_role},
                key=0, dependencies=(f"{hosts}.aws_iam_role.bastion",))])
        b_ip = host_ip(public_cidrs[0], 37)
        own_public_ip = None  # associate_public_ip_address = false: only the EIP
        binst = aws_instance(sc, seed=f"{seed}-bastion", instance_type="t3.micro", az=AZS[0],
                             subnet=subnets["public"][0], sgs=[sg["bastion"]], profile=b_role,
                             key_name=key_name, private_ip=b_ip, public_ip=own_public_ip, user_data=user_data,
                             kms_arn=kms_arn, volume_size=8, name=f"{p}-bastion", role="bastion")
        bastion_id = binst["id"]
        st.add(hosts, "aws_instance", "bastion", [Obj(binst, schema_version=1, key=0, dependencies=(
            f"{hosts}.aws_iam_instance_profile.bastion", f"{hosts}.aws_key_pair.this", f"{hosts}.data.aws_ssm_parameter.ami",
            f"{net}.aws_security_group.bastion", f"{net}.aws_subnet.public", f"{ROOT}.aws_kms_key.this"))])
        bastion_eip = "203.0.113.10"
        alloc = aws_id("eipalloc", f"{seed}-bastion")
        st.add(hosts, "aws_eip", "bastion", [Obj({
            "address": None, "allocation_id": alloc, "arn": arn("ec2", f"elastic-ip/{alloc}"),
            "associate_with_private_ip": None, "association_id": aws_id("eipassoc", f"{seed}-bastion"),
            "carrier_ip": "", "customer_owned_ip": "", "customer_owned_ipv4_pool": "", "domain": "vpc",
            "id": alloc, "instance": bastion_id, "ipam_pool_id": None, "network_border_group": REGION,
            "network_interface": binst["primary_network_interface_id"], "private_dns": binst["private_dns"],
            "private_ip": b_ip, "ptr_record": "", "public_dns": ec2_dns(bastion_eip, public=True),
            "public_ip": bastion_eip, "public_ipv4_pool": "amazon", "region": REGION, "timeouts": None,
            **tagged(sc, f"{p}-bastion"),
        }, key=0, dependencies=(f"{hosts}.aws_instance.bastion",))])

    ssm_bucket = None
    if sc.ssm:
        ssm_bucket = hardened_bucket(st, sc, f"{hosts}.module.ssm_bucket[0]", f"{p}-ssm", force_destroy=True,
                                     versioned=False, rule_id="expire-transfers", days=1)

    # ---- data stores -------------------------------------------------------------------
    db_id = f"{p}-postgres"
    st.add(data_mod, "aws_db_subnet_group", "postgres", [Obj({
        "arn": arn("rds", f"subgrp:{db_id}"), "description": f"Data subnets of {p}", "id": db_id, "name": db_id,
        "name_prefix": "", "region": REGION, "subnet_ids": sorted(subnets["data"]),
        "supported_network_types": ["IPV4"], "vpc_id": vpc_id, **tagged(sc, db_id),
    })])
    pg_name = f"{db_id}17-{alnum('pg' + seed, 26)}"
    st.add(data_mod, "aws_db_parameter_group", "postgres", [Obj({
        "arn": arn("rds", f"pg:{pg_name}"), "description": f"Postgres 17 of {p}: TLS required, slow queries and DDL logged",
        "family": "postgres17", "id": pg_name, "name": pg_name, "name_prefix": f"{db_id}17-",
        "parameter": [{"apply_method": "immediate", "name": n, "value": v} for n, v in sorted(
            {"log_lock_waits": "1", "log_min_duration_statement": "1000", "log_statement": "ddl", "rds.force_ssl": "1"}.items())],
        "region": REGION, "skip_destroy": False, **tagged(sc, db_id),
    }, create_before_destroy=True)])
    log_objs = []
    for kind in ("postgresql", "upgrade"):
        group = f"/aws/rds/instance/{db_id}/{kind}"
        log_objs.append(Obj({
            "arn": arn("logs", f"log-group:{group}"), "deletion_protection_enabled": False, "id": group,
            "kms_key_id": kms_arn, "log_group_class": "STANDARD", "name": group, "name_prefix": "",
            "region": REGION, "retention_in_days": 365, "skip_destroy": False, **tagged(sc, f"{db_id}-{kind}"),
        }, key=kind, dependencies=(f"{ROOT}.aws_kms_key.this",)))
    st.add(data_mod, "aws_cloudwatch_log_group", "postgres", log_objs)
    mon_role = f"{db_id}-monitoring"
    st.add(data_mod, "aws_iam_role", "rds_monitoring", [Obj(iam_role(sc, mon_role, f"Enhanced Monitoring of {db_id}", "monitoring.rds.amazonaws.com"))])
    st.add(data_mod, "aws_iam_role_policy_attachment", "rds_monitoring", [Obj({
        "id": f"{mon_role}-{hexid('att4' + seed, 26)}", "role": mon_role,
        "policy_arn": "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    }, dependencies=(f"{data_mod}.aws_iam_role.rds_monitoring", f"{data_mod}.data.aws_partition.current"))])

    db_password = None
    if not sc.db_managed_password:
        db_password = f"{MARKER}-db-master-{hexid('dbpw' + seed, 8)}"
        st.add(data_mod, "random_password", "db_master", [Obj(random_password(db_password, 32, True, "!#$%&*()-_=+[]{}<>:?"),
                                                              schema_version=3, key=0, sensitive=("bcrypt_hash", "result"))],
               provider=RANDOM)
    db_address = f"{db_id}.{alnum('rds-suffix', 12)}.{REGION}.rds.amazonaws.com"
    resource_id = "db-" + alnum("dbi" + seed, 26, upper=True)
    secret = []
    secret_arn = None
    if sc.db_managed_password:
        secret_arn = arn("secretsmanager", f"secret:rds!db-{uuid_like('secret' + seed)}-{alnum('sfx' + seed, 6)}")
        secret = [{"kms_key_id": kms_arn, "secret_arn": secret_arn, "secret_status": "active"}]
    st.add(data_mod, "aws_db_instance", "postgres", [Obj({
        "address": db_address, "allocated_storage": 20, "allow_major_version_upgrade": False,
        "apply_immediately": False, "arn": arn("rds", f"db:{db_id}"), "auto_minor_version_upgrade": True,
        "availability_zone": AZS[0], "backup_retention_period": 7, "backup_target": "region",
        "backup_window": "02:00-03:00", "blue_green_update": [], "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "character_set_name": "", "copy_tags_to_snapshot": True, "custom_iam_instance_profile": "",
        "customer_owned_ip_enabled": False, "database_insights_mode": "standard", "db_name": sc.db_name,
        "db_subnet_group_name": db_id, "dedicated_log_volume": False, "delete_automated_backups": False,
        "deletion_protection": True, "domain": "", "domain_auth_secret_arn": "", "domain_dns_ips": [],
        "domain_fqdn": "", "domain_iam_role_name": "", "domain_ou": "",
        "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"], "endpoint": f"{db_address}:5432",
        "engine": "postgres", "engine_lifecycle_support": "open-source-rds-extended-support",
        "engine_version": "17", "engine_version_actual": "17.5", "final_snapshot_identifier": f"{db_id}-final",
        "hosted_zone_id": RDS_ZONE_ID, "iam_database_authentication_enabled": True, "id": resource_id,
        "identifier": db_id, "identifier_prefix": "", "instance_class": "db.t4g.small", "iops": 3000,
        "kms_key_id": kms_arn, "latest_restorable_time": "2025-12-22T09:55:00Z", "license_model": "postgresql-license",
        "listener_endpoint": [], "maintenance_window": "sun:03:30-sun:04:30",
        "manage_master_user_password": True if sc.db_managed_password else None,
        "master_user_secret": secret, "master_user_secret_kms_key_id": kms_arn if sc.db_managed_password else None,
        "max_allocated_storage": 100, "monitoring_interval": 60,
        "monitoring_role_arn": f"arn:aws:iam::{ACCOUNT}:role/{mon_role}", "multi_az": sc.db_multi_az,
        "nchar_character_set_name": "", "network_type": "IPV4", "option_group_name": "default:postgres-17",
        "parameter_group_name": pg_name, "password": db_password, "password_wo": None,
        "password_wo_version": None, "performance_insights_enabled": True,
        "performance_insights_kms_key_id": kms_arn, "performance_insights_retention_period": 7, "port": 5432,
        "publicly_accessible": False, "region": REGION, "replica_mode": "", "replicas": [],
        "replicate_source_db": "", "resource_id": resource_id, "restore_to_point_in_time": [], "s3_import": [],
        "skip_final_snapshot": False, "snapshot_identifier": None, "status": "available",
        "storage_encrypted": True, "storage_throughput": 125, "storage_type": "gp3", "timeouts": None,
        "timezone": "", "upgrade_storage_config": None, "username": sc.db_username,
        "vpc_security_group_ids": [sg["db"]], **tagged(sc, db_id),
    }, schema_version=2, sensitive=("password",), dependencies=tuple(
        [f"{data_mod}.aws_cloudwatch_log_group.postgres", f"{data_mod}.aws_db_parameter_group.postgres",
         f"{data_mod}.aws_db_subnet_group.postgres", f"{data_mod}.aws_iam_role.rds_monitoring",
         f"{data_mod}.aws_iam_role_policy_attachment.rds_monitoring", f"{net}.aws_security_group.db",
         f"{ROOT}.aws_kms_key.this"] + ([] if sc.db_managed_password else [f"{data_mod}.random_password.db_master"])))])

    redis_id = f"{p}-redis"
    st.add(data_mod, "aws_elasticache_subnet_group", "redis", [Obj({
        "arn": arn("elasticache", f"subnetgroup:{redis_id}"), "description": f"Data subnets of {p}", "id": redis_id,
        "ipv6_cidr_blocks": [], "name": redis_id, "region": REGION, "subnet_ids": sorted(subnets["data"]),
        "vpc_id": vpc_id, **tagged(sc, redis_id),
    })])
    redis_token = f"{MARKER}-redis-auth-{hexid('redis' + seed, 8)}"
    st.add(data_mod, "random_password", "redis_auth", [Obj(random_password(redis_token, 64, False, None),
                                                            schema_version=3, sensitive=("bcrypt_hash", "result"))],
           provider=RANDOM)
    slow = f"/aws/elasticache/{redis_id}/slow-log"
    st.add(data_mod, "aws_cloudwatch_log_group", "redis_slow_log", [Obj({
        "arn": arn("logs", f"log-group:{slow}"), "deletion_protection_enabled": False, "id": slow,
        "kms_key_id": kms_arn, "log_group_class": "STANDARD", "name": slow, "name_prefix": "", "region": REGION,
        "retention_in_days": 365, "skip_destroy": False, **tagged(sc, f"{redis_id}-slow-log"),
    }, dependencies=(f"{ROOT}.aws_kms_key.this",))])
    suffix = alnum("cache" + seed, 6)
    primary = f"master.{redis_id}.{suffix}.{REGION_SHORT}.cache.amazonaws.com"
    reader = f"replica.{redis_id}.{suffix}.{REGION_SHORT}.cache.amazonaws.com"
    multi = sc.redis_nodes > 1
    st.add(data_mod, "aws_elasticache_replication_group", "redis", [Obj({
        "apply_immediately": False, "arn": arn("elasticache", f"replicationgroup:{redis_id}"),
        "at_rest_encryption_enabled": True, "auth_token": redis_token, "auth_token_update_strategy": "ROTATE",
        "auto_minor_version_upgrade": "true", "automatic_failover_enabled": multi, "cluster_enabled": False,
        "cluster_mode": "disabled", "configuration_endpoint_address": "", "data_tiering_enabled": False,
        "description": f"Redis of {p}", "engine": "redis", "engine_version": "7.1", "engine_version_actual": "7.1.0",
        "final_snapshot_identifier": f"{redis_id}-final", "global_replication_group_id": "", "id": redis_id,
        "ip_discovery": "ipv4", "kms_key_id": kms_arn,
        "log_delivery_configuration": [{"destination": slow, "destination_type": "cloudwatch-logs",
                                        "log_format": "json", "log_type": "slow-log"}],
        "maintenance_window": "sun:05:00-sun:06:00",
        "member_clusters": [f"{redis_id}-{n:03d}" for n in range(1, sc.redis_nodes + 1)],
        "multi_az_enabled": multi, "network_type": "ipv4", "node_group_configuration": [],
        "node_type": "cache.t4g.small", "notification_topic_arn": "", "num_cache_clusters": sc.redis_nodes,
        "num_node_groups": 1, "parameter_group_name": "default.redis7", "port": 6379,
        "preferred_cache_cluster_azs": None, "primary_endpoint_address": primary,
        "reader_endpoint_address": reader, "region": REGION, "replicas_per_node_group": sc.redis_nodes - 1,
        "replication_group_id": redis_id, "security_group_ids": [sg["cache"]], "security_group_names": [],
        "snapshot_arns": None, "snapshot_name": None, "snapshot_retention_limit": 7,
        "snapshot_window": "01:00-02:00", "subnet_group_name": redis_id, "timeouts": None,
        "transit_encryption_enabled": True, "transit_encryption_mode": "required", "user_group_ids": [],
        **tagged(sc, redis_id),
    }, schema_version=2, sensitive=("auth_token",), dependencies=(
        f"{data_mod}.aws_cloudwatch_log_group.redis_slow_log", f"{data_mod}.aws_elasticache_subnet_group.redis",
        f"{data_mod}.random_password.redis_auth", f"{net}.aws_security_group.cache", f"{ROOT}.aws_kms_key.this"))])

    # ---- outputs (examples/production/outputs.tf re-exports the stack's outputs) ------------
    out: dict[str, object] = {
        "aws_region": REGION,
        "vpc_id": vpc_id,
        "public_subnet_ids": tuple(subnets["public"]),
        "private_subnet_ids": tuple(subnets["private"]),
        "data_subnet_ids": tuple(subnets["data"]),
        "nat_public_ips": tuple(o.attributes["public_ip"] for o in nat_eips),
        "kms_key_arn": kms_arn,
        "lb_name": p,
        "lb_arn": lb_arn,
        "lb_dns_name": lb_dns,
        "lb_zone_id": ELB_ZONE_ID,
        "app_url": f"https://{sc.domain_name or lb_dns}",
        "target_group_arn": tg_arn,
        "target_group_name": f"{p}-app",
        "https_listener_arn": listener_https,
        "certificate_arn": cert_arn,
        "alb_access_logs_bucket": logs_bucket if sc.access_logs else None,
        "app_port": sc.app_port,
        "app_health_check_path": sc.health_check_path,
        "app_deploy_paths": list(sc.deploy_paths),
        "app_instance_ids": tuple(web_ids),
        "app_private_ips": tuple(web_ips),
        "app_host_names": tuple(web_names),
        "app_security_group_id": sg["app"],
        "app_iam_role_name": app_role,
        "app_instance_profile_name": app_role,
        "ssh_key_name": key_name,
        "bastion_instance_id": bastion_id,
        "bastion_public_ip": bastion_eip,
        "ssm_bucket_name": ssm_bucket,
        "db_identifier": db_id,
        "db_arn": arn("rds", f"db:{db_id}"),
        "db_address": db_address,
        "db_port": 5432,
        "db_name": sc.db_name,
        "db_username": sc.db_username,
        "db_master_user_secret_arn": secret_arn,
        "redis_replication_group_id": redis_id,
        "redis_primary_endpoint": primary,
        "redis_reader_endpoint": reader,
        "redis_port": 6379,
        "ecr_repository_url": repo_url,
        "ecr_repository_arn": repo_arn,
        "ecr_registry_id": ACCOUNT,
    }
    sensitive_out = {"db_password": db_password, "redis_auth_token": redis_token}
    outputs = {}
    for name, value in sorted({**out, **sensitive_out}.items()):
        if value is None:
            continue  # Terraform removes null root-module outputs from the state
        entry = {"value": list(value) if isinstance(value, tuple) else value, "type": string_type(value)}
        if name in sensitive_out:
            entry["sensitive"] = True
        outputs[name] = entry
    return st.to_json(outputs)


# --------------------------------------------------------------------------- attribute builders


def iam_role(sc: Scenario, name: str, description: str, service: str) -> dict:
    return {
        "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "assume_role_policy": json.dumps({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                                         "Principal": {"Service": service}}],
                                          "Version": "2012-10-17"}, separators=(",", ":")),
        "create_date": "2025-12-22T08:01:54Z", "description": description, "force_detach_policies": False,
        "id": name, "inline_policy": [], "managed_policy_arns": [], "max_session_duration": 3600, "name": name,
        "name_prefix": "", "path": "/", "permissions_boundary": "", "unique_id": f"AROA{alnum('role' + name, 17, upper=True)}",
        **tagged(sc, name),
    }


def route53_record(zone: str, name: str, rtype: str, records=None, ttl=None, alias=None, allow_overwrite=None) -> dict:
    return {
        "alias": alias or [], "allow_overwrite": allow_overwrite, "cidr_routing_policy": [],
        "failover_routing_policy": [], "fqdn": name, "geolocation_routing_policy": [],
        "geoproximity_routing_policy": [], "health_check_id": "", "id": f"{zone}_{name}_{rtype}",
        "latency_routing_policy": [], "multivalue_answer_routing_policy": False, "name": name,
        "records": records, "set_identifier": "", "timeouts": None, "ttl": ttl, "type": rtype,
        "weighted_routing_policy": [], "zone_id": zone,
    }


def listener(sc: Scenario, arn_: str, lb_arn: str, port: int, protocol: str, cert, policy, actions, name) -> dict:
    return {
        "alpn_policy": None, "arn": arn_, "certificate_arn": cert, "default_action": actions, "id": arn_,
        "load_balancer_arn": lb_arn, "mutual_authentication": [], "port": port, "protocol": protocol,
        "region": REGION, "routing_http_request_x_amzn_mtls_clientcert_header_name": "",
        "routing_http_response_server_enabled": True, "ssl_policy": policy or "", "tcp_idle_timeout_seconds": None,
        "timeouts": None, **tagged(sc, name),
    }


def random_password(result: str, length: int, special: bool, override_special) -> dict:
    assert MARKER in result
    return {
        "bcrypt_hash": f"$2a$10${MARKER}-{hexid(result, 20)}", "id": "none", "keepers": None, "length": length,
        "lower": True, "min_lower": 0, "min_numeric": 0, "min_special": 0, "min_upper": 0, "number": True,
        "numeric": True, "override_special": override_special, "result": result, "special": special, "upper": True,
    }


def compact(doc: dict) -> str:
    """jsonencode(): keys sorted, no whitespace."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def hardened_bucket(st: State, sc: Scenario, module: str, name: str, *, force_destroy: bool, versioned: bool,
                    rule_id: str, days: int, writers: tuple = (), writer_deps: tuple = ()) -> str:
    """The resources of modules/hardened_bucket called at `module` (a module instance address,
    e.g. `...module.ssm_bucket[0]`) with var.name = `name`; `writers` are its service_writers as
    (sid, service principal, key glob), `writer_deps` the resources their values come from.
    Returns the bucket's name (the module's id output)."""
    bucket = f"{name}-{ACCOUNT}"
    barn = f"arn:aws:s3:::{bucket}"
    config = re.sub(r"\[[^\]]*\]", "", module)  # dependencies are recorded without instance keys
    statements = [{"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "s3:PutObject",
                   "Resource": f"{barn}/{glob}"} for sid, service, glob in writers]
    statements.append({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": [barn, f"{barn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    st.data(module, "aws_caller_identity", "current", dict(CALLER))
    dep = (f"{config}.aws_s3_bucket.this",)
    st.add(module, "aws_s3_bucket", "this", [Obj({
        "acceleration_status": "", "acl": None, "arn": barn, "bucket": bucket,
        "bucket_domain_name": f"{bucket}.s3.amazonaws.com", "bucket_namespace": "global", "bucket_prefix": "",
        "bucket_region": REGION, "bucket_regional_domain_name": f"{bucket}.s3.{REGION}.amazonaws.com",
        "cors_rule": [], "force_destroy": force_destroy, "grant": [], "hosted_zone_id": "Z1BKCTXD74EZPE",
        "id": bucket, "lifecycle_rule": [], "logging": [], "object_lock_configuration": [],
        "object_lock_enabled": False, "policy": "", "region": REGION, "replication_configuration": [],
        "request_payer": "BucketOwner", "server_side_encryption_configuration": [], "timeouts": None,
        "versioning": [], "website": [], "website_domain": None, "website_endpoint": None,
        **tagged(sc, name),
    }, dependencies=(f"{config}.data.aws_caller_identity.current",))])
    st.add(module, "aws_s3_bucket_public_access_block", "this", [Obj({
        "block_public_acls": True, "block_public_policy": True, "bucket": bucket, "id": bucket,
        "ignore_public_acls": True, "region": REGION, "restrict_public_buckets": True, "skip_destroy": None,
    }, dependencies=dep)])
    st.add(module, "aws_s3_bucket_ownership_controls", "this", [Obj({
        "bucket": bucket, "id": bucket, "region": REGION, "rule": [{"object_ownership": "BucketOwnerEnforced"}],
    }, dependencies=dep)])
    st.add(module, "aws_s3_bucket_server_side_encryption_configuration", "this", [Obj({
        "bucket": bucket, "expected_bucket_owner": "", "id": bucket, "region": REGION,
        "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": "AES256"}],
                  "blocked_encryption_types": [], "bucket_key_enabled": False}],
    }, dependencies=dep)])
    if versioned:
        st.add(module, "aws_s3_bucket_versioning", "this", [Obj({
            "bucket": bucket, "expected_bucket_owner": "", "id": bucket, "mfa": None, "region": REGION,
            "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}],
        }, key=0, dependencies=dep)])
    st.add(module, "aws_s3_bucket_lifecycle_configuration", "this", [Obj({
        "bucket": bucket, "expected_bucket_owner": "", "id": bucket, "region": REGION,
        "rule": [{"abort_incomplete_multipart_upload": [{"days_after_initiation": 1}],
                  "expiration": [{"date": None, "days": days, "expired_object_delete_marker": False}],
                  "filter": [{"and": [], "object_size_greater_than": None, "object_size_less_than": None,
                              "prefix": "", "tag": []}],
                  "id": rule_id,
                  "noncurrent_version_expiration": [{"newer_noncurrent_versions": None, "noncurrent_days": 1}] if versioned else [],
                  "noncurrent_version_transition": [], "prefix": "", "status": "Enabled", "transition": []}],
        "timeouts": None, "transition_default_minimum_object_size": "all_storage_classes_128K",
    }, dependencies=dep + ((f"{config}.aws_s3_bucket_versioning.this",) if versioned else ()))])
    st.add(module, "aws_s3_bucket_policy", "this", [Obj({
        "bucket": bucket, "id": bucket, "region": REGION,
        "policy": compact({"Version": "2012-10-17", "Statement": statements}),
    }, dependencies=dep + (f"{config}.aws_s3_bucket_public_access_block.this",) + writer_deps)])
    return bucket


def aws_instance(sc: Scenario, *, seed, instance_type, az, subnet, sgs, profile, key_name, private_ip, public_ip,
                 user_data, kms_arn, volume_size, name, role) -> dict:
    iid = aws_id("i", seed)
    tags = {**sc.tags, "Name": name, "Role": role}
    root_tags = {**sc.tags, "Name": name}
    return {
        "ami": AMI, "arn": arn("ec2", f"instance/{iid}"), "associate_public_ip_address": bool(public_ip),
        "availability_zone": az,
        "capacity_reservation_specification": [{"capacity_reservation_preference": "open", "capacity_reservation_target": []}],
        "cpu_options": [{"amd_sev_snp": "", "core_count": 1, "threads_per_core": 2}],
        "credit_specification": [{"cpu_credits": "unlimited"}], "disable_api_stop": False,
        "disable_api_termination": False, "ebs_block_device": [], "ebs_optimized": True, "enable_primary_ipv6": None,
        "enclave_options": [{"enabled": False}], "ephemeral_block_device": [], "force_destroy": False,
        "get_password_data": False, "hibernation": False, "host_id": "", "host_resource_group_arn": None,
        "iam_instance_profile": profile, "id": iid, "instance_initiated_shutdown_behavior": "stop",
        "instance_lifecycle": "", "instance_market_options": [], "instance_state": "running",
        "instance_type": instance_type, "ipv6_address_count": 0, "ipv6_addresses": [], "key_name": key_name or "",
        "launch_template": [], "maintenance_options": [{"auto_recovery": "default"}],
        "metadata_options": [{"http_endpoint": "enabled", "http_protocol_ipv6": "disabled",
                              "http_put_response_hop_limit": 1, "http_tokens": "required",
                              "instance_metadata_tags": "disabled"}],
        "monitoring": True, "network_interface": [], "outpost_arn": "", "password_data": "", "placement_group": "",
        "placement_group_id": "", "placement_partition_number": 0,
        "primary_network_interface_id": aws_id("eni", seed), "private_dns": ec2_dns(private_ip, public=False),
        "private_dns_name_options": [{"enable_resource_name_dns_a_record": False,
                                      "enable_resource_name_dns_aaaa_record": False, "hostname_type": "ip-name"}],
        "private_ip": private_ip, "public_dns": ec2_dns(public_ip, public=True) if public_ip else "",
        "public_ip": public_ip or "", "region": REGION,
        "root_block_device": [{"delete_on_termination": True, "device_name": "/dev/xvda", "encrypted": True,
                               "iops": 3000, "kms_key_id": kms_arn, "tags": root_tags,
                               "tags_all": {**DEFAULT_TAGS, **root_tags}, "throughput": 125,
                               "volume_id": aws_id("vol", seed), "volume_size": volume_size, "volume_type": "gp3"}],
        "secondary_private_ips": [], "security_groups": [], "source_dest_check": True, "spot_instance_request_id": "",
        "subnet_id": subnet, "tags": tags, "tags_all": {**DEFAULT_TAGS, **tags}, "tenancy": "default",
        "timeouts": None, "user_data": user_data, "user_data_base64": None, "user_data_replace_on_change": False,
        "volume_tags": None, "vpc_security_group_ids": sorted(sgs),
    }


# --------------------------------------------------------------------------- files


def render(scenario: str) -> str:
    return json.dumps(build(SCENARIOS[scenario]), indent=2, ensure_ascii=False) + "\n"


def fixture_path(scenario: str) -> Path:
    return FIXTURES / f"{scenario}.tfstate"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in SCENARIOS:
        text = render(name)
        path = fixture_path(name)
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(str(path))
        else:
            FIXTURES.mkdir(exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("stale (run python3 tests/terraform/tfstate_model.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
