"""A Terraform v4 state for the end-to-end deploy test: the reference stack's shape (three app hosts
tagged Role=web in module.palin.module.app_hosts, one RDS Postgres, one Redis replication group, the
stack's outputs), with the endpoints pointing at the test's own Postgres and Redis on loopback.

Instance attributes come from the fixture generator of palin-inventory's own tests
(inventory-plugin/tests/fixtures/gen_fixtures.py: hashicorp/aws 5.x shapes, Terraform 1.9), so the
state is what `terraform state pull` would print for such a stack; only the addresses differ."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "inventory-plugin" / "tests" / "fixtures"))
sys.path.insert(0, str(REPO / "tests" / "terraform"))
import gen_fixtures as g  # noqa: E402
from tfstate_model import string_type  # noqa: E402

MOD = "module.palin"


def _output(value, sensitive=False):
    """An output as Terraform records it (a literal list is a tuple: pass a Python tuple)."""
    return {"value": list(value) if isinstance(value, tuple) else value,
            "type": string_type(value), "sensitive": sensitive}


def instance_ids(hosts: int = 3) -> list[str]:
    """The EC2 instance ids of the app hosts, in host order."""
    return [g.aws_id("i", f"e2e-web-{i}") for i in range(hosts)]


def state(*, pg_port: int, pg_user: str, pg_password: str, redis_port: int, redis_token: str,
          hosts: int = 3, app_port: int = 5000, db_name: str = "palindromes",
          target_group_arn: str | None = None, db_host: str = "127.0.0.1",
          redis_host: str = "127.0.0.1", web_ips: list[str] | None = None,
          bastion: dict | None = None, outputs: dict | None = None) -> dict:
    """The state. `web_ips`: the app hosts' private addresses (default 10.20.<i>.1<i>);
    `bastion`: {"private_ip", "public_ip"} adds the stack's bastion (tagged Role=bastion);
    `outputs`: extra outputs (name -> value)."""
    resources = []
    web = []
    for i in range(hosts):
        attrs = g.aws_instance(
            seed=f"e2e-web-{i}", ami="ami-0e2e0000000000001", instance_type="t3.small",
            az=g.AZS[i % 3], subnet=f"subnet-0e2e00000000000{i}", sgs=["sg-0e2e000000000app"],
            key_name="palin-ops",
            private_ip=web_ips[i] if web_ips else f"10.20.{i + 1}.1{i}", public_ip="",
            tags={"Name": f"web-{i + 1}", "Role": "web", "Env": "e2e", "Project": "palin"},
        )
        web.append(g.inst(attrs, key=i, schema_version=1, private=g.EC2_PRIVATE))
    resources.append(g.res(module=f"{MOD}.module.app_hosts", rtype="aws_instance", name="app",
                           instances=web))
    if bastion:
        attrs = g.aws_instance(
            seed="e2e-bastion", ami="ami-0e2e0000000000001", instance_type="t3.micro",
            az=g.AZS[0], subnet="subnet-0e2e0000000000pub", sgs=["sg-0e2e0000000bastion"],
            key_name="palin-ops", private_ip=bastion["private_ip"], public_ip=bastion["public_ip"],
            tags={"Name": "bastion", "Role": "bastion", "Env": "e2e", "Project": "palin"},
        )
        resources.append(g.res(module=f"{MOD}.module.bastion", rtype="aws_instance",
                               name="bastion",
                               instances=[g.inst(attrs, schema_version=1, private=g.EC2_PRIVATE)]))
    db = {
        "address": db_host,
        "arn": f"arn:aws:rds:{g.REGION}:{g.ACCOUNT}:db:palin-e2e-postgres",
        "db_name": db_name,
        "endpoint": f"{db_host}:{pg_port}",
        "engine": "postgres",
        "engine_version": "15",
        "id": "db-E2E0000000000000000000000",
        "identifier": "palin-e2e-postgres",
        "instance_class": "db.t4g.micro",
        "manage_master_user_password": None,
        "master_user_secret": [],
        "multi_az": False,
        "password": pg_password,
        "port": pg_port,
        "status": "available",
        "tags": {"Role": "db", "Env": "e2e", "Project": "palin"},
        "tags_all": {"Role": "db", "Env": "e2e", "Project": "palin"},
        "username": pg_user,
    }
    resources.append(g.res(module=f"{MOD}.module.data_stores", rtype="aws_db_instance",
                           name="postgres",
                           instances=[g.inst(db, schema_version=2, sensitive=[["password"]])]))
    rg = {
        "arn": f"arn:aws:elasticache:{g.REGION}:{g.ACCOUNT}:replicationgroup:palin-e2e-redis",
        "auth_token": redis_token,
        "cluster_enabled": False,
        "configuration_endpoint_address": "",
        "engine": "redis",
        "engine_version": "7.0",
        "id": "palin-e2e-redis",
        "member_clusters": ["palin-e2e-redis-001"],
        "port": redis_port,
        "primary_endpoint_address": redis_host,
        "reader_endpoint_address": redis_host,
        "replication_group_id": "palin-e2e-redis",
        "tags": {"Role": "cache", "Env": "e2e", "Project": "palin"},
        "tags_all": {"Role": "cache", "Env": "e2e", "Project": "palin"},
        "transit_encryption_enabled": False,
    }
    resources.append(g.res(module=f"{MOD}.module.data_stores",
                           rtype="aws_elasticache_replication_group", name="redis",
                           instances=[g.inst(rg, schema_version=2, sensitive=[["auth_token"]])]))
    all_outputs = {
        "aws_region": _output(g.REGION),
        "app_port": _output(app_port),
        "app_health_check_path": _output("/health"),
        "app_deploy_paths": _output(("/deploy/drain", "/deploy/ready")),
        "db_name": _output(db_name),
        "redis_auth_token": _output(redis_token, sensitive=True),
    }
    if target_group_arn:
        all_outputs["target_group_arn"] = _output(target_group_arn)
    for name, value in (outputs or {}).items():
        all_outputs[name] = _output(value)
    model = {"resources": resources, "outputs": all_outputs, "serial": 7,
             "lineage": "e2e00000-0000-4000-8000-000000000006"}
    return g.to_v4(model)
