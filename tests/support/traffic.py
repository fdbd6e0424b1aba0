"""The load balancer and the traffic of the end-to-end deploy tests (tests/deploy, tests/fleet;
imported with tests/support on sys.path): HAProxy from Debian's packages configured like the ALB,
and a bounded load generator that counts failed requests and the writes the app acknowledged."""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import threading
import time
from pathlib import Path

from services import free_port, stop_process

__all__ = ["PHRASES", "HAProxy", "Load"]


class HAProxy:
    def __init__(self, work: Path, backends: dict[str, tuple[str, int]],
                 check_interval_ms: int = 250, fall: int = 2, check_timeout_ms: int | None = None):
        self.port = free_port()
        self.dir = work / "haproxy"
        self.dir.mkdir(exist_ok=True)
        self.sock = self.dir / "admin.sock"
        servers = "\n".join(f"    server {name} {host}:{port} check"
                            for name, (host, port) in sorted(backends.items()))
        (self.dir / "haproxy.cfg").write_text(f"""
global
    maxconn 4096
    stats socket {self.sock} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 0
    option http-keep-alive

frontend web
    bind 127.0.0.1:{self.port}
    # like the ALB: the deploy endpoints are answered here and never reach an instance
    http-request return status 404 content-type text/plain string "Not Found" if {{ path_beg /deploy/ }} || {{ path /deploy }}
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server inter {check_interval_ms}ms fall {fall} rise 2
    timeout check {check_timeout_ms or check_interval_ms}ms
{servers}
""")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(self.dir / "haproxy.cfg")],
                                     stdout=open(self.dir / "haproxy.log", "wb"),  # noqa: SIM115
                                     stderr=subprocess.STDOUT)

    def servers(self) -> dict[str, str]:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.sock))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "app" and row.get("svname") not in ("FRONTEND", "BACKEND"):
                out[row["svname"]] = row["status"]
        return out

    def down(self, server: str) -> bool:
        """Whether HAProxy has taken `server` out (DOWN, not "UP 1/3": still receiving traffic)."""
        return self.servers().get(server, "").startswith("DOWN")

    def stop(self):
        stop_process(self.proc, timeout=10)


PHRASES = ["A man, a plan, a canal: Panama", "Was it a car or a cat I saw?", "No lemon, no melon",
           "palin", "Ésope reste ici et se repose", "not a palindrome at all", "Step on no pets"]


class Load:
    """A bounded load generator: `workers` threads with keep-alive connections through HAProxy,
    a mix of reads and writes, each thread paced to `rate` requests per second (so the load lasts
    the whole deploy without starving it of CPU); stops when told, after `max_requests` or after
    `max_seconds`. `exhausted` tells whether a bound, not the test, ended it."""

    def __init__(self, port: int, workers: int = 4, rate: float = 150.0,
                 max_requests: int = 1_000_000, max_seconds: float = 900.0):
        self.port, self.workers, self.interval = port, workers, 1.0 / rate
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.exhausted = False
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.failures: list[tuple] = []
        self.versions: dict[str, int] = {}
        # every write carries a unique marker; those answered 2xx were acknowledged by the app
        self.run_id = os.urandom(4).hex()
        self.acknowledged: list[str] = []
        self.writes = 0
        self.threads = [threading.Thread(target=self._work, args=(i,), daemon=True)
                        for i in range(workers)]

    def __enter__(self):
        self.started = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=60)
        self.elapsed = time.monotonic() - self.started

    def _request(self, rnd: random.Random) -> tuple[str, str, bytes | None, dict]:
        phrase = rnd.choice(PHRASES)
        pick = rnd.random()
        if pick < 0.4:
            from urllib.parse import quote
            return "GET", f"/api/check?text={quote(phrase)}", None, {}
        if pick < 0.6:
            with self.lock:
                self.writes += 1
                n = self.writes
            body = json.dumps({"text": f"{phrase} [{self.run_id}-{n}]"}).encode()
            return "POST", "/api/palindromes", body, {"Content-Type": "application/json"}
        if pick < 0.85:
            return "GET", "/api/palindromes?limit=5", None, {}
        return "GET", "/version", None, {}

    def _work(self, seed: int):
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        deadline = time.monotonic() + self.max_seconds
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            now = time.monotonic()
            if now >= deadline:
                self.exhausted = True
                break
            if now < next_at:
                self.stop_event.wait(next_at - now)
                continue
            next_at = max(next_at + self.interval, now - 1.0)
            with self.lock:
                if self.sent >= self.max_requests:
                    self.exhausted = True
                    break
                self.sent += 1
            method, path, body, headers = self._request(rnd)
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                version = resp.getheader("X-App-Version")
                with self.lock:
                    if version:
                        self.versions[version] = self.versions.get(version, 0) + 1
                    if not 200 <= resp.status < 300:
                        self.failures.append((method, path, resp.status, data[:200]))
                    elif method == "POST":
                        self.acknowledged.append(json.loads(body)["text"])
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.failures.append((method, path, "error", repr(e)))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        conn.close()
