"""A worker keeps its database connections from one task to the next.

Celery's Django fixup (5.7) closed the whole connection pool of a prefork child at every task's
start and end (celery/celery#10554), so each task opened new PostgreSQL connections: a new
server process each, ~15-20 ms of the database's CPU (docs/performance.md), paid by every
fan-out, delivery and assessment, on the machine serving the escalation's card. The worker now
hands its connection back to the pool at a task's end, as a web request does
(resolutionflow/celery.py). A real prefork worker on the real PostgreSQL."""

from __future__ import annotations

import time

from django.db import connection

from escalations.models import EscalationEvent
from notifications.models import Delivery
from tests.escalations.loopback import wait_until
from tests.helpers import escalate, make_session, make_user, start_celery_worker, stop_worker
from tests.notifications.conftest import BROKER_URL, use_broker


def _worker_backends(name: str) -> set[int]:
    """The PostgreSQL server processes of the worker's connections (named by start_celery_worker)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = %s", [f"celery-{name}"])
        return {row[0] for row in cursor.fetchall()}


def _settled() -> bool:
    return (not EscalationEvent.objects.filter(fanned_out_at__isnull=True).exists()
            and not Delivery.objects.filter(status__in=["pending", "sending"]).exists())


def test_a_worker_runs_task_after_task_on_the_same_database_connections(
        transactional_db, private_redis, api, acme, acme_tech, tmp_path):
    port, start_redis = private_redis
    start_redis()
    broker = f"redis://127.0.0.1:{port}/0"
    use_broker(broker, prefix="")  # the worker's queues, on a Redis of this test's own
    for i in range(3):
        make_user(acme, f"eng{i}@acme.test", "engineer", f"Engineer {i}")
    client = api(acme_tech)
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        worker = start_celery_worker(broker_url=broker, name="pooled", log=log, pool="prefork")
        try:
            seen = []
            for n in range(4):
                session = make_session(client, title=f"Printer queue stuck {n}")
                assert escalate(client, session["id"]).status_code == 201
                # Each escalation is a fan-out task, then an email task per engineer.
                assert wait_until(_settled, timeout=60), f"escalation {n}'s fan-out and emails timed out"
                time.sleep(0.3)  # past the last task's end
                assert worker.poll() is None, log_path.read_text()[-2000:]
                seen.append(_worker_backends("pooled"))
            assert Delivery.objects.filter(kind="email", status="delivered").count() == 4 * 3
            assert seen[0], "the worker holds no connection between tasks"
            assert seen == [seen[0]] * 4, f"the worker reconnected between tasks: {seen}"
        finally:
            stop_worker(worker)
            use_broker(BROKER_URL)
