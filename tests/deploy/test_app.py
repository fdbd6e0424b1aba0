"""The reference app (`app/`, binary `palindrome`) against a real PostgreSQL and Redis (the session
fixtures of conftest.py): its HTTP contract, the deploy endpoints that palin_docker_deploy's gate
calls, signal handling, and that a wrong password never makes it healthy nor shows in its output.

The static musl binary (`app_binary`, built by app/build-context.sh) runs directly on a free
loopback port; the last test builds the FROM scratch image on the local Docker Engine (nothing is
pulled) and runs it once."""

from __future__ import annotations

import http.client
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import REPO, free_port, postgres_cluster, wait_for

sys.path.insert(0, str(REPO / "tests" / "support"))
from docker_engine import DOCKER_SOCK, DockerAPI  # noqa: E402

MIGRATIONS = REPO / "app" / "migrations"
RECENT_KEY = "palindromes:recent"
CHECK_PREFIX = "palindromes:check:"


# --------------------------------------------------------------------------- helpers


def apply_migrations(postgres, dbname: str) -> None:
    for f in sorted(MIGRATIONS.glob("*.sql")):
        postgres.psql(f.read_text(), dbname=dbname)


def make_database(postgres, *, migrate: bool = True) -> dict:
    """A database owned by the superuser and an app user with only DML and sequence USAGE, the
    rights postgres_bootstrap gives the app. Returns the app's PG* environment."""
    suffix = secrets.token_hex(4)
    dbname, user, password = f"palapp_{suffix}", f"palapp_{suffix}", secrets.token_urlsafe(18)
    postgres.psql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
    postgres.psql(f"CREATE DATABASE {dbname}")
    if migrate:
        apply_migrations(postgres, dbname)
    grant_app(postgres, dbname, user)
    return {
        "PGHOST": postgres.host,
        "PGPORT": str(postgres.port),
        "PGDATABASE": dbname,
        "PGUSER": user,
        "PGPASSWORD": password,
        "PGSSLMODE": "disable",
    }


def grant_app(postgres, dbname: str, user: str) -> None:
    postgres.psql(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {user};"
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {user};",
        dbname=dbname,
    )


class App:
    """One `palindrome` process on a free loopback port, its output in a file."""

    def __init__(self, binary: Path, env: dict, tmp: Path):
        self.port = free_port()
        self.log_path = tmp / f"palindrome-{self.port}.log"
        full = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "REDIS_"))}
        full.update({"BIND": "127.0.0.1", "PORT": str(self.port), "APP_VERSION": "test-1"})
        full.update(env)
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([str(binary)], env=full, stdout=self.log, stderr=subprocess.STDOUT)

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {})
            res = conn.getresponse()
            raw = res.read()
            try:
                data = json.loads(raw)
            except ValueError:
                data = raw.decode(errors="replace")
            return res.status, {k.lower(): v for k, v in res.getheaders()}, data
        finally:
            conn.close()

    def get(self, path: str):
        return self.request("GET", path)

    def wait_healthy(self, timeout: float = 30):
        return wait_for(f"app on port {self.port} healthy", lambda: self.get("/health")[0] == 200, timeout)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def redis_env(redis_server):
    env = {"REDIS_HOST": redis_server.host, "REDIS_PORT": str(redis_server.port),
           "REDIS_PASSWORD": redis_server.password}
    yield env
    # The session's Redis is shared with the other deploy tests: leave none of this app's keys.
    keys = redis_server.cli("--scan", "--pattern", "palindromes:*").split()
    if keys:
        redis_server.cli("DEL", *keys)


@pytest.fixture
def start(app_binary, tmp_path):
    started: list[App] = []

    def _start(env: dict) -> App:
        app = App(app_binary, env, tmp_path)
        started.append(app)
        return app

    yield _start
    for app in started:
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.wait()
        app.log.close()


@pytest.fixture(scope="module")
def db_env(postgres):
    return make_database(postgres)


@pytest.fixture(scope="module")
def app(app_binary, db_env, redis_env, tmp_path_factory):
    """One healthy app shared by the API tests (they never drain it)."""
    a = App(app_binary, {**db_env, **redis_env, "DRAIN_SECONDS": "1"}, tmp_path_factory.mktemp("app"))
    try:
        a.wait_healthy()
        yield a
    finally:
        assert a.stop() == 0, a.output()


# --------------------------------------------------------------------------- start-up and health


def test_health_is_starting_until_postgres_is_usable_then_ok(postgres, redis_env, start):
    env = make_database(postgres, migrate=False)  # no table yet: the probe cannot read it
    a = start({**env, **redis_env})
    status, headers, body = wait_for("an answer", lambda: a.get("/health"), 15)
    assert status == 503 and body["status"] == "starting", body
    assert headers["x-app-version"] == "test-1"
    wait_for("redis reached", lambda: a.get("/health")[2].get("redis") is True, 15)
    assert a.get("/health")[2] == {"status": "starting", "postgres": False, "redis": True}
    apply_migrations(postgres, env["PGDATABASE"])
    grant_app(postgres, env["PGDATABASE"], env["PGUSER"])
    a.wait_healthy(20)
    assert a.get("/health")[2] == {"status": "ok", "version": "test-1"}
    assert a.get("/version")[2] == {"version": "test-1"}
    assert a.stop() == 0


def test_wrong_password_never_becomes_healthy_and_is_never_printed(db_env, redis_env, start):
    pg_secret = "wrong-" + secrets.token_urlsafe(12)
    redis_secret = "wrong-" + secrets.token_urlsafe(12)
    a = start({**db_env, **redis_env, "PGPASSWORD": pg_secret, "REDIS_PASSWORD": redis_secret})
    wait_for("an answer", lambda: a.get("/health"), 15)
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        status, _, body = a.get("/health")
        assert (status, body["status"]) == (503, "starting"), body
        time.sleep(0.3)
    assert a.stop() == 0
    out = a.output()
    assert "password authentication failed" in out, out
    assert "WRONGPASS" in out or "invalid password" in out, out
    assert pg_secret not in out and redis_secret not in out


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "http"}, "PORT: "),
        ({"PGSSLMODE": "prefer"}, "PGSSLMODE: "),
        ({"PGHOST": ""}, "PGHOST is required"),
        ({"DRAIN_SECONDS": "-3"}, "DRAIN_SECONDS: "),
        ({"PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/nonexistent/rds.pem"}, "PGSSLROOTCERT /nonexistent/rds.pem"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(db_env, redis_env, start, env, message):
    a = start({**db_env, **redis_env, **env})
    assert a.proc.wait(timeout=10) == 2
    out = a.output().strip()
    assert len(out.splitlines()) == 1 and message in out, out
    assert db_env["PGPASSWORD"] not in out


# --------------------------------------------------------------------------- the API


def test_stores_a_palindrome_and_a_non_palindrome(app, postgres, db_env):
    status, headers, body = app.request("POST", "/api/palindromes", {"text": "A man, a plan, a canal: Panamá!"})
    assert status == 201, body
    assert headers["x-app-version"] == "test-1"
    assert headers["content-type"] == "application/json"
    assert body["text"] == "A man, a plan, a canal: Panamá!"
    assert body["normalized"] == "amanaplanacanalpanama"
    assert body["is_palindrome"] is True
    assert isinstance(body["id"], int)
    assert body["created_at"].endswith("Z") and "T" in body["created_at"]

    status, _, other = app.request("POST", "/api/palindromes", {"text": "Hello, world"})
    assert status == 201 and other["is_palindrome"] is False and other["id"] > body["id"]

    rows = postgres.psql(
        f"SELECT text, normalized, is_palindrome FROM phrases WHERE id IN ({body['id']}, {other['id']}) ORDER BY id",
        dbname=db_env["PGDATABASE"],
    ).stdout.splitlines()
    assert rows == ["A man, a plan, a canal: Panamá!|amanaplanacanalpanama|t", "Hello, world|helloworld|f"]


def test_recent_list_from_cache_and_from_the_database_after_flushall(app, redis_server):
    redis_server.cli("FLUSHALL")
    for text in ("Step on no pets", "Never odd or even", "not one of them"):
        assert app.request("POST", "/api/palindromes", {"text": text})[0] == 201

    status, _, first = app.get("/api/palindromes")
    assert status == 200 and first["source"] == "database", first
    texts = [p["text"] for p in first["palindromes"]]
    assert texts[:2] == ["Never odd or even", "Step on no pets"] and "not one of them" not in texts
    assert all(set(p) == {"text", "created_at"} for p in first["palindromes"])

    status, _, second = app.get("/api/palindromes")
    assert status == 200 and second == {**first, "source": "cache"}
    assert int(redis_server.cli("TTL", RECENT_KEY)) > 0

    # a new palindrome goes onto the cached list at once
    assert app.request("POST", "/api/palindromes", {"text": "Rats live on no evil star"})[0] == 201
    _, _, third = app.get("/api/palindromes?limit=2")
    assert third["source"] == "cache"
    assert [p["text"] for p in third["palindromes"]] == ["Rats live on no evil star", "Never odd or even"]

    redis_server.cli("FLUSHALL")
    _, _, fourth = app.get("/api/palindromes?limit=2")
    assert fourth == {**third, "source": "database"}
    assert app.get("/api/palindromes?limit=2")[2]["source"] == "cache"

    assert len(app.get("/api/palindromes?limit=1000")[2]["palindromes"]) <= 100
    for bad in ("0", "-1", "x", "1.5"):
        status, _, body = app.get(f"/api/palindromes?limit={bad}")
        assert status == 400 and "limit" in body["error"], (bad, body)


def test_check_reads_through_the_cache_and_stores_nothing(app, postgres, db_env, redis_server):
    count = lambda: postgres.psql("SELECT count(*) FROM phrases", dbname=db_env["PGDATABASE"]).stdout.strip()  # noqa: E731
    before = count()
    text = f"Was it a car or a cat I saw? {secrets.token_hex(3)}"
    path = "/api/check?" + urllib.parse.urlencode({"text": text})
    status, headers, body = app.get(path)
    assert status == 200 and headers["x-app-version"] == "test-1"
    assert body == {"text": text, "normalized": body["normalized"], "is_palindrome": False, "cached": False}
    assert body["normalized"].startswith("wasitacaroracatisaw")

    key = CHECK_PREFIX + text
    assert 0 < int(redis_server.cli("TTL", key)) <= 300
    assert json.loads(redis_server.cli("GET", key)) == {"normalized": body["normalized"], "is_palindrome": False}
    assert app.get(path)[2] == {**body, "cached": True}

    # the answer really comes from Redis: a changed cache entry is what the app returns
    redis_server.cli("SET", key, json.dumps({"normalized": "x", "is_palindrome": True}), "EX", "60")
    assert app.get(path)[2] == {"text": text, "normalized": "x", "is_palindrome": True, "cached": True}

    status, _, body = app.get("/api/check?text=%C3%89sope+reste+ici+et+se+repose")
    assert status == 200 and body["is_palindrome"] is True and body["text"] == "Ésope reste ici et se repose"
    assert count() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/palindromes", "not json", 400),
        ("POST", "/api/palindromes", "{}", 400),
        ("POST", "/api/palindromes", '{"text": 12}', 400),
        ("POST", "/api/palindromes", "", 400),
        ("POST", "/api/palindromes", '{"text": "?! ,."}', 422),
        ("POST", "/api/palindromes", json.dumps({"text": "a" * 1001}), 422),
        ("POST", "/api/palindromes", json.dumps({"text": "a" * 70_000}), 413),
        ("GET", "/api/check", None, 400),
        ("GET", "/api/check?text=%ZZ", None, 400),
        ("GET", "/api/check?text=%21%21", None, 422),
        ("GET", "/nope", None, 404),
        ("GET", "/", None, 404),
        ("GET", "/Health", None, 404),
        ("POST", "/deploy/Drain", None, 404),
        ("POST", "/deploy/%64rain", None, 404),
        ("POST", "/deploy/drain/", None, 404),
        ("POST", "/deploy/drain/x", None, 404),
        ("GET", "/deploy/ready/", None, 404),
        ("GET", "/deploy/drain", None, 405),
        ("PUT", "/deploy/drain", None, 405),
        ("POST", "/deploy/ready", None, 405),
        ("DELETE", "/api/palindromes", None, 405),
        ("POST", "/health", None, 405),
    ],
)
def test_errors_are_json_with_the_right_status(app, method, path, body, status):
    got, headers, data = app.request(method, path, body)
    assert got == status, (method, path, data)
    assert isinstance(data, dict) and isinstance(data.get("error"), str), data
    assert headers["x-app-version"] == "test-1"
    if status == 405:
        assert headers["allow"] in ("GET", "POST", "GET, POST")
    # nothing above drained the shared app
    assert app.get("/health")[0] == 200


# --------------------------------------------------------------------------- deploy endpoints and signals


def test_drain_fails_health_then_ready_after_drain_seconds_with_nothing_in_flight(db_env, redis_env, start):
    a = start({**db_env, **redis_env, "DRAIN_SECONDS": "1.5"})
    a.wait_healthy()
    assert a.get("/deploy/ready")[:3:2] == (503, {"status": "NotDraining"})

    # a request in flight: headers sent, body not finished
    slow = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    payload = json.dumps({"text": "Top spot"}).encode()
    slow.sendall(b"POST /api/palindromes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(payload) + payload[:3])
    time.sleep(0.3)

    t0 = time.monotonic()
    status, headers, body = a.request("POST", "/deploy/drain")
    assert (status, body) == (202, {"status": "draining"})
    assert headers["connection"] == "close"
    assert a.get("/health")[:3:2] == (503, {"status": "draining"})
    status, _, body = a.get("/deploy/ready")
    assert status == 503 and body["status"] == "Draining" and "Ready" not in json.dumps(body), body

    time.sleep(max(0.0, 1.7 - (time.monotonic() - t0)))
    status, _, body = a.get("/deploy/ready")
    assert (status, body["status"], body["in_flight"]) == (503, "Draining", 1), body

    slow.sendall(payload[3:])
    assert slow.recv(4096).startswith(b"HTTP/1.1 201")
    slow.close()
    status, _, body = wait_for("Ready", lambda: (r := a.get("/deploy/ready"))[0] == 200 and r, 5)
    assert "Ready" in json.dumps(body)
    # idempotent: a second drain changes nothing
    assert a.request("POST", "/deploy/drain")[0] == 202
    assert a.get("/deploy/ready")[0] == 200
    assert a.get("/health")[0] == 503
    # the app still serves while draining (the load balancer decides where requests go)
    assert a.get("/version")[0] == 200
    assert a.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_promptly_with_exit_0_despite_idle_keepalive_connections(db_env, redis_env, start, sig):
    a = start({**db_env, **redis_env})
    a.wait_healthy()
    idle = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    idle.request("GET", "/version")
    assert idle.getresponse().read()  # the connection stays open, idle
    t0 = time.monotonic()
    assert a.stop(sig) == 0, a.output()
    assert time.monotonic() - t0 < 2, a.output()
    idle.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", a.port), timeout=1).close()


def test_sigterm_lets_a_request_in_flight_finish(db_env, redis_env, start):
    a = start({**db_env, **redis_env})
    a.wait_healthy()
    payload = json.dumps({"text": "Was it a rat I saw"}).encode()
    s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    s.sendall(b"POST /api/palindromes HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload[:4])
    time.sleep(0.3)
    a.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert a.proc.poll() is None, "exited with a request in flight"
    s.sendall(payload[4:])
    assert s.recv(4096).startswith(b"HTTP/1.1 201")
    s.close()
    assert a.proc.wait(timeout=5) == 0


# --------------------------------------------------------------------------- Postgres over TLS


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def tls_postgres():
    """A second PostgreSQL that accepts TLS connections only (like RDS with rds.force_ssl), its
    certificate for `localhost` issued by a private CA (like the RDS CA, not publicly trusted).
    Yields (PG* environment of an app user, path of the CA's PEM)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    base = Path(tempfile.mkdtemp(prefix="palin-tlspki-"))  # pytest's tmp dirs are root-only
    pki = base / "pki"
    pki.mkdir()
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=palin test CA",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=pki)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
             "-out", "server.csr", cwd=pki)
    (pki / "ext").write_text("subjectAltName=DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "ext", "-out", "server.pem", cwd=pki)
    if os.geteuid() == 0:
        for p in (base, pki, *pki.iterdir()):
            shutil.chown(p, "postgres")
    (pki / "server.key").chmod(0o600)
    settings = {"ssl": "on", "ssl_cert_file": str(pki / "server.pem"),
                "ssl_key_file": str(pki / "server.key")}
    try:
        with postgres_cluster(settings=settings,
                              hba="hostssl all all 127.0.0.1/32 scram-sha-256\n") as pg:

            def psql(sql: str, dbname: str = "postgres"):
                return pg.psql(sql, dbname=dbname)  # psql negotiates TLS; plain is refused

            user, app_password = "palapp_tls", secrets.token_urlsafe(18)
            psql(f"CREATE ROLE {user} LOGIN PASSWORD '{app_password}'")
            psql("CREATE DATABASE palapp_tls")
            for f in sorted(MIGRATIONS.glob("*.sql")):
                psql(f.read_text(), dbname="palapp_tls")
            psql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {user};"
                 f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {user};", dbname="palapp_tls")
            yield ({"PGHOST": "localhost", "PGPORT": str(pg.port), "PGDATABASE": "palapp_tls",
                    "PGUSER": user, "PGPASSWORD": app_password}, pki / "ca.pem")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize(
    ("mode", "with_ca", "healthy"),
    [
        ("require", False, True),  # encrypted, certificate not checked (libpq's meaning)
        ("verify-full", True, True),  # the private CA from PGSSLROOTCERT plus the host name
        ("verify-full", False, False),  # public roots only: the private CA is refused
        ("disable", False, False),  # the server accepts TLS only
    ],
)
def test_postgres_tls_modes(tls_postgres, redis_env, start, mode, with_ca, healthy):
    env, ca = tls_postgres
    extra = {"PGSSLMODE": mode, **({"PGSSLROOTCERT": str(ca)} if with_ca else {})}
    a = start({**env, **redis_env, **extra})
    if healthy:
        a.wait_healthy(20)
        status, _, body = a.request("POST", "/api/palindromes", {"text": f"Level {mode}"})
        assert status == 201 and body["is_palindrome"] is False, body
    else:
        wait_for("redis reached", lambda: a.get("/health")[2].get("redis") is True, 15)
        time.sleep(1.5)
        assert a.get("/health")[2] == {"status": "starting", "postgres": False, "redis": True}
    assert a.stop() == 0
    out = a.output()
    assert env["PGPASSWORD"] not in out
    if mode == "verify-full" and not healthy:
        assert "certificate" in out.lower() or "UnknownIssuer" in out, out


# --------------------------------------------------------------------------- the image


def test_image_builds_from_the_context_and_runs_as_pid_1(app_context, db_env, redis_env):
    if not os.access(DOCKER_SOCK, os.W_OK):
        pytest.skip("no access to the Docker Engine socket")
    docker = DockerAPI()
    tag = f"palindrome-app-test:{secrets.token_hex(4)}"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(app_context, arcname=".")
    query = urllib.parse.urlencode({"t": tag, "buildargs": json.dumps({"VERSION": "img-7"}), "rm": "1"})
    status, raw = docker.request("POST", f"/build?{query}", buf.getvalue(), {"Content-Type": "application/x-tar"}, 600)
    lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
    assert status == 200 and not any("error" in line for line in lines), lines
    cid = None
    try:
        image = docker.json("GET", f"/images/{tag}/json")
        cfg = image["Config"]
        assert cfg["User"] == "65532:65532"
        assert "APP_VERSION=img-7" in cfg["Env"]
        assert cfg["Entrypoint"] == ["/palindrome"]
        assert "5000/tcp" in cfg["ExposedPorts"]

        port = free_port()
        env = {**db_env, **redis_env, "PORT": str(port), "BIND": "127.0.0.1"}
        created = docker.json("POST", "/containers/create", {
            "Image": tag,
            "Env": [f"{k}={v}" for k, v in env.items()],
            "HostConfig": {"NetworkMode": "host"},  # reaches the loopback Postgres and Redis
        })
        cid = created["Id"]
        docker.json("POST", f"/containers/{cid}/start")

        def health():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
            conn.request("GET", "/health")
            res = conn.getresponse()
            body = json.loads(res.read())
            conn.close()
            return res.status == 200 and (body, res.getheader("X-App-Version"))

        body, version = wait_for("container healthy", health, 30)
        assert body == {"status": "ok", "version": "img-7"} and version == "img-7"

        t0 = time.monotonic()
        docker.json("POST", f"/containers/{cid}/stop?t=20")
        took = time.monotonic() - t0
        state = docker.json("GET", f"/containers/{cid}/json")["State"]
        assert state["ExitCode"] == 0 and took < 5, (state, took)
        _, logs = docker.request("GET", f"/containers/{cid}/logs?stdout=1&stderr=1")
        assert b"SIGTERM" in logs
        assert db_env["PGPASSWORD"].encode() not in logs and redis_env["REDIS_PASSWORD"].encode() not in logs
    finally:
        if cid:
            docker.request("DELETE", f"/containers/{cid}?force=1")
        docker.request("DELETE", f"/images/{tag}?force=1")
