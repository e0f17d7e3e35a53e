"""Benchmark: what writing one escalation's bells costs the worker, at S = 10, 100 and 500 recipients.

Not a test: run it by hand and record the figures in docs/performance.md.

    .venv/bin/python tests/load/bench_bells.py                  # S = 10, 100, 500; 20 repetitions each

The fan-out's phase 1 (notifications.fanout) writes one bell per recipient with
`notifications.services.notify`: one INSERT … SELECT, the rows made by the database from the
recipients' query. For comparison the script also times what it replaced: the recipients loaded
as User objects, one Notification instance built per recipient, then `bulk_create`. Each
repetition runs in a transaction that is rolled back (so the same event can be written again),
on PostgreSQL, in this process: the worker's CPU and the database's, with nothing else running.
Uses the latency benchmark's database and accounts (`bench-<S>`: one technician, S engineers).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load.common import ensure_database  # noqa: E402


def one_event(size: int):
    """An escalation of the account `bench-<size>` whose fan-out has not run (the event row only)."""
    from accounts.models import User
    from escalations import handoffs, services
    from escalations.models import EscalationEvent
    from tests.load.bench_ws_latency import setup_people

    setup_people(size)
    tech = User.objects.get(email=f"tech@bench{size}.test")
    session = services.session_create(actor=tech, title=f"Bells bench {size}", problem="p")
    handoffs.handoff_create(session=session, actor=tech, intent="escalate", reason="bench")
    return EscalationEvent.objects.select_related("handoff__session").get(handoff__session=session,
                                                                          type="handoff.created")


def timed(fn, repetitions: int) -> list[float]:
    from django.db import transaction

    times = []
    for _ in range(repetitions):
        with transaction.atomic():
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
            transaction.set_rollback(True)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--repetitions", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rf_bench_ws")
    os.environ["DATABASE_URL"] = db_url
    # The escalations' own fan-out is not what is timed: queue it nowhere (the event stays pending).
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    ensure_database(db_url)
    import subprocess

    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    print(f"repetitions per size={args.repetitions}; milliseconds, p50 / max")
    print("| S recipients | notify(): INSERT … SELECT | before: load users, build rows, bulk_create |")
    print("|---|---|---|")
    for size in args.sizes:
        new, before = measure(size, args.repetitions)
        print(f"| {size} | {statistics.median(new):.1f} / {max(new):.1f} "
              f"| {statistics.median(before):.1f} / {max(before):.1f} |")


def measure(size: int, repetitions: int) -> tuple[list[float], list[float]]:
    """The bells of one escalation of `bench-<size>`, written both ways, `repetitions` times each."""
    from django.utils import timezone

    from notifications.fanout import _created_recipients
    from notifications.models import Notification
    from notifications.services import notify

    event = one_event(size)
    handoff = event.handoff
    recipients = _created_recipients(handoff)
    fields = {"kind": "escalation", "title": "Bench escalated", "body": "bench",
              "link": f"/pilot/{handoff.session_id}?pickup=true", "handoff": handoff}

    def new():
        notify(event=event, users=recipients, **fields)

    def before():
        now = timezone.now()
        Notification.objects.bulk_create([
            Notification(account_id=event.account_id, user=u, event=event, created_at=now, **fields)
            for u in recipients.order_by("pk")])

    timed(new, 3)  # both warmed up (query compilation, the database's buffers)
    timed(before, 3)
    return timed(new, repetitions), timed(before, repetitions)


if __name__ == "__main__":
    main()
