"""Writes on FlowPilot sessions: create, log a step, post a message, resolve.

Each is atomic and keyword-only. The handoff manager (escalate, hand off, claim) lives in
`escalations.handoffs`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from escalations import events, hooks, selectors
from escalations.errors import Conflict, LimitReached
from escalations.models import Handoff, Message, PilotSession, SessionStatus, Step


def session_create(*, actor, title: str, problem: str, client_name: str = "", psa_ticket_id: str = "") -> PilotSession:
    return PilotSession.objects.create(
        account=actor.account, owner=actor, title=title, problem=problem,
        client_name=client_name, psa_ticket_id=psa_ticket_id, status=SessionStatus.ACTIVE,
    )


def _assert_writable_by(session: PilotSession, actor, *, owner_only: bool = False) -> None:
    if session.owner_id != actor.pk and (owner_only or not selectors.is_collaborator(session=session, user=actor)):
        raise PermissionDenied("Only the session's owner may change it; claim the escalation first."
                               if not owner_only else "Only the session's owner may resolve it.")
    if session.status == SessionStatus.RESOLVED:
        raise Conflict("This session is resolved.")


def record_first_action(*, session: PilotSession, actor, at=None) -> bool:
    """Stop the in-product clock: the claimer's first action after claiming sets
    `first_action_at`, once. A conditional update closes the race between two first actions."""
    latest = (
        Handoff.objects.filter(session=session, account_id=session.account_id, claimed_at__isnull=False)
        .order_by("-claimed_at")
        .values("pk", "claimed_by_id")
        .first()
    )
    if not latest or latest["claimed_by_id"] != actor.pk:
        return False
    return bool(
        Handoff.objects.filter(pk=latest["pk"], first_action_at__isnull=True).update(
            first_action_at=at or timezone.now()
        )
    )


def _assert_room_for(model, *, session: PilotSession, limit: int, what: str) -> None:
    """A session holds at most `limit` steps (or messages). Counted under the session row lock
    the caller holds, so two concurrent writes cannot both take the last place."""
    if model.objects.filter(session=session).count() >= limit:
        raise LimitReached(f"This session already has {limit} {what}, the most one session can hold. "
                           f"Resolve it and start a new session to go on.", limit=limit)


@transaction.atomic
def step_add(*, session: PilotSession, actor, action: str, result: str, outcome: str) -> Step:
    session = PilotSession.objects.select_for_update().get(pk=session.pk)
    _assert_writable_by(session, actor)
    _assert_room_for(Step, session=session, limit=settings.SESSION_MAX_STEPS, what="steps")
    step = Step.objects.create(
        account_id=session.account_id, session=session, author=actor,
        action=action, result=result, outcome=outcome,
    )
    record_first_action(session=session, actor=actor, at=step.created_at)
    PilotSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    events.session_step(step)
    return step


@transaction.atomic
def message_add(*, session: PilotSession, actor, body: str, to_copilot: bool = False) -> Message:
    """Post a message to the session's conversation. `to_copilot`: the copilot answers it, as its
    own message, from a worker after the commit (escalations.copilot); the request never waits."""
    session = PilotSession.objects.select_for_update().get(pk=session.pk)
    _assert_writable_by(session, actor)
    _assert_room_for(Message, session=session, limit=settings.SESSION_MAX_MESSAGES, what="messages")
    message = Message.objects.create(account_id=session.account_id, session=session, author=actor, body=body)
    record_first_action(session=session, actor=actor, at=message.created_at)
    PilotSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    events.session_message(message)
    if to_copilot:
        from escalations import tasks  # tasks import the assessment stack; only this path needs it

        transaction.on_commit(lambda: tasks.enqueue_copilot_answer(str(message.pk)))
    return message


@transaction.atomic
def session_resolve(*, session: PilotSession, actor, resolution: str) -> PilotSession:
    """Resolve the session. An escalation still waiting in the queue leaves it (cancelled)."""
    session = PilotSession.objects.select_for_update().get(pk=session.pk)
    _assert_writable_by(session, actor, owner_only=True)
    now = timezone.now()
    session.status = SessionStatus.RESOLVED
    session.resolution = resolution
    session.resolved_at = now
    session.save(update_fields=["status", "resolution", "resolved_at", "updated_at"])
    record_first_action(session=session, actor=actor, at=now)
    for handoff in Handoff.objects.filter(session=session).unclaimed():
        handoff.cancelled_at = now
        handoff.save(update_fields=["cancelled_at"])
        events.handoff_cancelled(handoff)
    hooks.session_resolved(session, actor=actor)
    events.session_updated(session, owner=actor)
    return session
