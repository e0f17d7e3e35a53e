"""POST /api/v1/webhooks/{id}/rotate-secret: a new secret, shown once; the old one keeps signing
beside it for WEBHOOK_SECRET_ROTATION_GRACE_HOURS (two `v1=` in the signature header), then only
the new one signs. Checked with real loopback receivers that verify the signature as Stripe's
libraries do (any v1 that matches)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Delivery, WebhookEndpoint
from tests.helpers import ROOT
from tests.notifications.builders import run_due, signature_check, v1_signatures, webhook
from tests.notifications.loopback import Receiver


def _receiver_holding(secret: str) -> Receiver:
    """An integrator's receiver that knows one secret: 200 when a v1 matches it, else 400."""
    return Receiver(check=lambda r: signature_check(r.headers.get("x-resolutionflow-signature", ""), r.body,
                                                    secret) is not None)


@pytest.fixture
def receiver_holding():
    started = []

    def make(secret):
        started.append(_receiver_holding(secret))
        return started[-1]

    yield make
    for server in started:
        server.stop()


def _point_at(client, endpoint, url):
    response = client.patch(f"/api/v1/webhooks/{endpoint.pk}", {"url": url}, format="json")
    assert response.status_code == 200, response.content


def _ping(client, endpoint, capture) -> Delivery:
    """Queue a test delivery through the API and run it as the worker would."""
    with capture(execute=True):
        response = client.post(f"/api/v1/webhooks/{endpoint.pk}/test")
    assert response.status_code == 202, response.content
    run_due()
    return Delivery.objects.get(pk=response.json()["id"])


def _rotate(client, endpoint) -> dict:
    response = client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret")
    assert response.status_code == 200, response.content
    return response.json()


def test_rotation_returns_a_new_secret_once_and_keeps_the_old_one_encrypted_with_its_expiry(
        api, acme_admin, settings):
    settings.WEBHOOK_SECRET_ROTATION_GRACE_HOURS = 24
    endpoint = webhook(acme_admin.account, "https://hooks.example.com/rf")
    old = endpoint.secret
    client = api(acme_admin)
    before = timezone.now()
    rotated = _rotate(client, endpoint)

    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != old
    expires = WebhookEndpoint.objects.get(pk=endpoint.pk).previous_secret_expires_at
    assert before + timedelta(hours=24) <= expires <= timezone.now() + timedelta(hours=24)
    assert rotated["previous_secret_expires_at"] is not None
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (rotated["secret"], old)
    # At rest both are Fernet ciphertext, not the secrets.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, previous_secret FROM notifications_webhookendpoint WHERE id = %s",
                       [endpoint.pk])
        stored = cursor.fetchone()
    assert all(value.startswith("fernet:") for value in stored)
    assert old not in "".join(stored) and rotated["secret"] not in "".join(stored)
    # Shown once: reads of the endpoint never include either secret.
    for page in (client.get(f"/api/v1/webhooks/{endpoint.pk}"), client.get("/api/v1/webhooks")):
        assert old not in page.content.decode() and rotated["secret"] not in page.content.decode()
        assert "secret" not in (page.json().get("results") or [page.json()])[0]


def test_during_the_grace_period_receivers_with_the_old_or_the_new_secret_both_accept(
        api, acme_admin, receiver_holding, django_capture_on_commit_callbacks):
    client = api(acme_admin)
    endpoint = webhook(acme_admin.account, "https://placeholder.example.com/")
    old = endpoint.secret
    new = _rotate(client, endpoint)["secret"]
    on_old, on_new = receiver_holding(old), receiver_holding(new)

    _point_at(client, endpoint, on_old.url())
    assert _ping(client, endpoint, django_capture_on_commit_callbacks).status == "delivered"
    _point_at(client, endpoint, on_new.url())
    assert _ping(client, endpoint, django_capture_on_commit_callbacks).status == "delivered"

    for request in (on_old.requests[0], on_new.requests[0]):
        header = request.headers["x-resolutionflow-signature"]
        assert len(v1_signatures(header)) == 2  # `t=…,v1=<new>,v1=<old>`
        assert signature_check(header, request.body, new) and signature_check(header, request.body, old)
        assert signature_check(header, request.body, "whsec_someone-else") is None


def test_after_the_grace_period_only_the_new_secret_verifies(
        api, acme_admin, receiver_holding, django_capture_on_commit_callbacks):
    client = api(acme_admin)
    endpoint = webhook(acme_admin.account, "https://placeholder.example.com/")
    old = endpoint.secret
    new = _rotate(client, endpoint)["secret"]
    on_old, on_new = receiver_holding(old), receiver_holding(new)
    # The grace period is over (its end is stored with the old secret).
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1))

    _point_at(client, endpoint, on_new.url())
    assert _ping(client, endpoint, django_capture_on_commit_callbacks).status == "delivered"
    [accepted] = on_new.requests
    assert len(v1_signatures(accepted.headers["x-resolutionflow-signature"])) == 1

    _point_at(client, endpoint, on_old.url())
    refused = _ping(client, endpoint, django_capture_on_commit_callbacks)
    assert (refused.status, refused.last_status_code) == ("failed", 400)
    assert "bad signature" in refused.last_error
    [request] = on_old.requests
    assert signature_check(request.headers["x-resolutionflow-signature"], request.body, old) is None
    assert signature_check(request.headers["x-resolutionflow-signature"], request.body, new) is not None


def test_rotating_again_during_the_grace_period_drops_the_oldest_secret(
        api, acme_admin, receiver, django_capture_on_commit_callbacks):
    client = api(acme_admin)
    endpoint = webhook(acme_admin.account, receiver.url())
    first = endpoint.secret
    second = _rotate(client, endpoint)["secret"]
    third = _rotate(client, endpoint)["secret"]
    assert len({first, second, third}) == 3

    assert _ping(client, endpoint, django_capture_on_commit_callbacks).status == "delivered"
    [request] = receiver.requests
    header = request.headers["x-resolutionflow-signature"]
    assert len(v1_signatures(header)) == 2
    assert signature_check(header, request.body, third) and signature_check(header, request.body, second)
    assert signature_check(header, request.body, first) is None


def test_a_grace_of_zero_hours_stops_the_old_secret_at_once(
        api, acme_admin, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_SECRET_ROTATION_GRACE_HOURS = 0
    client = api(acme_admin)
    endpoint = webhook(acme_admin.account, receiver.url())
    old = endpoint.secret
    rotated = _rotate(client, endpoint)
    assert rotated["previous_secret_expires_at"] is None
    _ping(client, endpoint, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    header = request.headers["x-resolutionflow-signature"]
    assert v1_signatures(header) and len(v1_signatures(header)) == 1
    assert signature_check(header, request.body, old) is None
    assert signature_check(header, request.body, rotated["secret"]) is not None


def test_a_retry_of_a_delivery_queued_before_the_rotation_is_signed_with_both_secrets(
        api, acme_admin, receiver, django_capture_on_commit_callbacks):
    receiver.reply(503)
    client = api(acme_admin)
    endpoint = webhook(acme_admin.account, receiver.url())
    old = endpoint.secret
    delivery = _ping(client, endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == "pending"
    new = _rotate(client, endpoint)["secret"]
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    run_due()
    first, retried = receiver.requests
    assert first.body == retried.body
    assert len(v1_signatures(first.headers["x-resolutionflow-signature"])) == 1
    header = retried.headers["x-resolutionflow-signature"]
    assert signature_check(header, retried.body, old) and signature_check(header, retried.body, new)


@pytest.mark.parametrize("value", ["-1", "721", "a day"])
def test_a_bad_grace_setting_fails_at_start_up(value):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"DEBUG": "1", "WEBHOOK_SECRET_ROTATION_GRACE_HOURS": value})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "WEBHOOK_SECRET_ROTATION_GRACE_HOURS must be a number of hours from 0 to 720." in result.stderr
