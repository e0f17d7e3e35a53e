"""Builders for the outbox tests."""

from __future__ import annotations

import hashlib
import hmac

from django.utils import timezone

from notifications import tasks
from notifications.models import (
    Delivery,
    DeliveryStatus,
    NotificationChannel,
    PSAConnection,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.helpers import add_step, escalate, make_session, run_fanouts

ALL_EVENTS = list(WebhookEvent.values)


def slack(account, url, name="#escalations"):
    return NotificationChannel.objects.create(account=account, kind="slack", name=name, url=url)


def teams(account, url, name="Escalations"):
    return NotificationChannel.objects.create(account=account, kind="teams", name=name, url=url)


def webhook(account, url, events=None):
    return WebhookEndpoint.objects.create(account=account, url=url, events=events or ALL_EVENTS)


def psa(account, base_url, kind="connectwise", **credentials):
    creds = credentials or {"company_id": "acme", "public_key": "pub", "private_key": "priv", "client_id": "cid"}
    return PSAConnection.objects.create(account=account, kind=kind, base_url=base_url, credentials=creds)


def escalate_and_commit(capture, client, **session_overrides):
    """Open a session with a step and escalate it through the API; the on-commit callbacks
    really run (`capture` is pytest-django's django_capture_on_commit_callbacks; None in
    transactional tests, where the request really commits)."""
    session = make_session(client, **session_overrides)
    add_step(client, session["id"])
    if capture is None:
        response = escalate(client, session["id"])
    else:
        with capture(execute=True) as callbacks:
            response = escalate(client, session["id"])
        assert callbacks, "the escalation registered no on-commit work"
    assert response.status_code == 201, response.content
    run_fanouts(capture)  # what the worker does with the escalation's event
    return response.json()


def run_due(kind=None) -> list:
    """Run one attempt of every due pending delivery, synchronously (the task functions)."""
    rows = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
    if kind:
        rows = rows.filter(kind=kind)
    results = []
    for pk, k in rows.values_list("pk", "kind"):
        task = tasks.deliver_psa if k == "psa" else tasks.deliver
        results.append(task(str(pk)))
    return results


def make_due(delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def signature_check(header: str, body: bytes, secret: str) -> int | None:
    """A receiver's check of X-ResolutionFlow-Signature, as Stripe's libraries do it: the header is
    `t=<unix>` and one or more `v1=<hex>` (two while an old secret is in its grace period); the
    delivery is genuine when ANY v1 equals HMAC-SHA256(secret, "<t>.<raw body>"). Returns the
    signed timestamp, or None when no v1 matches."""
    pairs = [p.split("=", 1) for p in header.split(",")]
    timestamps = [value for key, value in pairs if key == "t"]
    signatures = [value for key, value in pairs if key == "v1"]
    if len(timestamps) != 1 or not signatures:
        return None
    expected = hmac.new(secret.encode(), f"{timestamps[0]}.".encode() + body, hashlib.sha256).hexdigest()
    # Every candidate is compared (no early exit), each in constant time.
    matches = [hmac.compare_digest(signature, expected) for signature in signatures]
    return int(timestamps[0]) if any(matches) else None


def verify_signature(header: str, body: bytes, secret: str) -> int:
    """`signature_check` as an assertion; returns the signed timestamp."""
    timestamp = signature_check(header, body, secret)
    assert timestamp is not None, "bad signature"
    return timestamp


def v1_signatures(header: str) -> list[str]:
    return [p.split("=", 1)[1] for p in header.split(",") if p.startswith("v1=")]
