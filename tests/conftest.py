"""Shared test cast and plumbing.

Two accounts, Acme and Globex, and their people: acme_tech, acme_senior, acme_senior2,
acme_admin, globex_tech, globex_senior, globex_admin. Every parallel worker has its own database
(pytest-django suffixes it) and its own channel-layer prefix in Redis.
"""

import os
import shutil
import subprocess
import time

import pytest
from django.conf import settings

from tests import helpers

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
PREFIX = f"rftest-{os.getpid()}-{WORKER}"


def pytest_configure(config):
    os.environ["CHANNEL_LAYER_PREFIX"] = PREFIX
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if "CONFIG" in settings.CHANNEL_LAYERS["default"]:
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = PREFIX
    # Throttle counters per worker process, cleared between tests.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": PREFIX}}
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks published by transactional tests go to this worker's own key space of the broker,
    # removed at the end of the session (no worker consumes them; the outbox tests run their own).
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                                                    global_keyprefix=f"{PREFIX}:")


@pytest.fixture(scope="session", autouse=True)
def _drop_published_tasks():
    yield
    if not settings.REDIS_URL:
        return
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(match=f"{PREFIX}:*", count=500):
        client.delete(key)


@pytest.fixture(scope="session", autouse=True)
def _stop_live_server_before_the_database_goes(django_db_setup):
    """Torn down before django_db_setup drops the test database, which the server still uses."""
    yield
    if helpers.LiveAsgiServer._instance is not None:
        helpers.LiveAsgiServer._instance.stop()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


class PrivateRedis(tuple):
    """`port, start = private_redis`; also `.url`, `.start()` and `.stop()`."""

    def __new__(cls, port, start, stop):
        self = super().__new__(cls, (port, start))
        self.port, self.start, self.stop = port, start, stop
        self.url = f"redis://127.0.0.1:{port}/0"
        return self


@pytest.fixture
def private_redis():
    """A redis-server of our own on a free port, started when the test says so: `start()`, and
    `private_redis.stop()` shuts it down (its clients' connections drop, as in an outage); start
    it again on the same port to end the outage."""
    import redis

    if not shutil.which("redis-server"):
        pytest.fail("redis-server is required for the Redis fault tests (apt-get install redis-server)")
    port = helpers.free_port()
    procs = []

    def start():
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop():
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(5)

    yield PrivateRedis(port, start, stop)
    stop()


@pytest.fixture
def acme(db):
    return helpers.make_account("Acme MSP", "acme")


@pytest.fixture
def globex(db):
    return helpers.make_account("Globex IT", "globex")


@pytest.fixture
def acme_tech(acme):
    return helpers.make_user(acme, "tech@acme.test", "technician", "Tina Tech")


@pytest.fixture
def acme_tech2(acme):
    return helpers.make_user(acme, "tech2@acme.test", "technician", "Theo Tech")


@pytest.fixture
def acme_senior(acme):
    return helpers.make_user(acme, "senior@acme.test", "engineer", "Sam Senior")


@pytest.fixture
def acme_senior2(acme):
    return helpers.make_user(acme, "senior2@acme.test", "engineer", "Sue Senior")


@pytest.fixture
def acme_admin(acme):
    return helpers.make_user(acme, "admin@acme.test", "admin", "Ada Admin")


@pytest.fixture
def globex_tech(globex):
    return helpers.make_user(globex, "tech@globex.test", "technician", "Gus Tech")


@pytest.fixture
def globex_senior(globex):
    return helpers.make_user(globex, "senior@globex.test", "engineer", "Gia Senior")


@pytest.fixture
def globex_admin(globex):
    return helpers.make_user(globex, "admin@globex.test", "admin", "Gil Admin")


@pytest.fixture
def api():
    """`api(user)` → a DRF client authenticated with a real personal API token of `user`."""
    return helpers.token_client


@pytest.fixture
def live_asgi(transactional_db):
    """The web process serving the ASGI app on the test database and this worker's Redis prefix."""
    server = helpers.LiveAsgiServer.shared()
    yield server
