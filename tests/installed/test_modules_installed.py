"""palin.aws.docker_deploy and palin.aws.http_ready as users run them: the installed collection (the
`installed` fixture: a clean venv per ansible-core release, the collection tarball installed with
ansible-galaxy), playbooks and ad-hoc commands naming the modules by FQCN, the real Docker Engine
(the test image is built by the module from palin-testapp, a static musl app: env PALIN_TESTAPP,
default target/x86_64-unknown-linux-musl/modules/palin-testapp), hosts on `connection: local` with
no usable Python.

What they must do: deploy, keep an unchanged deploy unchanged, report a change and its diff in
check mode without touching anything, wait with http_ready; pick the binary for the target's
architecture (the architecture fact, the ansible_architecture variable with arm64/amd64 spellings,
else `uname -m`): x86_64 runs here, aarch64 runs the aarch64 binary (executed under binfmt/qemu
when the kernel has it, else failing with a message naming the architecture; either way the binary
that reached the host is the aarch64 one and works under qemu-aarch64 with the task's arguments),
an architecture without a binary fails naming it and the ones shipped; ansible-doc renders both."""

from __future__ import annotations

import http.server
import json
import platform
import re
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
from docker_engine import DockerAPI, engine_and_prefix  # noqa: E402 (the path above first)
from playbook_output import recap  # noqa: E402
from testapp import free_port, http_get, image_context  # noqa: E402

ARCH = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine(), platform.machine())
NO_PYTHON = "ansible_connection=local ansible_python_interpreter=/nonexistent/python"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[DockerAPI, str]]:
    """The Docker Engine and the name prefix of this module's containers and images (removed at the end)."""
    with engine_and_prefix("palin-i") as found:
        yield found


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    """A build context for docker_deploy's `build`: palin-testapp and a Dockerfile whose VERSION
    comes from a build argument (tests/support/testapp.py)."""
    return image_context(tmp_path_factory.mktemp("ctx"))


class _Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server API)
        body = b"READY"
        self.send_response(200 if self.path == "/ready" else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def ready_url():
    """http://127.0.0.1:<port>/ready, answering 200 READY."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Ready)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ready"
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- helpers
def playbook(installed, tmp_path: Path, text: str, inventory: str, *args: str, env: dict | None = None):
    (tmp_path / "play.yml").write_text(text)
    (tmp_path / "hosts.ini").write_text(inventory)
    return installed.run(["ansible-playbook", "-i", "hosts.ini", "play.yml", *args], tmp_path, env=env)


def adhoc(installed, tmp_path: Path, host: str, module: str, args: str, env: dict | None = None) -> tuple[str, dict]:
    """`ansible HOST -m MODULE -a ARGS` against tmp_path/hosts.ini: ("SUCCESS"|"FAILED!"|..., result)."""
    proc = installed.run(["ansible", "-i", "hosts.ini", host, "-m", module, "-a", args], tmp_path, env=env)
    m = re.search(rf"^{re.escape(host)} \| (\S+) => (\{{.*\}})\s*$", proc.stdout, re.S | re.M)
    assert m, f"no result for {host}:\n{proc.stdout}\n{proc.stderr}"
    return m.group(1), json.loads(m.group(2))


def binfmt_runs_aarch64() -> bool:
    entry = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
    try:
        return entry.read_text().startswith("enabled")
    except OSError:
        return False


# --------------------------------------------------------------------------- deploy
DEPLOY = """
- hosts: targets
  gather_facts: false
  tasks:
    - name: Deploy the app (built on the host)
      palin.aws.docker_deploy:
        name: "{name}"
        image: "{prefix}-app:{version}"
        build:
          path: "{ctx}"
          args:
            VERSION: "{version}"
        published_ports: ["127.0.0.1:{port}:8080"]
        env:
          GREETING: hello
        stop_timeout: 1
        readiness:
          http:
            url: "http://127.0.0.1:{port}/healthz"
          timeout: 10
          interval: 0.1
      register: deployed

    - name: Wait for the new version
      palin.aws.http_ready:
        url: "http://127.0.0.1:{port}/"
        body_contains: "{version}"
        timeout: 10
      register: ready
      when: not ansible_check_mode

    - name: The results are what the modules document
      ansible.builtin.assert:
        that:
          - deployed.container.name == "{name}"
          - ansible_check_mode or deployed.container.status == "running"
          - ansible_check_mode or (ready.ready and ready.status == 200 and not ready.changed)
"""


def test_fqcn_playbook_deploys_is_idempotent_and_checks_with_diff(installed, tmp_path, engine, build_context):
    docker, prefix = engine
    prefix = f"{prefix}-{installed.core.replace('.', '')}"  # per release: the images too (check mode builds none)
    name, port = f"{prefix}-web", free_port()
    inventory = f"[targets]\ntarget {NO_PYTHON}\n"

    def deploy(version: str, *args: str):
        text = DEPLOY.format(name=name, prefix=prefix, version=version, ctx=build_context, port=port)
        proc = playbook(installed, tmp_path, text, inventory, *args)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        return proc, recap(proc.stdout)["target"]

    _, first = deploy("v1")
    assert first["changed"] == 1 and first["failed"] == 0
    assert http_get(port) == (200, "palin-testapp v1")
    c1 = docker.container(name)
    assert c1 and c1["State"]["Running"]

    _, again = deploy("v1")
    assert again["changed"] == 0, "an unchanged deploy changes nothing"
    assert docker.container(name)["Id"] == c1["Id"]

    checked, plan = deploy("v2", "--check", "--diff")
    assert plan["changed"] == 1
    assert re.search(r'^-\s*image: ".*-app:v1"$', checked.stdout, re.M), checked.stdout
    assert re.search(r'^\+\s*image: ".*-app:v2"$', checked.stdout, re.M), checked.stdout
    assert docker.container(name)["Id"] == c1["Id"], "check mode touched nothing"
    assert docker.call("GET", f"/images/{prefix}-app:v2/json")[0] == 404, "check mode built nothing"
    assert http_get(port) == (200, "palin-testapp v1")

    _, v2 = deploy("v2", "--diff")
    assert v2["changed"] == 1
    assert docker.container(name)["Id"] != c1["Id"]
    assert http_get(port) == (200, "palin-testapp v2")

    absent = "- hosts: targets\n  gather_facts: false\n  tasks:\n" \
             f"    - palin.aws.docker_deploy: {{name: {name}, state: absent, stop_timeout: 1}}\n"
    proc = playbook(installed, tmp_path, absent, inventory)
    assert proc.returncode == 0 and recap(proc.stdout)["target"]["changed"] == 1, proc.stdout
    assert docker.container(name) is None


# --------------------------------------------------------------------------- architecture dispatch
def test_x86_64_targets_from_uname_facts_and_variable(installed, tmp_path, ready_url):
    if ARCH != "x86_64":
        pytest.skip("an x86_64 machine runs the x86_64 binary natively")
    inventory = (
        "[targets]\n"
        f"by_uname {NO_PYTHON}\n"
        f"by_variable {NO_PYTHON} ansible_architecture=amd64\n"
        # facts need Python on the host: the venv's
        f"by_facts ansible_connection=local ansible_python_interpreter={installed.bin / 'python'}\n"
    )
    play = f"""
- hosts: by_facts
  gather_facts: true
  gather_subset: [min]
  tasks: []
- hosts: targets
  gather_facts: false
  tasks:
    - palin.aws.http_ready: {{url: "{ready_url}", timeout: 5}}
      register: r
    - ansible.builtin.assert: {{that: [r.ready, "r.content == 'READY'"]}}
"""
    proc = playbook(installed, tmp_path, play, inventory, "-vvv")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert all(r["failed"] == 0 and r["ok"] >= 2 for r in recap(proc.stdout).values()), proc.stdout
    chosen = dict(re.findall(r"palin\.aws\.http_ready: (\w+) is x86_64 \((.+?)\): running palin\.aws\.__http_ready_x86_64", proc.stdout))
    assert chosen == {
        "by_uname": "uname -m on the target",
        "by_variable": "the ansible_architecture variable",
        "by_facts": "the architecture fact",
    }, proc.stdout[-3000:]
    assert "<by_uname> EXEC /bin/sh -c 'uname -m" in proc.stdout
    assert "<by_facts> EXEC /bin/sh -c 'uname -m" not in proc.stdout


def test_aarch64_target_gets_the_aarch64_binary(installed, tmp_path, ready_url):
    (tmp_path / "hosts.ini").write_text(f"[targets]\narm {NO_PYTHON} ansible_architecture=arm64\n")
    keep = installed.env(tmp_path, ANSIBLE_KEEP_REMOTE_FILES="1")
    status, result = adhoc(installed, tmp_path, "arm", "palin.aws.http_ready", f"url={ready_url} timeout=5", env=keep)
    if binfmt_runs_aarch64():
        assert status == "SUCCESS" and result["ready"] is True, result
    else:
        # this kernel cannot run aarch64 binaries: the failure says what happened, not just "Exec format error"
        assert status == "FAILED!", result
        assert result["msg"].startswith("palin.aws.http_ready: arm cannot execute the aarch64 binary (Exec format error)"), result
        assert "the ansible_architecture variable ('arm64')" in result["msg"]
        assert "ships binaries for: aarch64, x86_64" in result["msg"]
        assert result["target_architecture"] == "aarch64" and result["shipped_architectures"] == ["aarch64", "x86_64"]
        assert "Exec format error" in result["module_stderr"], "the raw output is kept"
    # The binary that reached the host (kept with ANSIBLE_KEEP_REMOTE_FILES) is the aarch64 build,
    # and it answers the task's arguments under qemu.
    kept = sorted(Path(keep["ANSIBLE_REMOTE_TMP"]).glob("ansible-tmp-*/AnsiballZ___http_ready_aarch64"))
    assert len(kept) == 1, sorted(Path(keep["ANSIBLE_REMOTE_TMP"]).rglob("*"))
    assert kept[0].read_bytes()[:4] == b"\x7fELF" and kept[0].read_bytes()[18] == 0xB7, "ELF for AArch64"
    qemu = shutil.which("qemu-aarch64")
    if not qemu:
        pytest.skip("qemu-aarch64 is not installed: the kept aarch64 binary was not run")
    run = subprocess.run([qemu, str(kept[0]), str(kept[0].parent / "args")], capture_output=True, text=True, timeout=60)
    answer = json.loads(run.stdout)
    assert answer["ready"] is True and answer["url"] == ready_url, answer


def test_an_architecture_without_a_binary_fails_naming_it(installed, tmp_path, ready_url):
    (tmp_path / "hosts.ini").write_text(f"[targets]\nriscy {NO_PYTHON} ansible_architecture=riscv64\n")
    status, result = adhoc(installed, tmp_path, "riscy", "palin.aws.docker_deploy", "name=x image=y")
    assert status == "FAILED!", result
    assert result["msg"] == (
        "palin.aws.docker_deploy has no binary for the architecture of riscy: 'riscv64' (the ansible_architecture "
        "variable). This palin.aws build ships binaries for: aarch64, x86_64."
    ), result
    assert result["changed"] is False
    # nothing was uploaded or run
    assert not list(Path(installed.env(tmp_path)["ANSIBLE_REMOTE_TMP"]).glob("ansible-tmp-*"))


# --------------------------------------------------------------------------- docs
@pytest.mark.parametrize("module", ["docker_deploy", "http_ready"])
def test_ansible_doc_renders(installed, tmp_path, module):
    fqcn = f"palin.aws.{module}"
    proc = installed.run(["ansible-doc", fqcn], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = proc.stdout
    assert text.splitlines()[0].startswith(f"> MODULE {fqcn} ("), text[:200]
    for section in ("OPTIONS", "ATTRIBUTES", "NOTES", "EXAMPLES", "RETURN VALUES"):
        assert section in text, section
    assert "This module has a corresponding action plugin" in text
    assert f"{fqcn}:" in text and "aarch64" in text
    assert ("secret_env" in text and "rolled_back" in text) if module == "docker_deploy" else ("body_contains" in text)
    listed = installed.run(["ansible-doc", "-t", "module", "-l", "palin.aws"], tmp_path)
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    assert sorted(line.split()[0] for line in listed.stdout.splitlines() if line.strip()) == [
        "palin.aws.docker_deploy", "palin.aws.http_ready"]
