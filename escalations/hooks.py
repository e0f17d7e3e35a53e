"""After-commit fan-out points of the escalation flow.

The handoff manager and the session services call these inside their transaction; each one only
registers work with `transaction.on_commit` (or writes outbox rows that are dispatched on commit),
so a rollback sends nothing. The outbound channels (AI assessment, Slack/Teams, email, PSA notes,
webhooks) plug in here.
"""

from django.db import transaction


def _registered():
    from escalations import hook_registry

    return hook_registry


def handoff_created(handoff) -> None:
    for fn in _registered().ON_HANDOFF_CREATED:
        fn(handoff)


def handoff_claimed(handoff) -> None:
    for fn in _registered().ON_HANDOFF_CLAIMED:
        fn(handoff)


def session_resolved(session) -> None:
    for fn in _registered().ON_SESSION_RESOLVED:
        fn(session)


__all__ = ["handoff_created", "handoff_claimed", "session_resolved", "transaction"]
