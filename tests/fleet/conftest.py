"""The fleet test's stack (issue 14), set up once for tests/fleet/test_fleet.py and torn down at
its end: the host image and the fleet (hostimage.py, fleet.py), the controller's services on the
private network's gateway address (the apt mirror, the registry, PostgreSQL, Redis), moto_server
with the target group and the SSH key in Secrets Manager, the app's images pushed to the
registry, the Terraform v4 state of the fleet, palin.yml, and the operator's inventory
directory (group_vars/all.yml with the secret-store recipe of playbooks/README.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
sys.path.insert(0, str(REPO / "tests" / "deploy"))
from docker_engine import engine_or_fail  # noqa: E402
from moto_server import MotoServer, repo_venv  # noqa: E402
from services import postgres_cluster, redis_server, server_tls_settings  # noqa: E402

import e2e_state  # noqa: E402
import fleet as fleet_mod  # noqa: E402
import hostimage  # noqa: E402

VENV = repo_venv()
PLAYBOOKS = REPO / "playbooks"
SECRET_ID = "palin/fleet/ssh-private-key"
# Every app image the tests deploy: 1 by site.yml, 2 under load, 3 broken (exits at start),
# 4.. for the faults.
VERSIONS = ["1", "2", "3", "4", "5", "6"]
BROKEN = {"3"}


@dataclass
class Stack:
    work: Path
    inventory: Path
    env: dict
    fleet: fleet_mod.Fleet
    registry: fleet_mod.Registry
    repo: str  # the image repository as the hosts see it (the ecr_repository_url output)
    names: dict = field(default_factory=dict)  # fleet key (web-1) -> inventory host name
    secrets: list = field(default_factory=list)
    private_key: str = ""
    acknowledged: list = field(default_factory=list)  # writes the app acknowledged, all loads
    report: dict = field(default_factory=dict)
    outputs: list = field(default_factory=list)  # every run's stdout + stderr

    def run(self, playbook: str, *extra: str, check: bool = True, timeout: int = 600):
        cmd = [str(VENV / "bin" / "ansible-playbook"), "-i", str(self.inventory),
               f"palin.aws.{playbook}", *extra]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.work, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        proc.elapsed = time.monotonic() - started
        self.outputs.append(proc.stdout + proc.stderr)
        if check and proc.returncode != 0:
            pytest.fail(f"{playbook} failed (rc {proc.returncode}):\n{proc.stdout[-6000:]}\n"
                        f"{proc.stderr[-3000:]}")
        return proc

    def web(self) -> list[str]:
        return self.fleet.web()


@pytest.fixture(scope="module")
def stack(app_context, palin_collections, palin_bin):
    # tmp dirs outside pytest's root-only tree: the registry, the apt mirror and postgres write here
    work = Path(tempfile.mkdtemp(prefix="palin-fleet-"))
    work.chmod(0o755)
    api = engine_or_fail()
    prefix = f"palin-fleet{os.getpid()}"
    try:
        image = hostimage.ensure_image(api)
    except RuntimeError as e:
        pytest.fail(str(e))

    # the SSH key the operator keeps in Secrets Manager: made here, never written to disk for long
    keydir = Path(tempfile.mkdtemp(prefix="palin-sshkey-"))
    fleet_mod.ssh_keygen(keydir / "id", "palin-fleet")
    private_key, public_key = (keydir / "id").read_text(), (keydir / "id.pub").read_text().strip()
    shutil.rmtree(keydir)

    fleet = fleet_mod.Fleet(api, image, work, prefix)
    cleanups = [fleet.destroy]
    try:
        # the networks first: the controller's services listen on the private gateway
        fleet.create_networks()
        gw = fleet.gateway
        private = fleet.networks["private"]["subnet"]
        apt = fleet_mod.AptMirror(work, gw, hostimage.cache_dir() / "apt-mirror")
        cleanups.append(apt.stop)
        registry = fleet_mod.Registry(work, work / "registry-data")
        cleanups.append(registry.stop)
        # like RDS: TLS for the hosts (the roles and the app ask for sslmode=require)
        pg_cm = postgres_cluster(
            settings={"listen_addresses": f"127.0.0.1,{gw}", **server_tls_settings(gw)},
            hba=("local all all scram-sha-256\n"
                 "host all all 127.0.0.1/32 scram-sha-256\n"
                 f"hostssl all all {private} scram-sha-256\n"))
        pg = pg_cm.__enter__()
        cleanups.append(lambda: pg_cm.__exit__(None, None, None))
        redis_cm = redis_server(bind=f"{gw} 127.0.0.1")
        rd = redis_cm.__enter__()
        cleanups.append(lambda: redis_cm.__exit__(None, None, None))
        moto = MotoServer(work / "moto").start()
        cleanups.append(moto.stop)

        fleet.create_hosts(public_key, apt.sources_list())

        import boto3

        kw = {"region_name": e2e_state.g.REGION, "endpoint_url": moto.url,
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        sm = boto3.client("secretsmanager", **kw)
        sm.create_secret(Name=SECRET_ID, SecretString=private_key)
        ec2, elbv2 = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        tg = elbv2.create_target_group(Name="palin-fleet-app", Protocol="HTTP", Port=5000,
                                       VpcId=vpc, TargetType="instance",
                                       HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
        web_keys = fleet.web()
        elbv2.register_targets(TargetGroupArn=tg, Targets=[
            {"Id": i, "Port": 5000} for i in e2e_state.instance_ids(len(web_keys))])

        # the app's images, built once on the controller's Engine and pushed to the registry
        push_repo = f"127.0.0.1:{registry.port}/{prefix}-app"
        for v in VERSIONS:
            extra = '\nENTRYPOINT ["/palindrome", "--no-such-option"]\n' if v in BROKEN else ""
            fleet_mod.push_image(api, app_context, push_repo, v, {"VERSION": v}, extra)
        cleanups.append(lambda: api.cleanup(f"127.0.0.1:{registry.port}/{prefix}"))
        repo = f"{gw}:{registry.port}/{prefix}-app"

        state = e2e_state.state(
            pg_port=pg.port, pg_user=pg.superuser, pg_password=pg.password,
            redis_port=rd.port, redis_token=rd.password, hosts=len(web_keys),
            target_group_arn=tg, db_host=gw, redis_host=gw,
            web_ips=[fleet.hosts[k].private_ip for k in web_keys],
            bastion={"private_ip": fleet.hosts["bastion"].private_ip,
                     "public_ip": fleet.hosts["bastion"].public_ip},
            outputs={"ecr_repository_url": repo},
        )
        (work / "terraform.tfstate").write_text(json.dumps(state, indent=2))
        (work / "palin.yml").write_text(yaml.safe_dump({
            "terraform": {"states": [{"path": "terraform.tfstate"}]},
            "tag_groups": ["Role", "Env"],
            "connection": {"mode": "ssh", "bastion": {"tag": "Role=bastion", "user": "admin"}},
            "ansible_user": {"all": "admin"},
        }))

        inv = work / "inventory"
        (inv / "group_vars").mkdir(parents=True)
        shim = inv / "palin-inventory"
        shutil.copy(PLAYBOOKS / "palin-inventory", shim)
        shim.chmod(0o755)
        app_password = "app-" + os.urandom(9).hex()
        ro_password = "ro-" + os.urandom(9).hex()
        # the operator's group_vars: the key comes from Secrets Manager at run time
        # (playbooks/README.md, "SSH keys from a secret store"), never from a file
        (inv / "group_vars" / "all.yml").write_text(
            "ansible_private_key: >-\n"
            f"  {{{{ lookup('amazon.aws.secretsmanager_secret', '{SECRET_ID}', region=aws_region) }}}}\n"
            + yaml.safe_dump({
                "ansible_ssh_extra_args": f"-F {fleet.ssh_config()}",
                "ansible_python_interpreter": "/usr/bin/python3",
                "postgres_bootstrap_admin_password": pg.password,
                "postgres_bootstrap_app_password": app_password,
                "postgres_bootstrap_readonly_password": ro_password,
                "postgres_bootstrap_migrations_dir": str(REPO / "app" / "migrations"),
                "palindrome_app_db_password": app_password,
                "palindrome_app_redis_password": rd.password,
                "palindrome_app_network_mode": "host",
                "palindrome_app_drain_seconds": 4,
                "palindrome_app_ready_timeout": 30,
                "docker_daemon_options": {"insecure-registries": [f"{gw}:{registry.port}"]},
                "deploy_target_timeout": 60,
            }))

        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "ANSIBLE_", "PALIN_", "PG", "REDIS", "SSH_"))}
        env.update({
            "HOME": str(work / "home"),
            "PALIN_INVENTORY_BIN": str(palin_bin),
            "PALIN_CONFIG": str(work / "palin.yml"),
            "XDG_CACHE_HOME": str(work / "cache"),
            "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(palin_collections),
            "ANSIBLE_HOME": str(work / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(work / "ansible-local"),
            "ANSIBLE_SSH_AGENT": "auto",  # ansible_private_key goes through Ansible's own agent
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
        })
        (work / "home").mkdir()
        s = Stack(work=work, inventory=inv, env=env, fleet=fleet, registry=registry, repo=repo)
        s.pg, s.redis, s.moto, s.apt, s.target_group_arn = pg, rd, moto, apt, tg
        s.elbv2 = elbv2
        s.private_key = private_key
        s.secrets = [pg.password, app_password, ro_password, rd.password, private_key]
        s.app_password, s.ro_password = app_password, ro_password
        yield s
        if s.report:
            out = Path(tempfile.gettempdir()) / "palin-fleet-report.json"
            out.write_text(json.dumps(s.report, indent=2))
    finally:
        for fn in reversed(cleanups):
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - tear down the rest
                print(f"fleet teardown: {e!r}", file=sys.stderr)
        if os.environ.get("PALIN_FLEET_KEEP"):
            print(f"fleet: PALIN_FLEET_KEEP set, {work} kept", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
