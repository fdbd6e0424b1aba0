"""Shared by the test packages (imported with tests/support on sys.path): a small client for the
Docker Engine API over its unix socket, enough to inspect and clean up what the tests' playbooks and
modules created, without the docker CLI."""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

DOCKER_SOCK = "/var/run/docker.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 60):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class DockerAPI:
    """Just enough of the Engine API (over the unix socket) to check and clean up what the modules did."""

    def __init__(self, path: str = DOCKER_SOCK):
        self.path = path

    def request(self, method: str, url: str, body=None, headers=None,
                timeout: float = 60) -> tuple[int, bytes]:
        """One API call; a dict `body` is sent as JSON. The status and the raw response body."""
        if isinstance(body, dict):
            body, headers = json.dumps(body), {"Content-Type": "application/json", **(headers or {})}
        conn = _UnixConnection(self.path, timeout)
        try:
            conn.request(method, url, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def call(self, method: str, url: str) -> tuple[int, object]:
        """One API call without a body; the response decoded from JSON (else as text)."""
        status, body = self.request(method, url)
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body.decode(errors="replace")

    def json(self, method: str, url: str, body=None, ok=(200, 201, 204, 304)):
        """One API call that must answer a status in `ok`; the response decoded from JSON."""
        status, raw = self.request(method, url, body)
        assert status in ok, (method, url, status, raw[:500])
        return json.loads(raw) if raw else None

    def container(self, name: str) -> dict | None:
        status, body = self.call("GET", f"/containers/{name}/json")
        return body if status == 200 else None

    def cleanup(self, prefix: str) -> None:
        """Removes the containers and images named `<prefix>-...`. Only those: the pytest workers
        run side by side, and `palin-a12` must not take `palin-a123-web` with it."""
        mine = f"{prefix}-"
        filters = urllib.parse.quote(json.dumps({"name": [mine]}))
        _, containers = self.call("GET", f"/containers/json?all=1&filters={filters}")
        for c in containers or []:
            if any(n.lstrip("/").startswith(mine) for n in c.get("Names") or []):
                self.call("DELETE", f"/containers/{c['Id']}?force=1&v=1")
        _, images = self.call("GET", "/images/json")
        for img in images or []:
            for tag in img.get("RepoTags") or []:
                if tag.startswith(mine):
                    self.call("DELETE", f"/images/{urllib.parse.quote(tag, safe='')}?force=1")


def engine_or_fail(path: str = DOCKER_SOCK) -> DockerAPI:
    """A client for the Engine at `path`, or a test failure saying it is not reachable."""
    api = DockerAPI(path)
    try:
        status, _ = api.call("GET", "/_ping")
    except OSError as e:
        pytest.fail(f"the Docker Engine is not reachable at {path}: {e}")
    if status != 200:
        pytest.fail(f"the Docker Engine at {path} answered /_ping with {status}")
    return api


@contextmanager
def engine_and_prefix(stem: str) -> Iterator[tuple[DockerAPI, str]]:
    """The Engine (see engine_or_fail) and a name prefix for this run's containers and images,
    `<stem><pid>`; on exit every container and image named after the prefix is removed."""
    api = engine_or_fail()
    prefix = f"{stem}{os.getpid()}"
    try:
        yield api, prefix
    finally:
        api.cleanup(prefix)
