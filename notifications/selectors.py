"""Reads of the notifications app that need care: delivery logs and what they may show."""

from __future__ import annotations

import re

from notifications.models import Delivery
from resolutionflow.outbound import printable

ERROR_SUMMARY_CHARS = 200
# A URL keeps its scheme and host: Slack and Teams webhook URLs carry their secret in the path or
# query. The outbound client's own messages name the host only; this also covers text from
# anywhere else (an unexpected exception's message).
_URL = re.compile(r"(?i)\b(https?://[^\s/?#]+)[^\s]*")
_SECRET = re.compile(r"whsec_[A-Za-z0-9_\-]+")


def error_summary(text: str, limit: int = ERROR_SUMMARY_CHARS) -> str:
    """A delivery's last error as people and integrators see it: one printable line of at most
    `limit` characters, with URLs cut to their host and signing secrets masked. The whole text
    stays in the admin's outbox view (`Delivery.last_error`) for operators."""
    text = _SECRET.sub("whsec_…", _URL.sub(lambda m: m[1] + ("/…" if len(m[0]) > len(m[1]) else ""),
                                           printable(text or "")))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def endpoint_deliveries(endpoint):
    """One webhook endpoint's deliveries, newest first (index delivery_endpoint_idx)."""
    return Delivery.objects.filter(account_id=endpoint.account_id, endpoint=endpoint).order_by("-created_at", "-pk")
