"""Loopback HTTP endpoints for the module benchmark: one per inventory host, on consecutive ports.

GET /health answers 503 until the endpoint is "up", then 200 "ok". POST /reset?delay=S (on any of
the ports) makes every endpoint come up S seconds from now. Only 127.0.0.1 is used.
usage: server.py BASE_PORT COUNT"""

import http.server
import socketserver
import sys
import threading
import time
import urllib.parse

state = {"up_at": 0.0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        if time.monotonic() >= state["up_at"]:
            self._send(200, b"ok")
        else:
            self._send(503, b"starting")

    def do_POST(self):  # noqa: N802
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        state["up_at"] = time.monotonic() + float(query.get("delay", ["0"])[0])
        self._send(200, b"reset")

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    base, count = int(sys.argv[1]), int(sys.argv[2])
    for port in range(base, base + count):
        srv = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"serving 127.0.0.1:{base}-{base + count - 1}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
