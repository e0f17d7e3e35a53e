"""Benchmark: one queue card written to S sockets by one web process, and nothing else (no
escalation, no worker), through the ASGI server of your choice.

Not a test: run it by hand and record the figures in docs/performance.md.

    .venv/bin/python tests/load/bench_ws_delivery.py --sizes 10 500 --sends 30
    .venv/bin/python tests/load/bench_ws_delivery.py --sizes 500 --server daphne

bench_ws_latency.py times the whole escalation (the POST, the card, the worker's bells). This one
isolates what grows with the sockets: this process sends one `handoff.created`-sized frame to the
account's queue group (one channel message, as the escalate request does) and times its arrival
on every one of the S engineers' sockets. Per size it prints the arrival p50 / p99 / max and the
spread between a send's first and last socket: the web process writing S websocket frames (the
hub's one pass, escalations.broadcast) and this client reading them, on the same cores.

`--server uvicorn` (the default) is the production web process (resolutionflow.serve: uvicorn,
websockets-sansio, no per-message deflate); `--server daphne` runs the same application under
daphne, the web process before. `--py-spy FILE`
records the server (raw, collapsed stacks) during the timed sends (`pip install py-spy` first).
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
    collector_held,
    connect_engineers,
    ensure_database,
    log_errors,
    percentile,
    server_command,
    stop,
    wait_healthy,
)

# About the size of a real card (title, problem excerpt, reason, assessment status).
CARD = {"type": "handoff.created", "handoff": {"title": "t" * 120, "problem": "p" * 600, "reason": "r" * 120}}


async def measure(*, port: int, account_id, tokens: list[str], sends: int, warmup: int, spy: str, server_pid: int):
    from channels.layers import get_channel_layer

    from escalations import events

    layer = get_channel_layer()
    sockets = await connect_engineers([f"ws://127.0.0.1:{port}"], tokens)
    seen = [dict() for _ in sockets]

    async def reader(i, ws):
        try:
            async for raw in ws:
                now, _read = ws.arrivals.popleft()  # when it reached the socket (common.StampedSocket)
                frame = json.loads(raw)
                if frame.get("type") == "handoff.created":
                    seen[i][frame["handoff"]["id"]] = now
        except Exception:
            return

    readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
    arrivals, spreads, lost, recorder = [], [], 0, None
    for k in range(sends + warmup):
        if k == warmup and spy:
            recorder = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking",
                                         "-r", "1000", "-f", "raw", "-o", spy, "--pid", str(server_pid)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await asyncio.sleep(1)
        key = f"card-{k}"
        frame = {**CARD, "handoff": {**CARD["handoff"], "id": key}}
        with collector_held():
            t0 = time.perf_counter()
            await events.group_send(layer, events.queue_group(account_id), events.frame_message(frame))
            while not all(key in s for s in seen) and time.perf_counter() - t0 < 5:
                await asyncio.sleep(0.001)
        if k < warmup:
            continue
        times = [(s[key] - t0) * 1000 for s in seen if key in s]
        lost += len(sockets) - len(times)
        arrivals += times
        if times:
            spreads.append(max(times) - min(times))
        await asyncio.sleep(0.2)
    if recorder:
        recorder.send_signal(2)
        recorder.wait(60)
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    return {"arrivals": arrivals, "spreads": spreads, "lost": lost, "expected": sends * len(sockets)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 500])
    parser.add_argument("--sends", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--py-spy", dest="py_spy", default="", help="record the server during the sends: FILE.<size>")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rf_bench_ws")
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["CHANNEL_LAYER_PREFIX"] = "rfbenchdelivery"
    ensure_database(db_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    from accounts.models import Account
    from tests.helpers import free_port
    from tests.load.bench_ws_latency import setup_people

    logs = Path(tempfile.mkdtemp(prefix="rf-bench-delivery-"))
    port = free_port()
    env = dict(os.environ, DEBUG="0", SECRET_KEY="bench-" + "k" * 50, ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", CELERY_TASK_ALWAYS_EAGER="0", LOG_LEVEL="WARNING",
               CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
               FIELD_ENCRYPTION_KEY=os.environ.get("FIELD_ENCRYPTION_KEY", BENCH_KEY))
    server_log = open(logs / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(server_command(args.server, port), cwd=ROOT, env=env, stdout=server_log,
                              stderr=subprocess.STDOUT)
    results = {}
    try:
        wait_healthy(port)
        for size in args.sizes:
            _, tokens = setup_people(size)
            account_id = Account.objects.get(slug=f"bench-{size}").pk
            results[size] = asyncio.run(measure(
                port=port, account_id=account_id, tokens=tokens, sends=args.sends, warmup=args.warmup,
                spy=f"{args.py_spy}.{size}" if args.py_spy else "", server_pid=server.pid))
            results[size]["load"] = os.getloadavg()[0]
    finally:
        stop(server)
        server_log.close()

    print(f"server={args.server} sends per size={args.sends} (after {args.warmup} warm-up)")
    print("| S sockets | send → frame p50 / p99 / max | first → last socket p50 / max | lost | load avg (1 min) |")
    print("|---|---|---|---|---|")
    for size, r in results.items():
        a, sp = r["arrivals"], r["spreads"]
        print(f"| {size} | {statistics.median(a):.1f} / {percentile(a, 99):.1f} / {max(a):.1f} ms "
              f"| {statistics.median(sp):.1f} / {max(sp):.1f} ms | {r['lost']} of {r['expected']} | {r['load']:.2f} |")
    print(f"errors in the server's log: {log_errors(logs / 'server.log')} ({logs})")


if __name__ == "__main__":
    main()
