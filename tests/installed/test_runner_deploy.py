"""The bundled deploy playbook, palin.aws.deploy, run from the release artefacts alone (the
`installed` fixture: a clean venv per ansible-core release with the palin-inventory wheel and the
palin.aws collection tarball), two ways:

- `ansible-playbook palin.aws.deploy`, the inventory coming from a `*.palin.yml` file read by the
  palin.aws.palin inventory plugin (a Terraform v4 state with one EC2 instance tagged Role=web,
  tests/deploy/e2e_state.py; the host is reached with `connection: local` set through the file's
  `compose`); the image is built on the host from palin-testapp by the palin.aws.palindrome_app
  role, deployed through the Docker Engine, and serves; a second release replaces it through the
  drain gate;
- as AWX runs a job: `ansible-runner run` with a private data dir (project/: the project playbook
  docs/install.md shows, `import_playbook: palin.aws.deploy`, which AWX lists; the plugin file in
  inventory/; env/envvars; env/extravars), asserting on runner's artefacts: status, rc, the deploy task's `changed` event,
  and that no secret passed to the job (the app's database password, which reaches the container
  through docker_deploy's secret_env) nor the ones palin-inventory withholds from the state appear
  anywhere under artifacts/. The same runner also takes the FQCN as its playbook.

ansible-runner (the pin of requirements-dev.txt, which examples/awx/execution-environment.yml
installs too) is pip-installed into the `installed` venv: an Execution Environment holds
ansible-runner, ansible-core, palin-inventory and the collections in one Python environment, and
the job's ansible-playbook is the one next to runner on PATH. (The session's venv keeps runner for
the tests that follow; nothing else in it changes.) The third-party collections the playbook names
(community.aws) come from the fixture's `deps` path.

Containers and images are named after the run (prefix palin-r<pid>) and removed at the end."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
sys.path.insert(0, str(REPO / "tests" / "deploy"))
import e2e_state  # noqa: E402 (the paths above first)
from docker_engine import DockerAPI, engine_and_prefix  # noqa: E402
from playbook_output import recap, task_results  # noqa: E402
from testapp import free_port, http_get, image_context  # noqa: E402

DEPLOY_TASK = "Deploy the container (drain the old one, replace, prove ready, roll back if not)"
EE_FILE = REPO / "examples" / "awx" / "execution-environment.yml"
# AWX lists a project's .yml file as a playbook when a line matches this (awx/main/utils/ansible.py,
# valid_playbook_re): the short `import_playbook:` key does, `ansible.builtin.import_playbook:` does not.
AWX_PLAYBOOK_LINE = re.compile(r"^\s*?-?\s*?(?:hosts|include|import_playbook):\s*?.*?$")


def runner_pin() -> str:
    """The ansible-runner requirement pinned in requirements-dev.txt."""
    pins = re.findall(r"^(ansible-runner==\S+)$", (REPO / "requirements-dev.txt").read_text(), re.M)
    assert len(pins) == 1, "requirements-dev.txt pins ansible-runner once"
    return pins[0]


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[DockerAPI, str]]:
    """The Docker Engine and the name prefix of this run's containers and images (removed at the end)."""
    with engine_and_prefix("palin-r") as found:
        yield found


class Site:
    """One deploy target: a Terraform state with one web instance (its app_port output is the
    port the role publishes), the palin.aws.palin inventory file reading it, the app's image build
    context on the controller, and the variables a deploy of `version` takes."""

    def __init__(self, root: Path, installed, prefix: str, stem: str):
        self.root = root
        self.port = free_port()
        self.container = f"{prefix}-{installed.core.replace('.', '')}-{stem}"
        self.image = f"{self.container}-app"
        self.db_password = "db-" + secrets.token_hex(12)
        # what the state holds that palin-inventory withholds (sensitive attributes and outputs)
        self.state_secrets = ["pg-" + secrets.token_hex(12), "redis-" + secrets.token_hex(12)]
        state = e2e_state.state(pg_port=5432, pg_user="palin", pg_password=self.state_secrets[0],
                                redis_port=6379, redis_token=self.state_secrets[1], hosts=1,
                                app_port=self.port)
        (root / "terraform").mkdir(parents=True)
        (root / "terraform" / "terraform.tfstate").write_text(json.dumps(state, indent=2))
        self.inventory = root / "inventory"
        self.inventory.mkdir()
        (self.inventory / "web.palin.yml").write_text(yaml.safe_dump({
            "plugin": "palin.aws.palin",
            "terraform": {"states": [{"path": "../terraform/terraform.tfstate"}]},
            "tag_groups": ["Role"],
            # the targets are this machine: palin-inventory evaluates these (string literals)
            "compose": {
                "ansible_connection": "'local'",
                "ansible_python_interpreter": f"'{installed.bin / 'python'}'",
            },
        }, sort_keys=False))
        self.app_context = image_context(root / "app")

    def variables(self, version: str) -> dict:
        return {
            "palindrome_app_version": version,
            "palindrome_app_db_password": self.db_password,
            "palindrome_app_image_source": "build",
            "palindrome_app_build_context": str(self.app_context),
            "palindrome_app_build_dir": str(self.root / "build"),
            "palindrome_app_image_name": self.image,
            "palindrome_app_container_name": self.container,
            "palindrome_app_bind_address": "127.0.0.1",
            "palindrome_app_stop_timeout": 1,
            "palindrome_app_restart_policy": "no",
            "palindrome_app_drain_seconds": 0,
            "palindrome_app_ready_timeout": 20,
        }

    def assert_serves(self, docker: DockerAPI, version: str) -> dict:
        """The container runs `version` of the image built on the host and answers on the port
        the state's app_port output named; returns its inspection."""
        c = docker.container(self.container)
        assert c and c["State"]["Running"], c and c["State"]
        assert c["Config"]["Image"] == f"{self.image}:{version}"
        assert c["Config"]["Labels"]["version"] == version
        assert http_get(self.port, "/health") == (200, "ok")
        assert http_get(self.port) == (200, f"palin-testapp {version}")
        return c


# --------------------------------------------------------------------------- ansible-playbook
def test_ansible_playbook_deploys_from_the_palin_inventory(installed, tmp_path, engine):
    """`ansible-playbook palin.aws.deploy` with the palin.aws.palin inventory: the first release is
    built and started, the second replaces it through the drain gate; both serve."""
    docker, prefix = engine
    site = Site(tmp_path / "site", installed, prefix, "play")
    env = installed.env(tmp_path)
    graph = installed.run(["ansible-inventory", "-i", str(site.inventory), "--graph", "tag_Role_web"], tmp_path, env=env)
    assert graph.returncode == 0 and graph.stderr == "", graph.stdout + graph.stderr
    assert graph.stdout.split() == ["@tag_Role_web:", "|--web-1"], graph.stdout

    def deploy(version: str) -> dict:
        """Runs palin.aws.deploy for `version`: the deploy task's result on web-1 (after the plan
        in check mode said it would change the container)."""
        (tmp_path / "vars.yml").write_text(yaml.safe_dump(site.variables(version)))
        proc = installed.run(["ansible-playbook", "-v", "-i", str(site.inventory), "-e", "@vars.yml", "palin.aws.deploy"],
                             tmp_path, env=env)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
        assert recap(proc.stdout)["web-1"]["failed"] == 0, proc.stdout
        planned = task_results(proc.stdout, f"palin.aws.palindrome_app : {DEPLOY_TASK} - PLAN ONLY, check mode")
        results = task_results(proc.stdout, f"palin.aws.palindrome_app : {DEPLOY_TASK}")
        assert [r[:2] for r in planned + results] == [("changed", "web-1")] * 2, proc.stdout[-6000:]
        assert planned[0][2]["msg"].startswith("check mode: "), planned
        return results[0][2]

    created = deploy("v1")
    assert created["actions"][0] == "build_image" and "stop_old" not in created["actions"], created
    first = site.assert_serves(docker, "v1")
    # secret_env reached the container (what the runner test checks the artefacts for)
    assert f"PGPASSWORD={site.db_password}" in first["Config"]["Env"]

    # the next release: planned in check mode, the old container drained through the gate
    # (/deploy/drain, /deploy/ready), replaced, and the new one proved ready on /health
    replaced = deploy("v2")
    assert [a for a in replaced["actions"] if a in ("gate", "stop_old", "prove_next", "remove_old")] == [
        "gate", "stop_old", "prove_next", "remove_old"], replaced
    assert replaced["gate"]["ready"] and replaced["previous"]["id"] == first["Id"], replaced
    assert not replaced["rolled_back"]
    second = site.assert_serves(docker, "v2")
    assert second["Id"] != first["Id"]
    assert docker.container(first["Id"]) is None, "the old container is gone"


# --------------------------------------------------------------------------- ansible-runner
@pytest.fixture(scope="module")
def runner_bin(installed) -> Path:
    """ansible-runner installed next to ansible-core in the `installed` venv, as in an EE."""
    pin = runner_pin()
    proc = subprocess.run([str(installed.bin / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", pin],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return installed.bin / "ansible-runner"


def project_playbook() -> str:
    """The project playbook docs/install.md tells AWX users to commit (its YAML block that imports
    palin.aws.deploy): the runner test runs this text."""
    blocks = re.findall(r"^```yaml\n(.*?)^```$", (REPO / "docs" / "install.md").read_text(), re.M | re.S)
    found = [b for b in blocks if "import_playbook: palin.aws.deploy" in b]
    assert len(found) == 1, "docs/install.md shows one project playbook importing palin.aws.deploy"
    return found[0]


def test_awx_lists_the_documented_project_playbook():
    assert any(AWX_PLAYBOOK_LINE.match(line) for line in project_playbook().splitlines())


def test_the_runner_pin_is_the_execution_environments():
    """The runner these tests install is the one the example Execution Environment installs."""
    ee = yaml.safe_load(EE_FILE.read_text())
    assert ee["dependencies"]["ansible_runner"]["package_pip"] == runner_pin()


def private_data_dir(site: Site, installed, version: str) -> Path:
    """The site's directory made an ansible-runner private data dir as AWX lays one out for a job
    (its inventory/ is already there)."""
    pdd = site.root
    (pdd / "project").mkdir()
    (pdd / "env").mkdir()
    # AWX runs only the playbook files it lists in a project: a collection playbook goes through one
    (pdd / "project" / "deploy.yml").write_text(project_playbook())
    # the collections path and the strict inventory settings reach the job through env/envvars only
    paths = [str(installed.collections)] + ([str(installed.deps)] if installed.deps else [])
    (pdd / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(paths),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
    }))
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(site.variables(version)))
    return pdd


def run_runner(runner_bin: Path, installed, tmp_path: Path, pdd: Path, ident: str, *args: str) -> Path:
    """`ansible-runner run <pdd> --ident <ident> <args>` in the hermetic environment minus what
    env/envvars sets; checks that runner reported `successful` and returns the artefacts dir."""
    env = installed.env(tmp_path)
    for name in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_INVENTORY_UNPARSED_FAILED", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"):
        del env[name]
    proc = subprocess.run([str(runner_bin), "run", str(pdd), "--ident", ident, *args],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    artifacts = pdd / "artifacts" / ident
    status = artifacts / "status"
    assert status.is_file() and status.read_text() == "successful", proc.stdout[-6000:] + proc.stderr[-2000:]
    assert proc.returncode == 0 and (artifacts / "rc").read_text() == "0", proc.stderr[-2000:]
    return artifacts


def events(artifacts: Path) -> list[dict]:
    files = sorted((artifacts / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-", 1)[0]))
    return [json.loads(f.read_text()) for f in files]


def test_ansible_runner_runs_the_deploy_as_awx_does(installed, tmp_path, engine, runner_bin):
    """An AWX-shaped job: runner's status, rc and events say the deploy changed web-1, the container
    serves and holds the secret, and nothing under artifacts/ does."""
    docker, prefix = engine
    site = Site(tmp_path / "pdd", installed, prefix, "runner")
    pdd = private_data_dir(site, installed, "v1")
    artifacts = run_runner(runner_bin, installed, tmp_path, pdd, "deploy", "--playbook", "deploy.yml")

    found = events(artifacts)
    deployed = [e for e in found if e["event"] == "runner_on_ok" and e["event_data"].get("task") == DEPLOY_TASK]
    assert [e["event_data"]["host"] for e in deployed] == ["web-1"], [e["event_data"].get("task") for e in found]
    assert deployed[0]["event_data"]["res"]["changed"] is True
    assert deployed[0]["event_data"]["resolved_action"] == "palin.aws.docker_deploy"
    stats = [e for e in found if e["event"] == "playbook_on_stats"]
    assert len(stats) == 1 and stats[0]["event_data"]["failures"] == {} and stats[0]["event_data"]["changed"]["web-1"] >= 1
    assert (artifacts / "stdout").read_text().count("changed: [web-1]") >= 1

    c = site.assert_serves(docker, "v1")
    assert f"PGPASSWORD={site.db_password}" in c["Config"]["Env"], "the secret reached the container"
    for path in sorted(p for p in (pdd / "artifacts").rglob("*") if p.is_file()):
        data = path.read_bytes()
        for secret in (site.db_password, *site.state_secrets):
            assert secret.encode() not in data, f"{path.relative_to(pdd)} holds a secret passed to the job"


def test_ansible_runner_takes_the_collection_playbook_by_name(installed, tmp_path, engine, runner_bin):
    """Run by hand or from CI (no AWX project list), runner takes the collection playbook by name: it
    reaches ansible-playbook, which resolves it (--list-tasks: nothing runs)."""
    site = Site(tmp_path / "pdd", installed, engine[1], "tasks")
    pdd = private_data_dir(site, installed, "v1")
    artifacts = run_runner(runner_bin, installed, tmp_path, pdd, "tasks",
                           "--playbook", "palin.aws.deploy", "--cmdline=--list-tasks")
    out = (artifacts / "stdout").read_text()
    assert "play #1 (tag_Role_web): Roll out the palindrome app" in out, out
    assert json.loads((artifacts / "command").read_text())["command"][-1] == "palin.aws.deploy"
