"""After-commit fan-out points of the escalation flow.

The handoff manager, the session services and the assessment call these inside their
transaction. Handlers are registered by the apps that send (in their AppConfig.ready) in
`escalations.hook_registry`; each handler only registers work with `transaction.on_commit` or
writes outbox rows dispatched on commit, so a rollback sends nothing.
"""

from escalations import hook_registry


def handoff_created(handoff) -> None:
    for fn in hook_registry.ON_HANDOFF_CREATED:
        fn(handoff)


def handoff_claimed(handoff) -> None:
    for fn in hook_registry.ON_HANDOFF_CLAIMED:
        fn(handoff)


def handoff_assessed(handoff) -> None:
    """The AI assessment of `handoff` was stored (status ready)."""
    for fn in hook_registry.ON_HANDOFF_ASSESSED:
        fn(handoff)


def session_resolved(session) -> None:
    for fn in hook_registry.ON_SESSION_RESOLVED:
        fn(session)
