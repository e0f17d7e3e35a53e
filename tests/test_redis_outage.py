"""Redis goes away and comes back (issue #10, item 8).

While Redis is down the API keeps working: the throttles fail open (counted in
`throttle_cache_errors_total`), an escalation is written with its durable event and answers 201,
and the web UI's database sessions need no Redis. When Redis is back, the first websocket of a
web process that held pooled connections from before gets `ready` (redis-py retries a command
that meets a connection the restart closed), and the sweeper's fan-out delivers the bell.

The end-to-end test runs the web process and a Celery worker on a private redis-server of its own
(`private_redis`), which it stops and starts again.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts.models import User
from accounts.services import api_token_create
from escalations.models import EscalationEvent, Handoff
from notifications import fanout
from notifications.models import Notification
from tests import helpers
from tests.notifications.conftest import use_broker


def _errors(operation: str) -> float:
    return REGISTRY.get_sample_value("throttle_cache_errors_total", {"operation": operation}) or 0.0


@pytest.fixture
def unreachable_cache(settings):
    """The throttles' cache is a Redis nobody listens on."""
    from resolutionflow import throttling

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{helpers.free_port()}/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    throttling.fail_open_cache._paused_until = 0.0
    yield
    throttling.fail_open_cache._paused_until = 0.0


def test_with_the_throttle_cache_unreachable_the_api_answers_and_the_errors_are_counted(
        unreachable_cache, api, acme_tech, acme_senior, caplog):
    from resolutionflow import throttling

    client = api(acme_tech)
    before = _errors("window")
    assert client.get("/api/v1/me").status_code == 200
    assert _errors("window") == before + 1
    assert "throttle cache unreachable" in caplog.text
    # Paused: the next requests do not wait on the cache again, and log nothing more.
    caplog.clear()
    session = helpers.make_session(client)
    assert helpers.escalate(client, session["id"]).status_code == 201
    assert _errors("window") == before + 1 and "throttle cache" not in caplog.text
    # After the pause the cache is tried again (still down: counted again).
    throttling.fail_open_cache._paused_until = 0.0
    assert api(acme_senior).get("/api/v1/handoffs").status_code == 200
    assert _errors("window") == before + 2


def test_the_throttles_still_throttle_when_the_cache_works(api, acme_tech, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "60/min", "user": "2/min"})
    client = api(acme_tech)
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]


@pytest.fixture
def redis_cache(settings):
    """The throttles' cache is the real Redis (production's backend), under this test's own prefix."""
    import uuid

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": settings.REDIS_URL, "KEY_PREFIX": f"rftest-{uuid.uuid4().hex}",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}


def test_on_redis_the_throttle_is_one_round_trip_with_drfs_limits_and_retry_after(
        redis_cache, api, acme_tech, acme_senior, monkeypatch):
    from django.core.cache import caches
    from rest_framework.throttling import SimpleRateThrottle

    from resolutionflow.throttling import fail_open_cache

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "60/min", "user": "3/min"})
    client = api(acme_tech)
    commands = []
    real_window = fail_open_cache.window

    def counting(*args, **kwargs):
        commands.append(args[0])
        return real_window(*args, **kwargs)

    monkeypatch.setattr(fail_open_cache, "window", counting)
    statuses = [client.get("/api/v1/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"]
    assert len(commands) == 5  # one script call per request, no GET/SET pair
    # Another user has a window of their own.
    assert api(acme_senior).get("/api/v1/me").status_code == 200
    # The window lives in Redis as a list of the allowed requests' times (not DRF's pickled value).
    backend = caches.create_connection("default")
    name = backend.make_and_validate_key(f"window:throttle_user_{acme_tech.pk}")
    redis = backend._cache.get_client(name)
    assert redis.llen(name) == 3 and 0 < redis.ttl(name) <= 60


def test_on_redis_requests_older_than_the_window_leave_it(redis_cache, api, acme_tech, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    from resolutionflow import throttling

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "60/min", "user": "2/min"})
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling.UserRateThrottle, "timer", lambda self: clock[0])
    client = api(acme_tech)
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    clock[0] += 30
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 30  # the oldest leaves in 30 s
    clock[0] += 30.5  # the first two are now older than a minute
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]


def test_on_redis_a_limit_of_zero_refuses_with_a_full_window_to_wait(redis_cache, api, acme_tech, monkeypatch):
    """The script's empty window (nothing recorded, nothing to be oldest) is a 429 like DRF's, not a 500."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "60/min", "user": "0/min"})
    refused = api(acme_tech).get("/api/v1/me")
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 60


@pytest.mark.django_db(transaction=True)
def test_an_escalation_during_a_redis_outage_is_kept_and_its_bell_arrives_after_recovery(
        private_redis, acme_tech, acme_senior, tmp_path):
    from resolutionflow.celery import app

    private_redis.start()
    server = helpers.LiveAsgiServer(extra_env={
        "REDIS_URL": private_redis.url, "CELERY_BROKER_URL": private_redis.url, "CELERY_TASK_ALWAYS_EAGER": "0",
        # The real throttles, on the private Redis.
        "THROTTLE_USER": "1200/min", "THROTTLE_ANON": "60/min",
    })
    saved_broker = (app.conf.broker_url, dict(app.conf.broker_transport_options or {}))
    worker = None
    tech = httpx.Client(base_url=f"{server.url}/api/v1", timeout=20,
                        headers={"Authorization": f"Token {api_token_create(user=acme_tech)}"})
    try:
        # Before: a socket (its process now holds pooled Redis connections) and a session.
        before = helpers.ws_connect(server, token=api_token_create(user=acme_senior))
        assert helpers.recv_json(before) == {"type": "ready"}
        session = tech.post("/sessions", json={"title": "Printer spooler dies", "problem": "Stops hourly"})
        assert session.status_code == 201, session.text

        private_redis.stop()

        response = tech.post(f"/sessions/{session.json()['id']}/escalate", json={"reason": "Keeps coming back"})
        assert response.status_code == 201, response.text
        handoff = Handoff.objects.get(pk=response.json()["id"])
        event = EscalationEvent.objects.get(handoff=handoff)
        assert event.fanned_out_at is None  # its fan-out could not be queued: it waits, durable
        assert tech.get("/me").status_code == 200
        # The web UI: database sessions, no Redis needed to sign in or to use them. (The password
        # hashed with a hasher the web process knows: the test settings use only MD5.)
        from django.contrib.auth.hashers import PBKDF2PasswordHasher

        User.objects.filter(pk=acme_senior.pk).update(
            password=PBKDF2PasswordHasher().encode(helpers.PASSWORD, "outage-salt", iterations=1000))
        with httpx.Client(base_url=server.url, timeout=20) as browser:
            form = browser.get("/login/")
            assert form.status_code == 200
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
            signed_in = browser.post("/login/", data={"username": acme_senior.email, "password": helpers.PASSWORD,
                                                     "csrfmiddlewaretoken": token}, headers={"Referer": server.url})
            assert signed_in.status_code == 302, signed_in.text[:500]
            assert browser.get("/escalations/").status_code == 200
            cookie = browser.cookies[settings.SESSION_COOKIE_NAME]

        private_redis.start()

        # The first connect after the restart, on a process whose pooled connections the restart closed.
        after = helpers.ws_connect(server, cookie=f"{settings.SESSION_COOKIE_NAME}={cookie}", origin=server.url)
        assert helpers.recv_json(after, timeout=5) == {"type": "ready"}
        assert tech.get("/me").status_code == 200

        # What beat runs every 30 s: the lost fan-out is published again; a worker runs it.
        use_broker(private_redis.url, prefix="")
        worker = helpers.start_celery_worker(broker_url=private_redis.url, redis_url=private_redis.url, name="outage",
                                             log=open(tmp_path / "worker.log", "w"))  # noqa: SIM115
        assert fanout.sweep_events(now=timezone.now() + timedelta(minutes=1)) == 1
        bell = helpers.recv_types(after, {"notification.created"}, timeout=30)["notification.created"]
        note = Notification.objects.get(user=acme_senior)
        assert bell["notification"]["id"] == str(note.pk) and note.kind == "escalation"
        after.close()
    finally:
        tech.close()
        if worker is not None:
            helpers.stop_worker(worker, timeout=10)
        use_broker(saved_broker[0], saved_broker[1].get("global_keyprefix", ""))
        app.conf.broker_transport_options = saved_broker[1]
        server.stop()
