"""PSA clients: write a note on a ticket in ConnectWise Manage, Autotask or HaloPSA.

Each vendor module exposes `post_note(*, config: dict, ticket_id: str, text: str, timeout: float) -> str`
(the vendor's id of the new note) and raises `notifications.transports.base.TransportError`
whose `retryable` says whether trying again can help. The config keys of each vendor are in its
module docstring; notifications' PSA transport builds `config` from the account's connection.
"""

from __future__ import annotations

from types import ModuleType

KINDS = ("connectwise", "autotask", "halopsa")


def get_client(kind: str) -> ModuleType:
    if kind == "connectwise":
        from escalations.psa import connectwise

        return connectwise
    if kind == "autotask":
        from escalations.psa import autotask

        return autotask
    if kind == "halopsa":
        from escalations.psa import halopsa

        return halopsa
    raise ValueError(f"Unknown PSA kind {kind!r} (one of {', '.join(KINDS)}).")
