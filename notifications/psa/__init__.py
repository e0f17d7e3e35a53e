"""PSA clients: write a note on a ticket in ConnectWise Manage, Autotask or HaloPSA (docs/psa.md).

Each vendor module exposes `post_note(*, config: dict, ticket_id: str, text: str, timeout: float) -> str`
(the vendor's id of the new note) and `read_ticket(*, config, ticket_id, timeout)` (GET one ticket,
writing nothing: the Integrations page's connection test; returns the 2xx answer), and raises
`TransportError` (resolutionflow.outbound) whose `retryable` says whether trying again can help.
Every request goes through the one outbound client, so every URL a client calls — the base URL
and URL-like options such as HaloPSA's `auth_url` — is SSRF-checked and pinned. The config keys
of each vendor are in its module docstring; the PSA transport (notifications/transports/psa.py)
builds `config` from the account's connection.
"""

from __future__ import annotations

from types import ModuleType

from notifications.psa import autotask, connectwise, halopsa

KINDS = ("connectwise", "autotask", "halopsa")
CLIENTS: dict[str, ModuleType] = {"connectwise": connectwise, "autotask": autotask, "halopsa": halopsa}


def get_client(kind: str) -> ModuleType:
    try:
        return CLIENTS[kind]
    except KeyError:
        raise ValueError(f"Unknown PSA kind {kind!r} (one of {', '.join(KINDS)}).") from None
