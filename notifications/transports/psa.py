"""PSA ticket notes: the account's PSAConnection and the vendor client from `escalations.psa`
(ConnectWise Manage, Autotask, HaloPSA; each client documents its API and config keys).

The note text is stored on the delivery when it is created; the credentials are read from the
(encrypted) connection at send time. The base URL is SSRF-checked here before the client runs
(the client resolves the host itself, so the rebinding window is the time between this check
and its connect, milliseconds).
"""

from __future__ import annotations

import json

from django.conf import settings

from notifications import ssrf
from notifications.transports.base import TransportError


def send(delivery) -> str:
    connection = delivery.psa_connection
    note = json.loads(delivery.body)
    try:
        ssrf.pin(connection.base_url)
    except ssrf.UnsafeURL as exc:
        raise TransportError(str(exc), retryable="could not be resolved" in str(exc)) from None
    try:
        from escalations.psa import get_client
    except ImportError:
        raise TransportError("The PSA clients (escalations.psa) are not installed.", retryable=True) from None
    client = get_client(connection.kind)
    note_id = client.post_note(config=connection.client_config(), ticket_id=note["ticket_id"], text=note["text"],
                               timeout=settings.OUTBOUND_HTTP_TIMEOUT_SECONDS)
    return str(note_id or "")
