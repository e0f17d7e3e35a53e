"""Benchmark: the request floor (the same requests through the web process and in-process, side by side) and
escalation throughput at 1, 10 and 50 concurrent clients beside a trivial authenticated endpoint.

Not a test: run it by hand and record the figures in docs/performance.md.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rf_bench_floor \
        .venv/bin/python tests/load/bench_floor.py [--requests 300] [--clients 1 10 50] [--py-spy FILE]

It creates (or reuses) its own database, migrates it, starts the web process (resolutionflow.serve: uvicorn;
`--server daphne` to compare; `DEBUG=0`, the production
settings: PostgreSQL, Redis cache and channel layer, a Celery broker but no worker: the queued tasks
are purged at the end) and times, with the same `DEBUG=0` settings in this process:

- **Floor**: `GET /api/v1/me` and `POST /api/v1/sessions` with an API token, one request at a time,
  three ways, interleaved in rounds: through the server (a minimal keep-alive HTTP/1.1 client over one
  socket, so the figure is the server's, not an HTTP library's), in-process through the ASGI
  application (`resolutionflow.asgi.application` called with a scope: Django's ASGI handler and the
  middleware stack, no server, no socket), and in-process through Django's test client (the
  synchronous handler; it keeps one database connection). The ratios are server / test client.
- **Throughput**: C clients (own technician, own token, own keep-alive connection) each POST
  `/sessions/{id}/escalate` on sessions created beforehand, until N escalations are done; then the
  same C clients `GET /api/v1/me` N times on the same server (the ceiling). Escalations per second,
  p50 / p99, and the ratio ceiling / escalations. Any non-2xx answer counts as an error.

`--py-spy FILE` records the server with py-spy (speedscope format) during the floor's server rounds;
`--py-spy-escalations FILE` records it (raw, collapsed stacks) during each level's escalations.
The 1-minute load average is printed at the start and the end of each part.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.common import (  # noqa: E402
    BENCH_KEY,
    ensure_database,
    log_errors,
    percentile,
    server_command,
    stop,
    wait_healthy,
)

QUEUES = ("fanout", "assessment", "notifications", "psa")


# --- A minimal HTTP/1.1 keep-alive client ------------------------------------------------------

class Conn:
    """One keep-alive connection; `request` returns (status, body). Content-Length and chunked."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method, path, *, token, body=None):
        payload = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Token {token}\r\n"
                f"Accept: application/json\r\nContent-Length: {len(payload)}\r\n")
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked = None, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            data = await self.reader.readexactly(length or 0)
        return status, data

    async def close(self):
        self.writer.close()
        await self.writer.wait_closed()


# --- In-process: the ASGI application without a server -------------------------------------------

async def asgi_request(app, method, path, *, token, body=None):
    payload = json.dumps(body).encode() if body is not None else b""
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Token {token}".encode()),
               (b"accept", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 80)}
    sent = False
    status, chunks = None, []
    done = asyncio.Event()

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    return status, b"".join(chunks)


# --- Set-up ------------------------------------------------------------------------------------

def setup_people(clients: int):
    """The account `bench-floor`: `clients` technicians with a token each, one engineer."""
    from accounts.models import Account, User
    from accounts.services import api_token_create

    account, _ = Account.objects.get_or_create(slug="bench-floor", defaults={"name": "Bench Floor MSP"})
    User.objects.get_or_create(email="eng@benchfloor.test",
                               defaults={"account": account, "role": "engineer", "name": "Eng"})
    people = []
    for i in range(clients):
        user, _ = User.objects.get_or_create(email=f"tech{i}@benchfloor.test",
                                             defaults={"account": account, "role": "technician",
                                                       "name": f"Tech {i}"})
        people.append((user, api_token_create(user=user)))
    return people


def make_sessions(people, count: int):
    """`count` open sessions, round-robin over the technicians: [(token, session id)]."""
    from escalations.services import session_create

    made = []
    for i in range(count):
        user, token = people[i % len(people)]
        made.append((token, str(session_create(actor=user, title=f"Bench {i}", problem="p").pk)))
    return made


def purge_queues():
    from resolutionflow.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        return sum(channel.queue_purge(name) or 0 for name in QUEUES)


# --- Floor -------------------------------------------------------------------------------------

async def floor(*, port, token, requests, rounds):
    from asgiref.sync import sync_to_async
    from django.test import Client

    from resolutionflow.asgi import application

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    conn = Conn("127.0.0.1", port)
    await conn.open()
    cases = {"me": ("GET", "/api/v1/me", None), "sessions": ("POST", "/api/v1/sessions", None)}
    times = {(case, how): [] for case in cases for how in ("server", "asgi", "client")}
    errors = 0

    def body(i):
        return {"title": f"Floor {i}", "problem": "p"}

    def test_client(method, path, data):
        if method == "GET":
            return client.get(path).status_code
        return client.post(path, data=data, content_type="application/json").status_code

    per_round = max(1, requests // rounds)
    n = 0
    for how in ("server", "asgi", "client"):  # warm-up: every path once (imports, connections)
        for method, path, _ in cases.values():
            for _ in range(5):
                n += 1
                data = body(n) if method == "POST" else None
                if how == "server":
                    await conn.request(method, path, token=token, body=data)
                elif how == "asgi":
                    await asgi_request(application, method, path, token=token, body=data)
                else:
                    await sync_to_async(test_client, thread_sensitive=True)(method, path, data)
    for _ in range(rounds):
        for how in ("server", "asgi", "client"):
            for case, (method, path, _) in cases.items():
                for _ in range(per_round):
                    n += 1
                    data = body(n) if method == "POST" else None
                    t0 = time.perf_counter()
                    if how == "server":
                        status, _ = await conn.request(method, path, token=token, body=data)
                    elif how == "asgi":
                        status, _ = await asgi_request(application, method, path, token=token, body=data)
                    else:
                        status = await sync_to_async(test_client, thread_sensitive=True)(method, path, data)
                    times[(case, how)].append((time.perf_counter() - t0) * 1000)
                    errors += status >= 300
    await conn.close()
    return times, errors


# --- Throughput --------------------------------------------------------------------------------

async def run_clients(*, port, clients, jobs):
    """`jobs`: [(token, method, path, body)], shared by `clients` connections. Returns
    (per-request ms, wall seconds, errors)."""
    queue = list(reversed(jobs))
    times, errors = [], 0
    conns = [Conn("127.0.0.1", port) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in conns))

    async def worker(conn):
        nonlocal errors
        while queue:
            token, method, path, body = queue.pop()
            t0 = time.perf_counter()
            status, _ = await conn.request(method, path, token=token, body=body)
            times.append((time.perf_counter() - t0) * 1000)
            errors += not 200 <= status < 300

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    wall = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in conns))
    return times, wall, errors




def _load() -> float:
    return os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="per floor case and way, and per throughput level")
    parser.add_argument("--rounds", type=int, default=5, help="the floor's ways interleave in this many rounds")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--py-spy", dest="py_spy", default="", help="record the server during the floor")
    parser.add_argument("--py-spy-escalations", dest="py_spy_escalations", default="",
                        help="record the server (py-spy raw format) during each level's escalations: FILE.<clients>")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn",
                        help="uvicorn: the production web process (resolutionflow.serve); daphne to compare")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()

    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rf_bench_floor")
    # The same production settings in this process (the in-process ways) and in the server.
    settings_env = dict(
        DJANGO_SETTINGS_MODULE="resolutionflow.settings", DATABASE_URL=db_url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), CHANNEL_LAYER_PREFIX="rfbenchfloor",
        THROTTLE_USER="100000000/min", DEBUG="0", SECRET_KEY="bench-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,testserver", SECURE_SSL_REDIRECT="0", CELERY_TASK_ALWAYS_EAGER="0",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "INFO"), CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/10"),
        FIELD_ENCRYPTION_KEY=os.environ.get("FIELD_ENCRYPTION_KEY", BENCH_KEY),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", AI_PROVIDER="builtin",
    )
    os.environ.update(settings_env)
    ensure_database(db_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    from django.conf import settings
    from django.db import close_old_connections

    from tests.helpers import free_port

    clients_max = max(args.clients)
    people = setup_people(clients_max)
    token = people[0][1]
    sessions = {c: make_sessions(people[:c], args.requests) for c in ([] if args.skip_throughput else args.clients)}
    close_old_connections()

    logs = Path(tempfile.mkdtemp(prefix="rf-bench-floor-"))
    port = free_port()
    server_log = open(logs / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(server_command(args.server, port), cwd=ROOT, env=dict(os.environ),
                              stdout=server_log, stderr=subprocess.STDOUT)
    spy = None
    report = {}
    try:
        wait_healthy(port)
        db = settings.DATABASES["default"]
        print(f"database: CONN_MAX_AGE={db.get('CONN_MAX_AGE')} pool={db.get('OPTIONS', {}).get('pool', False)}; "
              f"middleware: {len(settings.MIDDLEWARE)}; {args.server} pid {server.pid}; load at start {_load():.2f}")
        if not args.skip_floor:
            if args.py_spy:
                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(server.pid),
                                        "-f", "speedscope", "-o", args.py_spy, "-r", "200", "--threads"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
            times, errors = asyncio.run(floor(port=port, token=token, requests=args.requests, rounds=args.rounds))
            if spy:
                spy.send_signal(2)
                spy.wait(30)
            report["floor"] = (times, errors, _load())
        if not args.skip_throughput:
            report["throughput"] = {}
            for c in args.clients:
                load0 = _load()
                jobs = [(tok, "POST", f"/api/v1/sessions/{sid}/escalate", {"reason": "bench"})
                        for tok, sid in sessions[c]]
                level_spy = None
                if args.py_spy_escalations:
                    level_spy = subprocess.Popen(
                        [str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(server.pid), "-f", "raw",
                         "-o", f"{args.py_spy_escalations}.{c}", "-r", "100", "--threads", "--nonblocking"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(1)
                esc = asyncio.run(run_clients(port=port, clients=c, jobs=jobs))
                if level_spy:
                    level_spy.send_signal(2)
                    level_spy.wait(60)
                tokens = [tok for _, tok in people[:c]]
                jobs = [(tokens[i % c], "GET", "/api/v1/me", None) for i in range(args.requests)]
                me = asyncio.run(run_clients(port=port, clients=c, jobs=jobs))
                report["throughput"][c] = (esc, me, load0, _load())
    finally:
        stop(server)
        server_log.close()
        if spy and spy.poll() is None:
            spy.kill()
        try:
            purged = purge_queues()
        except Exception as exc:  # the figures stand; say the queues were left
            purged = f"not purged ({exc!r})"

    def ms(values, pct):
        return f"{percentile(values, pct):.1f}"

    if "floor" in report:
        times, errors, load = report["floor"]
        print(f"\nFloor: {args.requests} requests per case and way, {args.rounds} interleaved rounds, "
              f"one at a time; load at the end {load:.2f}; non-2xx answers: {errors}")
        print(f"| request | through {args.server} p50 / p95 / p99 | in-process ASGI app p50 / p95 / p99 "
              f"| in-process test client p50 / p95 / p99 | {args.server} ÷ test client (p50) |")
        print("|---|---|---|---|---|")
        for case, label in (("me", "GET /api/v1/me"), ("sessions", "POST /api/v1/sessions")):
            cols = [" / ".join(ms(times[(case, how)], p) for p in (50, 95, 99)) for how in ("server", "asgi", "client")]
            ratio = statistics.median(times[(case, "server")]) / statistics.median(times[(case, "client")])
            print(f"| {label} | {cols[0]} ms | {cols[1]} ms | {cols[2]} ms | {ratio:.2f}× |")
    if "throughput" in report:
        print(f"\nThroughput through {args.server}: {args.requests} requests per level")
        print("| clients | escalations/s | escalate p50 / p99 | GET /me req/s | /me p50 / p99 "
              "| ceiling ÷ escalations | errors | load start → end |")
        print("|---|---|---|---|---|---|---|---|")
        for c, ((et, ew, ee), (mt, mw, me_err), l0, l1) in report["throughput"].items():
            esc_rate, me_rate = len(et) / ew, len(mt) / mw
            print(f"| {c} | {esc_rate:.0f} | {ms(et, 50)} / {ms(et, 99)} ms | {me_rate:.0f} "
                  f"| {ms(mt, 50)} / {ms(mt, 99)} ms | {me_rate / esc_rate:.2f}× | {ee + me_err} "
                  f"| {l0:.2f} → {l1:.2f} |")
    print(f"\nerrors in the server's log: {log_errors(logs / 'server.log')} ({logs}); queued tasks purged: {purged}")


if __name__ == "__main__":
    main()
