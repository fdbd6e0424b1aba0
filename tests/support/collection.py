"""The palin.aws collection as users install it, for the tests that run playbooks through the
repository's .venv (tests/modules, tests/deploy): a collections path (the directory holding
ansible_collections/palin/aws) from env PALIN_COLLECTIONS_PATH, which scripts/test.sh sets to where
it installed the built tarball, or else built from this checkout (`ansible-galaxy collection build`
+ `install`, after `bash modules/build.sh` has put the module binaries into plugins/modules/)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARCH = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine(), platform.machine())


def installed_collection(root: Path) -> Path:
    """root/ansible_collections/palin/aws, checked to hold the module binaries for this machine."""
    coll = root / "ansible_collections" / "palin" / "aws"
    for module in ("docker_deploy", "http_ready"):
        binary = coll / "plugins" / "modules" / f"__{module}_{ARCH}"
        if not binary.is_file():
            raise FileNotFoundError(
                f"{binary} is missing: build the collection with the modules "
                "(bash modules/build.sh, then ansible-galaxy collection build/install)"
            )
    return coll


def collections_path(work: Path, venv: Path) -> Path:
    """The collections path to test against: PALIN_COLLECTIONS_PATH, or a build of this checkout
    installed under `work` with the ansible-galaxy of `venv`."""
    raw = os.environ.get("PALIN_COLLECTIONS_PATH")
    if raw:
        root = Path(raw).resolve()
        installed_collection(root)
        return root
    for module in ("docker_deploy", "http_ready"):
        if not (REPO / "plugins" / "modules" / f"__{module}_{ARCH}").is_file():
            raise FileNotFoundError(f"plugins/modules/__{module}_{ARCH} is missing: run `bash modules/build.sh` first")
    galaxy = str(venv / "bin" / "ansible-galaxy")
    dist, root = work / "dist", work / "collections"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_HOME"] = str(work / "ansible-home")

    def run(*argv: str) -> None:
        proc = subprocess.run([galaxy, "collection", *argv], cwd=work, env=env, capture_output=True, text=True, timeout=900, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"$ ansible-galaxy collection {' '.join(argv)}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")

    run("build", "--force", "--output-path", str(dist), str(REPO))
    run("install", "--no-deps", "--force", "-p", str(root), *map(str, sorted(dist.glob("palin-aws-*.tar.gz"))))
    installed_collection(root)
    return root
