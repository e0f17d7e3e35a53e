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


# What the clients discover and the connection keeps: Autotask's zone, HaloPSA's authorisation server.
DISCOVERED_KEYS = ("zone_url", "auth_url_discovered")


def remember_discovered(connection, config: dict) -> None:
    """Keep what a client discovered (Autotask's `zone_url`, HaloPSA's `auth_url_discovered`) in
    the connection's options, so the discovery request is made once, not on every note."""
    options = connection.options if isinstance(connection.options, dict) else {}
    found = {key: config[key] for key in DISCOVERED_KEYS if config.get(key) and options.get(key) != config[key]}
    if found:
        connection.options = {**options, **found}
        type(connection).objects.filter(pk=connection.pk).update(options=connection.options)


def forget_discovered(options) -> dict:
    """The options without what was discovered (the URL or the credentials changed: discover again)."""
    return {k: v for k, v in (options or {}).items() if k not in DISCOVERED_KEYS} if isinstance(options, dict) else {}


def discover(connection) -> dict:
    """Find the vendor endpoints a connection needs (Autotask's zone, HaloPSA's authorisation
    server) and keep them on it: run by a worker when the connection is saved, so the first
    escalation's note does not wait for discovery, and a wrong username or URL shows at setup.
    Returns what is known now. Raises the client's TransportError."""
    config = connection.client_config()
    timeout = settings.OUTBOUND_HTTP_TIMEOUT_SECONDS
    client = get_client(connection.kind)
    if hasattr(client, "zone_root"):
        client.zone_root(config, timeout=timeout)
    if hasattr(client, "auth_server"):
        client.auth_server(config, timeout=timeout)
    remember_discovered(connection, config)
    return {key: config[key] for key in DISCOVERED_KEYS if config.get(key)}
