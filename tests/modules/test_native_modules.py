"""palin.aws.docker_deploy and palin.aws.http_ready from the installed collection through real
Ansible: ansible-playbook with `connection: local` and `ansible_python_interpreter` pointing nowhere
(so no Python module could run), --check and --diff, ad-hoc string options, failures and rollback as
Ansible reports them, no_log masking, and ansible-doc rendering the generated docs stubs."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, free_port, http_get

SECRET = "PALIN-SECRET-9f3c"


def recap(stdout: str) -> dict[str, int]:
    m = re.search(r"^localhost\s*:\s*(.*)$", stdout, re.M)
    assert m, f"no play recap in:\n{stdout}"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}


def deploy_play(prefix: str, ctx, port: int, version: str, health: str = "ok", extra: str = "") -> str:
    name = f"{prefix}-web"
    return f"""
- hosts: targets
  gather_facts: false
  tasks:
    - name: Deploy the app (built on the host)
      palin.aws.docker_deploy:
        name: {name}
        image: "{prefix}-app:{version}"
        build:
          path: "{ctx}"
          args:
            VERSION: "{version}"
            HEALTH: "{health}"
        published_ports: ["127.0.0.1:{port}:8080"]
        env:
          GREETING: hello
          WORKERS: 2
        secret_env:
          DB_PASSWORD: "{SECRET}"
        stop_timeout: 1
        readiness:
          http:
            url: "http://127.0.0.1:{port}/healthz"
          timeout: 5
          interval: 0.1
        gate:
          url: "http://127.0.0.1:{port}/deploy"
          method: POST
          body_contains: Ready
          timeout: 5
{extra}      register: deployed

    - name: Wait for the app with palin.aws.http_ready
      palin.aws.http_ready:
        url: "http://127.0.0.1:{port}/"
        body_contains: "{version}"
        timeout: 10
      register: ready
      when: not ansible_check_mode

    - name: Results are what the modules promise (assert runs on the controller)
      ansible.builtin.assert:
        that:
          - deployed.container.name == "{name}"
          - deployed.container.status == "running"
          - ansible_check_mode or ready.status == 200
          - ansible_check_mode or ready.changed == false
          - "'{SECRET}' not in (deployed | to_json)"
"""


def test_playbook_deploys_is_idempotent_checks_diffs_replaces_and_rolls_back(ansible, docker, prefix, build_context):
    name = f"{prefix}-web"
    port = free_port()

    # The interpreter really points nowhere: a Python module fails on this host.
    ping = ansible.run("ansible", "-i", ansible.inventory, "targets", "-m", "ansible.builtin.ping", check=False)
    assert ping.returncode != 0
    assert "/nonexistent/python" in ping.stdout + ping.stderr

    # First deploy.
    first = ansible.playbook(deploy_play(prefix, build_context, port, "v1"))
    assert recap(first.stdout)["changed"] == 1, first.stdout
    assert recap(first.stdout)["failed"] == 0
    assert http_get(port) == (200, "palin-testapp v1")
    c1 = docker.container(name)
    assert c1 and c1["State"]["Running"]
    assert f"DB_PASSWORD={SECRET}" in c1["Config"]["Env"], "the secret reaches the container"
    assert all(SECRET not in v for v in c1["Config"]["Labels"].values())

    # Same again: nothing changes (the rebuild hits the Engine's cache: same image ID).
    again = ansible.playbook(deploy_play(prefix, build_context, port, "v1"))
    assert recap(again.stdout)["changed"] == 0, again.stdout
    assert docker.container(name)["Id"] == c1["Id"]

    # --check --diff with a new version: reported as a change with a diff, nothing touched.
    checked = ansible.playbook(deploy_play(prefix, build_context, port, "v2"), "--check", "--diff")
    assert recap(checked.stdout)["changed"] == 1, checked.stdout
    assert re.search(r'^-\s*image: ".*-app:v1"$', checked.stdout, re.M), checked.stdout
    assert re.search(r'^\+\s*image: ".*-app:v2"$', checked.stdout, re.M), checked.stdout
    assert SECRET not in checked.stdout
    assert docker.container(name)["Id"] == c1["Id"]
    assert http_get(port) == (200, "palin-testapp v1")
    status, _ = docker.call("GET", f"/images/{prefix}-app:v2/json")
    assert status == 404, "check mode built nothing"

    # Real deploy of v2: replaced, old container gone.
    v2 = ansible.playbook(deploy_play(prefix, build_context, port, "v2"), "--diff")
    assert recap(v2.stdout)["changed"] == 1, v2.stdout
    c2 = docker.container(name)
    assert c2["Id"] != c1["Id"]
    assert docker.container(c1["Id"]) is None
    assert http_get(port) == (200, "palin-testapp v2")

    # A new image whose health fails: the task fails, Ansible shows why, v2 serves again.
    bad = ansible.playbook(deploy_play(prefix, build_context, port, "v3", health="fail"), "-v", check=False)
    assert bad.returncode == 2, bad.stdout
    assert recap(bad.stdout)["failed"] == 1
    assert "rolled back" in bad.stdout
    assert "testapp v3 listening" in bad.stdout, "the new container's logs are in the result"
    assert SECRET not in bad.stdout
    assert docker.container(name)["Id"] == c2["Id"]
    assert http_get(port) == (200, "palin-testapp v2")
    assert docker.container(f"{name}--next") is None

    # state=absent removes it; twice is fine.
    absent = f"""
- hosts: targets
  gather_facts: false
  tasks:
    - palin.aws.docker_deploy: {{name: "{name}", state: absent, stop_timeout: 1}}
"""
    assert recap(ansible.playbook(absent).stdout)["changed"] == 1
    assert docker.container(name) is None
    assert recap(ansible.playbook(absent).stdout)["changed"] == 0


def test_no_log_and_secret_options_are_masked(ansible, docker, prefix, build_context):
    port = free_port()
    name = f"{prefix}-secret"
    play = f"""
- hosts: targets
  gather_facts: false
  tasks:
    - palin.aws.docker_deploy:
        name: {name}
        image: "{prefix}-app:s1"
        build: {{path: "{build_context}", args: {{VERSION: s1}}}}
        published_ports: ["127.0.0.1:{port}:8080"]
        secret_env: {{API_TOKEN: "{SECRET}"}}
        stop_timeout: 1
        readiness: {{timeout: 10}}
      register: r
    - ansible.builtin.debug: {{var: r}}
"""
    out = ansible.playbook(play, "-vvv")
    assert SECRET not in out.stdout + out.stderr
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in out.stdout, "invocation shows the secret option masked"
    # readiness defaulted to a TCP check of the first published port
    assert http_get(port) == (200, "palin-testapp s1")
    # An unknown option fails with Ansible's usual wording.
    bad = ansible.playbook(
        f"- hosts: targets\n  gather_facts: false\n  tasks:\n    - palin.aws.docker_deploy: {{name: {name}, imgae: x}}\n", check=False
    )
    assert bad.returncode == 2
    assert "Unsupported parameters for (palin_docker_deploy) module: imgae" in bad.stdout


def test_http_ready_adhoc_strings_and_failures(ansible, http_server):
    base = f"http://127.0.0.1:{http_server}"
    ok = ansible.run("ansible", "-i", ansible.inventory, "targets", "-m", "palin.aws.http_ready",
                     "-a", f"url={base}/ready status=200,204 timeout=5 body_contains=READY")
    assert "localhost | SUCCESS" in ok.stdout, ok.stdout
    result = json.loads(ok.stdout.split("=>", 1)[1])
    assert result["status"] == 200 and result["ready"] is True and result["changed"] is False
    # /slow answers 503 three times first: one module call waits it out.
    slow = ansible.run("ansible", "-i", ansible.inventory, "targets", "-m", "palin.aws.http_ready",
                       "-a", f"url={base}/slow timeout=10 interval=0.05")
    result = json.loads(slow.stdout.split("=>", 1)[1])
    assert result["attempts"] == 4, result
    # Never ready: FAILED with the reason.
    port = free_port()
    bad = ansible.run("ansible", "-i", ansible.inventory, "targets", "-m", "palin.aws.http_ready",
                      "-a", f"url=http://127.0.0.1:{port}/ timeout=1 interval=0.1", check=False)
    assert bad.returncode != 0
    assert "localhost | FAILED" in bad.stdout, bad.stdout
    assert f"http://127.0.0.1:{port}/ not ready after" in bad.stdout
    assert "refused" in bad.stdout.lower()
    # Bad option values are reported, not guessed.
    typo = ansible.run("ansible", "-i", ansible.inventory, "targets", "-m", "palin.aws.http_ready",
                       "-a", f"url={base}/ready timeout=soon", check=False)
    assert "argument 'timeout' is of type float" in typo.stdout, typo.stdout


def test_http_ready_in_check_mode_and_playbook(ansible, http_server):
    play = f"""
- hosts: targets
  gather_facts: false
  tasks:
    - palin.aws.http_ready:
        url: "http://127.0.0.1:{http_server}/ready"
        headers: {{X-Probe: ansible}}
        success_threshold: 2
      register: r
    - ansible.builtin.assert: {{that: ["r.ready", "r.attempts == 2", "r.content == 'READY'"]}}
"""
    out = ansible.playbook(play, "--check")
    assert recap(out.stdout)["failed"] == 0


@pytest.mark.parametrize("module", ["docker_deploy", "http_ready"])
def test_ansible_doc_renders_the_generated_docs(ansible, collection, module):
    fqcn = f"palin.aws.{module}"
    out = ansible.run("ansible-doc", fqcn)
    text = out.stdout
    assert f"> MODULE {fqcn}" in text.splitlines()[0], text[:300]
    assert "OPTIONS" in text and "EXAMPLES" in text and "RETURN VALUES" in text
    assert "This module has a corresponding action plugin" in text
    if module == "docker_deploy":
        for word in ("readiness", "rollback", "secret_env", "gate", "published_ports", "docker_host"):
            assert word in text
        assert "Deploys one container through the Docker Engine API" in text
        assert "rolled_back" in text and "check_mode" in text
    else:
        assert "body_contains" in text and "timeout" in text
    assert f"{fqcn}:" in text, "EXAMPLES use the FQCN"
    assert "[ERROR]" not in out.stderr and "[WARNING]" not in out.stderr, out.stderr
    snippet = ansible.run("ansible-doc", "-s", fqcn)
    assert f"{module}:" in snippet.stdout
    # -l lists the two modules, not the per-architecture binaries, and warns about nothing
    listed = ansible.run("ansible-doc", "-l", "palin.aws", "-t", "module")
    assert sorted(line.split()[0] for line in listed.stdout.splitlines() if line.strip()) == [
        "palin.aws.docker_deploy", "palin.aws.http_ready"], listed.stdout
    assert listed.stderr == "", listed.stderr
    # the installed stub is the one in the checkout (test_module_docs.py checks that against the binaries)
    assert (collection / "plugins" / "modules" / f"{module}.py").read_text() == (REPO / "plugins" / "modules" / f"{module}.py").read_text()


@pytest.mark.parametrize("module", ["docker_deploy", "http_ready"])
def test_aarch64_builds_run_under_qemu(collection, module, tmp_path):
    """The aarch64 binaries the collection ships (__<module>_aarch64) are real, working modules."""
    import shutil
    import subprocess

    binary = collection / "plugins" / "modules" / f"__{module}_aarch64"
    qemu = shutil.which("qemu-aarch64")
    if not binary.is_file() or not qemu:
        pytest.skip("no aarch64 build or no qemu-aarch64 (scripts/setup.sh adds both when it can)")
    assert binary.read_bytes()[18] == 0xB7, "ELF e_machine is AArch64"
    x86 = subprocess.run([collection / "plugins" / "modules" / f"__{module}_x86_64", "--doc"], capture_output=True, text=True, check=True).stdout
    doc = subprocess.run([qemu, binary, "--doc"], capture_output=True, text=True, check=True).stdout
    assert doc == x86, "same spec as the x86_64 build"
    args = tmp_path / "args"
    args.write_text(json.dumps({"name": "x", "image": "y", "docker_host": "unix:///nonexistent/palin.sock"}
                               if module == "docker_deploy" else {"url": "http://127.0.0.1:1/", "timeout": 0.2}))
    out = subprocess.run([qemu, binary, args], capture_output=True, text=True).stdout
    result = json.loads(out)
    assert result["failed"] is True
    assert ("cannot reach the Docker daemon" if module == "docker_deploy" else "not ready after") in result["msg"]
