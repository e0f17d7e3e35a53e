"""What the benchmark scripts share: their own database, a throwaway key, nearest-rank percentiles,
waiting for the server, the engineers' sockets, the client's collector held out of timed windows,
stopping a process and counting the errors in its log."""

import asyncio
import contextlib
import gc
import json
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from websockets.frames import DATA_OPCODES
from websockets.http11 import Response
from websockets.protocol import State

# A benchmark client parses what it read this long after (StampedSocket).
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


# Linux's SO_TIMESTAMPNS (= its SCM_TIMESTAMPNS), which Python's socket module does not export.
SO_TIMESTAMPNS = 35
_STAMP_SPACE = socket.CMSG_SPACE(16)  # a struct timespec


class Closed(ConnectionError):
    """The server closed the socket, or it broke."""


class StampedSocket:
    """One benchmark websocket, timing each message by when its bytes reached the socket.

    One client process holds all S sockets of a benchmark, on the same two cores as the servers.
    When a card goes to 500 sockets at once the client cannot be running for each of them as its
    frame lands: a frame stamped when the client got round to reading it was charged the client's
    own wait for a core, which grows with S and which S browsers on S machines never pay
    (docs/performance.md, "frames stamped by the kernel"). So the socket asks the kernel to stamp
    every segment as it is received (SO_TIMESTAMPNS) and reads with recvmsg, which hands back the
    stamp of the last segment read; a message's `arrived` is the stamp of the read that completed
    it. Its `read` is when this process read it, for the figures as the client saw them. Both are
    on time.perf_counter's clock. The websocket protocol is the websockets library's sans-I/O one
    (the handshake, masking, answering the server's pings and its close); the reads are parsed
    PARSE_AFTER later, in order, out of the burst, so parsing does not take a core from the
    servers while they are still writing it.

    `arrivals` holds (arrived, read) for each data message, in order; `async for text in socket`
    and `recv()` give the messages; `send(text)` and `close()` as usual."""

    def __init__(self, sock, protocol):
        from collections import deque

        self.loop = asyncio.get_running_loop()
        self.sock = sock
        self.protocol = protocol
        self.arrivals = deque()
        self.messages = deque()
        self.closed = False
        self.eof = False  # the server closed its side: nothing more to read
        self.last_read = 0.0  # when this process last read from the socket (perf_counter)
        self._waiter = None
        self._pending = []  # (arrived, read, bytes) reads not parsed yet; b"" is the end
        self._outgoing = b""
        self._parts = []  # the frames of a fragmented message so far
        self.response = None  # the server's answer to the handshake

    @classmethod
    async def connect(cls, url: str, headers: dict) -> "StampedSocket":
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        uri = parse_uri(url)
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        await loop.sock_connect(sock, (uri.host, uri.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        protocol = ClientProtocol(uri, max_size=None)
        request = protocol.connect()
        for name, value in headers.items():
            request.headers[name] = value
        protocol.send_request(request)
        ws = cls(sock, protocol)
        ws._write()
        loop.add_reader(sock.fileno(), ws._readable)
        while ws.response is None:
            await ws._wait()
        if protocol.handshake_exc is not None:
            ws._end()
            raise protocol.handshake_exc
        return ws

    async def _wait(self):
        if self.closed:
            raise Closed("the socket is closed")
        self._waiter = self.loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self):
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _readable(self):
        try:
            data, ancillary, _flags, _address = self.sock.recvmsg(262144, _STAMP_SPACE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancillary = b"", []
        read = time.perf_counter()
        self.last_read = read
        arrived = read
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", value[:16])
                # From the kernel's wall clock to perf_counter's, at this instant.
                arrived = seconds + nanoseconds / 1e9 - (time.time() - read)
        if not data:
            self.eof = True
            self.loop.remove_reader(self.sock.fileno())
        if self.protocol.state is not State.OPEN:  # the handshake, the close: parsed at once
            self._feed(arrived, read, data)
            return
        if not self._pending:
            self.loop.call_later(PARSE_AFTER, self._flush)
        self._pending.append((arrived, read, data))

    def _flush(self):
        pending, self._pending = self._pending, []
        for arrived, read, data in pending:
            self._feed(arrived, read, data)

    def _feed(self, arrived, read, data):
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                self.response = event
            elif event.opcode in DATA_OPCODES:
                self._parts.append(event.data)
                if event.fin:
                    self.messages.append(b"".join(self._parts).decode())
                    self.arrivals.append((arrived, read))
                    self._parts = []
        self._write()
        if not data or self.protocol.state is State.CLOSED:
            self._end()
        self._wake()

    def _write(self, data: bytes = b""):
        self._outgoing += b"".join(self.protocol.data_to_send()) + data
        if not self._outgoing or self.closed:
            return
        try:
            sent = self.sock.send(self._outgoing)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._end()
            return
        self._outgoing = self._outgoing[sent:]
        if self._outgoing:
            self.loop.add_writer(self.sock.fileno(), self._writable)

    def _writable(self):
        self.loop.remove_writer(self.sock.fileno())
        self._write()

    def pause(self) -> None:
        """Stop reading: what arrives waits in the socket's receive buffer, stamped as it lands,
        and no arrival wakes this process (`resume()` reads it)."""
        if not self.closed:
            self.loop.remove_reader(self.sock.fileno())

    def resume(self) -> None:
        if not self.closed and not self.eof:
            self.loop.add_reader(self.sock.fileno(), self._readable)

    def _end(self):
        if not self.closed:
            self.closed = True
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
            self.sock.close()

    async def recv(self) -> str:
        while not self.messages:
            await self._wait()
        return self.messages.popleft()

    def __aiter__(self):
        return self

    async def __anext__(self) -> str:
        try:
            return await self.recv()
        except Closed:
            raise StopAsyncIteration from None

    async def send(self, text: str) -> None:
        if self.closed or self.protocol.state is not State.OPEN:
            raise Closed("the socket is closed")
        self.protocol.send_text(text.encode())
        self._write()

    async def close(self) -> None:
        if not self.closed and self.protocol.state is State.OPEN:
            self.protocol.send_close()
            self._write()
        self._end()
        self._wake()


async def connect_engineers(ws_bases: list[str], tokens: list[str]) -> list[StampedSocket]:
    """One `/ws/escalations/` socket per API token, spread over the servers `ws_bases` (as a load
    balancer would), each past its `ready` frame. Each socket's `arrivals` gives, in order, when
    each later message reached the socket and when this process read it (StampedSocket).

    No protocol pings from here: a browser never sends one (the web UI sends `{"type": "ping"}`
    instead: `ping_like_browsers`). The server's pings (uvicorn's, every 20 s) are answered."""
    sockets = []
    for i, token in enumerate(tokens):
        ws = await StampedSocket.connect(f"{ws_bases[i % len(ws_bases)]}/ws/escalations/",
                                         {"Authorization": f"Token {token}"})
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
    import random

    async def one(ws):
        await asyncio.sleep(random.uniform(0, period))
        try:
            while True:
                await ws.send('{"type": "ping"}')
                await asyncio.sleep(period)
        except Closed:
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


class CpuLedger:
    """Who had the CPUs during a window, to the nanosecond: the scheduler's own accounting.

    `snapshot()` reads, for every process of this machine (each of its threads), the time it ran
    and the time it waited runnable for a CPU (/proc/PID/task/TID/schedstat), and every CPU's
    total run time (/proc/schedstat). `window(before, after, names)` turns two snapshots into
    milliseconds per process group: `names` maps a pid to a label (the web processes, the worker,
    this client); other processes are labelled by their command name (postgres, redis-server, …),
    those that appeared during the window are marked "(new)", and "unaccounted" is the CPUs'
    run time no listed process explains (processes that came and went inside the window, the
    kernel's own threads). A snapshot costs a few milliseconds: take it outside the timed window."""

    @staticmethod
    def _read(path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return None

    def snapshot(self) -> dict:
        import os

        processes = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            comm = self._read(f"/proc/{pid}/comm")
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            run = wait = 0
            for tid in tids:
                stat = self._read(f"/proc/{pid}/task/{tid}/schedstat")
                if stat:
                    fields = stat.split()
                    run += int(fields[0])
                    wait += int(fields[1])
            processes[int(pid)] = ((comm or "?").strip(), run, wait)
        cpus = 0
        for line in (self._read("/proc/schedstat") or "").splitlines():
            if line.startswith("cpu"):
                cpus += int(line.split()[7])
        return {"processes": processes, "cpus": cpus}

    def window(self, before: dict, after: dict, names: dict) -> dict:
        """{label: (ran ms, waited for a CPU ms)}, busiest first, and "unaccounted"."""
        totals: dict[str, list[float]] = {}
        explained = 0
        for pid, (comm, run, wait) in after["processes"].items():
            _, run0, wait0 = before["processes"].get(pid, (comm, 0, 0))
            label = names.get(pid) or (comm if pid in before["processes"] else f"{comm} (new)")
            ran, waited = run - run0, wait - wait0
            if ran <= 0 and waited <= 0:
                continue
            explained += ran
            slot = totals.setdefault(label, [0.0, 0.0])
            slot[0] += ran / 1e6
            slot[1] += waited / 1e6
        result = dict(sorted(((k, tuple(v)) for k, v in totals.items()), key=lambda kv: -kv[1][0]))
        result["unaccounted"] = (max(0, after["cpus"] - before["cpus"] - explained) / 1e6, 0.0)
        return result
