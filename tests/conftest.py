"""Fixtures every pytest suite under tests/ shares: the real palin-inventory binary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("PALIN_VENV", REPO / ".venv"))


@pytest.fixture(scope="session")
def palin_bin() -> Path:
    """The binary under test: env PALIN_BIN, default target/debug/palin-inventory (scripts/test.sh
    builds it with `cargo test --workspace`)."""
    raw = os.environ.get("PALIN_BIN")
    path = Path(raw).resolve() if raw else REPO / "target" / "debug" / "palin-inventory"
    if not path.is_file():
        pytest.fail(f"{path} does not exist: build it with `cargo build -p palin-inventory` (or set PALIN_BIN)")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not executable (Ansible's script plugin needs +x)")
    return path


@pytest.fixture(scope="session")
def palin_collections(tmp_path_factory) -> Path:
    """A collections path holding the installed palin.aws, whose roles, modules and playbooks the
    deploy tests run (PALIN_COLLECTIONS_PATH, or this checkout built and installed): what users
    install, not the work tree (tests/support/collection.py)."""
    sys.path.insert(0, str(REPO / "tests" / "support"))
    from collection import collections_path

    try:
        return collections_path(tmp_path_factory.mktemp("collection"), VENV)
    except (FileNotFoundError, RuntimeError) as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def app_context(tmp_path_factory) -> Path:
    """The app's image build context: Dockerfile + static `palindrome` binary (+ migrations)."""
    ctx = tmp_path_factory.mktemp("app-context")
    subprocess.run(["bash", str(REPO / "app" / "build-context.sh"), str(ctx)], check=True, timeout=1800)
    assert (ctx / "Dockerfile").is_file() and (ctx / "palindrome").is_file()
    return ctx
