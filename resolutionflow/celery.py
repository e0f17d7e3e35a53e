"""The Celery app `resolutionflow` (`celery -A resolutionflow worker|beat`)."""

import os

from celery import Celery, signals

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
