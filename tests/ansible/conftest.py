"""Fixtures for the Ansible end-to-end tests: the real palin-inventory binary (env PALIN_BIN,
default target/debug/palin-inventory) driven by the real ansible-core of the repo's .venv
(env PALIN_VENV, default .venv), each run in a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "inventory-plugin" / "tests" / "fixtures"
STACK = FIXTURES / "stack.tfstate"
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
# Every secret value in the fixtures contains this marker.
SECRET_MARK = "FIXTURE-SECRET"


def _venv() -> Path:
    return Path(os.environ.get("PALIN_VENV") or REPO / ".venv").resolve()



@pytest.fixture(scope="session")
def venv_bin() -> Path:
    bindir = _venv() / "bin"
    for tool in ("ansible", "ansible-inventory", "ansible-playbook", "python"):
        if not (bindir / tool).exists():
            pytest.fail(f"{bindir / tool} not found: run `bash scripts/setup.sh` first")
    return bindir


@pytest.fixture(scope="session")
def venv_python(venv_bin: Path) -> Path:
    # Not resolved: the venv's python must run as the venv's, not as the base interpreter.
    return venv_bin / "python"


@pytest.fixture(scope="session")
def stack_state() -> Path:
    if not STACK.is_file():
        pytest.fail(f"fixture {STACK} is missing")
    return STACK


class Runner:
    """Runs palin-inventory or an Ansible CLI with a clean, hermetic environment.

    Inherited AWS_*, PALIN_*, ANSIBLE_* and TF_WORKSPACE/TF_DATA_DIR variables are dropped; HOME, ANSIBLE_HOME and
    ANSIBLE_LOCAL_TEMP point into the test's tmp_path; the working directory is tmp_path (so no
    stray ansible.cfg, palin.yml or terraform.tfstate is picked up); PALIN_TFSTATE points at the
    stack fixture unless the test overrides it. Every run is checked for leaked secrets unless
    `secrets_ok=True`.
    """

    def __init__(self, tmp_path: Path, venv_bin: Path, palin_bin: Path, stack: Path):
        self.tmp = tmp_path
        self.venv_bin = venv_bin
        self.palin_bin = palin_bin
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        # An explicit, empty config: no ansible.cfg from the cwd, HOME or /etc is read.
        cfg = tmp_path / "ansible.cfg"
        cfg.write_text("[defaults]\n")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "PALIN_", "ANSIBLE_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV", "TF_WORKSPACE", "TF_DATA_DIR")
        }
        env.update(
            HOME=str(home),
            LC_ALL="C.UTF-8",
            PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            ANSIBLE_CONFIG=str(cfg),
            ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
            ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1",
            ANSIBLE_HOST_KEY_CHECKING="0",
            ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
            ANSIBLE_HOME=str(tmp_path / "ansible-home"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_DEPRECATION_WARNINGS="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            PALIN_TFSTATE=str(stack),
        )
        self.env = env
        self.outputs: list[str] = []

    def _run(self, argv: list[str], env: dict | None, check: bool, secrets_ok: bool) -> subprocess.CompletedProcess:
        full_env = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = str(v)
        proc = subprocess.run(
            [str(a) for a in argv],
            env=full_env,
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.outputs += [proc.stdout, proc.stderr]
        shown = f"$ {' '.join(map(str, argv))}\n--- exit {proc.returncode}\n--- stdout:\n{proc.stdout}\n--- stderr:\n{proc.stderr}"
        if check:
            assert proc.returncode == 0, shown
        if not secrets_ok:
            assert SECRET_MARK not in proc.stdout + proc.stderr, f"a secret leaked:\n{shown}"
        return proc

    def palin(self, *args, env: dict | None = None, check: bool = True, secrets_ok: bool = False):
        return self._run([self.palin_bin, *args], env, check, secrets_ok)

    def ansible(self, tool: str, *args, env: dict | None = None, check: bool = True, secrets_ok: bool = False):
        assert tool in ("ansible", "ansible-inventory", "ansible-playbook"), tool
        return self._run([self.venv_bin / tool, *args], env, check, secrets_ok)

    def palin_list(self, env: dict | None = None, secrets_ok: bool = False) -> dict:
        """The binary's --list document with plain strings (what Ansible reads back, compared)."""
        proc = self.palin("--list", "--plain", env=env, secrets_ok=secrets_ok)
        assert proc.stderr == "", f"palin-inventory --list must keep stderr empty on success:\n{proc.stderr}"
        return json.loads(proc.stdout)


def assert_clean_stderr(proc: subprocess.CompletedProcess) -> None:
    """Ansible's stderr carries no warning, error or deprecation."""
    for marker in ("[WARNING]", "[ERROR]", "[DEPRECATION WARNING]", "ERROR!"):
        assert marker not in proc.stderr, f"{marker} on stderr:\n{proc.stderr}"


@pytest.fixture
def runner(tmp_path: Path, venv_bin: Path, palin_bin: Path, stack_state: Path) -> Runner:
    return Runner(tmp_path, venv_bin, palin_bin, stack_state)


sys.path.insert(0, str(Path(__file__).resolve().parent))
