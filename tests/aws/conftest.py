"""Fixtures for the AWS API source tests: one moto_server per session (the repo's .venv, env
PALIN_VENV, default .venv) on a free loopback port, seeded once by seed.py (see its docstring for
the estate), stopped at the end; the real palin-inventory binary (env PALIN_BIN, default
target/debug/palin-inventory); and a hermetic environment for every command: inherited AWS_*,
PALIN_*, ANSIBLE_* and TF_* variables are dropped, credentials are moto's `testing`,
AWS_ENDPOINT_URL is the emulator, HOME and Ansible's directories are under tmp."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEED = HERE / "seed.py"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "support"))

from moto_server import answers, free_port  # noqa: E402  (tests/support)


def _venv() -> Path:
    return Path(os.environ.get("PALIN_VENV") or REPO / ".venv").resolve()


def _dropped(name: str) -> bool:
    return name.startswith(("AWS_", "PALIN_", "ANSIBLE_", "TF_")) or name in ("PYTHONPATH", "VIRTUAL_ENV")


def clean_env(home: Path, venv_bin: Path, endpoint: str | None = None) -> dict[str, str]:
    """The inherited environment without AWS_*, PALIN_*, ANSIBLE_*, TF_* (and PYTHONPATH,
    VIRTUAL_ENV), pointed at moto with its dummy credentials, HOME = `home`, no AWS config files,
    no instance metadata lookups, and an empty ansible.cfg in `home`."""
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "ansible.cfg"
    cfg.write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not _dropped(k)}
    env.update(
        HOME=str(home),
        LC_ALL="C.UTF-8",
        PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="eu-west-1",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_CONFIG=str(cfg),
        ANSIBLE_HOME=str(home / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(home / "ansible-local"),
        ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
        ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1",
        ANSIBLE_NOCOLOR="1",
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    bindir = _venv() / "bin"
    for tool in ("ansible-inventory", "moto_server", "python"):
        if not (bindir / tool).exists():
            pytest.fail(f"{bindir / tool} not found: run `bash scripts/setup.sh` first")
    return bindir



@dataclass
class Moto:
    """A running, seeded moto_server."""

    url: str
    estate: dict  # seed.py's JSON summary: instance ids by "<region>/<key>", RDS/ElastiCache ids
    log: Path

    def instance_id(self, region: str, key: str) -> str:
        return self.estate["instances"][f"{region}/{key}"]


@pytest.fixture(scope="session")
def moto(venv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    workdir = tmp_path_factory.mktemp("moto")
    env = clean_env(workdir / "home", venv_bin)
    log = workdir / "moto_server.log"
    proc = None
    url = ""
    for _attempt in range(3):  # the free port can be taken between the probe and the bind
        url = f"http://127.0.0.1:{free_port()}"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [str(venv_bin / "moto_server"), "-H", "127.0.0.1", "-p", url.rsplit(":", 1)[1]],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=workdir,
            )
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline and not answers(url):
            time.sleep(0.1)
        if proc.poll() is None and answers(url):
            break
        proc.kill()
        proc.wait()
        proc = None
    if proc is None:
        pytest.fail(f"moto_server did not start:\n{log.read_text(errors='replace')}")
    try:
        # Seeded by the CLI in the clean environment, so no inherited AWS setting reaches boto3.
        seeded = subprocess.run(
            [str(venv_bin / "python"), str(SEED), "--endpoint", url],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert seeded.returncode == 0, f"seeding failed:\n{seeded.stdout}\n{seeded.stderr}"
        yield Moto(url=url, estate=json.loads(seeded.stdout), log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Runner:
    """Runs palin-inventory and ansible-inventory in `workdir` with `clean_env` for the emulator."""

    def __init__(self, workdir: Path, venv_bin: Path, moto: Moto):
        self.workdir = workdir
        self.venv_bin = venv_bin
        self.env = clean_env(workdir / "home", venv_bin, moto.url)

    def run(self, argv: list, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        full_env = dict(self.env)
        full_env.update({k: str(v) for k, v in (env or {}).items()})
        proc = subprocess.run(
            [str(a) for a in argv],
            env=full_env,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert proc.returncode == 0, (
                f"$ {' '.join(map(str, argv))}\n--- exit {proc.returncode}\n--- stdout:\n{proc.stdout}\n--- stderr:\n{proc.stderr}"
            )
        return proc

    def plugin_list(self, config: Path) -> tuple[dict, str]:
        """`ansible-inventory -i <config> --list` with the real amazon.aws.aws_ec2 plugin."""
        proc = self.run([self.venv_bin / "ansible-inventory", "-i", config, "--list"])
        return json.loads(proc.stdout), proc.stderr

    def palin_list(self, palin_bin: Path, config: Path) -> dict:
        """`PALIN_CONFIG=<config> palin-inventory --list --plain` (plain strings, as Ansible reads
        them back); stderr must stay empty."""
        proc = self.run([palin_bin, "--list", "--plain"], env={"PALIN_CONFIG": config})
        assert proc.stderr == "", f"palin-inventory --list must keep stderr empty on success:\n{proc.stderr}"
        return json.loads(proc.stdout)

    def palin_via_ansible(self, palin_bin: Path, config: Path) -> tuple[dict, str]:
        """`ansible-inventory -i palin-inventory --list` with PALIN_CONFIG=<config>."""
        proc = self.run([self.venv_bin / "ansible-inventory", "-i", palin_bin, "--list"], env={"PALIN_CONFIG": config})
        return json.loads(proc.stdout), proc.stderr


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory, venv_bin: Path, moto: Moto) -> Runner:
    return Runner(tmp_path_factory.mktemp("aws"), venv_bin, moto)
