"""Benchmark: escalate POST → `handoff.created` frame at 50 connected engineers (full stack).

Not a test: run it by hand and record the figures in docs/performance.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rf_bench_ws REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python tests/load/bench_ws_latency.py --engineers 50 --escalations 200

It creates (or reuses) the database, migrates it, starts daphne (ASGI, channels-redis) in a
subprocess, connects the engineers over real websockets with API tokens, then for each escalation
measures, per engineer, the time from sending the POST to receiving the frame.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.common import BENCH_KEY, ensure_database, percentile  # noqa: E402


def setup_people(engineers: int):
    import django

    django.setup()
    from accounts.models import Account, User
    from accounts.services import api_token_create

    account, _ = Account.objects.get_or_create(slug="bench", defaults={"name": "Bench MSP"})
    tech, _ = User.objects.get_or_create(email="tech@bench.test", defaults={"account": account, "role": "technician"})
    tokens = []
    for i in range(engineers):
        user, _ = User.objects.get_or_create(email=f"eng{i}@bench.test",
                                             defaults={"account": account, "role": "engineer"})
        tokens.append(api_token_create(user=user))
    return api_token_create(user=tech), tokens


async def run(args, tech_token, eng_tokens, base, ws_base):
    import httpx
    from websockets.asyncio.client import connect

    sockets = []
    for token in eng_tokens:
        ws = await connect(f"{ws_base}/ws/escalations/", additional_headers={"Authorization": f"Token {token}"},
                           max_queue=None)
        assert json.loads(await ws.recv()) == {"type": "ready"}
        sockets.append(ws)

    async def wait_for(ws, handoff_id_future):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "handoff.created":
                arrived = time.perf_counter()
                hid = await handoff_id_future
                if frame["handoff"]["id"] == hid:
                    return arrived

    latencies, last_arrivals, post_times = [], [], []
    headers = {"Authorization": f"Token {tech_token}"}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=headers, timeout=10) as http:
        for i in range(args.escalations + args.warmup):
            session = (await http.post("/sessions", json={"title": f"Bench {i}", "problem": "p"})).json()
            loop = asyncio.get_running_loop()
            hid_future = loop.create_future()
            waiters = [asyncio.create_task(wait_for(ws, hid_future)) for ws in sockets]
            t0 = time.perf_counter()
            response = await http.post(f"/sessions/{session['id']}/escalate", json={"reason": "bench"})
            t_post = time.perf_counter()
            hid_future.set_result(response.json()["id"])
            arrivals = await asyncio.wait_for(asyncio.gather(*waiters), timeout=10)
            if i >= args.warmup:
                post_times.append((t_post - t0) * 1000)
                latencies.extend((a - t0) * 1000 for a in arrivals)
                last_arrivals.append((max(arrivals) - t0) * 1000)
    for ws in sockets:
        await ws.close()
    return latencies, last_arrivals, post_times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--engineers", type=int, default=50)
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")
    db_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rf_bench_ws")
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("CHANNEL_LAYER_PREFIX", "rfbench")
    os.environ["THROTTLE_USER"] = "1000000/min"
    ensure_database(db_url)
    # Quiet the access log of 50 sockets.
    os.environ.setdefault("BENCH", "1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    tech_token, eng_tokens = setup_people(args.engineers)

    sys.path.insert(0, str(ROOT))
    from tests.helpers import free_port

    port = free_port()
    env = dict(os.environ, DEBUG="0", SECRET_KEY="bench-" + "k" * 50, ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", CELERY_TASK_ALWAYS_EAGER="0", LOG_LEVEL="WARNING",
               CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
               FIELD_ENCRYPTION_KEY=os.environ.get("FIELD_ENCRYPTION_KEY", BENCH_KEY),
               AI_PROVIDER="builtin")
    server = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                               "resolutionflow.asgi:application"], cwd=ROOT, env=env)
    # A real worker takes the after-commit tasks (assessment, deliveries), as in production.
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "resolutionflow", "worker", "-l", "WARNING",
                               "-Q", "assessment,notifications,psa", "-c", "1", "--without-heartbeat",
                               "--without-gossip", "--without-mingle"], cwd=ROOT, env=env)
    try:
        import httpx

        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        latencies, last, posts = asyncio.run(
            run(args, tech_token, eng_tokens, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"))
    finally:
        for proc in (server, worker):
            proc.terminate()
            proc.wait(10)
    print(f"engineers={args.engineers} escalations={args.escalations} frames={len(latencies)}")
    print(f"escalate POST round trip        p50={statistics.median(posts):7.1f} ms  "
          f"p99={percentile(posts, 99):7.1f} ms")
    print(f"POST sent -> frame, every frame p50={statistics.median(latencies):7.1f} ms  "
          f"p99={percentile(latencies, 99):7.1f} ms")
    print(f"POST sent -> last of 50 frames  p50={statistics.median(last):7.1f} ms  p99={percentile(last, 99):7.1f} ms")


if __name__ == "__main__":
    main()
