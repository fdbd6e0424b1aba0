"""Fixtures for the native-module tests: palin.aws.docker_deploy and palin.aws.http_ready run by the
real ansible-core of .venv from the installed palin.aws collection (env PALIN_COLLECTIONS_PATH, the
directory holding ansible_collections/palin/aws, as scripts/test.sh installs the built tarball; else
the checkout is built and installed, see tests/support/collection.py), against the real Docker
Engine (unix socket; nothing is pulled: the test image is built by the module itself from
palin-testapp, a static musl app; env PALIN_TESTAPP, default
target/x86_64-unknown-linux-musl/modules/palin-testapp).

Everything a run creates on the Engine is named palin-a<pid>-... and removed at session end."""

from __future__ import annotations

import http.server
import os
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from collection import collections_path  # noqa: E402
from docker_engine import DockerAPI, engine_or_fail  # noqa: E402
from testapp import free_port, http_get, palin_testapp  # noqa: E402,F401 (the tests import free_port, http_get from here)

REPO = Path(__file__).resolve().parents[2]
MODULES = ("docker_deploy", "http_ready")


def _venv() -> Path:
    return Path(os.environ.get("PALIN_VENV") or REPO / ".venv").resolve()


@pytest.fixture(scope="session")
def collections(tmp_path_factory) -> Path:
    """The collections path (holding ansible_collections/palin/aws) the tests run against."""
    try:
        return collections_path(tmp_path_factory.mktemp("collection"), _venv())
    except (FileNotFoundError, RuntimeError) as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def collection(collections: Path) -> Path:
    """ansible_collections/palin/aws: the installed collection's root."""
    return collections / "ansible_collections" / "palin" / "aws"


@pytest.fixture(scope="session")
def testapp() -> Path:
    return palin_testapp().resolve()


@pytest.fixture(scope="session")
def docker() -> DockerAPI:
    return engine_or_fail()


@pytest.fixture(scope="session")
def prefix(docker: DockerAPI):
    name = f"palin-a{os.getpid()}"
    yield name
    docker.cleanup(name)


@pytest.fixture(scope="session")
def build_context(tmp_path_factory, testapp: Path) -> Path:
    """A build context for the module's `build` option: the testapp and a Dockerfile whose
    VERSION and HEALTH come from build args."""
    ctx = tmp_path_factory.mktemp("ctx")
    (ctx / "testapp").write_bytes(testapp.read_bytes())
    (ctx / "testapp").chmod(0o755)
    (ctx / "Dockerfile").write_text(
        "FROM scratch\n"
        "ARG VERSION=dev\nARG HEALTH=ok\n"
        "ENV VERSION=$VERSION HEALTH=$HEALTH\n"
        "COPY testapp /testapp\n"
        "EXPOSE 8080\n"
        'ENTRYPOINT ["/testapp"]\n'
    )
    return ctx


class Ansible:
    """Runs ansible CLIs from .venv in a hermetic environment rooted in tmp_path: an empty
    ansible.cfg, HOME and ANSIBLE_HOME inside tmp_path, no inherited ANSIBLE_* variables, the
    installed palin.aws first on the collections path, and an inventory whose only host runs
    `connection: local` with a Python interpreter that does not exist (so only native modules can
    run)."""

    def __init__(self, tmp_path: Path, collections: Path):
        self.tmp = tmp_path
        self.bin = _venv() / "bin"
        for tool in ("ansible", "ansible-playbook", "ansible-doc"):
            if not (self.bin / tool).exists():
                pytest.fail(f"{self.bin / tool} not found: run `bash scripts/setup.sh` first")
        (tmp_path / "home").mkdir(exist_ok=True)
        cfg = tmp_path / "ansible.cfg"
        cfg.write_text("[defaults]\n")
        self.collections = collections
        self.inventory = tmp_path / "hosts.ini"
        self.inventory.write_text(
            "[targets]\nlocalhost ansible_connection=local ansible_python_interpreter=/nonexistent/python\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PALIN_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(
            HOME=str(tmp_path / "home"),
            LC_ALL="C.UTF-8",
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            ANSIBLE_CONFIG=str(cfg),
            ANSIBLE_COLLECTIONS_PATH=str(collections),
            ANSIBLE_HOME=str(tmp_path / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
            ANSIBLE_REMOTE_TMP=str(tmp_path / "ansible-remote"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_DEPRECATION_WARNINGS="1",
        )
        self.env = env

    def run(self, tool: str, *args, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bin / tool), *map(str, args)]
        proc = subprocess.run(argv, env=self.env, cwd=self.tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        if check:
            assert proc.returncode == 0, f"$ {' '.join(argv)}\n--- exit {proc.returncode}\n--- stdout:\n{proc.stdout}\n--- stderr:\n{proc.stderr}"
        return proc

    def playbook(self, text: str, *args, check: bool = True) -> subprocess.CompletedProcess:
        path = self.tmp / "play.yml"
        path.write_text(text)
        return self.run("ansible-playbook", "-i", self.inventory, path, *args, check=check)


@pytest.fixture
def ansible(tmp_path: Path, collections: Path) -> Ansible:
    return Ansible(tmp_path, collections)


class _Handler(http.server.BaseHTTPRequestHandler):
    """200 'READY' on /ready; /slow answers 503 for the first `slow_failures` requests."""

    counts: dict[str, int] = {}

    def do_GET(self):  # noqa: N802 (http.server API)
        n = self.counts.get(self.path, 0)
        self.counts[self.path] = n + 1
        if self.path == "/ready" or (self.path == "/slow" and n >= 3):
            body, status = b"READY", 200
        else:
            body, status = b"starting", 503
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def http_server():
    """A loopback HTTP server for palin.aws.http_ready; yields its port."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
