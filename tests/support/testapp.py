"""palin-testapp as the tests of installed artefacts deploy it (imported with tests/support on
sys.path): the image build context (the static musl app, built by `bash modules/build.sh`; env
PALIN_TESTAPP, default <CARGO_TARGET_DIR or target>/x86_64-unknown-linux-musl/modules/palin-testapp,
and a `FROM scratch` Dockerfile whose VERSION comes from a build argument), and reaching the
deployed app over HTTP on loopback.

The app answers `GET /` with `palin-testapp <VERSION>`, its health check on `/healthz` and
`/health` (the palin.aws.palindrome_app role's path), and the drain gate on `/deploy`,
`/deploy/drain` and `/deploy/ready` (modules/docker-deploy/testapp/src/main.rs)."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DOCKERFILE = (
    "FROM scratch\nARG VERSION=dev\nENV VERSION=$VERSION HEALTH=ok\n"
    'COPY testapp /testapp\nEXPOSE 8080\nENTRYPOINT ["/testapp"]\n'
)


def palin_testapp() -> Path:
    """The built palin-testapp, or a test failure saying how to build it."""
    raw = os.environ.get("PALIN_TESTAPP")
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    app = Path(raw) if raw else target / "x86_64-unknown-linux-musl" / "modules" / "palin-testapp"
    if not app.is_file():
        pytest.fail(f"{app} is missing: run `bash modules/build.sh` (it builds palin-testapp too)")
    return app


def image_context(ctx: Path) -> Path:
    """Writes an image build context into the directory `ctx` (made if missing): the app and its
    Dockerfile. Returns `ctx`."""
    ctx.mkdir(parents=True, exist_ok=True)
    shutil.copy(palin_testapp(), ctx / "testapp")
    (ctx / "testapp").chmod(0o755)
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    return ctx


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str = "/") -> tuple[int, str]:
    """GET http://127.0.0.1:<port><path>: the status and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()
