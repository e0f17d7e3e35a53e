"""PSA ticket notes: the account's PSAConnection and the vendor client from `notifications.psa`
(ConnectWise Manage, Autotask, HaloPSA; each client documents its API and config keys).

The note text is stored on the delivery when it is created; the credentials are read from the
(encrypted) connection at send time. The clients send through the one outbound client, which
SSRF-checks every URL they call (base URL, HaloPSA's auth_url) and connects to the checked
address.
"""

from __future__ import annotations

import json

from django.conf import settings

from notifications.psa import get_client


def send(delivery) -> str:
    connection = delivery.psa_connection
    note = json.loads(delivery.body)
    client = get_client(connection.kind)
    note_id = client.post_note(config=connection.client_config(), ticket_id=note["ticket_id"], text=note["text"],
                               timeout=settings.OUTBOUND_HTTP_TIMEOUT_SECONDS)
    return str(note_id or "")
