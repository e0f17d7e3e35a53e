"""Handoff histories with known timings, written straight to the database (the rows the handoff
manager would have written), so tests can assert exact figures."""

from __future__ import annotations

from datetime import datetime, timedelta

from escalations.models import Handoff, HandoffIntent, PilotSession, SessionStatus


def make_handoff(account, *, requester, at: datetime, claimer=None, claim_after: float | None = None,
                 act_after: float | None = None, resolve_after: float | None = None,
                 cancel_after: float | None = None, intent: str = HandoffIntent.ESCALATE) -> Handoff:
    """One escalation created `at`; claimed `claim_after` seconds later by `claimer`; the claimer's
    first action `act_after` seconds after the claim; the session resolved `resolve_after` seconds
    after the claim (or, with `cancel_after`, before anyone claimed it)."""
    claimed_at = at + timedelta(seconds=claim_after) if claim_after is not None else None
    session = PilotSession.objects.create(
        account=account, owner=claimer if claimed_at else requester, title="Printer offline",
        problem="Spooler stops", status=SessionStatus.ESCALATED, created_at=at - timedelta(minutes=5),
    )
    handoff = Handoff.objects.create(
        account=account, session=session, intent=intent, reason="stuck", requested_by=requester,
        problem=session.problem, created_at=at, claimed_at=claimed_at,
        claimed_by=claimer if claimed_at else None,
        first_action_at=claimed_at + timedelta(seconds=act_after) if act_after is not None else None,
        cancelled_at=at + timedelta(seconds=cancel_after) if cancel_after is not None else None,
    )
    if resolve_after is not None or cancel_after is not None:
        resolved_at = (claimed_at + timedelta(seconds=resolve_after) if resolve_after is not None
                       else handoff.cancelled_at)
        PilotSession.objects.filter(pk=session.pk).update(status=SessionStatus.RESOLVED, resolved_at=resolved_at)
    elif claimed_at:
        PilotSession.objects.filter(pk=session.pk).update(status=SessionStatus.ACTIVE)
    return handoff
