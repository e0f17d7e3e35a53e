"""What the benchmark scripts share: their own database, a throwaway key, nearest-rank percentiles,
waiting for the server, the engineers' sockets, the client's collector held out of timed windows,
stopping a process and counting the errors in its log."""

import contextlib
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

# A benchmark client parses what it read this long after (stamped_connection_class).
PARSE_AFTER = 0.05
BENCH_KEY = "q3Yl5dJjNqKZ0rQmGk0wq2mD8Jm5rW9Xo0Jm3c9Jq1I="  # a throwaway Fernet key for bench processes


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist yet (never the test or demo ones)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values, pct):
    """Nearest-rank percentile of the timings."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def wait_healthy(port: int, tries: int = 300) -> None:
    """Until the server on `port` answers /healthz with 200 (0.1 s between tries)."""
    import httpx

    for _ in range(tries):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the web server did not start")


def stamped_connection_class():
    """A websockets client connection that notes when each message's bytes reached this process.

    One client process reads all S sockets of a benchmark, on the same two cores as the web
    processes. A frame timed by its reading task would include the parsing of every frame that
    reached the other sockets in the same instant, and parsing during a burst takes CPU from the
    web processes still writing it: the instrument's cost, which S browsers on S machines never
    pay (docs/performance.md: at S = 500 it was half of the first-to-last-socket spread). So each
    read is stamped as it comes off the socket and parsed PARSE_AFTER later, in order with the
    connection's other reads and its end; `arrivals` holds, in order, the stamp of each complete
    data message, and the reader pairs them with the messages it takes."""
    from collections import deque

    from websockets.asyncio.client import ClientConnection
    from websockets.frames import DATA_OPCODES, Frame
    from websockets.protocol import OPEN

    class StampedConnection(ClientConnection):
        def connection_made(self, transport):
            self.arrivals = deque()
            self._received_at = 0.0
            self._pending = []  # (stamp, bytes) reads, then ("eof",) or ("lost", exc), in order
            super().connection_made(transport)

        def _later(self, item) -> None:
            if not self._pending:
                self.loop.call_later(PARSE_AFTER, self._flush)
            self._pending.append(item)

        def _flush(self) -> None:
            pending, self._pending = self._pending, []
            for item in pending:
                if item[0] == "eof":
                    ClientConnection.eof_received(self)
                elif item[0] == "lost":
                    ClientConnection.connection_lost(self, item[1])
                else:
                    self._received_at = item[0]
                    ClientConnection.data_received(self, item[1])

        def data_received(self, data: bytes) -> None:
            if self.protocol.state is not OPEN:  # the handshake: parsed at once
                self._received_at = time.perf_counter()
                return super().data_received(data)
            self._later((time.perf_counter(), data))

        def eof_received(self):
            if self._pending:
                self._later(("eof",))
                return None
            return super().eof_received()

        def connection_lost(self, exc):
            if self._pending:
                self._later(("lost", exc))
                return
            super().connection_lost(exc)

        def process_event(self, event) -> None:
            if isinstance(event, Frame) and event.opcode in DATA_OPCODES and event.fin:
                self.arrivals.append(self._received_at)
            super().process_event(event)

    return StampedConnection


async def connect_engineers(ws_bases: list[str], tokens: list[str]) -> list:
    """One `/ws/escalations/` socket per API token, spread over the servers `ws_bases` (as a load
    balancer would), each past its `ready` frame. Each socket's `arrivals` gives, in order, when
    each later message's bytes reached this process (stamped_connection_class).

    The client library's own keep-alive pings are off: a browser never sends a protocol ping
    (the web UI sends `{"type": "ping"}` instead: `ping_like_browsers`), and the library's, every
    20 s on sockets all opened within a few seconds, came in bursts of hundreds that no browsers
    would send together. The server's pings (uvicorn's, every 20 s) are answered as before."""
    from websockets.asyncio.client import connect

    stamped = stamped_connection_class()
    sockets = []
    for i, token in enumerate(tokens):
        ws = await connect(f"{ws_bases[i % len(ws_bases)]}/ws/escalations/", max_queue=None, open_timeout=30,
                           ping_interval=None, additional_headers={"Authorization": f"Token {token}"},
                           create_connection=stamped)
        assert json.loads(await ws.recv()) == {"type": "ready"}
        ws.arrivals.popleft()
        sockets.append(ws)
    # The connections live as long as the run: out of the reach of every later collection.
    gc.collect()
    gc.freeze()
    return sockets


BROWSER_PING_SECONDS = 25.0  # the web UI's PING_MS (static/js/realtime.js)


def ping_like_browsers(sockets, period: float = BROWSER_PING_SECONDS) -> list:
    """What the web UI's sockets send while open: `{"type": "ping"}` every `period`, which the
    server answers with a pong after re-checking the socket's authority (a database query).
    Browsers open their sockets at unrelated moments, so each socket here starts at a random
    point of the period. Returns the tasks; cancel them when done."""
    import asyncio
    import random

    from websockets.exceptions import ConnectionClosed

    async def one(ws):
        await asyncio.sleep(random.uniform(0, period))
        try:
            while True:
                await ws.send('{"type": "ping"}')
                await asyncio.sleep(period)
        except ConnectionClosed:
            return

    return [asyncio.ensure_future(one(ws)) for ws in sockets]


def wait_quiet(*, window: float = 0.2, busy: float = 0.25, timeout: float = 5.0) -> bool:
    """Wait until this machine's CPUs were at most `busy` busy over `window` seconds: what one
    escalation leaves behind (the worker's last deliveries and their commits, any background work
    of the database) is not counted in the next one's latency. False if it did not settle within `timeout`."""
    def sample():  # (all, idle) clock ticks of every CPU since boot
        with open("/proc/stat") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:9]]  # user .. steal
        return sum(ticks), ticks[3]

    deadline = time.monotonic() + timeout
    total, idle = sample()
    while time.monotonic() < deadline:
        time.sleep(window)
        total_now, idle_now = sample()
        if total_now > total and 1 - (idle_now - idle) / (total_now - total) <= busy:
            return True
        total, idle = total_now, idle_now
    return False


# The stall meter's process: at real-time priority it sleeps STALL_TICK at a time and writes
# down (CLOCK_MONOTONIC, shared by every process here) each sleep that overran by STALL_MIN.
_STALL_METER = """
import os, sys, time
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    print("fifo", flush=True)
except (PermissionError, AttributeError, OSError):
    print("normal", flush=True)
tick, least = float(sys.argv[1]), float(sys.argv[2])
while True:
    t0 = time.perf_counter()
    time.sleep(tick)
    t1 = time.perf_counter()
    if t1 - t0 - tick >= least:
        print(f"{t0:.6f} {t1:.6f}", flush=True)
"""


class StallMeter:
    """Stalls of the whole machine, seen by a process no other process here can hold up.

    It runs at real-time priority (SCHED_FIFO, when allowed: root), so any runnable process of
    the benchmark, the servers, the worker, PostgreSQL or Redis yields the CPU to it at once; a
    sleep of STALL_TICK that takes much longer means the CPU was not there to be had: the
    hypervisor did not run this VM, or the kernel held it. `overlap(a, b)` is the longest such
    stall that overlapped [a, b] (perf_counter seconds, comparable across processes on Linux).
    Costs ~500 wake-ups a second of a few microseconds each."""

    STALL_TICK = 0.002
    STALL_MIN = 0.003

    def __init__(self):
        import threading

        self.proc = subprocess.Popen([sys.executable, "-c", _STALL_METER, str(self.STALL_TICK), str(self.STALL_MIN)],
                                     stdout=subprocess.PIPE, text=True)
        self.mode = self.proc.stdout.readline().strip()  # "fifo" or "normal"
        self.stalls: list[tuple[float, float]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            start, end = (float(x) for x in line.split())
            self.stalls.append((start, end))

    def overlap(self, a: float, b: float) -> float:
        """The longest stall (beyond the tick) overlapping [a, b], in seconds; 0 if none."""
        return max((min(end, b) - max(start + self.STALL_TICK, a) for start, end in list(self.stalls)
                    if end > a and start + self.STALL_TICK < b), default=0.0)

    def close(self):
        self.proc.kill()
        self.proc.wait()


@contextlib.contextmanager
def collector_held():
    """No cycle collection in this client during a timed window: the time is the servers'.

    The client holds S sockets and every frame time it took; a full collection of that, on the
    same cores, paused it for 80-140 ms at S = 500, and a frame that arrived meanwhile was stamped
    when the pause ended. One such pause in a run was the whole of its p99 (docs/performance.md,
    "The client's own collector"). Collections run between the windows, when nothing is timed."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def log_errors(path: Path) -> int:
    """ERROR and Traceback lines in a process's log."""
    text = path.read_text(errors="replace")
    return sum(1 for line in text.splitlines() if "ERROR" in line or "Traceback" in line)


def server_command(server: str, port: int) -> list[str]:
    """The command that serves the application on `port`: the production web process
    (resolutionflow.serve: uvicorn, the same command as the test servers') or, for comparison,
    daphne (the web process before). Call it after django.setup(), as for tests.helpers.free_port."""
    if server == "uvicorn":
        from tests.helpers import web_process_command

        return web_process_command(port)
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "resolutionflow.asgi:application"]
