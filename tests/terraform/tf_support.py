"""Helpers and fixtures of the Terraform tests: the real palin-inventory binary (env PALIN_BIN,
default target/debug/palin-inventory) run in a clean environment, one checkov run per session
(checkov in its own venv), and a moto S3 server for the S3-backend configuration.

There is deliberately no conftest.py here: tests/ansible imports its conftest by module name
(`from conftest import ...`), and a second conftest.py can take that name first. Test modules
import the fixtures they use from this module instead."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TERRAFORM = REPO / "terraform"
EXAMPLE = TERRAFORM / "examples" / "production"
FIXTURES = HERE / "fixtures"
CHECKOV_REQUIREMENTS = HERE / "requirements-checkov.txt"
# Every secret value in the modelled states contains this marker (tfstate_model.MARKER).
SECRET_MARK = "FIXTURE-SECRET"


def _venv() -> Path:
    return Path(os.environ.get("PALIN_VENV") or REPO / ".venv").resolve()


def clean_env(home: Path, **extra: str) -> dict:
    """The environment palin-inventory runs in: nothing inherited from AWS_*, PALIN_*, TF_* (or
    ANSIBLE_*), HOME in the test's tmp dir (no ~/.aws), then `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "PALIN_", "TF_", "ANSIBLE_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(HOME=str(home), LC_ALL="C.UTF-8")
    env.update(extra)
    return env


class Palin:
    """Runs palin-inventory in a directory of its own with a clean environment."""

    def __init__(self, exe: Path, workdir: Path):
        self.exe = exe
        self.workdir = workdir
        self.home = workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(self.exe), *args],
            cwd=self.workdir,
            env=clean_env(self.home, **(env or {})),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert proc.returncode == 0 and proc.stderr == "", (
                f"palin-inventory {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr}"
            )
        return proc

    def list(self, env: dict | None = None) -> dict:
        return json.loads(self.run("--list", "--plain", env=env).stdout)


def deploy(workdir: Path, state: Path, config: Path) -> Path:
    """A directory laid out like the example after `terraform apply`: the config file next to
    `terraform.tfstate`. Returns the config's path there."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(state, workdir / "terraform.tfstate")
    target = workdir / config.name
    shutil.copy(config, target)
    return target


# ------------------------------------------------------------------------------ checkov


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checkov_executable() -> Path:
    """checkov from PALIN_CHECKOV, else from <venv>/checkov, which scripts/setup.sh creates from the
    pinned requirements-checkov.txt (checkov cannot share .venv: see that file)."""
    override = os.environ.get("PALIN_CHECKOV")
    if override:
        return Path(override)
    venv = _venv() / "checkov"
    exe = venv / "bin" / "checkov"
    stamp = venv / ".requirements-checkov.sha256"
    if not (exe.is_file() and stamp.is_file() and stamp.read_text().strip() == _sha256(CHECKOV_REQUIREMENTS)):
        pytest.fail(f"{exe} is missing or older than tests/terraform/requirements-checkov.txt: run bash scripts/setup.sh")
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------ fixtures



@pytest.fixture(scope="session")
def checkov_report(tmp_path_factory) -> dict:
    """One checkov run over terraform/ for the whole session (JSON report)."""
    exe = checkov_executable()
    home = tmp_path_factory.mktemp("checkov-home")
    cmd = [str(exe), "--directory", str(TERRAFORM), "--framework", "terraform", "--compact",
           "--skip-download", "--output", "json"]
    env = clean_env(home, LOG_LEVEL="WARNING", BC_SKIP_MAPPING="TRUE")
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=REPO)
    elapsed = time.monotonic() - started
    # checkov exits 1 when a check failed; anything else, or no JSON, is a broken run.
    assert proc.returncode in (0, 1), f"checkov failed to run (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON report:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    reports = report if isinstance(report, list) else [report]
    terraform = [r for r in reports if r.get("check_type") == "terraform"]
    assert len(terraform) == 1, f"expected one terraform report, got {[r.get('check_type') for r in reports]}"
    result = terraform[0]
    result["elapsed_seconds"] = elapsed
    return result


# ------------------------------------------------------------------------------- moto


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory) -> str:
    """A moto S3 server on a free loopback port (from the repo's .venv), for the session."""
    exe = _venv() / "bin" / "moto_server"
    if not exe.exists():
        pytest.fail(f"{exe} not found: run `bash scripts/setup.sh` first")
    home = tmp_path_factory.mktemp("moto")
    log = home / "moto.log"
    for _ in range(3):
        port = _free_port()
        with open(log, "w") as out:
            child = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT, env=clean_env(home))
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        if child.poll() is None and time.monotonic() < deadline:
            yield f"http://127.0.0.1:{port}"
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return
        if child.poll() is None:
            child.kill()
        child.wait()
    pytest.fail(f"moto_server did not start; log:\n{log.read_text()[-3000:]}")
