"""Reads of the notifications app that need care: delivery logs and what they may show."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications.models import (
    Delivery,
    DeliveryStatus,
    NotificationChannel,
    PSAConnection,
    WebhookEndpoint,
)
from resolutionflow.outbound import printable

ERROR_SUMMARY_CHARS = 200
# A URL keeps its scheme and host: Slack and Teams webhook URLs carry their secret in the path or
# query. The outbound client's own messages name the host only; this also covers text from
# anywhere else (an unexpected exception's message).
_URL = re.compile(r"(?i)\b(https?://[^\s/?#]+)[^\s]*")
_SECRET = re.compile(r"whsec_[A-Za-z0-9_\-]+")


def url_summary(text: str) -> str:
    """`text`, printable, with every URL in it cut to its scheme and host (the path may hold a
    secret): how the Integrations page shows a webhook URL, and part of `error_summary`."""
    return _URL.sub(lambda m: m[1] + ("/…" if len(m[0]) > len(m[1]) else ""), printable(text or ""))


def error_summary(text: str, limit: int = ERROR_SUMMARY_CHARS) -> str:
    """A delivery's last error as people and integrators see it: one printable line of at most
    `limit` characters, with URLs cut to their host and signing secrets masked. The whole text
    stays in the admin's outbox view (`Delivery.last_error`) for operators."""
    text = _SECRET.sub("whsec_…", url_summary(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def endpoint_deliveries(endpoint):
    """One webhook endpoint's deliveries, newest first (index delivery_endpoint_idx)."""
    return Delivery.objects.filter(account_id=endpoint.account_id, endpoint=endpoint).order_by("-created_at", "-pk")




# --- The Integrations page -----------------------------------------------------------------------

RECENT_DELIVERIES = 20


def _recent(**target) -> list[Delivery]:
    """A target's last deliveries, newest first: one index range scan (delivery_*_idx) per target."""
    deliveries = list(Delivery.objects.filter(**target).order_by("-created_at", "-pk")[:RECENT_DELIVERIES])
    for delivery in deliveries:
        delivery.error_text = error_summary(delivery.last_error)
    return deliveries


def integrations_overview(account) -> dict:
    """What the Integrations page lists: the account's Slack/Teams channels, its PSA connection and
    its webhook endpoints, each with its last RECENT_DELIVERIES deliveries. One query per kind of
    target plus one per target (an account has a handful)."""
    channels = NotificationChannel.objects.for_account(account).order_by("kind", "name")
    psa = PSAConnection.objects.for_account(account).first()
    webhooks = WebhookEndpoint.objects.for_account(account).order_by("-created_at")
    return {
        "channels": [{"target": c, "test_kind": "channel", "deliveries": _recent(channel=c)} for c in channels],
        "psa": {"target": psa, "test_kind": "psa", "deliveries": _recent(psa_connection=psa)} if psa else None,
        "webhooks": [{"target": w, "test_kind": "webhook", "url": url_summary(w.url),
                      "deliveries": _recent(endpoint=w)} for w in webhooks],
    }


FINISHED = {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.DEAD}


def tested_delivery(account, delivery_id: str) -> Delivery | None:
    """The account's delivery `delivery_id` names (the Integrations page's `?test=`), or None for
    an empty, malformed or foreign id."""
    try:
        return Delivery.objects.filter(account=account, pk=delivery_id).first() if delivery_id else None
    except ValidationError:
        return None


def delivery_answer(delivery: Delivery) -> dict:
    """A delivery as the Integrations page follows it after "Send a test": `finished` once an
    attempt has its outcome (delivered, failed, dead, or pending again with a retry planned), and
    `summary`, one line for people: the vendor's answer (status code and the start of its body)
    or the error."""
    attempted = delivery.attempts > 0 and delivery.status != DeliveryStatus.SENDING
    finished = delivery.status in FINISHED or attempted
    code = f"HTTP {delivery.last_status_code}" if delivery.last_status_code else ""
    if delivery.status == DeliveryStatus.DELIVERED:
        summary = " · ".join(p for p in (f"Delivered: {code or 'sent'}", delivery.last_response) if p)
    elif delivery.status in (DeliveryStatus.FAILED, DeliveryStatus.DEAD):
        summary = f"{delivery.get_status_display()}: {error_summary(delivery.last_error) or code or 'no answer'}"
    elif attempted:
        summary = (f"Failed, retrying at {delivery.next_attempt_at:%H:%M:%S} UTC: "
                   f"{error_summary(delivery.last_error) or code or 'no answer'}")
    else:
        summary = "Queued: waiting for a worker to send it."
    return {
        "id": str(delivery.pk), "kind": delivery.kind, "event": delivery.event_type, "status": delivery.status,
        "attempts": delivery.attempts, "status_code": delivery.last_status_code,
        "answer": delivery.last_response, "error": error_summary(delivery.last_error),
        "finished": finished, "summary": summary,
        "tone": ("ok" if delivery.status == DeliveryStatus.DELIVERED else "bad") if finished else "info",
        "updated_at": delivery.updated_at.isoformat(),
        "url": reverse("integration-delivery", args=[delivery.pk]),
    }
