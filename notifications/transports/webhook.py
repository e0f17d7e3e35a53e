"""Outbound webhooks for integrators (API.md, "Outbound webhooks").

POST `{id, type, created_at, data}` (the stored body, byte-identical on every retry) with
`X-ResolutionFlow-Event`, `X-ResolutionFlow-Delivery` (the delivery's uuid, the same on every
retry, so receivers can drop duplicates) and `X-ResolutionFlow-Signature: t=<unix>,v1=<hex>`
where v1 = HMAC-SHA256(secret, "<t>.<raw body>"), the scheme Stripe uses: the timestamp is
signed with the body, so a receiver can refuse replays older than a few minutes.
An endpoint answering 410 Gone is disabled (outbox.record_failure).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from notifications.transports import http


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def send(delivery) -> http.HttpResult:
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    headers = {
        "X-ResolutionFlow-Event": delivery.event_type,
        "X-ResolutionFlow-Delivery": str(delivery.pk),
        "X-ResolutionFlow-Signature": sign(secret=endpoint.secret, body=body, timestamp=int(time.time())),
    }
    return http.post(endpoint.url, body=body, headers=headers)
