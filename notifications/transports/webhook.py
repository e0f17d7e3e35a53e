"""Outbound webhooks for integrators (API.md, "Outbound webhooks").

POST `{id, type, created_at, data}` (the stored body, byte-identical on every retry) with
`X-ResolutionFlow-Event`, `X-ResolutionFlow-Delivery` (the delivery's uuid, the same on every
retry, so receivers can drop duplicates) and `X-ResolutionFlow-Signature: t=<unix>,v1=<hex>`
where v1 = HMAC-SHA256(secret, "<t>.<raw body>"), the scheme Stripe uses: the timestamp is
signed with the body, so a receiver can refuse replays older than a few minutes.
An endpoint answering 410 Gone is disabled (outbox.record_failure).

Secret rotation: for WEBHOOK_SECRET_ROTATION_GRACE_HOURS after a rotation the header carries one
`v1=` per secret, the new one first: `t=<unix>,v1=<with new>,v1=<with old>`. As with Stripe
(https://docs.stripe.com/webhooks#verify-manually: "compare the signature (or signatures) in the
header"), a receiver accepts the delivery when ANY v1 matches the secret it holds, so receivers
still holding the old secret and those already on the new one both verify. The secrets are read
at send time: a retry of a delivery queued before the rotation is signed with the new one too.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from notifications.transports import http


def sign(*, secrets: list[str], body: bytes, timestamp: int) -> str:
    """The signature header: the timestamp, then one `v1=` per secret, in the order given."""
    signed = f"{timestamp}.".encode() + body
    macs = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={mac}" for mac in macs)])


def send(delivery) -> http.HttpResult:
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    headers = {
        "X-ResolutionFlow-Event": delivery.event_type,
        "X-ResolutionFlow-Delivery": str(delivery.pk),
        "X-ResolutionFlow-Signature": sign(secrets=endpoint.signing_secrets(), body=body,
                                           timestamp=int(time.time())),
    }
    return http.post(endpoint.url, body=body, headers=headers)
