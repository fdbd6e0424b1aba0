"""Servers from Debian's packages that the end-to-end tests start on their own (tests/deploy,
tests/fleet; imported with tests/support on sys.path): a throwaway PostgreSQL cluster and Redis
server, and the polling and stopping helpers they use. Nothing here is mocked."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from moto_server import free_port

__all__ = ["Postgres", "Redis", "free_port", "postgres_cluster", "redis_server", "stop_process",
           "wait_for"]


def wait_for(what: str, check, timeout: float = 30.0, interval: float = 0.1):
    """Poll `check()` until it returns a truthy value; fail the test naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - reported at the deadline
            last = exc
        time.sleep(interval)
    raise AssertionError(f"{what}: not ready after {timeout:.0f}s (last error: {last!r})")


def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user Debian creates."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"]
    return []


@dataclass
class Postgres:
    host: str
    port: int
    superuser: str
    password: str
    datadir: Path
    bindir: Path
    env_extra: dict = field(default_factory=dict)

    def dsn(self, user: str, password: str, dbname: str = "postgres") -> str:
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{dbname}"

    def psql(
        self,
        sql: str,
        *,
        user: str | None = None,
        password: str | None = None,
        dbname: str = "postgres",
        check: bool = True,
    ) -> subprocess.CompletedProcess:
        """Run `sql` with psql (tuples only, unaligned, stop at the first error)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["PGPASSWORD"] = password if password is not None else self.password
        env["PGCONNECT_TIMEOUT"] = "5"
        return subprocess.run(
            [
                "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", self.host, "-p", str(self.port),
                "-U", user or self.superuser, "-d", dbname, "-c", sql,
            ],
            env=env, capture_output=True, text=True, timeout=60, check=check,
        )


def _pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL server not installed (initdb missing): run bash scripts/setup.sh")
    return Path(found[-1]).parent


@contextmanager
def postgres_cluster(*, settings: dict[str, str] | None = None, hba: str | None = None):
    """A throwaway PostgreSQL cluster on a free loopback port (initdb in a temporary directory,
    a generated superuser password, scram-sha-256), started and, on exit, stopped and deleted.
    `settings` are extra server settings (`-c name=value`); `hba` replaces pg_hba.conf. Files the
    settings name (certificates, keys) must be readable by the `postgres` user."""
    bindir = _pg_bindir()
    base = Path(tempfile.mkdtemp(prefix="palin-pg-"))  # pytest's tmp dirs are root-only
    datadir, sockdir = base / "data", base / "sock"
    datadir.mkdir()
    sockdir.mkdir()
    pwfile = base / "pw"
    password = secrets.token_urlsafe(18)
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        for p in (datadir, sockdir, pwfile):
            shutil.chown(p, "postgres")
    prefix = _as_postgres_user()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
         "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True, text=True, timeout=120,
    )
    if hba is not None:
        (datadir / "pg_hba.conf").write_text(hba)
    port = free_port()
    options = {"listen_addresses": "127.0.0.1", "unix_socket_directories": str(sockdir),
               "fsync": "off", "max_connections": "200", **(settings or {})}
    proc = subprocess.Popen(
        [*prefix, str(bindir / "postgres"), "-D", str(datadir), "-p", str(port),
         *(arg for k, v in options.items() for arg in ("-c", f"{k}={v}"))],
        stdout=subprocess.DEVNULL, stderr=open(base / "postgres.log", "wb"),  # noqa: SIM115
    )
    pg = Postgres("127.0.0.1", port, "postgres", password, datadir, bindir)
    try:
        wait_for("postgres", lambda: pg.psql("SELECT 1", check=False).returncode == 0)
        yield pg
    finally:
        stop_process(proc)
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Redis:
    host: str
    port: int
    password: str

    def cli(self, *args: str) -> str:
        env = dict(os.environ, REDISCLI_AUTH=self.password)
        out = subprocess.run(
            ["redis-cli", "-h", self.host, "-p", str(self.port), *args],
            env=env, capture_output=True, text=True, timeout=30, check=True,
        )
        return out.stdout.strip()


@contextmanager
def redis_server(bind: str = "127.0.0.1"):
    """A throwaway Redis server with a generated password (like an ElastiCache AUTH token) on a
    free port, listening on `bind` (space-separated addresses; the first is the one returned);
    stopped and deleted on exit."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server not installed: run bash scripts/setup.sh")
    base = Path(tempfile.mkdtemp(prefix="palin-redis-"))
    port = free_port()
    password = secrets.token_urlsafe(18)
    conf = base / "redis.conf"
    # The password goes in a file, not on the command line (ps would show it).
    conf.write_text(
        f"bind {bind}\nport {port}\nrequirepass {password}\nsave \"\"\nappendonly no\n"
        f"dir {base}\ndaemonize no\n"
    )
    proc = subprocess.Popen(
        ["redis-server", str(conf)], stdout=open(base / "redis.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    r = Redis(bind.split()[0], port, password)
    try:
        wait_for("redis", lambda: r.cli("PING") == "PONG")
        yield r
    finally:
        stop_process(proc)
        shutil.rmtree(base, ignore_errors=True)


def server_tls_settings(address: str) -> dict[str, str]:
    """PostgreSQL settings for TLS with a throwaway self-signed certificate for `address` (like
    RDS, whose certificate clients with sslmode=require do not verify). The files are in a
    temporary directory the `postgres` user can read; it is left for the OS's tmp cleaning."""
    base = Path(tempfile.mkdtemp(prefix="palin-pgtls-"))
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={address}", "-addext", f"subjectAltName=IP:{address}",
         "-keyout", str(base / "server.key"), "-out", str(base / "server.pem")],
        check=True, capture_output=True, timeout=60,
    )
    if os.geteuid() == 0:
        for p in (base, base / "server.key", base / "server.pem"):
            shutil.chown(p, "postgres")
    (base / "server.key").chmod(0o600)
    return {"ssl": "on", "ssl_cert_file": str(base / "server.pem"),
            "ssl_key_file": str(base / "server.key")}
