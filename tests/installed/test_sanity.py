"""`ansible-test sanity` on the palin.aws collection as users install it: the built tarball
installed with ansible-galaxy into <tmp>/ansible_collections/palin/aws and tested from there with
the ansible-test of each ansible-core release of the `installed` fixture (2.19 and 2.21), every
default sanity test, `--python 3.11`, each test in its own venv (`--venv --requirements`; the
requirements come from PyPI).

The only ignore entries allowed are for the per-architecture module binaries, which cannot meet
Python-only tests (tests/sanity/README.md); this test checks that too.

The venvs ansible-test makes are cached under env PALIN_SANITY_CACHE (default
<repo>/.tmp/ansible-test-home, used as ansible-test's HOME): the first run per release creates them
(about 80 s each), later runs reuse them (about 15 s each). ansible-test bootstraps pip into a new
venv with a script it downloads from ci-files.testing.ansible.com; where that host cannot be
reached, the script's documented cache location gets a stand-in that does the same with ensurepip
and PyPI (GET_PIP below)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Stand-in for ansible-test's pip bootstrap script (get-pip.py): install pip into the empty venv with
# ensurepip, then `pip install` what ansible-test asked for (the pinned pip and its infrastructure
# packages). --no-setuptools/--no-wheel are get-pip.py's own options: nothing else is installed anyway.
GET_PIP = '''\
"""Stand-in for ansible-test's get-pip.py bootstrap script (written by palin's tests/installed/test_sanity.py)."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
'''
# what the run must have covered (the default list, minus tests that have nothing to look at)
MUST_RUN = ("action-plugin-docs", "ansible-doc", "compile", "import", "pep8", "pylint", "runtime-metadata",
            "shebang", "validate-modules", "yamllint", "ignores")


def _cache_home() -> Path:
    home = Path(os.environ.get("PALIN_SANITY_CACHE") or REPO / ".tmp" / "ansible-test-home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _seed_pip_bootstrap(home: Path, venv: Path) -> None:
    """Write the stand-in where ansible-test looks for its cached get-pip script, unless a script is
    already there (a real one, downloaded where ci-files.testing.ansible.com is reachable)."""
    found = sorted(venv.glob("lib/python*/site-packages/ansible_test/_internal/python_requirements.py"))
    assert found, f"ansible-test not found in {venv}"
    versions = set(re.findall(r"pip='([0-9.]+)'", found[0].read_text()))
    assert versions, "ansible-test's pinned pip version not found"
    cache = home / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    for version in versions:
        script = cache / f"get_pip_{version.replace('.', '_')}.py"
        if not script.exists():
            script.write_text(GET_PIP)


def test_ignore_files_only_cover_the_binaries():
    """Ignores are for the module binaries (which cannot meet Python-only tests) and nothing else."""
    files = sorted((REPO / "tests" / "sanity").glob("ignore-*.txt"))
    assert {f.name for f in files} >= {"ignore-2.19.txt", "ignore-2.21.txt"}
    for f in files:
        lines = [line for line in f.read_text().splitlines() if line.strip()]
        assert lines, f
        for line in lines:
            assert re.fullmatch(r"plugins/modules/__(docker_deploy|http_ready)_(x86_64|aarch64) validate-modules!skip", line), (
                f"{f.name}: {line!r} is not an ignore for a module binary (see tests/sanity/README.md)")
        assert "#" not in f.read_text(), "ansible-test does not allow comments in ignore files"
    readme = (REPO / "tests" / "sanity" / "README.md").read_text()
    assert "validate-modules!skip" in readme


def test_ansible_test_sanity_is_clean(installed, tmp_path):
    # a copy of what the fixture installed from the tarball: ansible-test writes tests/output/ there
    content = tmp_path / "ansible_collections" / "palin" / "aws"
    shutil.copytree(installed.collections / "ansible_collections" / "palin" / "aws", content, symlinks=True)
    assert (content / "tests" / "sanity" / f"ignore-{installed.core}.txt").is_file(), "the tarball ships the ignore file"

    home = _cache_home()
    _seed_pip_bootstrap(home, installed.venv)
    env = installed.env(tmp_path, HOME=str(home))
    env.pop("ANSIBLE_CONFIG")  # ansible-test makes its own configuration
    proc = installed.run(
        ["ansible-test", "sanity", "--python", "3.11", "--venv", "--requirements", "--color", "no"],
        tmp_path, env=env, cwd=content, timeout=900,
    )
    out = proc.stdout + proc.stderr
    errors = [line for line in out.splitlines() if line.startswith(("ERROR", "FATAL"))]
    assert proc.returncode == 0, "ansible-test sanity failed:\n" + "\n".join(errors or out.splitlines()[-60:])
    ran = set(re.findall(r'^Running sanity test "([\w-]+)"', out, re.M))
    missing = set(MUST_RUN) - ran
    assert not missing, f"not run: {sorted(missing)}\n{out[-3000:]}"
