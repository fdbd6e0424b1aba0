"""deploy.yml with a target group (the ALB path the HAProxy end-to-end test does not take): the
target group, instances and their registrations live in moto_server; the app hosts are two real
containers of the reference app on this machine (connection local, host network), against the
real PostgreSQL and Redis of the session fixtures.

* a deploy that replaces containers takes each host out of the target group before and puts it
  back after; a run that changes nothing makes no target-group call at all (changed=0);
* a broken release rolls back on the first host, which is registered again (it serves the previous
  release), the play fails and the second host is not touched."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

import pytest
import yaml

from conftest import REPO, VENV, free_port, wait_for

sys.path.insert(0, str(REPO / "tests" / "support"))
from docker_engine import DockerAPI  # noqa: E402

PLAYBOOKS = REPO / "playbooks"
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    work = tmp_path_factory.mktemp("moto-tg")
    port = free_port()
    proc = subprocess.Popen([str(VENV / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=open(work / "moto.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    wait_for("moto_server", lambda: urllib.request.urlopen(f"{url}/moto-api/", timeout=2).status == 200)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _aws(url):
    import boto3

    kw = dict(endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
              aws_secret_access_key="testing")
    return boto3.client("ec2", **kw), boto3.client("elbv2", **kw)


def _targets(elb, tg) -> dict[tuple[str, int], str]:
    out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {(t["Target"]["Id"], t["Target"]["Port"]): t["TargetHealth"]["State"] for t in out}


@pytest.fixture(scope="module")
def estate(moto, postgres, redis_server, app_context, tmp_path_factory):
    docker = DockerAPI()
    work = tmp_path_factory.mktemp("tg")
    prefix = f"palin-tg{os.getpid()}"
    ec2, elb = _aws(moto)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2,
                                                       SubnetId=subnet)["Instances"]]
    tg = elb.create_target_group(Name="palin-app", Protocol="HTTP", Port=5000, VpcId=vpc,
                                 TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    hosts = {f"web-{n + 1}": {"port": free_port(), "container": f"{prefix}-web-{n + 1}", "id": i}
             for n, i in enumerate(ids)}
    # each "host" listens on its own port here, so each is registered on that port (on AWS all
    # hosts use app_port); Terraform registers every instance up front
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": h["id"], "Port": h["port"]} for h in hosts.values()])

    app_pw = "app-" + os.urandom(9).hex()
    inv = work / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text(yaml.safe_dump({"tag_Role_web": {"hosts": {
        name: {"instance_id": h["id"], "palindrome_app_port": h["port"],
               "palindrome_app_container_name": h["container"]} for name, h in hosts.items()}}}))
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "ansible_connection": "local",
        "ansible_python_interpreter": str(VENV / "bin" / "python"),
        # what palin-inventory gives (see terraform/README.md, the inventory contract)
        "aws_region": REGION, "target_group_arn": tg, "app_port": 5000,
        "palin_postgres_host": postgres.host, "palin_postgres_port": postgres.port,
        "palin_postgres_db_name": "palindromes_tg", "palin_postgres_username": postgres.superuser,
        "palin_redis_host": redis_server.host, "palin_redis_port": redis_server.port,
        "palin_redis_tls": False,
        # secrets, as an operator passes them
        "postgres_bootstrap_admin_password": postgres.password,
        "postgres_bootstrap_app_password": app_pw,
        "postgres_bootstrap_readonly_password": "ro-" + os.urandom(9).hex(),
        "palindrome_app_db_password": app_pw,
        "palindrome_app_redis_password": redis_server.password,
        "palindrome_app_network_mode": "host",
        "palindrome_app_build_context": str(app_context),
        "palindrome_app_build_dir": str(work / "build"),
        "palindrome_app_image_name": f"{prefix}-app",
        "palindrome_app_drain_seconds": 1,
        "palin_target_timeout": 60,
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_", "PALIN_", "PG"))}
    env.update(ANSIBLE_CONFIG=str(PLAYBOOKS / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               AWS_ENDPOINT_URL=moto, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, PATH=f"{VENV / 'bin'}:{os.environ.get('PATH', '')}")

    def run(playbook, *extra):
        return subprocess.run([str(VENV / "bin" / "ansible-playbook"), "-i", str(inv), playbook, *extra],
                              cwd=PLAYBOOKS, env=env, capture_output=True, text=True, timeout=900)

    class E:
        pass

    e = E()
    e.elb, e.tg, e.hosts, e.run, e.work = elb, tg, hosts, run, work
    try:
        yield e
    finally:
        docker.cleanup(prefix)


def _version(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as r:
        return json.loads(r.read())["version"]


def _recap(out):
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)", out, re.M)}


def _task_hosts(out: str, task: str, status: str) -> list[str]:
    """Hosts with `status` (changed/ok/skipping/fatal) under every TASK [task] header."""
    found = []
    for block in out.split("TASK [")[1:]:
        if block.startswith(task + "]"):
            found += re.findall(rf"^{status}: \[([^\]]+?)(?: -> [^\]]+)?\]", block, re.M)
    return found


def test_deploy_leaves_and_rejoins_the_target_group(estate):
    first = estate.run("db.yml")
    assert first.returncode == 0, first.stdout[-4000:]
    proc = estate.run("deploy.yml", "-e", "palindrome_app_version=tg1")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert sorted(_task_hosts(out, "Take the host out of the target group (waits until drained)", "changed")) == ["web-1", "web-2"], out[-6000:]
    assert sorted(_task_hosts(out, "Put the host back into the target group (waits until healthy)", "changed")) == ["web-1", "web-2"]
    # one host at a time: web-1 is back in before web-2 leaves
    assert out.index("Put the host back") < out.rindex("Take the host out")
    for h in estate.hosts.values():
        assert _version(h["port"]) == "tg1"
    assert _targets(estate.elb, estate.tg) == {(h["id"], h["port"]): "healthy" for h in estate.hosts.values()}


def test_unchanged_deploy_touches_no_target_group(estate):
    proc = estate.run("deploy.yml", "-e", "palindrome_app_version=tg1")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert set(_recap(proc.stdout).values()) == {0}, proc.stdout[-4000:]
    assert _task_hosts(proc.stdout, "Take the host out of the target group (waits until drained)", "changed") == []


def test_broken_release_rolls_back_rejoins_and_stops(estate, app_context):
    broken = estate.work / "context-broken"
    shutil.copytree(app_context, broken)
    with (broken / "Dockerfile").open("a") as f:
        f.write('\nENTRYPOINT ["/palindrome", "--no-such-option"]\n')
    proc = estate.run("deploy.yml", "-e", "palindrome_app_version=tg2", "-e", f"palindrome_app_build_context={broken}")
    out = proc.stdout
    assert proc.returncode != 0, out[-4000:]
    assert _task_hosts(out, "Take the host out of the target group (waits until drained)", "changed") == ["web-1"]
    assert _task_hosts(out, "Put the host back into the target group, serving the previous release", "changed") == ["web-1"]
    assert _task_hosts(out, "Stop the rollout at this host", "fatal") == ["web-1"]
    assert "web-2" not in _recap(out), "the second host was part of the failed rollout"
    assert "The previous container was restored. The host serves and is back in the target group." in " ".join(out.split())
    for h in estate.hosts.values():
        assert _version(h["port"]) == "tg1"
    assert _targets(estate.elb, estate.tg) == {(h["id"], h["port"]): "healthy" for h in estate.hosts.values()}
