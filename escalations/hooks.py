"""What happened in the escalation flow, recorded durably and announced after commit.

The handoff manager, the session services and the assessment call these inside their
transaction. Each call writes one `EscalationEvent` row (the durable record of the event: a
constant amount of work, whatever the account's size) and then runs two kinds of handlers,
registered by other apps in their AppConfig.ready (`escalations.hook_registry`):

- the per-type lists (`ON_HANDOFF_CREATED`, ...) take the object itself;
- `ON_EVENT_RECORDED` takes the event row: the notifications app schedules its fan-out (bells,
  emails, chat, PSA notes, webhooks) on commit, in a worker.

Handlers only register work with `transaction.on_commit`, so a rollback records and sends nothing.
The escalation domain never imports the apps that subscribe.

Then, in a worker: the app that fans an event out calls `event_notified` once the event's bells
are out, and `ON_EVENT_NOTIFIED` handlers act there (the assessment of a new handoff is queued
this way: the escalate request publishes one task, the fan-out, not two; issue #13).
"""

from escalations import hook_registry
from escalations.models import EscalationEvent, EventType


def record_event(*, type: str, account_id, handoff=None, session=None, actor=None) -> EscalationEvent:
    """Write the durable record of `type` and tell the subscribers (who act after commit)."""
    event = EscalationEvent.objects.create(
        account_id=account_id, type=type, handoff=handoff, actor=actor,
        session_id=session.pk if session is not None else (handoff.session_id if handoff is not None else None),
    )
    for fn in hook_registry.ON_EVENT_RECORDED:
        fn(event)
    return event


def event_notified(event: EscalationEvent) -> None:
    """Called by the worker fanning `event` out, after its bells' transaction committed."""
    for fn in hook_registry.ON_EVENT_NOTIFIED:
        fn(event)


def handoff_created(handoff) -> EscalationEvent:
    event = record_event(type=EventType.HANDOFF_CREATED, account_id=handoff.account_id, handoff=handoff,
                         actor=handoff.requested_by)
    for fn in hook_registry.ON_HANDOFF_CREATED:
        fn(handoff)
    return event


def handoff_claimed(handoff) -> EscalationEvent:
    event = record_event(type=EventType.HANDOFF_CLAIMED, account_id=handoff.account_id, handoff=handoff,
                         actor=handoff.claimed_by)
    for fn in hook_registry.ON_HANDOFF_CLAIMED:
        fn(handoff)
    return event


def handoff_assessed(handoff) -> EscalationEvent:
    """The AI assessment of `handoff` was stored (status ready)."""
    event = record_event(type=EventType.HANDOFF_ASSESSED, account_id=handoff.account_id, handoff=handoff)
    for fn in hook_registry.ON_HANDOFF_ASSESSED:
        fn(handoff)
    return event


def handoff_waiting(handoff) -> EscalationEvent:
    """An escalation has waited unclaimed past its account's re-notify delay (the policy decides)."""
    return record_event(type=EventType.HANDOFF_WAITING, account_id=handoff.account_id, handoff=handoff)


def session_resolved(session, *, actor=None) -> EscalationEvent:
    event = record_event(type=EventType.SESSION_RESOLVED, account_id=session.account_id, session=session,
                         actor=actor)
    for fn in hook_registry.ON_SESSION_RESOLVED:
        fn(session)
    return event
