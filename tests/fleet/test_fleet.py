"""A real fleet over SSH (issue 14): the bundled playbooks, as the installed palin.aws collection,
run against Debian hosts through the bastion that palin-inventory writes as ProxyJump, with
`become`, fact gathering, the docker role installing Docker Engine from Debian's packages through
the controller's apt cache, images pulled from a real registry, and faults in the middle of
rollouts. conftest.py builds the stack; fleet.py the hosts and networks.

Traffic goes through HAProxy (the ALB's part: health checks on /health, no retries) to the app
hosts' private addresses; a bounded load generator counts failed requests and the writes the app
acknowledged, which must all be in PostgreSQL at the end.

Figures (deploy wall time per host, requests sent and failed, what each fault left behind) are
printed and written to `$TMPDIR/palin-fleet-report.json`."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import threading
import time

import pytest
from moto_server import repo_venv
from playbook_output import recap
from services import wait_for
from traffic import HAProxy, Load

VENV = repo_venv()
APP = "palindrome"  # the container name (palindrome_app_container_name's default)
# Health checks a little slower than the local e2e's: killing a host (a container holding its
# own Docker Engine) can stall this sandbox's network for a moment, and 2 x 250 ms would then mark
# every server down at once. The drain (palindrome_app_drain_seconds, conftest.py) outlasts the
# detection (3 x 500 ms, plus a 2 s check timeout at worst).
CHECK_INTERVAL_MS = 500
CHECK_FALL = 3
CHECK_TIMEOUT_MS = 2000


def unwrap(value):
    """A value as ansible-inventory writes it, with `{"__ansible_unsafe": s}` (every string palin
    gives Ansible) read as `s`."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def app_get(addr: str, path: str, timeout: float = 5.0) -> tuple[int, str]:
    conn = http.client.HTTPConnection(addr, 5000, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def version_of(stack, key: str) -> str:
    status, body = app_get(stack.fleet.hosts[key].private_ip, "/version")
    assert status == 200, (key, status, body)
    return json.loads(body)["version"]


def app_state(stack, key: str) -> dict[str, dict]:
    """The palindrome containers on a host's own Engine (name -> state, version, id)."""
    return {n: c for n, c in stack.fleet.inner_containers(key).items() if n.startswith(APP)}


def changed_hosts(stdout: str, task: str) -> list[str]:
    """Hosts reported `changed` by the task named `task` (every occurrence: one per batch)."""
    out = []
    for section in stdout.split("TASK [")[1:]:
        if section.startswith(task):
            out += re.findall(r"^changed: \[([^\]]+?)(?: ->[^\]]*)?\]", section, flags=re.M)
    return out


def target_states(stack) -> dict[str, str]:
    health = stack.elbv2.describe_target_health(TargetGroupArn=stack.target_group_arn)
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]}


def started_at(stack, key: str) -> str:
    """When the app container on a host was last started (its own Engine's State.StartedAt)."""
    return stack.fleet.exec(stack.fleet.hosts[key].name, "docker", "inspect", "--format",
                            "{{.State.StartedAt}}", APP)[1]


def deploy_with_fault(stack, version: str, ready, fault) -> subprocess.CompletedProcess:
    """Run deploy.yml of `version` in the background; the first time `ready()` is true while it
    runs (polled every 0.1 s for at most 240 s), call `fault()`. The run's result; the test fails
    if the moment never came."""
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("result", stack.run(
        "deploy", "-e", f"palindrome_app_version={version}", check=False, timeout=400)), daemon=True)
    t.start()
    deadline = time.monotonic() + 240
    done = False
    while t.is_alive() and time.monotonic() < deadline:
        if ready():
            fault()
            done = True
            break
        time.sleep(0.1)
    t.join(timeout=420)
    assert done, "the moment for the fault never came during the deploy"
    return out["result"]


@pytest.fixture(scope="module")
def haproxy(stack):
    lb = HAProxy(stack.work, {k: (stack.fleet.hosts[k].private_ip, 5000) for k in stack.web()},
                 check_interval_ms=CHECK_INTERVAL_MS, fall=CHECK_FALL,
                 check_timeout_ms=CHECK_TIMEOUT_MS)
    try:
        yield lb
    finally:
        lb.stop()


def wait_all_up(lb: HAProxy, timeout: float = 90):
    return wait_for("all HAProxy servers UP",
                    lambda: (s := lb.servers()) and all(v == "UP" for v in s.values()) and s,
                    timeout=timeout)


def loaded(stack, lb: HAProxy) -> Load:
    return Load(lb.port, workers=4, rate=60.0, max_seconds=600)


def finish(stack, load: Load) -> None:
    stack.acknowledged.extend(load.acknowledged)


# ------------------------------------------------------------------------------------------------


def test_inventory_reaches_the_private_hosts_only_through_the_bastion(stack):
    listed = subprocess.run([str(stack.inventory / "palin-inventory"), "--list", "--plain"], env=stack.env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    doc = json.loads(listed.stdout)
    hv = doc["_meta"]["hostvars"]
    bastion = stack.fleet.hosts["bastion"]
    (bastion_name,) = doc["tag_Role_bastion"]["hosts"]
    assert hv[bastion_name]["ansible_host"] == bastion.public_ip
    by_ip = {hv[n]["ansible_host"]: n for n in doc["tag_Role_web"]["hosts"]}
    for key in stack.web():
        name = by_ip[stack.fleet.hosts[key].private_ip]
        stack.names[key] = name
        assert hv[name]["ansible_ssh_common_args"] == f"-o ProxyJump=admin@{bastion.public_ip}"
        assert hv[name]["ansible_user"] == "admin"
    assert len(stack.names) == 3
    graph = subprocess.run([str(VENV / "bin" / "ansible-inventory"), "-i", str(stack.inventory),
                            "--list"], env=stack.env, capture_output=True, text=True, timeout=120)
    assert graph.returncode == 0, graph.stderr
    merged = unwrap(json.loads(graph.stdout)["_meta"]["hostvars"][stack.names["web-1"]])
    assert merged["palin_postgres_host"] == stack.fleet.gateway
    assert merged["ecr_repository_url"] == stack.repo
    for s in stack.secrets:
        assert s not in listed.stdout, "palin-inventory printed a secret of the state"
    # ansible-inventory shows the operator's group_vars (the test's passwords among them) as
    # they are; the key's lookup is not run
    assert stack.private_key not in graph.stdout + graph.stderr

    ping = subprocess.run([str(VENV / "bin" / "ansible"), "-i", str(stack.inventory), "all",
                           "-m", "ansible.builtin.ping"], env=stack.env,
                          capture_output=True, text=True, timeout=180)
    stack.outputs.append(ping.stdout + ping.stderr)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("| SUCCESS =>") == 4, ping.stdout
    # the app hosts refuse SSH from anywhere but the bastion: without ProxyJump (and without the
    # connection the ping above left open), unreachable
    direct = subprocess.run([str(VENV / "bin" / "ansible"), "-i", str(stack.inventory),
                             stack.names["web-1"], "-m", "ansible.builtin.ping",
                             "-e", "ansible_ssh_common_args=''",
                             "-e", "ansible_ssh_args='-o ControlMaster=no -o ControlPath=none'"],
                            env=stack.env,
                            capture_output=True, text=True, timeout=180)
    stack.outputs.append(direct.stdout + direct.stderr)
    assert direct.returncode != 0 and "UNREACHABLE" in direct.stdout, direct.stdout


def test_site_installs_docker_bootstraps_the_database_and_deploys_v1(stack):
    first = stack.run("site", "-e", "palindrome_app_version=1")
    stack.report["site_first_run_s"] = round(first.elapsed, 1)
    for key in stack.web():
        assert version_of(stack, key) == "1"
        rc, out = stack.fleet.exec(stack.fleet.hosts[key].name, "docker", "image", "inspect",
                                   "--format", "{{json .RepoDigests}}", f"{stack.repo}:1")
        assert rc == 0 and f"{stack.repo}@sha256:" in out, out  # pulled from the registry
        rc, out = stack.fleet.exec(stack.fleet.hosts[key].name, "dpkg-query", "-W", "docker.io")
        assert rc == 0, out
    # the database bootstrap ran on the first app host, through the bastion
    for user, password in (("palindrome_app", stack.app_password),
                           ("palindrome_readonly", stack.ro_password)):
        out = stack.pg.psql("SELECT count(*) FROM phrases", user=user, password=password,
                            dbname="palindromes")
        assert out.stdout.strip().isdigit(), out
    second = stack.run("site", "-e", "palindrome_app_version=1")
    stack.report["site_second_run_s"] = round(second.elapsed, 1)
    changed = {h: r.get("changed") for h, r in recap(second.stdout).items()}
    assert changed and all(v == 0 for v in changed.values()), second.stdout[-5000:]
    # deploy.yml planned first: no host changes, so none left the target group
    assert "TASK [Take the host out of the target group" in second.stdout
    assert changed_hosts(second.stdout, "Take the host out of the target group") == []


def test_deploy_paths_are_hidden_by_the_load_balancer(stack, haproxy):
    wait_all_up(haproxy)
    conn = http.client.HTTPConnection("127.0.0.1", haproxy.port, timeout=5)
    conn.request("POST", "/deploy/drain")
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 404
    time.sleep(CHECK_FALL * CHECK_INTERVAL_MS / 1000 + 0.5)
    assert set(haproxy.servers().values()) == {"UP"}, "a drain went through the load balancer"


def test_rolling_deploy_under_load_pulls_v2_from_the_registry(stack, haproxy, capsys):
    wait_all_up(haproxy)
    with loaded(stack, haproxy) as load:
        time.sleep(2)
        proc = stack.run("deploy", "-e", "palindrome_app_version=2", check=False)
        time.sleep(2)
    finish(stack, load)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    for key in stack.web():
        assert version_of(stack, key) == "2"
        assert list(app_state(stack, key)) == [APP]
    per_host = proc.elapsed / len(stack.web())
    stack.report["v2"] = {"requests": load.sent, "failures": len(load.failures),
                          "deploy_wall_seconds": round(proc.elapsed, 1),
                          "per_host_seconds": round(per_host, 1),
                          "responses_by_version": load.versions}
    with capsys.disabled():
        print(f"\n[fleet] v2 over SSH: {proc.elapsed:.1f}s for 3 hosts ({per_host:.1f}s a host); "
              f"{load.sent} requests, {len(load.failures)} failed; by version {load.versions}")
    assert load.failures == [], load.failures[:20]
    assert not load.exhausted and set(load.versions) >= {"1", "2"}
    # every host left the target group and came back, one at a time
    names = sorted(stack.names.values())
    assert sorted(changed_hosts(proc.stdout, "Take the host out of the target group")) == names
    assert sorted(changed_hosts(proc.stdout, "Put the host back into the target group")) == names
    assert set(target_states(stack).values()) == {"healthy"}, target_states(stack)


def test_broken_v3_rolls_back_at_the_first_host(stack, haproxy, capsys):
    wait_all_up(haproxy)
    before = {k: app_state(stack, k) for k in stack.web()}
    with loaded(stack, haproxy) as load:
        time.sleep(2)
        proc = stack.run("deploy", "-e", "palindrome_app_version=3", check=False)
        wait_all_up(haproxy)
        time.sleep(1)
    finish(stack, load)
    assert proc.returncode != 0
    assert len(re.findall(r'"?rolled_back"?:\s*true', proc.stdout)) == 1, proc.stdout[-6000:]
    failed = [h for h, r in recap(proc.stdout).items() if r.get("failed")]
    assert failed == [stack.names["web-1"]], recap(proc.stdout)
    for key in stack.web():
        assert version_of(stack, key) == "2"
        if key != "web-1":
            assert app_state(stack, key) == before[key], f"{key} was touched"
    stack.report["v3_broken"] = {"requests": load.sent, "failures": len(load.failures),
                                 "deploy_wall_seconds": round(proc.elapsed, 1)}
    with capsys.disabled():
        print(f"\n[fleet] broken v3: stopped at web-1, rolled back, {proc.elapsed:.1f}s; "
              f"{load.sent} requests, {len(load.failures)} failed")
    assert load.failures == [], load.failures[:20]


# ------------------------------------------------------------------------------------------------
# faults in the middle of a rollout


def test_registry_unreachable_fails_before_the_old_container_is_touched(stack, haproxy):
    wait_all_up(haproxy)
    before = {k: app_state(stack, k) for k in stack.web()}
    started = {k: started_at(stack, k) for k in stack.web()}
    stack.registry.stop()
    try:
        proc = stack.run("deploy", "-e", "palindrome_app_version=4", check=False)
    finally:
        stack.registry.start()
    assert proc.returncode != 0
    failed = [h for h, r in recap(proc.stdout).items() if r.get("failed")]
    assert failed == [stack.names["web-1"]], recap(proc.stdout)
    assert "pull" in proc.stdout.lower(), proc.stdout[-4000:]
    after = {k: app_state(stack, k) for k in stack.web()}
    assert after == before, "a container changed although the image could not be pulled"
    for k in stack.web():
        assert started_at(stack, k) == started[k], f"{k}'s container was restarted"
        assert version_of(stack, k) == "2"
    wait_all_up(haproxy, timeout=30)
    stack.report["fault_registry_down"] = {
        "failed_run_seconds": round(proc.elapsed, 1),
        "left_behind": "every host serving 2, its container untouched (same id, not restarted)"}


def test_bastion_down_is_one_clear_failure_and_changes_nothing(stack, haproxy):
    wait_all_up(haproxy)
    before = {k: app_state(stack, k) for k in stack.web()}
    bastion_ip = stack.fleet.hosts["bastion"].public_ip
    stack.fleet.stop("bastion")
    try:
        proc = stack.run("deploy", "-e", "palindrome_app_version=4", check=False)
    finally:
        stack.fleet.start("bastion")
    assert proc.returncode != 0
    rc = recap(proc.stdout)
    assert [h for h, r in rc.items() if r.get("failed") or r.get("unreachable")] == \
        [stack.names["web-1"]], rc
    assert "UNREACHABLE!" not in proc.stdout, proc.stdout[-4000:]
    assert proc.stdout.count("fatal: [") == 1, proc.stdout[-4000:]
    flat = " ".join(proc.stdout.split())
    assert f"The jump host admin@{bastion_ip} (ProxyJump of" in flat, proc.stdout[-4000:]
    assert "does not answer SSH" in flat
    message = flat[flat.index("The jump host"):][:260]
    assert {k: app_state(stack, k) for k in stack.web()} == before
    stack.report["fault_bastion_down"] = {
        "failed_run_seconds": round(proc.elapsed, 1), "message": message,
        "left_behind": "every host serving 2, untouched"}


def test_a_rerun_after_the_registry_and_bastion_faults_converges(stack, haproxy):
    wait_all_up(haproxy)
    rerun = stack.run("deploy", "-e", "palindrome_app_version=4")
    for key in stack.web():
        assert version_of(stack, key) == "4"
        assert list(app_state(stack, key)) == [APP]
    stack.report["rerun_after_registry_and_bastion"] = {
        "seconds": round(rerun.elapsed, 1), "after": "every host serving 4"}


def test_link_cut_while_the_module_runs_leaves_one_serving_container(stack, haproxy, capsys):
    wait_all_up(haproxy)
    victim = "web-2"

    def cut_link_for_5s():
        stack.fleet.disconnect(victim)
        time.sleep(5)
        stack.fleet.connect(victim)

    with loaded(stack, haproxy) as load:
        # when the module runs (the new container exists) and the drain has taken the host out
        # of the load balancer
        proc = deploy_with_fault(
            stack, "5", lambda: f"{APP}--next" in app_state(stack, victim) and haproxy.down(victim),
            cut_link_for_5s)
    finish(stack, load)
    state = app_state(stack, victim)
    left = {k: version_of(stack, k) for k in stack.web()}
    with capsys.disabled():
        print(f"\n[fleet] SSH link of {victim} cut for 5 s mid-module: rc {proc.returncode}, "
              f"versions {left}, {victim}'s containers {sorted(state)}; "
              f"{load.sent} requests, {len(load.failures)} failed")
    assert list(state) == [APP], f"{victim} after the cut: {state}"  # no --next left behind
    assert state[APP]["state"] == "running"
    assert left[victim] in ("4", "5"), left
    rerun = stack.run("deploy", "-e", "palindrome_app_version=5")
    for key in stack.web():
        assert version_of(stack, key) == "5"
        assert list(app_state(stack, key)) == [APP]
    stack.report["fault_link_cut"] = {
        "rc": proc.returncode, "recap": recap(proc.stdout), "left_behind": left,
        "requests": load.sent, "failures": len(load.failures),
        "rerun_seconds": round(rerun.elapsed, 1), "after_rerun": "every host serving 5"}
    assert load.failures == [], load.failures[:20]


def test_host_killed_mid_deploy_stops_the_play_there(stack, haproxy, capsys):
    wait_all_up(haproxy)
    victim, later = "web-2", "web-3"
    untouched = app_state(stack, later)
    with loaded(stack, haproxy) as load:
        # drained: the load balancer has taken it out, its deploy is under way
        proc = deploy_with_fault(stack, "6", lambda: haproxy.down(victim),
                                 lambda: stack.fleet.kill(victim))
        time.sleep(2)
    finish(stack, load)
    rc = recap(proc.stdout)
    stack.fleet.start(victim)  # the instance comes back (its Engine starts at boot)
    left = wait_for("web-2's app back after the restart",
                    lambda: {n: c["state"] for n, c in app_state(stack, victim).items()},
                    timeout=60)
    with capsys.disabled():
        print(f"\n[fleet] {victim} killed mid-deploy: rc {proc.returncode}, recap {rc}; after "
              f"its restart {left}; {load.sent} requests, {len(load.failures)} failed")
    assert proc.returncode != 0
    assert [h for h, r in rc.items() if r.get("unreachable") or r.get("failed")] == \
        [stack.names[victim]], rc
    assert stack.names[later] not in rc, "the play went on past the dead host"
    assert app_state(stack, later) == untouched
    assert version_of(stack, "web-1") == "6" and version_of(stack, later) == "5"
    assert load.failures == [], load.failures[:20]  # the load balancer never sent it traffic
    rerun = stack.run("deploy", "-e", "palindrome_app_version=6")
    for key in stack.web():
        assert version_of(stack, key) == "6"
        assert list(app_state(stack, key)) == [APP]
    stack.report["fault_host_killed"] = {
        "rc": proc.returncode, "left_behind_on_victim": left, "requests": load.sent,
        "failures": len(load.failures), "rerun_seconds": round(rerun.elapsed, 1),
        "after_rerun": "every host serving 6"}


def test_every_acknowledged_write_is_in_postgres(stack, capsys):
    assert len(stack.acknowledged) > 100
    stored = set(stack.pg.psql("SELECT text FROM phrases", dbname="palindromes").stdout.splitlines())
    lost = [t for t in stack.acknowledged if t not in stored]
    stack.report["writes"] = {"acknowledged": len(stack.acknowledged), "lost": len(lost)}
    with capsys.disabled():
        print(f"\n[fleet] writes acknowledged during the rollouts: {len(stack.acknowledged)}, "
              f"lost: {len(lost)}")
    assert lost == []


def test_the_private_key_left_no_trace(stack):
    # a line of the PEM body that holds the private half (the first lines are the same for
    # every OpenSSH key, and the public half is on the hosts by design)
    lines = stack.private_key.strip().splitlines()[1:-1]
    secret_line = lines[-2]
    assert len(secret_line) > 40
    for out in stack.outputs:
        assert secret_line not in out and stack.private_key not in out
    hits = subprocess.run(["grep", "-rlF", secret_line, str(stack.work)], capture_output=True,
                          text=True, timeout=120)
    assert hits.stdout == "", f"the private key is in {hits.stdout}"
    for key in ("bastion", *stack.web()):
        _, out = stack.fleet.exec(stack.fleet.hosts[key].name, "sh", "-c",
                                  f"grep -rlF '{secret_line}' /home /root /tmp /var/tmp 2>/dev/null")
        assert out.strip() == "", f"{key}: {out}"
