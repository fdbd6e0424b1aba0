"""palin as users install it: a fresh venv per ansible-core release, holding nothing but
ansible-core, the built `palin-inventory` wheel and the built `palin.aws` collection tarball.

The artefacts come from `scripts/dist.sh` (env PALIN_DIST, default `<repo>/dist`): the wheel for
this machine's architecture and `palin-aws-<version>.tar.gz`. No work-tree path reaches the tests
through this fixture: the venv is made outside the repository, the collection is installed with
`ansible-galaxy collection install`, and PATH starts with the venv's bin directory. The collections
the bundled playbooks depend on (community.aws, community.postgresql, ...) are not palin's: they
come from the `ansible` package in the repository's .venv, as a user's come from their own
install, and are appended after palin's collections path.

The ansible-core matrix (env PALIN_CORE_MATRIX, default "2.19 2.21"):
- 2.19: ansible-core 2.19.14 on this machine's python3 (3.11), the pinned release;
- 2.21: ansible-core 2.21.5, the current release, on pyenv's Python 3.13 (2.20+ need >= 3.12).
Every test that takes `installed` runs once per release. `CORES` also knows 2.16 and 2.17 (the
latest 2.16.x and 2.17.x, on 3.11), which only tests/trust asks for (its `trust_core` fixture,
through `_make` and the same `_made` cache).
"""

from __future__ import annotations

import glob
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORES = {
    "2.16": ("ansible-core==2.16.20", ("3.11",)),
    "2.17": ("ansible-core==2.17.14", ("3.11",)),
    "2.19": ("ansible-core==2.19.14", ("3.11",)),
    "2.21": ("ansible-core==2.21.5", ("3.13", "3.12")),
}
# cryptography 51 deprecates DSA, and ansible-core (2.19.14, 2.21.5) imports it in every CLI, so each
# ansible command prints a CryptographyDeprecationWarning on stderr; held back until ansible-core
# stops importing it (requirements-dev.txt holds the same pin).
CRYPTOGRAPHY = "cryptography<51"


def dist_dir() -> Path:
    return Path(os.environ.get("PALIN_DIST") or REPO / "dist").resolve()


def _arch() -> str:
    return {"arm64": "aarch64"}.get(platform.machine(), platform.machine())


def built_wheel() -> Path:
    """The wheel `scripts/dist.sh` built for this machine's architecture."""
    wheels = sorted(dist_dir().glob(f"palin_inventory-*{_arch()}*.whl"))
    if len(wheels) != 1:
        pytest.fail(f"expected one palin_inventory wheel for {_arch()} in {dist_dir()}, found {[w.name for w in wheels]}: run scripts/dist.sh")
    return wheels[0]


def built_collection() -> Path:
    tarballs = sorted(dist_dir().glob("palin-aws-*.tar.gz"))
    if len(tarballs) != 1:
        pytest.fail(f"expected one palin-aws collection tarball in {dist_dir()}, found {[t.name for t in tarballs]}: run scripts/dist.sh")
    return tarballs[0]


def _python_for(versions: tuple[str, ...]) -> str | None:
    """An interpreter of one of `versions` (e.g. "3.13"): this one, one on PATH, or pyenv's."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" in versions and "site-packages" in sysconfig.get_paths()["purelib"]:
        # The interpreter running pytest lives in .venv; its base interpreter makes a clean venv.
        base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        if base.exists():
            return str(base)
    for v in versions:
        # pyenv's own interpreters first: its shims on PATH answer only for the selected version.
        pyenv = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{v}.*/bin/python{v}")))
        if pyenv:
            return pyenv[-1]
        found = shutil.which(f"python{v}")
        if found and "/.pyenv/shims/" not in found:
            return found
    return None


def _dropped(name: str) -> bool:
    return name.startswith(("AWS_", "PALIN_", "ANSIBLE_", "TF_")) or name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")


def _deps_collections() -> Path | None:
    """The `ansible` package's collections in the repository's .venv (community.aws & co.)."""
    venv = Path(os.environ.get("PALIN_VENV") or REPO / ".venv")
    found = sorted(venv.glob("lib/python*/site-packages/ansible_collections"))
    return found[0].parent if found else None


@dataclass
class Installed:
    core: str
    venv: Path
    collections: Path
    deps: Path | None

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, tmp_path: Path, **extra: str) -> dict[str, str]:
        """A hermetic environment: nothing inherited from AWS_*, PALIN_*, ANSIBLE_*, TF_*; PATH
        starts with the venv's bin; HOME and Ansible's directories under `tmp_path`; an empty
        ansible.cfg; palin's collection first on the collections path."""
        home = tmp_path / "home"
        home.mkdir(parents=True, exist_ok=True)
        cfg = home / "ansible.cfg"
        if not cfg.exists():
            cfg.write_text("[defaults]\n")
        env = {k: v for k, v in os.environ.items() if not _dropped(k)}
        paths = [str(self.collections)] + ([str(self.deps)] if self.deps else [])
        env.update(
            HOME=str(home),
            LC_ALL="C.UTF-8",
            PATH=f"{self.bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
            ANSIBLE_CONFIG=str(cfg),
            ANSIBLE_HOME=str(home / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(home / "ansible-local"),
            ANSIBLE_REMOTE_TMP=str(home / "ansible-remote"),
            ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(paths),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
            ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1",
            AWS_CONFIG_FILE=str(home / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        env.update(extra)
        return env

    def run(
        self,
        argv: list[str],
        tmp_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess:
        """Runs `argv` (argv[0] resolved in the venv's bin first) in the hermetic environment."""
        exe = self.bin / argv[0]
        argv = [str(exe) if exe.exists() else argv[0], *argv[1:]]
        return subprocess.run(
            argv,
            env=env if env is not None else self.env(tmp_path),
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _make(core: str, root: Path) -> Installed:
    pin, pythons = CORES[core]
    python = _python_for(pythons)
    if python is None:
        pytest.fail(f"ansible-core {core} needs Python {' or '.join(pythons)}; none found (pyenv's are expected under ~/.pyenv/versions)")
    venv = root / f"venv-{core}"
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    steps = [
        [python, "-m", "venv", str(venv)],
        [*pip, pin, CRYPTOGRAPHY],
        # The wheel alone (it depends on nothing), as `pip install palin-inventory` would.
        [*pip, "--no-deps", str(built_wheel())],
    ]
    collections = root / f"collections-{core}"
    steps.append(
        [str(venv / "bin" / "ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(collections), str(built_collection())]
    )
    env = {k: v for k, v in os.environ.items() if not _dropped(k)}
    env["ANSIBLE_HOME"] = str(root / f"ansible-home-{core}")
    for step in steps:
        proc = subprocess.run(step, cwd=root, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.fail(f"installing ansible-core {core} + palin failed at {step[:4]}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return Installed(core=core, venv=venv, collections=collections, deps=_deps_collections())


def _matrix() -> list[str]:
    return os.environ.get("PALIN_CORE_MATRIX", "2.19 2.21").split()


# One install per ansible-core release and pytest process. pytest sets a parametrized session
# fixture up again whenever the parameter changes, and under pytest-xdist (one test file per
# worker at a time) it changes in every file: without this, each file paid for two fresh venvs.
_made: dict[str, Installed] = {}


@pytest.fixture(scope="session", params=_matrix(), ids=lambda c: f"core{c}")
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """A clean venv with ansible-core `core`, the wheel and the collection (see the module doc)."""
    core = request.param
    if core not in CORES:
        pytest.fail(f"PALIN_CORE_MATRIX names ansible-core {core}; known: {sorted(CORES)}")
    if core not in _made:
        _made[core] = _make(core, tmp_path_factory.mktemp(f"installed-{core}"))
    yield _made[core]
