"""Fixtures every pytest suite under tests/ shares: the real palin-inventory binary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
