"""The handoff manager: the one code path behind Escalate, Hand off and Start here (claim).

`handoff_create` runs in one transaction and does the same work for an account of 5 engineers
or 500: it creates the `Handoff` with its snapshot, moves the session to `escalated`, writes the
session documentation and one durable `EscalationEvent` (`hooks`). On commit the queue card goes
out (one group send) and the event's fan-out is queued; everything per recipient (bells, emails,
chat, PSA, webhooks) is a worker's job (notifications.fanout). A rollback sends nothing.
`handoff_claim` is atomic under concurrency: exactly one claimer wins.

Lock order, everywhere (docs/tenancy.md): the session row first, then its handoff rows. Resolve,
escalate and claim all take `PilotSession ... FOR UPDATE` before touching a handoff, so two of
them on one session queue up instead of deadlocking.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.models import User
from escalations import events, hooks
from escalations.documentation import render_session_documentation
from escalations.errors import Conflict
from escalations.models import (
    AssessmentStatus,
    Handoff,
    HandoffIntent,
    IdempotencyRecord,
    PilotSession,
    SessionStatus,
)
from escalations.selectors import session_to_hand_off


def pickup_link(session_id) -> str:
    return f"/pilot/{session_id}?pickup=true"


def _snapshot_steps(steps) -> list[dict]:
    return [
        {
            "id": str(s.pk),
            "action": s.action,
            "result": s.result,
            "outcome": s.outcome,
            "author": s.author.display_name,
            "created_at": s.created_at.isoformat(),
        }
        for s in steps
    ]


def _snapshot_messages(messages) -> list[dict]:
    return [
        {
            "id": str(m.pk),
            "role": m.role,
            "author": m.author_name,
            "body": m.body,
            "created_at": m.created_at.isoformat(),
        }
        for m in messages
    ]


def _resolve_target(*, account, actor, intent, target_user_id):
    if target_user_id is None:
        if intent == HandoffIntent.HANDOFF:
            raise ValidationError({"target_user_id": ["A handoff needs the teammate who takes over."]})
        return None
    if str(target_user_id) == str(actor.pk):
        raise ValidationError({"target_user_id": ["You cannot escalate or hand off to yourself."]})
    try:
        target = User.objects.for_account(account).get(pk=target_user_id, is_active=True)
    except (User.DoesNotExist, ValueError):
        raise ValidationError({"target_user_id": ["No active member of your account has this id."]}) from None
    if intent == HandoffIntent.ESCALATE and not target.is_staff_role:
        raise ValidationError({"target_user_id": ["Escalations go to an engineer or an admin."]})
    return target


def handoff_create(*, session: PilotSession, actor, intent: str, reason: str, target_user_id=None,
                   locked: bool = False) -> Handoff:
    """Escalate or hand off `session`. The session row lock is taken here, unless the caller
    already holds it on this very row (`locked`: read in this transaction with SELECT ... FOR
    UPDATE, with its owner and account)."""
    # Its own savepoint, unless the caller holds the lock in its transaction and rolls it all back
    # on any refusal (handoff_request): two round trips less per escalation.
    with transaction.atomic(savepoint=not locked):
        if not locked:
            session = PilotSession.objects.select_for_update().select_related("owner", "account").get(pk=session.pk)
        if session.owner_id != actor.pk:
            raise PermissionDenied("Only the session's owner may escalate or hand it off.")
        # session_to_hand_off read it with the lock. After waiting for the lock,
        # PostgreSQL gives the newest version of the session row but evaluates that subquery in the
        # statement's older snapshot, so a handoff committed meanwhile is missed there; the status
        # is not (a session with an open handoff is never active). So the subquery's "none" is
        # trusted for an active session only, and anything else is read again.
        open_handoff_id = getattr(session, "open_handoff_id", None)
        if open_handoff_id is None and not (hasattr(session, "open_handoff_id")
                                            and session.status == SessionStatus.ACTIVE):
            open_handoff_id = Handoff.objects.filter(session=session).unclaimed().values_list("pk", flat=True).first()
        if open_handoff_id is not None:
            raise Conflict("This session already has an open handoff.", handoff_id=str(open_handoff_id))
        if session.status != SessionStatus.ACTIVE:
            raise Conflict(f"A {session.get_status_display().lower()} session cannot be escalated.")
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": ["Say why you are escalating."]})
        account = session.account
        target = _resolve_target(account=account, actor=actor, intent=intent, target_user_id=target_user_id)

        # The snapshot is bounded: the most recent HANDOFF_MAX_STEPS_TRIED steps (and how many there
        # were) and the last HANDOFF_CONVERSATION_TAIL messages. The session documentation below still
        # lists every step (at most SESSION_MAX_STEPS).
        steps = list(session.steps.select_related("author").order_by("created_at"))
        messages = list(
            session.messages.select_related("author").order_by("-created_at")[: settings.HANDOFF_CONVERSATION_TAIL]
        )[::-1]
        handoff = Handoff(
            account=account, session=session, intent=intent, reason=reason, requested_by=actor,
            target_user=target, problem=session.problem,
            steps_tried=_snapshot_steps(steps[-settings.HANDOFF_MAX_STEPS_TRIED:]), steps_tried_total=len(steps),
            conversation_tail=_snapshot_messages(messages), assessment_status=AssessmentStatus.PENDING,
        )
        try:
            handoff.save()
        except IntegrityError:
            # one_open_handoff_per_session, which the row lock makes unreachable from two requests;
            # a 409 all the same (its savepoint, or the caller's transaction, is rolled back).
            raise Conflict("This session already has an open handoff.") from None

        session.status = SessionStatus.ESCALATED
        session.documentation = render_session_documentation(
            session=session, steps=steps, messages=messages, handoff=handoff
        )
        session.save(update_fields=["status", "documentation", "updated_at"])

        events.handoff_created(handoff, session=session, owner=session.owner)
        hooks.handoff_created(handoff)
        return handoff


def _may_claim(actor, handoff: Handoff) -> bool:
    return actor.is_staff_role or (handoff.target_user_id is not None and handoff.target_user_id == actor.pk)


@transaction.atomic
def handoff_claim(*, handoff: Handoff, actor) -> Handoff:
    """Claim ("Start here"). Exactly one of concurrent claimers wins: the rows are locked with
    SELECT ... FOR UPDATE (the session, then the handoff: the one lock order), so the second
    reads the first one's claim after it commits."""
    if not _may_claim(actor, handoff):
        raise PermissionDenied("Only engineers and admins may claim an escalation.")
    PilotSession.objects.select_for_update().filter(pk=handoff.session_id).first()
    handoff = Handoff.objects.select_for_update().get(pk=handoff.pk)
    if handoff.claimed_by_id is not None:
        if handoff.claimed_by_id == actor.pk:
            return Handoff.objects.select_related("requested_by", "target_user", "claimed_by").get(pk=handoff.pk)
        claimer = User.objects.get(pk=handoff.claimed_by_id)
        raise Conflict(f"{claimer.display_name} has already claimed this escalation.",
                       claimed_by={"id": str(claimer.pk), "name": claimer.display_name, "email": claimer.email})
    if handoff.cancelled_at is not None:
        raise Conflict("The session was resolved before anyone claimed it.")

    now = timezone.now()
    handoff.claimed_by = actor
    handoff.claimed_at = now
    handoff.save(update_fields=["claimed_by", "claimed_at"])
    PilotSession.objects.filter(pk=handoff.session_id).update(status=SessionStatus.ACTIVE, owner=actor, updated_at=now)

    handoff = Handoff.objects.select_related("requested_by", "target_user", "claimed_by", "session").get(pk=handoff.pk)
    events.handoff_claimed(handoff, session=handoff.session, owner=actor)
    hooks.handoff_claimed(handoff)
    return handoff


# --- Idempotency -----------------------------------------------------------------------------

@dataclass
class StoredResponse:
    status: int
    body: dict


def request_fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def handoff_request(*, user, session_id, intent, reason, target_user_id, idempotency_key, payload, render):
    """Escalate/hand off with `Idempotency-Key` semantics (API.md): the same key and body within
    24 h return the first response. The session row lock serialises concurrent retries, and the
    record is looked up after taking it, so the second of two simultaneous requests sees the
    first one's record. `render(handoff)` builds the response body, stored with the record."""
    with transaction.atomic():
        session = session_to_hand_off(user=user, session_id=session_id)
        scope = f"{intent}:{session.pk}"
        fingerprint = request_fingerprint(payload)
        if idempotency_key:
            record = IdempotencyRecord.objects.filter(account=user.account, user=user, key=idempotency_key).first()
            if record and record.created_at < timezone.now() - settings.IDEMPOTENCY_WINDOW:
                record.delete()
                record = None
            if record:
                if record.scope != scope or record.request_hash != fingerprint:
                    raise Conflict("This Idempotency-Key was already used with a different request.")
                return StoredResponse(record.response_status, record.response_body)
        handoff = handoff_create(session=session, actor=user, intent=intent, reason=reason,
                                 target_user_id=target_user_id, locked=True)
        body = render(handoff)
        if idempotency_key:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(account=user.account, user=user, key=idempotency_key,
                                                     scope=scope, request_hash=fingerprint, response_status=201,
                                                     response_body=body)
            except IntegrityError:
                # The same key, at the same moment, on another session (the session lock does not
                # serialise those): the other request has it. Raising rolls this handoff back.
                raise Conflict("This Idempotency-Key was already used with a different request.") from None
        return StoredResponse(201, body)
