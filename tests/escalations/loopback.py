"""A real HTTP server on 127.0.0.1 for tests of outbound HTTP (LLM providers, PSA clients).

It records every request (method, path, query, headers, body) and answers from a script:
each `answer(...)` queues one response; when the queue is empty the default answer is used.
A response may `hang` (sleep before answering) to exercise timeouts.

`routes`, when given, is the set of `(method, path)` the imitated vendor documents: any other
request is recorded and answered 404 (without using the script), so a client calling a wrong
path or method fails as it would against the real API.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict  # lower-cased names
    body: bytes

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict = field(default_factory=dict)
    hang: float = 0.0
    trickle: float = 0.0  # send the body one byte at a time, this many seconds apart


class LoopbackServer:
    def __init__(self, routes=None):
        self.routes = {(m.upper(), p) for m, p in routes} if routes else None
        self.requests: list[Recorded] = []
        self.script: list[Answer] = []
        self.default = Answer(200, {})
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with server._lock:
                    server.requests.append(Recorded(
                        method=self.command, path=parts.path, query={k: v[0] for k, v in parse_qs(parts.query).items()},
                        headers={k.lower(): v for k, v in self.headers.items()}, body=body,
                    ))
                    if server.routes is not None and (self.command, parts.path) not in server.routes:
                        answer = Answer(404, {"error": f"no route {self.command} {parts.path}"})
                    else:
                        answer = server.script.pop(0) if server.script else server.default
                if answer.hang:
                    server._stopping.wait(answer.hang)
                payload = answer.body
                content_type = "text/plain"
                if isinstance(payload, dict | list):
                    payload, content_type = json.dumps(payload).encode(), "application/json"
                elif isinstance(payload, str):
                    payload = payload.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.headers.get("Content-Type", content_type))
                    for name, value in answer.headers.items():
                        if name != "Content-Type":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if answer.trickle:
                        self.wfile.flush()
                        for i in range(len(payload)):
                            if server._stopping.wait(answer.trickle):
                                return
                            self.wfile.write(payload[i : i + 1])
                            self.wfile.flush()
                    else:
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def answer(self, status=200, body=b"", headers=None, hang=0.0, trickle=0.0) -> LoopbackServer:
        self.script.append(Answer(status, body, headers or {}, hang, trickle))
        return self

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def stop(self):
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
