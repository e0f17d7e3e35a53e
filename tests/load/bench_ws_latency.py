"""Benchmark: escalate POST → frames on every engineer's socket, at S = 10, 100 and 500 engineers of
one account (full stack: the production web process + a Celery worker + PostgreSQL + Redis, DEBUG=0).

Not a test: run it by hand and record the figures in docs/performance.md.

    .venv/bin/python tests/load/bench_ws_latency.py                    # S = 10, 100, 500; 30 escalations each
    .venv/bin/python tests/load/bench_ws_latency.py --sizes 10 100 --escalations 50 --layer pubsub

It creates (or reuses) its own database, migrates it, starts the web process (resolutionflow.serve;
`--server daphne` to compare) and a worker in subprocesses, and per size: connects S engineers over real
websockets (API tokens; the account's engineers ARE the sockets), then per escalation times, from
just before the POST, the `handoff.created` card
and the `notification.created` bell on every socket. A frame that has not arrived 5 s after the
POST is counted lost. Between escalations it waits until the worker has assessed the previous one
and sent its deliveries (hundreds of emails at S = 500), then until the machine's CPUs have
settled (common.wait_quiet: what an escalation leaves behind, such as its last deliveries'
commits, is not counted in the next one; "started unsettled" counts the escalations that began without it):
it measures latency on a quiet system, not throughput under a backlog. `--web-processes 2` runs
two web processes, as `make stack` does, with the sockets spread over them (the POSTs go to the
first); the worker runs at `nice -n 10`, as the Procfile runs the workers (`--worker-nice 0` to
compare). The floor is `POST /api/v1/sessions` (token auth, throttle, one insert) on the same server in the same run. It
prints the load average and counts ERROR/Traceback lines in the servers' and the worker's logs;
`--detail` prints each escalation's POST (with its start to the millisecond, to set beside the
servers' logs), first / median / last card and bell, whether a frame counted lost arrived later
after all, and who had the CPUs from just before the POST until the client saw every socket's
card, no earlier than the POST's answer (common.CpuLedger: each process's run and runnable-wait
time, from the scheduler; PostgreSQL's server processes are named by the benchmark process they
serve, "postgres for bench-worker").
`BENCH_LOG_LEVEL=INFO` has the web processes log every request with its time inside Django
(`resolutionflow.request`), to set beside the POST's.

A stall meter (common.StallMeter: a process at real-time priority) notes when the machine itself
was not there to run anything (the hypervisor, the kernel): the "stalled ≥ 5 ms" column counts
the escalations whose POST-to-last-card window overlapped such a stall, and `--detail` says by
how much.

Each socket pings as the web UI does (`{"type": "ping"}` every 25 s, each socket at its own random
phase: common.ping_like_browsers), which has the server re-check its authority.

The client is one process (uvloop) holding every socket on the same cores as the servers. A frame
is timed when its bytes reached its socket, as the kernel stamped them (common.StampedSocket):
S browsers on S machines each read their frame as it lands, while this one process, at S = 500,
reads the last sockets of a burst only when it gets a core back from the servers. The time this
process read each frame is printed too ("as read by the client"). Frames are parsed a moment
later, out of the burst, and the client's own cycle collector does not run while an escalation
is timed (common.collector_held), so the figures are the servers' and not the client's.
`--client-reads after-post` goes further: the client reads no socket until the escalate POST
has answered, so it takes no core while the servers write the burst; the frames wait in the
sockets with their kernel stamps (a later frame on the same socket before the read would stamp
both late, never early).
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
    CpuLedger,
    StallMeter,
    collector_held,
    connect_engineers,
    ensure_database,
    log_errors,
    percentile,
    ping_like_browsers,
    server_command,
    stop,
    wait_healthy,
    wait_quiet,
)

LOST_AFTER = 5.0


def setup_people(size: int):
    """The account `bench-<size>` with one technician and `size` engineers; returns tokens."""
    from accounts.models import Account, User
    from accounts.services import api_token_create

    account, _ = Account.objects.get_or_create(slug=f"bench-{size}", defaults={"name": f"Bench MSP {size}"})
    tech, _ = User.objects.get_or_create(email=f"tech@bench{size}.test",
                                         defaults={"account": account, "role": "technician"})
    tokens = []
    for i in range(size):
        user, _ = User.objects.get_or_create(email=f"eng{i}@bench{size}.test",
                                             defaults={"account": account, "role": "engineer", "name": f"Eng {i}"})
        tokens.append(api_token_create(user=user))
    return api_token_create(user=tech), tokens


async def measure(*, tech_token, eng_tokens, base, ws_bases, escalations, warmup, detail=False, meter=None,
                  names=None, relabel=None, read_after_post=False):
    import httpx

    sockets = await connect_engineers(ws_bases, eng_tokens)
    pingers = ping_like_browsers(sockets)

    # Every frame each socket receives: (kind, key) -> arrival time. key: handoff id for cards,
    # session id (from the pickup link) for bells.
    seen = [dict() for _ in sockets]

    async def reader(i, ws):
        try:
            async for raw in ws:
                now = ws.arrivals.popleft()  # (arrived at the socket, read by this process)
                frame = json.loads(raw)
                if frame["type"] == "handoff.created":
                    seen[i][("card", frame["handoff"]["id"])] = now
                elif frame["type"] == "notification.created":
                    link = frame["notification"]["link"] or ""
                    seen[i][("bell", link.split("/pilot/")[-1].split("?")[0])] = now
        except Exception:
            return

    readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
    card_ms, card_read_ms, bell_ms, post_ms, floor_ms, stalls = [], [], [], [], [], []
    lost_cards = lost_bells = not_quiet = 0
    headers = {"Authorization": f"Token {tech_token}"}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=headers, timeout=30) as http:
        for i in range(escalations + warmup):
            with collector_held():
                t_floor = time.perf_counter()
                response = await http.post("/sessions", json={"title": f"Bench {i}", "problem": "p"})
                floor = (time.perf_counter() - t_floor) * 1000
                session = response.json()
                ledger = CpuLedger() if detail else None
                if ledger and relabel:
                    names.update(await asyncio.to_thread(relabel))
                before = ledger.snapshot() if ledger else None
                cpu = None
                if read_after_post:
                    for ws in sockets:
                        ws.pause()
                t0 = time.perf_counter()
                response = await http.post(f"/sessions/{session['id']}/escalate", json={"reason": "bench"})
                t_post = time.perf_counter()
                if read_after_post:
                    for ws in sockets:
                        ws.resume()
                assert response.status_code == 201, response.text
                hid, sid = response.json()["id"], session["id"]
                deadline = t0 + LOST_AFTER
                while time.perf_counter() < deadline:
                    if ledger and cpu is None and all(ws.last_read > t0 for ws in sockets):
                        # Who had the CPUs from just before the POST until the last card was read
                        # (each socket's first bytes after the POST: its card; it is parsed later).
                        cpu = ledger.window(before, ledger.snapshot(), names or {})
                    if all(("card", hid) in s and ("bell", sid) in s for s in seen):
                        break
                    await asyncio.sleep(0.002)
            if i < warmup:
                # A warm-up escalation's deliveries are drained too: left queued, they would be the
                # worker's backlog during the first timed escalation.
                await asyncio.to_thread(_wait_settled, hid)
                continue
            floor_ms.append(floor)
            post_ms.append((t_post - t0) * 1000)
            for s in seen:
                if ("card", hid) in s:
                    arrived, read = s[("card", hid)]
                    card_ms.append((arrived - t0) * 1000)
                    card_read_ms.append((read - t0) * 1000)
                else:
                    lost_cards += 1
                if ("bell", sid) in s:
                    bell_ms.append((s[("bell", sid)][0] - t0) * 1000)
                else:
                    lost_bells += 1
            last_card = max((s[("card", hid)][0] for s in seen if ("card", hid) in s), default=t0 + LOST_AFTER)
            stall = meter.overlap(t0, last_card) * 1000 if meter else 0.0
            stalls.append(stall)
            if detail:
                wall = time.time() - (time.perf_counter() - t0)
                at = time.strftime("%H:%M:%S", time.gmtime(wall)) + f".{int(wall * 1000) % 1000:03d}"
                line = f"  escalation {i - warmup} ({at} UTC): POST {(t_post - t0) * 1000:.0f} ms"
                for kind, key in (("card", hid), ("bell", sid)):
                    times = sorted((s[(kind, key)][0] - t0) * 1000 for s in seen if (kind, key) in s)
                    line += (f"; {kind} first / p50 / last {times[0]:.0f} / {times[len(times) // 2]:.0f} / "
                             f"{times[-1]:.0f} ms" if times else f"; no {kind}")
                    if len(times) < len(seen):
                        line += f" ({len(seen) - len(times)} lost)"
                if stall:
                    line += f"; machine stalled {stall:.0f} ms before the last card"
                print(line, flush=True)
                if cpu:
                    print("    CPU until the last card, ran / waited ms: " + ", ".join(
                        f"{label} {ran:.1f} / {waited:.1f}" for label, (ran, waited) in list(cpu.items())[:8]
                        if ran >= 0.5 or label == "unaccounted"), flush=True)
            # Latency, not throughput: the next escalation starts on a quiet system, once the
            # worker has assessed this one and sent its deliveries (hundreds of emails at S = 500),
            # and what they left behind (the last deliveries' commits) has settled.
            if not await asyncio.to_thread(_wait_settled, hid):
                not_quiet += 1
            if detail and not all(("card", hid) in s and ("bell", sid) in s for s in seen):
                await asyncio.sleep(1)
                late = [(s.get(("card", hid)), s.get(("bell", sid))) for s in seen]
                print(f"    after the worker drained: cards {sum(c is not None for c, _ in late)}, "
                      f"bells {sum(b is not None for _, b in late)} of {len(seen)}; latest bell "
                      f"{max(((b[0] - t0) * 1000 for _, b in late if b), default=0):.0f} ms", flush=True)
    for task in pingers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    return {"card": card_ms, "card_read": card_read_ms, "bell": bell_ms, "post": post_ms, "floor": floor_ms,
            "lost_cards": lost_cards, "lost_bells": lost_bells, "expected": escalations * len(sockets),
            "not_quiet": not_quiet, "stalls": stalls}


def _wait_settled(handoff_id: str, timeout: float = 60) -> bool:
    """Wait until the worker is done with this escalation (assessed, fanned out, every delivery
    sent), then until the machine's CPUs have settled (common.wait_quiet); False if they did not."""
    from django.db import close_old_connections

    from escalations.models import EscalationEvent, Handoff
    from notifications.models import Delivery

    close_old_connections()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # In this order: the assessment writes a handoff.assessed event, whose fan-out writes deliveries.
        if (not Handoff.objects.filter(pk=handoff_id, assessment_status="pending").exists()
                and not EscalationEvent.objects.filter(handoff_id=handoff_id, fanned_out_at__isnull=True).exists()
                and not Delivery.objects.filter(handoff_id=handoff_id, status__in=["pending", "sending"]).exists()):
            break
        time.sleep(0.05)
    close_old_connections()
    return wait_quiet()


def _labels(worker_pid: int) -> dict:
    """{pid: label} for --detail's CPU ledger, looked up before each escalation: the worker's pool
    process (it may start after the worker), and the PostgreSQL server processes of the
    benchmark's database by the name each benchmark process gives its connections ("postgres for
    bench-worker", …)."""
    from django.db import close_old_connections, connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database()")
        rows = cursor.fetchall()
    close_old_connections()
    return {**{pid: f"postgres for {name or 'the client'}" for pid, name in rows},
            **{child: "worker" for child in _children(worker_pid)}}


def _children(pid: int) -> list[int]:
    """The processes `pid` started (the worker's pool process)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(child) for child in f.read().split()]
    except OSError:
        return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--escalations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--layer", choices=["core", "pubsub"], default="core",
                        help="channels-redis RedisChannelLayer (core) or RedisPubSubChannelLayer")
    parser.add_argument("--web-processes", dest="web_processes", type=int, default=1,
                        help="web processes; the sockets are spread over them, the POSTs go to the first")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn",
                        help="uvicorn: the production web process (resolutionflow.serve); daphne to compare")
    parser.add_argument("--worker-nice", dest="worker_nice", type=int, default=10,
                        help="run the worker at this nice level; 10 as the Procfile runs them (0 to compare)")
    parser.add_argument("--client-reads", dest="client_reads", choices=["live", "after-post"], default="live",
                        help="live: the client reads each frame as it lands; after-post: it reads none until the "
                             "escalate POST has answered (the frames wait in the sockets, stamped as they landed)")
    parser.add_argument("--detail", action="store_true",
                        help="print each escalation's POST and its first, median and last card and bell")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rf_bench_ws")
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["CHANNEL_LAYER_PREFIX"] = "rfbench"
    os.environ["CHANNEL_LAYER_BACKEND"] = args.layer
    os.environ["THROTTLE_USER"] = "1000000/min"
    ensure_database(db_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django
    import uvloop

    django.setup()
    from tests.helpers import free_port

    logs = Path(tempfile.mkdtemp(prefix="rf-bench-"))
    ports = [free_port() for _ in range(args.web_processes)]
    env = dict(os.environ, DEBUG="0", SECRET_KEY="bench-" + "k" * 50, ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", CELERY_TASK_ALWAYS_EAGER="0",
               LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
               CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
               FIELD_ENCRYPTION_KEY=os.environ.get("FIELD_ENCRYPTION_KEY", BENCH_KEY),
               EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", AI_PROVIDER="builtin")
    server_log, worker_log = open(logs / "web.log", "w"), open(logs / "worker.log", "w")  # noqa: SIM115
    # Each process's database connections carry its name (pg_stat_activity, PostgreSQL's
    # connection log): bench-web-0, bench-web-1, …, bench-worker.
    def named(name):
        return dict(env, DATABASE_URL=f"{db_url}?application_name=bench-{name}")

    servers = [subprocess.Popen(server_command(args.server, port), cwd=ROOT, env=named(f"web-{i}"),
                                stdout=server_log, stderr=subprocess.STDOUT) for i, port in enumerate(ports)]
    # A real worker does the fan-out (bells, emails) and the assessment, as in production.
    nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    worker = subprocess.Popen([*nice, sys.executable, "-m", "celery", "-A", "resolutionflow", "worker", "-l", "WARNING",
                               "-Q", "fanout,assessment,notifications,psa", "-c", "1", "--without-heartbeat",
                               "--without-gossip", "--without-mingle"], cwd=ROOT, env=named("worker"),
                              stdout=worker_log, stderr=subprocess.STDOUT)
    results = {}
    meter = StallMeter()
    # The processes --detail's CPU ledger names (their threads and, for the worker, its children).
    names = {os.getpid(): "client", meter.proc.pid: "stall meter", worker.pid: "worker"}
    names.update({server.pid: f"web {'AB'[i] if i < 2 else i}" for i, server in enumerate(servers)})
    try:
        for port in ports:
            wait_healthy(port)
        for size in args.sizes:
            tech_token, eng_tokens = setup_people(size)
            results[size] = uvloop.run(measure(
                tech_token=tech_token, eng_tokens=eng_tokens, base=f"http://127.0.0.1:{ports[0]}",
                ws_bases=[f"ws://127.0.0.1:{port}" for port in ports], escalations=args.escalations,
                warmup=args.warmup, detail=args.detail, meter=meter, names=names,
                relabel=lambda: _labels(worker.pid),
                read_after_post=args.client_reads == "after-post"))
            load = os.getloadavg()
            results[size]["load"] = load
    finally:
        meter.close()
        for proc in (*servers, worker):
            stop(proc)
        server_log.close()
        worker_log.close()

    print(f"server={args.server} layer={args.layer} web processes={args.web_processes} "
          f"client reads={args.client_reads} escalations per size={args.escalations} (after {args.warmup} warm-up)")
    print(f"machine stalls: {len(meter.stalls)} of ≥ {meter.STALL_MIN * 1000:.0f} ms in the run (meter at "
          f"{'real-time' if meter.mode == 'fifo' else 'normal'} priority)")
    print("| S | floor POST /sessions p50 / p99 | escalate POST p50 / p99 | POST → card p50 / p99 "
          "| (card as read by the client) | POST → bell p50 / p99 | lost cards | lost bells | started unsettled "
          "| stalled ≥ 5 ms | load avg (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size, r in results.items():
        def pair(values):
            return f"{statistics.median(values):.0f} / {percentile(values, 99):.0f} ms" if values else "—"
        print(f"| {size} | {pair(r['floor'])} | {pair(r['post'])} | {pair(r['card'])} | ({pair(r['card_read'])}) "
              f"| {pair(r['bell'])} "
              f"| {r['lost_cards']} of {r['expected']} | {r['lost_bells']} of {r['expected']} | {r['not_quiet']} "
              f"| {sum(stall >= 5 for stall in r['stalls'])} | {r['load'][0]:.2f} |")
    print(f"errors in the logs: web {log_errors(logs / 'web.log')}, worker {log_errors(logs / 'worker.log')} "
          f"({logs})")
    for line in bar_lines(results):
        print(line)


def bar_lines(results: dict) -> list[str]:
    """The issue's targets, for the sizes this run measured: the S = 500 card p99 within 1.5× of
    S = 10's, the S = 100 card p99 at most 3× the floor's p99 (that run's), nothing lost."""
    def p99(values):
        return percentile(values, 99)

    def verdict(ratio, target):
        return f"{ratio:.2f}× (target ≤ {target}×: {'met' if ratio <= target else 'NOT met'})"

    lines = []
    if 10 in results and 500 in results:
        lines.append("S = 500 card p99 / S = 10's: "
                     + verdict(p99(results[500]["card"]) / p99(results[10]["card"]), 1.5))
    if 100 in results:
        lines.append("S = 100 card p99 / the floor's p99: "
                     + verdict(p99(results[100]["card"]) / p99(results[100]["floor"]), 3))
    lost = sum(r["lost_cards"] + r["lost_bells"] for r in results.values())
    lines.append(f"frames lost, cards and bells, every size: {lost} (target 0)")
    return lines


if __name__ == "__main__":
    main()
