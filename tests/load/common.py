"""What the benchmark scripts share: their own database, a throwaway key, nearest-rank percentiles,
waiting for the server, the engineers' sockets, stopping a process and counting the errors in its
log."""

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

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


async def connect_engineers(ws_bases: list[str], tokens: list[str]) -> list:
    """One `/ws/escalations/` socket per API token, spread over the servers `ws_bases` (as a load
    balancer would), each past its `ready` frame."""
    from websockets.asyncio.client import connect

    sockets = []
    for i, token in enumerate(tokens):
        ws = await connect(f"{ws_bases[i % len(ws_bases)]}/ws/escalations/", max_queue=None, open_timeout=30,
                           additional_headers={"Authorization": f"Token {token}"})
        assert json.loads(await ws.recv()) == {"type": "ready"}
        sockets.append(ws)
    return sockets


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
