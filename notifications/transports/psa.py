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


def send(delivery):
    """Write the note (returns the vendor's note id), or, for a test delivery (`{"ticket_id",
    "read": true}`, the Integrations page), read the ticket and return the vendor's answer."""
    connection = delivery.psa_connection
    note = json.loads(delivery.body)
    client = get_client(connection.kind)
    config = connection.client_config()
    timeout = settings.OUTBOUND_HTTP_TIMEOUT_SECONDS
    try:
        if note.get("read"):
            return client.read_ticket(config=config, ticket_id=note["ticket_id"], timeout=timeout)
        note_id = client.post_note(config=config, ticket_id=note["ticket_id"], text=note["text"], timeout=timeout)
    finally:
        remember_discovered(connection, config)
    return str(note_id or "")


def remember_discovered(connection, config: dict) -> None:
    """Keep what a client discovered (Autotask's `zone_url`) in the connection's options, so the
    discovery request is made once, not on every note."""
    zone_url = config.get("zone_url")
    options = connection.options if isinstance(connection.options, dict) else {}
    if zone_url and options.get("zone_url") != zone_url:
        connection.options = {**options, "zone_url": zone_url}
        type(connection).objects.filter(pk=connection.pk).update(options=connection.options)
