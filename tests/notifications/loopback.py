"""Real HTTP servers on 127.0.0.1 for the transports to talk to.

`Receiver` records every request (method, path, headers, raw body bytes) and answers from a
script: `receiver.reply(500)`, `receiver.reply(429, headers={"Retry-After": "7"})`, then the
default (200 "ok"). `Receiver(check=...)` is an integrator's receiver: each request goes through
`check(request)` first, and one it refuses (returns False) is answered 400 "bad signature"
without using the script. `Blackhole` accepts TCP connections into its backlog and never answers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict = field(default_factory=dict)


class Receiver:
    def __init__(self, check=None):
        self.requests: list[Recorded] = []
        self.check = check
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self.default = Reply()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                reply = outer._record(Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                               body))
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook") -> str:
        return self.base + path

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> Receiver:
        self._script.append(Reply(status, body, headers or {}))
        return self

    def _record(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.check is not None and not self.check(request):
                return Reply(400, b"bad signature")
            return self._script.pop(0) if self._script else self.default

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return self.requests
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Blackhole:
    """A port that accepts connections (the kernel's backlog) but never reads or answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def url(self, path="/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def connections_waiting(self) -> int:
        """How many connections reached the port (accepted here and closed, so it can be asked once)."""
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def stop(self):
        self.sock.close()


def dead_port_url(path="/hook") -> str:
    """A URL on a port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
