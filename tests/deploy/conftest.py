"""Services for the deploy tests (issue 6), started on loopback from Debian's packages and stopped at
session end: a PostgreSQL cluster (initdb in a temporary directory, password authentication), a
Redis server with a password (like an ElastiCache AUTH token), and the reference app's image build
context (`app/build-context.sh`, a static musl binary plus its Dockerfile).

Nothing here is mocked: the roles, playbooks and app under test talk to the real servers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from services import (  # noqa: E402,F401 - re-exported to the tests of this directory
    Postgres,
    Redis,
    free_port,
    postgres_cluster,
    redis_server as _redis_server,
    stop_process,
    wait_for,
)

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("PALIN_VENV", REPO / ".venv"))


@pytest.fixture(scope="session")
def postgres():
    with postgres_cluster() as pg:
        yield pg


@pytest.fixture(scope="session")
def redis_server():
    with _redis_server() as r:
        yield r


@pytest.fixture(scope="session")
def app_binary(app_context) -> Path:
    return app_context / "palindrome"
