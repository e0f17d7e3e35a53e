"""The fan-out of an escalation survives its worker: a real Celery worker process SIGKILLed in
the middle of a 200-recipient fan-out leaves nothing half-written, and after a restart every
recipient has exactly one bell and one email delivery. A fan-out run again does nothing."""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from escalations.models import EscalationEvent
from notifications import fanout
from notifications.models import Delivery, Notification
from tests.helpers import escalate, make_session, make_user, start_celery_worker
from tests.notifications.conftest import BROKER_URL, use_broker

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 200


def _someone_is_mid_write() -> bool:
    """Another connection to the test database is inside a transaction that has written: the
    worker's fan-out (it holds the event's row lock from its first statement to its commit).
    Read from pg_stat_activity, so the test never takes a lock the worker would skip."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")
        return cursor.fetchone()[0] > 0


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.002)
    pytest.fail(f"timed out waiting for {what}")


def test_a_worker_killed_mid_fan_out_leaves_each_recipient_one_bell_and_one_email(
        transactional_db, private_redis, api, acme, acme_tech, tmp_path):
    port, start_redis = private_redis
    start_redis()
    broker = f"redis://127.0.0.1:{port}/0"
    engineers = [make_user(acme, f"eng{i}@acme.test", "engineer", f"Engineer {i}") for i in range(RECIPIENTS)]
    use_broker(broker, prefix="")
    workers = []
    try:
        client = api(acme_tech)
        session = make_session(client, title="Spooler keeps crashing")
        assert escalate(client, session["id"]).status_code == 201
        event = EscalationEvent.objects.get()

        with open(tmp_path / "worker1.log", "w") as log:
            first = start_celery_worker(broker_url=broker, name="doomed", log=log)
            workers.append(first)
            _wait(lambda: _someone_is_mid_write() or first.poll() is not None, 60, "the fan-out to start")
            assert first.poll() is None, (tmp_path / "worker1.log").read_text()[-2000:]
            first.send_signal(signal.SIGKILL)
            first.wait(10)

        # Killed mid-transaction: nothing of the phase it was in is left, the rest is still to do.
        event.refresh_from_db()
        assert event.fanned_out_at is None, "the worker finished before it could be killed"
        assert not Delivery.objects.exists()
        assert Notification.objects.count() == (RECIPIENTS if event.notified_at else 0)

        with open(tmp_path / "worker2.log", "w") as log:
            workers.append(start_celery_worker(broker_url=broker, name="restarted", log=log))
            # What celery beat runs every 30 s: the lost fan-out is published again.
            assert fanout.sweep_events(now=timezone.now() + timedelta(minutes=1)) == 1
            _wait(lambda: EscalationEvent.objects.filter(pk=event.pk, fanned_out_at__isnull=False).exists(),
                  60, "the fan-out to run again")

        bells = dict(Notification.objects.values_list("user_id").annotate(n=Count("id")))
        assert set(bells) == {e.pk for e in engineers} and set(bells.values()) == {1}
        emails = dict(Delivery.objects.filter(kind="email").values_list("recipient_id").annotate(n=Count("id")))
        assert set(emails) == {e.pk for e in engineers} and set(emails.values()) == {1}
        # Run once more (a redelivered message): nothing changes.
        assert fanout.fan_out(event.pk) is None
        assert Notification.objects.count() == RECIPIENTS
        assert Delivery.objects.filter(kind="email").count() == RECIPIENTS
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        use_broker(BROKER_URL)
