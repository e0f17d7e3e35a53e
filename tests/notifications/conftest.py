"""Plumbing for the outbox tests: loopback HTTP receivers, a private Celery broker key space,
and helpers to run deliveries synchronously (`private_redis`, a redis-server of a test's own, is
in tests/conftest.py).

Every task these tests publish goes to Redis db 5 under a per-worker key prefix (never the
shared queues of db 0), and the keys are removed at the end of the session.
"""

from __future__ import annotations

import os

import pytest
import redis

from tests.notifications.loopback import Receiver

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
BROKER_PREFIX = f"rfoutbox-{os.getpid()}-{WORKER}:"


def _redis_base() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return url.rsplit("/", 1)[0] if url.count("/") >= 3 else url


BROKER_URL = f"{_redis_base()}/5"


def use_broker(url: str, prefix: str = BROKER_PREFIX) -> None:
    """Point the `resolutionflow` Celery app at `url` (dropping pooled connections)."""
    from resolutionflow.celery import app

    app.conf.broker_url = url
    app.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                         "global_keyprefix": prefix}
    from kombu import pools

    pools.reset()  # kombu keeps connection and producer pools per broker URL, process-wide
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture(scope="session", autouse=True)
def _private_broker():
    from django.conf import settings

    from resolutionflow.celery import app

    saved = (app.conf.broker_url, dict(app.conf.broker_transport_options or {}), app.conf.task_always_eager)
    saved_setting = settings.CELERY_TASK_ALWAYS_EAGER
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    use_broker(BROKER_URL)
    yield
    settings.CELERY_TASK_ALWAYS_EAGER = saved_setting
    client = redis.Redis.from_url(BROKER_URL)
    for key in client.scan_iter(match=f"{BROKER_PREFIX}*", count=500):
        client.delete(key)
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
    use_broker(saved[0], saved[1].get("global_keyprefix", ""))


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    """The receivers live on 127.0.0.1: allow private networks (the SSRF tests turn it off)."""
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    settings.SITE_URL = "https://rf.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def receivers():
    """Several independent receivers: `receivers(n)`."""
    started = []

    def make(n):
        for _ in range(n):
            started.append(Receiver())
        return started[-n:]

    yield make
    for server in started:
        server.stop()
