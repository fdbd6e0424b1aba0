"""End to end (issue 6): from a Terraform state to three load-balanced app hosts, then rolling
releases under load, through `ansible-playbook` with palin-inventory as the inventory.

* palin-inventory reads a v4 state (tests/deploy/e2e_state.py) whose RDS and Redis endpoints are
  the real PostgreSQL and Redis of the session fixtures on loopback; its three `tag_Role_web` hosts
  are deployed with `connection: local`, each with its own container name and port (host network,
  so the containers reach the servers on 127.0.0.1), through a second inventory source that holds
  only `group_vars/` and `host_vars/`, as an operator's inventory directory would.
* HAProxy (Debian's) balances across the three like the ALB: health checks on `/health`, the
  deploy paths answered with 404 before routing, and no retries or redispatch, so a request sent
  to a container that is going away would show up as a failure.
* The ALB's target group is moto_server's (on loopback, reached through `AWS_ENDPOINT_URL`), with
  the three instances registered as Terraform would: `deploy.yml` takes each host out of it and
  puts it back with the real community.aws.elb_target module.
* A bounded load generator (threads, keep-alive) sends a mix of reads and writes through HAProxy
  while `deploy.yml` rolls out version 2, then a broken version 3 (it exits at start): the test
  counts non-2xx answers and connection errors (must be 0) and checks that version 3 stopped at
  the first host, which rolled back, and that every host still serves version 2.

Figures (requests, failures, deploy wall time) are printed and written to
`$TMPDIR/palin-e2e-report.json`."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

import e2e_state
from conftest import REPO, VENV, free_port, stop_process, wait_for

sys.path.insert(0, str(REPO / "tests" / "support"))
from docker_engine import DockerAPI, engine_or_fail  # noqa: E402
from playbook_output import recap  # noqa: E402
from traffic import HAProxy, Load  # noqa: E402

PLAYBOOKS = REPO / "playbooks"
HOSTS = 3
DRAIN_SECONDS = 2
CHECK_INTERVAL_MS = 250


def _palin_bin() -> Path:
    raw = os.environ.get("PALIN_BIN")
    path = Path(raw) if raw else REPO / "target" / "debug" / "palin-inventory"
    if not path.is_file():
        pytest.fail(f"{path} is missing: cargo build -p palin-inventory (scripts/test.sh does)")
    return path.resolve()


# --------------------------------------------------------------------------------------------
# the stack: state, inventory directory, ansible runs
# --------------------------------------------------------------------------------------------


@dataclass
class Stack:
    work: Path
    inventory: Path
    env: dict
    hosts: dict = field(default_factory=dict)  # inventory name -> {"port", "container"}
    prefix: str = ""
    report: dict = field(default_factory=dict)

    def run(self, playbook: str, *extra: str, check: bool = True, timeout: int = 900):
        # the installed collection's playbook (palin.aws.site for site.yml), as users run it
        cmd = [str(VENV / "bin" / "ansible-playbook"), "-i", str(self.inventory),
               f"palin.aws.{Path(playbook).stem}", *extra]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=PLAYBOOKS, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        proc.elapsed = time.monotonic() - started
        if check and proc.returncode != 0:
            pytest.fail(f"{playbook} failed (rc {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
        return proc

    def version_of(self, name: str) -> str:
        status, body = http_get(self.hosts[name]["port"], "/version")
        assert status == 200, (name, status, body)
        return json.loads(body)["version"]


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def docker() -> DockerAPI:
    return engine_or_fail()


class Moto:
    """moto_server on a free loopback port, with the app's target group and its three targets."""

    def __init__(self, work: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(VENV / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=open(work / "moto.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )
        wait_for("moto_server", lambda: http_get(self.port, "/moto-api/")[0] == 200)
        import boto3

        kw = {"region_name": e2e_state.g.REGION, "endpoint_url": self.url,
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.ec2 = boto3.client("ec2", **kw)
        self.elbv2 = boto3.client("elbv2", **kw)
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        self.target_group_arn = self.elbv2.create_target_group(
            Name="palin-e2e-app", Protocol="HTTP", Port=5000, VpcId=vpc, TargetType="instance",
            HealthCheckPath="/health",
        )["TargetGroups"][0]["TargetGroupArn"]
        self.elbv2.register_targets(TargetGroupArn=self.target_group_arn,
                                    Targets=[{"Id": i, "Port": 5000} for i in e2e_state.instance_ids(HOSTS)])

    def target_states(self) -> dict[str, str]:
        health = self.elbv2.describe_target_health(TargetGroupArn=self.target_group_arn)
        return {d["Target"]["Id"]: d["TargetHealth"]["State"]
                for d in health["TargetHealthDescriptions"]}

    def stop(self):
        stop_process(self.proc, timeout=10)


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    m = Moto(tmp_path_factory.mktemp("moto"))
    try:
        yield m
    finally:
        m.stop()


def changed_hosts(stdout: str, task: str) -> list[str]:
    """Hosts reported `changed` by the task named `task` (every occurrence: one per batch)."""
    out = []
    for section in stdout.split("TASK [")[1:]:
        if section.startswith(task):
            out += re.findall(r"^changed: \[([^\]]+?)(?: ->[^\]]*)?\]", section, flags=re.M)
    return out


@pytest.fixture(scope="module")
def stack(postgres, redis_server, app_context, docker, moto, palin_collections, tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    prefix = f"palin-e2e{os.getpid()}"
    state = e2e_state.state(pg_port=postgres.port, pg_user=postgres.superuser,
                            pg_password=postgres.password, redis_port=redis_server.port,
                            redis_token=redis_server.password, hosts=HOSTS,
                            target_group_arn=moto.target_group_arn)
    (work / "terraform.tfstate").write_text(json.dumps(state, indent=2))

    inv = work / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "host_vars").mkdir()
    shim = inv / "palin-inventory"
    shutil.copy(PLAYBOOKS / "palin-inventory", shim)
    shim.chmod(0o755)
    (work / "palin.yml").write_text(yaml.safe_dump({
        "terraform": {"states": [{"path": "terraform.tfstate"}]},
        "tag_groups": ["Role", "Env"],
    }))

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "ANSIBLE_", "PALIN_", "PG", "REDIS"))}
    env.update({
        "PALIN_INVENTORY_BIN": str(_palin_bin()),
        "PALIN_CONFIG": str(work / "palin.yml"),
        "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(palin_collections),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LOCAL_TEMP": str(work / "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": str(work / "ansible-remote"),
        "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        # community.aws.elb_target (boto3) talks to moto_server, never to AWS
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    })

    listed = subprocess.run([str(shim), "--list"], env=env, capture_output=True, text=True,
                            check=True, timeout=60)
    assert listed.stderr == ""
    doc = json.loads(listed.stdout)
    names = sorted(doc["tag_Role_web"]["hosts"])
    assert len(names) == HOSTS, doc.get("tag_Role_web")

    app_password = "app-" + os.urandom(9).hex()
    ro_password = "ro-" + os.urandom(9).hex()
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "ansible_connection": "local",
        "ansible_python_interpreter": str(VENV / "bin" / "python"),
        # the Terraform-generated master password is withheld by palin-inventory; operators
        # pass it (or read it from Secrets Manager) like any secret
        "postgres_bootstrap_admin_password": postgres.password,
        "postgres_bootstrap_app_password": app_password,
        "postgres_bootstrap_readonly_password": ro_password,
        "palindrome_app_db_password": app_password,
        "palindrome_app_redis_password": redis_server.password,
        "palindrome_app_network_mode": "host",
        "palindrome_app_build_context": str(app_context),
        # the app's schema: the collection's playbooks do not carry the app (the role's default,
        # <playbook_dir>/../app/migrations, is this repository's layout)
        "postgres_bootstrap_migrations_dir": str(REPO / "app" / "migrations"),
        # images named after the run, so the clean-up finds them
        "palindrome_app_image_name": f"{prefix}-app",
        "palindrome_app_drain_seconds": DRAIN_SECONDS,
        "docker_manage_service": False,
    }))
    hosts = {}
    for i, name in enumerate(names):
        hosts[name] = {"port": free_port(), "container": f"{prefix}-web-{i + 1}"}
        (inv / "host_vars" / f"{name}.yml").write_text(yaml.safe_dump({
            "palindrome_app_container_name": hosts[name]["container"],
            "palindrome_app_port": hosts[name]["port"],
            "palindrome_app_build_dir": str(work / "build" / hosts[name]["container"]),
        }))
    # the second inventory source: a directory with only group_vars/ and host_vars/
    s = Stack(work=work, inventory=inv, env=env, hosts=hosts, prefix=prefix)
    s.secrets = [postgres.password, app_password, ro_password, redis_server.password]
    try:
        yield s
    finally:
        docker.cleanup(prefix)
        if s.report:
            out = Path(tempfile.gettempdir()) / "palin-e2e-report.json"
            out.write_text(json.dumps(s.report, indent=2))


# --------------------------------------------------------------------------------------------
# HAProxy and the load generator
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def haproxy(stack):
    lb = HAProxy(stack.work, {name: ("127.0.0.1", h["port"]) for name, h in stack.hosts.items()},
                 check_interval_ms=CHECK_INTERVAL_MS)
    try:
        yield lb
    finally:
        lb.stop()


def wait_all_up(lb: HAProxy):
    return wait_for("all HAProxy servers UP",
                    lambda: (s := lb.servers()) and all(v == "UP" for v in s.values()) and s,
                    timeout=60)


def containers(docker: DockerAPI, stack: Stack) -> dict[str, dict]:
    out = {}
    for name, h in stack.hosts.items():
        c = docker.container(h["container"])
        assert c is not None, f"container {h['container']} of {name} is missing"
        out[name] = {"id": c["Id"], "image": c["Image"], "running": c["State"]["Running"]}
    return out


# --------------------------------------------------------------------------------------------
# the tests, in order: inventory, site twice, v2 under load, broken v3 under load
# --------------------------------------------------------------------------------------------


def test_inventory_gives_the_hosts_and_endpoints(stack, postgres, redis_server):
    proc = subprocess.run([str(VENV / "bin" / "ansible-inventory"), "-i", str(stack.inventory),
                           "--list"], cwd=PLAYBOOKS, env=stack.env, capture_output=True,
                          text=True, timeout=120, check=True)
    doc = json.loads(proc.stdout)
    assert sorted(doc["tag_Role_web"]["hosts"]) == sorted(stack.hosts)
    hv = doc["_meta"]["hostvars"]
    any_host = hv[sorted(stack.hosts)[0]]
    assert any_host["palin_postgres_host"] == "127.0.0.1"
    assert any_host["palin_postgres_port"] == postgres.port
    assert any_host["palin_redis_port"] == redis_server.port
    assert any_host["palindrome_app_port"] == stack.hosts[sorted(stack.hosts)[0]]["port"]
    # the state's secrets are withheld by palin-inventory (the test's own group_vars hold the
    # passwords the playbooks need, which ansible-inventory shows as any variable)
    listed = subprocess.run([str(stack.inventory / "palin-inventory"), "--list"], env=stack.env,
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert postgres.password not in listed and redis_server.password not in listed


def test_site_brings_up_the_stack_and_is_idempotent(stack, postgres, redis_server):
    # the database is on loopback: bootstrap it from the controller (RDS would need a VPC host)
    first = stack.run("site.yml", "-e", "palindrome_app_version=1",
                      "-e", "db_bootstrap_host=localhost")
    for s in stack.secrets:
        assert s not in first.stdout and s not in first.stderr
    for name in stack.hosts:
        assert stack.version_of(name) == "1"
    second = stack.run("site.yml", "-e", "palindrome_app_version=1",
                       "-e", "db_bootstrap_host=localhost")
    changed = {h: r.get("changed") for h, r in recap(second.stdout).items()}
    assert changed and all(v == 0 for v in changed.values()), second.stdout[-4000:]
    stack.report["site_first_run_s"] = round(first.elapsed, 1)
    stack.report["site_second_run_s"] = round(second.elapsed, 1)
    # the app works through the database and the cache it was configured with
    status, body = http_get(stack.hosts[sorted(stack.hosts)[0]]["port"], "/health")
    assert status == 200, body


def test_deploy_paths_are_hidden_by_the_load_balancer(stack, haproxy):
    wait_all_up(haproxy)
    conn = http.client.HTTPConnection("127.0.0.1", haproxy.port, timeout=5)
    conn.request("POST", "/deploy/drain")
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 404
    time.sleep(3 * CHECK_INTERVAL_MS / 1000)
    assert set(haproxy.servers().values()) == {"UP"}, "a drain went through the load balancer"


def test_rolling_deploy_under_load_has_zero_failures(stack, haproxy, docker, moto, capsys):
    wait_all_up(haproxy)
    before = containers(docker, stack)
    with Load(haproxy.port) as load:
        time.sleep(2)  # traffic is flowing before the first host drains
        proc = stack.run("deploy.yml", "-e", "palindrome_app_version=2", check=False)
        time.sleep(2)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    after = containers(docker, stack)
    for name in stack.hosts:
        assert stack.version_of(name) == "2"
        assert after[name]["running"]
        assert after[name]["image"] != before[name]["image"], f"{name} kept the old image"
    stack.report["v2"] = {
        "requests": load.sent, "failures": len(load.failures), "load_seconds": round(load.elapsed, 1),
        "deploy_wall_seconds": round(proc.elapsed, 1), "responses_by_version": load.versions,
    }
    with capsys.disabled():
        print(f"\n[e2e] v2 rollout over {HOSTS} hosts: {proc.elapsed:.1f}s; "
              f"{load.sent} requests through HAProxy, {len(load.failures)} failed; "
              f"by version {load.versions}")
    assert load.failures == [], load.failures[:20]
    assert not load.exhausted, "the load generator stopped before the deploy ended"
    assert load.sent > 100 and set(load.versions) >= {"1", "2"}
    # every host left the target group and came back, one at a time
    assert sorted(changed_hosts(proc.stdout, "Take the host out of the target group")) == sorted(stack.hosts)
    assert sorted(changed_hosts(proc.stdout, "Put the host back into the target group")) == sorted(stack.hosts)
    assert set(moto.target_states().values()) == {"healthy"}, moto.target_states()


def test_redeploying_the_same_release_touches_nothing(stack, moto):
    """deploy.yml plans first (the module in check mode): no host changes, so no host leaves the
    target group and nothing reports a change."""
    proc = stack.run("deploy.yml", "-e", "palindrome_app_version=2")
    assert changed_hosts(proc.stdout, "Take the host out of the target group") == []
    assert "TASK [Take the host out of the target group" in proc.stdout
    assert all(r.get("changed") == 0 for r in recap(proc.stdout).values()), proc.stdout[-4000:]
    assert set(moto.target_states().values()) == {"healthy"}


def test_broken_release_rolls_back_the_first_host_and_stops(stack, haproxy, docker, moto,
                                                            app_context, tmp_path, capsys):
    wait_all_up(haproxy)
    # version 3 crashes at start (its entrypoint passes an option the app rejects)
    broken = tmp_path / "context-v3"
    shutil.copytree(app_context, broken)
    with (broken / "Dockerfile").open("a") as f:
        f.write('\nENTRYPOINT ["/palindrome", "--no-such-option"]\n')
    before = containers(docker, stack)
    with Load(haproxy.port) as load:
        time.sleep(2)
        proc = stack.run("deploy.yml", "-e", "palindrome_app_version=3",
                         "-e", f"palindrome_app_build_context={broken}", check=False)
        wait_all_up(haproxy)
        time.sleep(1)
    assert proc.returncode != 0, proc.stdout[-4000:]
    # one task result says it rolled back (ansible.cfg prints results as YAML)
    assert len(re.findall(r'"?rolled_back"?:\s*true', proc.stdout)) == 1, proc.stdout[-6000:]
    rc = recap(proc.stdout)
    failed = [h for h, r in rc.items() if r.get("failed")]
    assert len(failed) == 1, rc
    after = containers(docker, stack)
    for name in stack.hosts:
        assert stack.version_of(name) == "2", name
        assert after[name]["running"]
        assert after[name]["image"] == before[name]["image"]
    # the failed host left the target group and, serving the previous release, went back in
    assert changed_hosts(proc.stdout, "Take the host out of the target group") == failed
    assert changed_hosts(proc.stdout, "Put the host back into the target group, serving") == failed
    assert moto.target_states() == {i: "healthy" for i in e2e_state.instance_ids(HOSTS)}
    untouched = [n for n in stack.hosts if n not in failed]
    for name in untouched:
        assert after[name]["id"] == before[name]["id"], f"{name} was touched after the failure"
    stack.report["v3_broken"] = {
        "requests": load.sent, "failures": len(load.failures),
        "deploy_wall_seconds": round(proc.elapsed, 1), "failed_host": failed[0],
    }
    with capsys.disabled():
        print(f"\n[e2e] broken v3: stopped at {failed[0]} (rolled back) after {proc.elapsed:.1f}s; "
              f"{load.sent} requests, {len(load.failures)} failed")
    assert load.failures == [], load.failures[:20]
    assert not load.exhausted, "the load generator stopped before the deploy ended"
