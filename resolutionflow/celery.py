"""The Celery app `resolutionflow` (`celery -A resolutionflow worker|beat`)."""

import os

from celery import Celery, signals
from django.db import close_old_connections

from resolutionflow import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")

app = Celery("resolutionflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task log lines, the request id across the broker, and Django's LOGGING in workers and beat.
logs.connect_celery()


@signals.worker_process_init.connect(weak=False)
def _forget_inherited_connection_pools(**kwargs):
    """A prefork child opens its own database connection pool (settings DB_POOL_MAX_SIZE): one
    inherited from the parent would hand out the parent's sockets, and its threads did not survive
    the fork. Forgotten, not closed: closing would close the parent's connections."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    DatabaseWrapper._connection_pools.clear()


@signals.task_prerun.connect(weak=False)
@signals.task_postrun.connect(weak=False)
def _hand_connections_back(sender=None, **kwargs):
    """At a task's start and end, what Django does at a request's: a connection that is broken or
    past CONN_MAX_AGE is closed, which with the pool (settings DB_POOL_MAX_SIZE) hands it back.

    Celery's own Django fixup did this by closing the whole pool of a prefork child as well, at
    every task's start and end (celery/celery#10554, Celery 5.7): each task then opened new
    PostgreSQL connections, a server process each, ~15-20 ms of the database's CPU per
    connection on the machine that serves the escalations (docs/performance.md). settings
    CELERY_DB_REUSE_MAX keeps the fixup from doing that (it still drops what a child inherited
    when it is forked). An eager task (embedded mode, tests) runs inside the caller's request or
    transaction: its connection is the caller's, left alone."""
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()
