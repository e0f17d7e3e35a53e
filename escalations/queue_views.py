"""The escalation queue page and the server-rendered fragments its JavaScript swaps in.

One render path: the queue page, a card that arrives live, the refetch after a reconnect and the
handoff context screen all come from the same templates (`escalations/_queue_card.html`,
`escalations/_context.html`). static/js/queue.js and context.js fetch these fragments with the
session cookie; everything is looked up inside the user's account (404 otherwise).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalations import extensions, selectors
from escalations.models import AssessmentStatus, Handoff, Step
from escalations.templatetags.escalation_ui import item_text
from escalations.views import member_required

QUEUE_LIMIT = 100


def staff_page(view):
    """Engineers and admins; a technician is sent to their sessions with a word of why."""

    @member_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff_role:
            messages.info(request, "The escalation queue is for engineers and admins.")
            return redirect("session-list")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def staff_fragment(view):
    """Fragments answer 403 to technicians: only the queue page's script asks for them."""

    @member_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff_role:
            return HttpResponseForbidden("Only engineers and admins may see the queue.")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def decorate_card(handoff: Handoff, *, now, renotify_minutes: int) -> Handoff:
    """What a card shows beyond the row: its age and the escalation policy's "waiting" marker."""
    handoff.age_seconds = max(0, int((now - handoff.created_at).total_seconds()))
    waited = handoff.age_seconds // 60
    handoff.waiting_minutes = waited if waited >= renotify_minutes else None
    return handoff


def _card_context(request, handoffs):
    now = timezone.now()
    account = request.user.account
    renotify = account.escalation_renotify_minutes
    return {
        "handoffs": [decorate_card(h, now=now, renotify_minutes=renotify) for h in handoffs],
        "renotify_minutes": renotify,
        "now": now,
    }


@staff_page
@never_cache
def queue(request):
    account = request.user.account
    handoffs = list(selectors.handoff_queue(account=account, state="unclaimed")[:QUEUE_LIMIT])
    context = _card_context(request, handoffs)
    # The metric card's figures come from analytics (escalations.extensions.QUEUE_SUMMARY).
    context.update(nav="queue", metrics=extensions.queue_summary(account=account))
    return render(request, "escalations/queue.html", context)


@staff_fragment
@require_GET
@never_cache
def queue_cards(request):
    """The whole list, for the refetch after a reconnect (so no arrival is missed)."""
    handoffs = list(selectors.handoff_queue(account=request.user.account, state="unclaimed")[:QUEUE_LIMIT])
    return render(request, "escalations/_queue_cards.html", _card_context(request, handoffs))


@staff_fragment
@require_GET
@never_cache
def queue_metrics(request):
    """The metric card alone: queue.js asks for it after a claim frame (and after a reconnect), so
    "Today" moves with the claims the page sees. One aggregate query, whatever the account's size."""
    metrics = extensions.queue_summary(account=request.user.account)
    return render(request, "escalations/_queue_metrics.html", {"metrics": metrics})


@staff_fragment
@require_GET
@never_cache
def queue_card(request, handoff_id):
    """One card, for a `handoff.created` or `handoff.updated` frame; 404 once it left the queue."""
    handoff = selectors.handoff_get(user=request.user, handoff_id=handoff_id)
    if not handoff.is_open:
        return render(request, "escalations/_gone.html", status=404)
    context = _card_context(request, [handoff])
    return render(request, "escalations/_queue_card.html", {**context, "h": context["handoffs"][0]})


def _uuid(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _suggestions(assessment: dict | None, similar: list[dict]) -> list[dict]:
    """Suggested next steps, each with the similar sessions it comes from ({id, title}) for the
    links to them. An assessment stored before suggestions cited their sessions (or a model's,
    which cites none) has plain `suggested_steps`: they come without sources."""
    titles = {_uuid(s.get("id")): s.get("title") or "a similar session" for s in similar}
    raw = (assessment or {}).get("suggestions")
    if isinstance(raw, list):
        items = []
        for item in raw:
            if not isinstance(item, dict) or not item_text(item.get("text")).strip():
                continue
            ids = [_uuid(i) for i in item.get("session_ids") or [] if isinstance(i, str)]
            items.append({"text": item_text(item["text"]),
                          "sources": [{"id": i, "title": titles.get(i, "a similar session")} for i in ids if i]})
        return items[:8]
    return [{"text": item_text(s), "sources": []} for s in (assessment or {}).get("suggested_steps") or [] if s][:8]


def context_for(*, user, handoff: Handoff) -> dict:
    """The four sections of the handoff context screen, and what its footer offers `user`."""
    # The real timeline, as it stood when the engineer picked it up (or now, while it waits).
    steps = Step.objects.for_account(user.account).filter(session_id=handoff.session_id).select_related("author")
    if handoff.claimed_at:
        steps = steps.filter(created_at__lte=handoff.claimed_at)
    assessment = handoff.assessment if isinstance(handoff.assessment, dict) else None
    if handoff.assessment_status == AssessmentStatus.PENDING and assessment is None:
        assessment_state = "pending"
    elif assessment is not None:
        assessment_state = "ready"
    else:
        assessment_state = "unavailable"
    similar = [dict(s, link_id=_uuid(s.get("id")))
               for s in (assessment or {}).get("similar_sessions") or [] if isinstance(s, dict)][:5]
    suggested = _suggestions(assessment, similar)
    causes = [c for c in (assessment or {}).get("likely_causes") or [] if c][:8]
    can_claim = handoff.is_open and (user.is_staff_role or handoff.target_user_id == user.pk)
    return {
        "h": handoff,
        "steps": list(steps.order_by("created_at")),
        "assessment": assessment,
        "assessment_state": assessment_state,
        "likely_causes": causes,
        "suggested_steps": suggested,
        "similar_sessions": similar,
        # "none": no resolved session is a close match (docs/assessment.md); the level is shown
        # instead of a percentage.
        "no_close_match": (assessment or {}).get("match") == "none",
        "confidence_level": (assessment or {}).get("confidence_level")
        if (assessment or {}).get("confidence_level") in ("high", "medium", "low") else None,
        "can_claim": can_claim,
        "claimed_by_me": handoff.claimed_by_id == user.pk,
        "age_seconds": max(0, int((timezone.now() - handoff.created_at).total_seconds())),
        "waited": (handoff.claimed_at - handoff.created_at) if handoff.claimed_at else None,
    }


@member_required
@require_GET
@never_cache
def handoff_context(request, handoff_id):
    """The context screen's content (staff, or the member who asked / was asked)."""
    handoff = selectors.handoff_get(user=request.user, handoff_id=handoff_id)
    return render(request, "escalations/_context.html", context_for(user=request.user, handoff=handoff))

