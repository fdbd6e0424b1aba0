"""A loopback HTTP proxy in front of moto_server that injects AWS faults (Python standard library
only), for the tests of palin-inventory's AWS source and S3 states (tests/aws/test_faults.py).

    with FaultProxy(moto_url) as proxy:                 # listens on 127.0.0.1, a free port
        env["AWS_ENDPOINT_URL"] = proxy.url
        rule = proxy.add(Rule(THROTTLE, service="ec2", region="us-east-1",
                              action="DescribeInstances", times=2))
        ... run palin-inventory ...
        rule.matched, rule.fired                        # requests seen / faults injected
        proxy.clear()                                   # no rule: every request goes to moto as is

Every request is forwarded to moto unchanged unless a rule matches it. A rule matches on any of:

* ``service`` and ``region``: the SigV4 credential scope of the ``Authorization`` header
  (``Credential=AKID/DATE/REGION/SERVICE/aws4_request``; ``X-Amz-Credential`` of a presigned URL);
* ``action``: the ``Action`` parameter of a form-encoded body (EC2, RDS, ElastiCache, STS) or of
  the query string;
* ``method`` and ``path`` (REST services such as S3: ``"GET"``, ``"/bucket/key"``; the path is
  URL-decoded, without the query string; a compiled ``re.Pattern`` must match the whole path);
* ``role``: the role ARN the request is made for. The proxy watches AssumeRole traffic and maps
  the temporary AccessKeyId of each answer to the RoleArn of its request; a request signed with
  that key is "for" the role, and so is the AssumeRole request for it.

A rule fires for the first ``times`` matching requests (``None``: always); when several rules
match, the first added that still has faults to give fires, and every matching rule counts the
request in ``matched``. Rules can be added and cleared while palin-inventory runs.

Faults (``fault``, the first argument of ``Rule``):

==============  =========================================================================
THROTTLE        EC2 ``RequestLimitExceeded`` 503; awsQuery (RDS, ElastiCache, STS)
                ``Throttling`` 400; S3 ``SlowDown`` 503
HTTP_500        ``InternalError`` 500 (in the service's error shape)
HTTP_503        ``ServiceUnavailable`` 503
AUTH_FAILURE    EC2 ``AuthFailure`` 401; awsQuery ``InvalidClientTokenId`` 403; S3
                ``InvalidAccessKeyId`` 403
EXPIRED_TOKEN   EC2 ``RequestExpired`` 400; awsQuery and S3 ``ExpiredToken`` 400
NO_SUCH_KEY     S3 ``NoSuchKey`` 404 (with ``Key`` and ``BucketName``)
ACCESS_DENIED   S3 / awsQuery ``AccessDenied`` 403; EC2 ``UnauthorizedOperation`` 403
STALL           read the request, answer nothing for ``stall`` seconds (at most the proxy's
                ``stall_cap``; ends early when the client hangs up or the proxy closes),
                then close the connection
RESET           read the request, then reset the connection (SO_LINGER 0; no answer)
TRUNCATE        moto's real answer with its body cut to ``fraction`` of its length and a
                Content-Length that matches what is sent (complete framing, incomplete
                document); ``x-amz-checksum-*`` headers are dropped, so the client cannot
                tell by a checksum
GARBAGE         HTTP 200 with a body that is not XML
FOREIGN_XML     HTTP 200 with a well-formed XML document that is not the operation's answer
==============  =========================================================================

The error shapes are EC2's ``<Response><Errors><Error>…</Error></Errors><RequestID>``, the awsQuery
``<ErrorResponse><Error><Type>…</Type><Code>…`` of every other query service, and S3's
``<Error><Code>…``; ``code`` and ``status`` on a rule override the fault's defaults.

Bounds: at most ``max_connections`` connections are served at once (more wait up to 5 s, then
are closed), every socket has a timeout (``timeout``, for the client and for moto), a stall ends
by ``stall_cap`` at the latest, and ``close()`` stops the listener, shuts down the open
connections and joins their threads. Handler errors that are not the client hanging up are kept
in ``proxy.errors`` (a test can assert it is empty, to tell a proxy bug from a product failure).
The last 10,000 requests are kept as ``Request`` records (``proxy.requests(...)``,
``proxy.seen(...)``).
"""

from __future__ import annotations

import collections
import http.client
import os
import re
import select
import socket
import socketserver
import struct
import threading
import time
import traceback
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Self

THROTTLE = "throttle"
HTTP_500 = "http_500"
HTTP_503 = "http_503"
AUTH_FAILURE = "auth_failure"
EXPIRED_TOKEN = "expired_token"
NO_SUCH_KEY = "no_such_key"
ACCESS_DENIED = "access_denied"
STALL = "stall"
RESET = "reset"
TRUNCATE = "truncate"
GARBAGE = "garbage"
FOREIGN_XML = "foreign_xml"

# fault -> shape -> (code, HTTP status, message); shapes: "ec2", "query" (awsQuery), "s3".
ERRORS: dict[str, dict[str, tuple[str, int, str]]] = {
    THROTTLE: {
        "ec2": ("RequestLimitExceeded", 503, "Request limit exceeded."),
        "query": ("Throttling", 400, "Rate exceeded"),
        "s3": ("SlowDown", 503, "Please reduce your request rate."),
    },
    HTTP_500: {
        "ec2": ("InternalError", 500, "An internal error has occurred."),
        "query": ("InternalError", 500, "An internal error has occurred."),
        "s3": (
            "InternalError",
            500,
            "We encountered an internal error. Please try again.",
        ),
    },
    HTTP_503: {
        "ec2": (
            "ServiceUnavailable",
            503,
            "The request has failed due to a temporary failure of the server.",
        ),
        "query": ("ServiceUnavailable", 503, "Service is unable to handle request."),
        "s3": ("ServiceUnavailable", 503, "Service is unable to handle request."),
    },
    AUTH_FAILURE: {
        "ec2": (
            "AuthFailure",
            401,
            "AWS was not able to validate the provided access credentials",
        ),
        "query": (
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        ),
        "s3": (
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
    },
    EXPIRED_TOKEN: {
        "ec2": ("RequestExpired", 400, "Request has expired."),
        "query": (
            "ExpiredToken",
            400,
            "The security token included in the request is expired",
        ),
        "s3": ("ExpiredToken", 400, "The provided token has expired."),
    },
    NO_SUCH_KEY: {
        "ec2": ("NoSuchKey", 404, "The specified key does not exist."),
        "query": ("NoSuchKey", 404, "The specified key does not exist."),
        "s3": ("NoSuchKey", 404, "The specified key does not exist."),
    },
    ACCESS_DENIED: {
        "ec2": (
            "UnauthorizedOperation",
            403,
            "You are not authorized to perform this operation.",
        ),
        "query": (
            "AccessDenied",
            403,
            "User is not authorized to perform this action.",
        ),
        "s3": ("AccessDenied", 403, "Access Denied"),
    },
}
FAULTS = frozenset(ERRORS) | {STALL, RESET, TRUNCATE, GARBAGE, FOREIGN_XML}

GARBAGE_BODY = b"upstream said: this is not XML at all {{{\n"
FOREIGN_XML_BODY = b'<?xml version="1.0" encoding="UTF-8"?>\n<Status><Code>OK</Code><Healthy>true</Healthy></Status>\n'

SCOPE_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
ACCESS_KEY_RE = re.compile(rb"<AccessKeyId>\s*([^<\s]+)\s*</AccessKeyId>")
# Request headers never forwarded (hop-by-hop, or recomputed by http.client).
DROP_REQUEST_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "upgrade",
        "host",
        "content-length",
    }
)
# Response headers never passed on (hop-by-hop, or recomputed here).
DROP_RESPONSE_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "date",
        "server",
    }
)
LOG_SIZE = 10_000


@dataclass(frozen=True)
class Request:
    """One request the proxy saw, and what it did with it (``fault`` None: forwarded)."""

    method: str
    path: str  # URL-decoded, no query string
    service: str | None
    region: str | None
    action: str | None
    access_key: str | None
    role: str | None
    fault: str | None


@dataclass(eq=False)
class Rule:
    """A fault and the requests it applies to (None: any); see the module docstring."""

    fault: str
    service: str | None = None
    region: str | None = None
    action: str | None = None
    method: str | None = None
    path: str | re.Pattern | None = None
    role: str | None = None
    times: int | None = None  # the first N matching requests; None: every one
    stall: float = 10.0  # STALL: seconds (capped by the proxy's stall_cap)
    fraction: float = 0.5  # TRUNCATE: the share of the body that is sent
    code: str | None = None  # error faults: override the code
    status: int | None = None  # error faults: override the HTTP status
    matched: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; one of {sorted(FAULTS)}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError("fraction must be in [0, 1)")

    def matches(self, req: Request) -> bool:
        if self.path is None:
            path_ok = True
        elif isinstance(self.path, re.Pattern):
            path_ok = self.path.fullmatch(req.path) is not None
        else:
            path_ok = self.path == req.path
        return (
            path_ok
            and (self.service is None or self.service == req.service)
            and (self.region is None or self.region == req.region)
            and (self.action is None or self.action == req.action)
            and (self.method is None or self.method.upper() == req.method)
            and (self.role is None or self.role == req.role)
        )


def shape_of(service: str | None) -> str:
    if service == "ec2":
        return "ec2"
    if service == "s3":
        return "s3"
    return "query"


def error_body(
    shape: str,
    code: str,
    message: str,
    request_id: str,
    *,
    bucket: str = "",
    key: str = "",
) -> bytes:
    """An AWS error document in ``shape`` ("ec2", "query" or "s3")."""
    esc = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    code, message, bucket, key = (
        "".join(esc.get(c, c) for c in s) for s in (code, message, bucket, key)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    if shape == "ec2":
        return (
            f"{head}<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
    if shape == "s3":
        extra = (f"<Key>{key}</Key>" if key else "") + (
            f"<BucketName>{bucket}</BucketName>" if bucket else ""
        )
        return (
            f"{head}<Error><Code>{code}</Code><Message>{message}</Message>{extra}"
            f"<RequestId>{request_id}</RequestId><HostId>palin-fault-proxy</HostId></Error>"
        ).encode()
    kind = "Receiver" if code in ("InternalError", "ServiceUnavailable") else "Sender"
    return (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "palin-aws-faults"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        # StreamRequestHandler.setup() applies it to the socket.
        self.timeout = self.server.proxy.timeout
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._upstream: http.client.HTTPConnection | None = None

    def finish(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args) -> None:
        pass

    # -- reading -----------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _describe(self, body: bytes) -> tuple[Request, dict[str, str]]:
        target = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(target.query, keep_blank_values=True))
        params = dict(query)
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded" or (
            not ctype and body.startswith(b"Action=")
        ):
            params.update(
                urllib.parse.parse_qsl(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                )
            )
        scope = SCOPE_RE.search(
            self.headers.get("Authorization", "")
        ) or SCOPE_RE.search("Credential=" + query.get("X-Amz-Credential", ""))
        access_key, region, service = scope.groups() if scope else (None, None, None)
        action = params.get("Action")
        if action == "AssumeRole":
            role = params.get("RoleArn")
        else:
            role = self.server.proxy._role_of(access_key)
        req = Request(
            method=self.command.upper(),
            path=urllib.parse.unquote(target.path),
            service=service,
            region=region,
            action=action,
            access_key=access_key,
            role=role,
            fault=None,
        )
        return req, params

    # -- answering ---------------------------------------------------------------------------

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        lines = [
            f"{self.protocol_version} {status} {http.client.responses.get(status, 'Unknown')}"
        ]
        lines += [f"{k}: {v}" for k, v in headers]
        lines += [f"Content-Length: {len(body)}", "", ""]
        head = "\r\n".join(lines).encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)
        self.wfile.flush()

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in DROP_REQUEST_HEADERS
        }
        headers["Host"] = self.headers.get("Host", proxy.upstream.netloc)
        # A kept-alive upstream connection may have been closed by moto: one more try.
        for attempt in (1, 2):
            if self._upstream is None:
                self._upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=proxy.timeout
                )
            try:
                self._upstream.request(
                    self.command, self.path, body=body, headers=headers
                )
                resp = self._upstream.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                self._upstream.close()
                self._upstream = None
                if attempt == 2:
                    raise
                continue
            if resp.will_close:
                self._upstream.close()
                self._upstream = None
            kept = [
                (k, v)
                for k, v in resp.getheaders()
                if k.lower() not in DROP_RESPONSE_HEADERS
            ]
            return resp.status, kept, data
        raise AssertionError("unreachable")

    def _stall(self, seconds: float) -> None:
        """Answer nothing for ``seconds`` (capped), or until the client hangs up or the proxy
        closes; then close the connection."""
        proxy = self.server.proxy
        deadline = time.monotonic() + min(max(seconds, 0.0), proxy.stall_cap)
        sock = self.connection
        with proxy._lock:
            proxy._stalling += 1
        try:
            self._wait(sock, deadline)
        finally:
            with proxy._lock:
                proxy._stalling -= 1
        self.close_connection = True

    def _wait(self, sock: socket.socket, deadline: float) -> None:
        proxy = self.server.proxy
        while not proxy._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                readable, _, _ = select.select([sock], [], [], min(0.1, left))
                if readable and not sock.recv(1, socket.MSG_PEEK):
                    break  # the client closed its side: nobody is waiting any more
                if readable:
                    time.sleep(min(0.1, left))  # the client sent more; keep ignoring it
            except (OSError, ValueError):
                break

    def _reset(self) -> None:
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Close the descriptor itself: socket.close() would wait for rfile/wfile, and the
        # server's shutdown(SHUT_WR) would send a FIN before the RST.
        os.close(sock.detach())
        self.close_connection = True

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        req, _params = self._describe(body)
        rule = proxy._decide(req)
        fault = rule.fault if rule else None
        proxy._log(req, fault)
        request_id = str(uuid.uuid4())
        if fault is None or fault == TRUNCATE:
            try:
                status, headers, data = self._forward(body)
            except (OSError, http.client.HTTPException) as e:
                msg = f"aws_faults: moto did not answer: {e}"
                proxy._error(msg)
                self._send(502, [("Content-Type", "text/plain")], msg.encode())
                return
            if fault is None:
                found = (
                    ACCESS_KEY_RE.search(data)
                    if req.action == "AssumeRole" and status == 200
                    else None
                )
                if found and req.role:
                    proxy._map_role(found.group(1).decode(), req.role)
                self._send(status, headers, data)
                return
            assert rule is not None
            cut = data[: int(len(data) * rule.fraction)]
            kept = [
                (k, v)
                for k, v in headers
                if not k.lower().startswith("x-amz-checksum-")
            ]
            self._send(status, kept, cut)
            return
        assert rule is not None
        if fault == STALL:
            self._stall(rule.stall)
        elif fault == RESET:
            self._reset()
        elif fault == GARBAGE:
            self._send(
                200,
                [
                    ("Content-Type", "text/xml;charset=UTF-8"),
                    ("x-amzn-RequestId", request_id),
                ],
                GARBAGE_BODY,
            )
        elif fault == FOREIGN_XML:
            self._send(
                200,
                [
                    ("Content-Type", "text/xml;charset=UTF-8"),
                    ("x-amzn-RequestId", request_id),
                ],
                FOREIGN_XML_BODY,
            )
        else:
            shape = shape_of(req.service)
            code, status, message = ERRORS[fault][shape]
            code, status = rule.code or code, rule.status or status
            bucket, _, key = req.path.lstrip("/").partition("/")
            doc = error_body(shape, code, message, request_id, bucket=bucket, key=key)
            headers = [
                (
                    "Content-Type",
                    "application/xml" if shape == "s3" else "text/xml;charset=UTF-8",
                )
            ]
            headers += (
                [("x-amz-request-id", request_id)]
                if shape == "s3"
                else [("x-amzn-RequestId", request_id)]
            )
            self._send(status, headers, doc)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


class _Server(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, proxy: FaultProxy):
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address) -> None:
        if not self.proxy._slots.acquire(timeout=5):
            self.proxy._error("aws_faults: too many connections, one refused")
            self.shutdown_request(request)
            return
        thread = threading.Thread(
            target=self._serve, args=(request, client_address), daemon=True
        )
        with self.proxy._lock:
            self.proxy._conns[thread] = request
        thread.start()

    def _serve(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except (ConnectionError, TimeoutError, BrokenPipeError):
            pass  # the client hung up or went quiet: its business
        except OSError:
            if not self.proxy._stopping.is_set():
                self.proxy._error(traceback.format_exc())
        except Exception:  # noqa: BLE001 (kept for the test to see)
            self.proxy._error(traceback.format_exc())
        finally:
            self.shutdown_request(request)
            with self.proxy._lock:
                self.proxy._conns.pop(threading.current_thread(), None)
            self.proxy._slots.release()


class FaultProxy:
    """The proxy: ``start()`` (or ``with``), ``url``, ``add``/``clear`` rules, ``close()``."""

    def __init__(
        self,
        upstream: str,
        *,
        stall_cap: float = 30.0,
        max_connections: int = 64,
        timeout: float = 30.0,
    ):
        self.upstream = urllib.parse.urlsplit(upstream)
        if self.upstream.scheme != "http" or self.upstream.hostname not in (
            "127.0.0.1",
            "localhost",
            "::1",
        ):
            raise ValueError("upstream must be a plain http:// loopback URL")
        self.stall_cap = stall_cap
        self.timeout = timeout
        self.url = ""
        self.errors: list[str] = []
        self._rules: list[Rule] = []
        self._roles: dict[str, str] = {}
        self._log_entries: collections.deque[Request] = collections.deque(
            maxlen=LOG_SIZE
        )
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._conns: dict[threading.Thread, socket.socket] = {}
        self._stopping = threading.Event()
        self._stalling = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name="aws-faults",
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening, end stalls, shut the open connections and join their threads (5 s
        at most). Closing twice is harmless."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            conns = dict(self._conns)
        for sock in conns.values():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        for thread in conns:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- rules ---------------------------------------------------------------------------------

    def add(self, rule: Rule | None = None, /, **kwargs) -> Rule:
        """Add ``rule`` (or ``Rule(**kwargs)``) after the existing ones; returns it, so that its
        ``matched`` and ``fired`` counts can be read later."""
        rule = rule if rule is not None else Rule(**kwargs)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if r is not rule]

    def clear(self) -> None:
        """Drop every rule: from now on every request goes to moto unchanged."""
        with self._lock:
            self._rules = []

    @property
    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    # -- what was seen -------------------------------------------------------------------------

    def requests(self, **match) -> list[Request]:
        """The logged requests whose fields equal ``match`` (e.g. ``service="ec2",
        action="DescribeInstances"``, ``fault=None`` for the forwarded ones)."""
        with self._lock:
            entries = list(self._log_entries)
        return [r for r in entries if all(getattr(r, k) == v for k, v in match.items())]

    def seen(self, **match) -> int:
        return len(self.requests(**match))

    def forget(self) -> None:
        """Empty the request log (rules and their counts stay)."""
        with self._lock:
            self._log_entries.clear()

    @property
    def stalling(self) -> int:
        """How many requests are being stalled right now."""
        with self._lock:
            return self._stalling

    @property
    def roles(self) -> dict[str, str]:
        """Temporary AccessKeyId -> RoleArn, from the AssumeRole answers seen so far."""
        with self._lock:
            return dict(self._roles)

    # -- used by the handler -------------------------------------------------------------------

    def _decide(self, req: Request) -> Rule | None:
        chosen = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(req):
                    continue
                rule.matched += 1
                if chosen is None and (rule.times is None or rule.fired < rule.times):
                    rule.fired += 1
                    chosen = rule
        return chosen

    def _log(self, req: Request, fault: str | None) -> None:
        entry = Request(**{**req.__dict__, "fault": fault})
        with self._lock:
            self._log_entries.append(entry)

    def _role_of(self, access_key: str | None) -> str | None:
        if access_key is None:
            return None
        with self._lock:
            return self._roles.get(access_key)

    def _map_role(self, access_key: str, role: str) -> None:
        with self._lock:
            self._roles[access_key] = role

    def _error(self, text: str) -> None:
        with self._lock:
            if len(self.errors) < 100:
                self.errors.append(text)
