#!/usr/bin/env python3
"""A loopback record-and-replay HTTP proxy for AWS API calls (Python standard library only).

moto_server is slow (seconds for one DescribeInstances page of a few thousand instances), so a
benchmark that talks to it measures the emulator more than the client. This proxy takes the
emulator out of the timed runs:

    replay_proxy.py record --store DIR --upstream http://127.0.0.1:5000 [--port 0] [--port-file F]
    replay_proxy.py replay --store DIR [--port 0] [--port-file F]

* ``record`` forwards every request to ``--upstream`` and stores the response under a key made
  of the method, the path (query string normalised), the SigV4 signing scope (region and
  service, taken from the ``Authorization`` header: one endpoint serves every region) and the
  body with volatile fields removed. Form bodies (the EC2/RDS/ElastiCache query protocol) are
  parsed, stripped of volatile parameters and sorted; JSON bodies are stripped of volatile keys
  and re-serialised with sorted keys; other bodies are kept as they are. A request that was
  already recorded is forwarded again and its newest response kept; with ``--reuse`` a request
  already answered with 200 in this recording session is answered from the store instead (moto
  needs about 30 s for one page of 5,000 instances, which is as long as palin-inventory lets one
  attempt take).
* ``replay`` loads the store into memory and answers every recorded request at once, without an
  upstream. A request that was never recorded gets HTTP 599 and an AWS-style error
  (``PalinReplayMiss``), so a client fails loudly instead of getting an empty answer.

Both modes answer ``GET /__replay__/stats`` with ``{"mode", "entries", "hits", "misses",
"forwarded"}`` so a driver can check that a replayed run touched only recorded responses.

The store is a directory with one ``<sha256 of key>.json`` (key, status, headers) and one
``<sha256>.body`` per recorded exchange, written as each response arrives.

The proxy listens on 127.0.0.1 only (``--port 0`` picks a free port; ``--port-file`` receives
it once the socket is listening). It speaks HTTP/1.1 with keep-alive, sets ``TCP_NODELAY`` and
writes each response in one call, so replaying costs the client a loopback round trip and the
copy of the body, nothing more. SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATS_PATH = "/__replay__/stats"

# Parameters/keys whose value changes from one run to the next without changing the answer.
VOLATILE_PARAMS = frozenset(
    {
        "ClientToken",
        "ClientRequestToken",
        "IdempotencyToken",
        "X-Amz-Date",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Algorithm",
    }
)
# Response headers that describe the connection or the moment, not the answer.
DROP_RESPONSE_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}
)
# Request headers never forwarded (hop-by-hop, or recomputed by http.client).
DROP_REQUEST_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "host", "content-length"}
)
SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def normalise_query(query: str) -> str:
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True) if k not in VOLATILE_PARAMS]
    return urllib.parse.urlencode(sorted(pairs))


def normalise_body(body: bytes, content_type: str) -> str:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded" or (not ctype and b"Action=" in body[:200]):
        return "form:" + normalise_query(body.decode("utf-8", "replace"))
    if ctype.startswith("application/x-amz-json") or ctype == "application/json":
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            pass
        else:
            if isinstance(doc, dict):
                doc = {k: v for k, v in doc.items() if k not in VOLATILE_PARAMS}
            return "json:" + json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return "raw:" + hashlib.sha256(body).hexdigest()


def request_key(method: str, target: str, headers, body: bytes) -> str:
    path, _, query = target.partition("?")
    scope = SCOPE_RE.search(headers.get("Authorization", ""))
    region, service = scope.groups() if scope else ("-", "-")
    amz_target = headers.get("X-Amz-Target", "")  # JSON protocols put the operation here
    return "\n".join(
        [
            method.upper(),
            path + ("?" + normalise_query(query) if query else ""),
            f"{region}/{service}",
            amz_target,
            normalise_body(body, headers.get("Content-Type", "")),
        ]
    )


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Store:
    """Recorded exchanges: key digest -> (status, headers, body)."""

    def __init__(self, directory: Path, load: bool) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.lock = threading.Lock()
        if load:
            for meta_path in sorted(self.dir.glob("*.json")):
                meta = json.loads(meta_path.read_text())
                body = meta_path.with_suffix(".body").read_bytes()
                self.entries[meta_path.stem] = (meta["status"], [tuple(h) for h in meta["headers"]], body)

    def put(self, key: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        digest = key_digest(key)
        with self.lock:
            tmp_body = self.dir / f".{digest}.body.tmp"
            tmp_meta = self.dir / f".{digest}.json.tmp"
            tmp_body.write_bytes(body)
            tmp_meta.write_text(json.dumps({"key": key, "status": status, "headers": headers}, indent=1))
            os.replace(tmp_body, self.dir / f"{digest}.body")
            os.replace(tmp_meta, self.dir / f"{digest}.json")
            self.entries[digest] = (status, headers, body)

    def get(self, key: str):
        return self.entries.get(key_digest(key))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "palin-replay-proxy"
    sys_version = ""

    # Set on the class by main().
    mode = "replay"
    reuse = False
    store: Store
    upstream: urllib.parse.SplitResult | None = None
    stats = {"hits": 0, "misses": 0, "forwarded": 0}
    stats_lock = threading.Lock()
    verbose = False

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._upstream_conn: http.client.HTTPConnection | None = None

    def finish(self) -> None:
        if self._upstream_conn is not None:
            self._upstream_conn.close()
        super().finish()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if self.verbose:
            sys.stderr.write("replay_proxy: " + (format % args) + "\n")

    def _count(self, name: str) -> None:
        with self.stats_lock:
            self.stats[name] += 1

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        lines = [f"{self.protocol_version} {status} {http.client.responses.get(status, 'Unknown')}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines += [f"Content-Length: {len(body)}", "", ""]
        head = "\r\n".join(lines).encode("latin-1")
        self.wfile.write(head + body if len(body) < 1 << 16 else head)
        if len(body) >= 1 << 16:
            self.wfile.write(body)
        self.log_request(status, len(body))

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.upstream is not None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in DROP_REQUEST_HEADERS}
        headers["Host"] = self.headers.get("Host", self.upstream.netloc)
        for attempt in (1, 2):
            if self._upstream_conn is None:
                self._upstream_conn = http.client.HTTPConnection(
                    self.upstream.hostname, self.upstream.port, timeout=600
                )
            try:
                self._upstream_conn.request(self.command, self.path, body=body, headers=headers)
                resp = self._upstream_conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                self._upstream_conn.close()
                self._upstream_conn = None
                if attempt == 2:
                    raise
                continue
            if resp.will_close:
                self._upstream_conn.close()
                self._upstream_conn = None
            kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in DROP_RESPONSE_HEADERS]
            return resp.status, kept, data
        raise AssertionError("unreachable")

    def _handle(self) -> None:
        body = self._read_body()
        if self.command == "GET" and self.path == STATS_PATH:
            with self.stats_lock:
                doc = dict(self.stats, mode=self.mode, entries=len(self.store.entries))
            self._send(200, [("Content-Type", "application/json")], json.dumps(doc).encode())
            return
        key = request_key(self.command, self.path, self.headers, body)
        if self.mode == "record" and self.reuse and (hit := self.store.get(key)) is not None and hit[0] == 200:
            self._count("hits")
            self._send(*hit)
            return
        if self.mode == "record":
            try:
                status, headers, data = self._forward(body)
            except (OSError, http.client.HTTPException) as e:
                self._send(502, [("Content-Type", "text/plain")], f"replay_proxy: upstream failed: {e}\n".encode())
                return
            self.store.put(key, status, headers, data)
            self._count("forwarded")
            self._send(status, headers, data)
            return
        hit = self.store.get(key)
        if hit is None:
            self._count("misses")
            sys.stderr.write(f"replay_proxy: no recording for:\n{key[:2000]}\n")
            xml = (
                "<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>PalinReplayMiss</Code>"
                "<Message>replay_proxy has no recorded response for this request</Message></Error></Errors>"
                "<RequestID>replay-miss</RequestID></Response>"
            ).encode()
            self._send(599, [("Content-Type", "text/xml")], xml)
            return
        self._count("hits")
        status, headers, data = hit
        self._send(status, headers, data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("record", "replay"))
    parser.add_argument("--store", required=True, type=Path, help="directory of recorded exchanges")
    parser.add_argument("--upstream", help="record mode: the server to forward to, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument("--reuse", action="store_true", help="record mode: answer a request recorded with 200 from the store")
    args = parser.parse_args(argv)

    if args.mode == "record":
        if not args.upstream:
            parser.error("record mode needs --upstream")
        upstream = urllib.parse.urlsplit(args.upstream)
        if upstream.scheme != "http" or upstream.hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--upstream must be a plain http:// loopback URL")
        Handler.upstream = upstream
    elif not args.store.is_dir():
        parser.error(f"replay mode: store {args.store} does not exist")
    Handler.mode = args.mode
    Handler.reuse = args.reuse
    Handler.store = Store(args.store, load=args.mode == "replay")
    Handler.verbose = args.verbose

    server = Server(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]

    def stop(signum, frame) -> None:  # noqa: ARG001
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(f"{port}\n")
        os.replace(tmp, args.port_file)
    sys.stderr.write(f"replay_proxy: {args.mode} on 127.0.0.1:{port} ({len(Handler.store.entries)} entries)\n")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
