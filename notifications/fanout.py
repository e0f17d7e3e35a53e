"""Which deliveries each escalation event creates (the hook handlers, registered in apps.py).

Handlers run inside the escalation's transaction (escalations.hooks): they only read the
database, render the messages and write `Delivery` rows, which the outbox dispatches after
commit. No network I/O happens here, so the escalate request is as fast with ten channels
configured as with none, and a channel that is down cannot slow it.

| event | Slack/Teams | email | PSA note | webhooks |
|---|---|---|---|---|
| handoff.created | enabled channels | in-app recipients who want email | if ticket | subscribed |
| handoff.claimed | enabled channels | — | if ticket | subscribed |
| handoff.assessed | — | — | — | subscribed |
| session.resolved | — | — | — | subscribed |
| handoff.waiting (renotify) | — | admins who want email | — | — |
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.utils import timezone

from escalations.events import handoff_created_frame
from escalations.models import Handoff, HandoffIntent
from notifications import outbox
from notifications.models import (
    ChatIdentity,
    DeliveryKind,
    NotificationChannel,
    NotificationKind,
    PSAConnection,
    WebhookEndpoint,
)
from notifications.transports import email as email_transport
from notifications.transports import slack, teams

CHAT_BUILDERS = {"slack": slack.build, "teams": teams.build}
PROBLEM_EXCERPT = 500


def _iso(dt):
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def _excerpt(text: str, limit: int = PROBLEM_EXCERPT) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _user_ref(user):
    return {"id": str(user.pk), "name": user.display_name, "email": user.email} if user else None


def _load(handoff) -> Handoff:
    return Handoff.objects.select_related("session", "requested_by", "target_user", "claimed_by").get(pk=handoff.pk)


def _mentions(users) -> list[dict]:
    """Who the chat message @mentions: the recipients who have not turned chat mentions off."""
    wanted = [u for u in users if u.chat_mentions]
    slack_ids = dict(ChatIdentity.objects.filter(user__in=wanted).values_list("user_id", "slack_member_id"))
    return [{"name": u.display_name, "email": u.email, "slack_member_id": slack_ids.get(u.pk, "")} for u in wanted]


def chat_context(handoff: Handoff, *, event: str) -> dict:
    session = handoff.session
    if event == "handoff.claimed":
        headline, button = f"Picked up: {session.title}", "Open session"
        link = f"{settings.SITE_URL}/pilot/{session.pk}"
    else:
        kind = "Escalation" if handoff.intent == HandoffIntent.ESCALATE else "Handoff"
        headline, button = f"{kind}: {session.title}", "Open handoff"
        link = f"{settings.SITE_URL}/pilot/{session.pk}?pickup=true"
    return {
        "event": event,
        "headline": headline,
        "button": button,
        "link": link,
        "session_title": session.title,
        "reason": handoff.reason,
        "requested_by": handoff.requested_by.display_name,
        "target": handoff.target_user.display_name if handoff.target_user_id else None,
        "claimed_by": handoff.claimed_by.display_name if handoff.claimed_by_id else None,
        "client_name": session.client_name,
        "ticket": session.psa_ticket_id,
        "problem_excerpt": _excerpt(handoff.problem),
        "mentions": [],
    }


def _chat(handoff, ctx, *, mention=()) -> list:
    channels = list(NotificationChannel.objects.filter(account_id=handoff.account_id, enabled=True))
    if channels and mention:
        ctx = {**ctx, "mentions": _mentions(mention)}
    return [
        outbox.new(account_id=handoff.account_id, kind=ch.kind, event_type=ctx["event"],
                   payload=CHAT_BUILDERS[ch.kind](ctx), target=ch.name, handoff=handoff, channel=ch)
        for ch in channels
    ]


def _emails(handoff, users, *, template: str, event: str, ctx: dict) -> list:
    deliveries = []
    for user in users:
        if not (user.email_notifications and user.is_active and user.email):
            continue
        message = email_transport.build(template=template, context={**ctx, "user": user}, to=user.email)
        deliveries.append(outbox.new(account_id=handoff.account_id, kind=DeliveryKind.EMAIL, event_type=event,
                                     payload=message, target=user.email, handoff=handoff, recipient=user))
    return deliveries


def _psa(handoff, *, event: str, text: str) -> list:
    ticket = handoff.session.psa_ticket_id
    if not ticket:
        return []
    connection = PSAConnection.objects.filter(account_id=handoff.account_id, enabled=True).first()
    if connection is None:
        return []
    return [outbox.new(account_id=handoff.account_id, kind=DeliveryKind.PSA, event_type=event,
                       payload={"ticket_id": ticket, "text": text},
                       target=f"{connection.get_kind_display()} ticket {ticket}",
                       handoff=handoff, psa_connection=connection)]


def _webhooks(*, account_id, event: str, data: dict, handoff=None) -> list:
    endpoints = [e for e in WebhookEndpoint.objects.filter(account_id=account_id, enabled=True) if event in e.events]
    if not endpoints:
        return []
    envelope = {"id": str(uuid.uuid4()), "type": event, "created_at": _iso(timezone.now()), "data": data}
    return [outbox.new(account_id=account_id, kind=DeliveryKind.WEBHOOK, event_type=event, payload=envelope,
                       target=f"endpoint {e.pk}", handoff=handoff, endpoint=e)
            for e in endpoints]


def _psa_note(handoff, *, event: str) -> str:
    session = handoff.session
    if event == "handoff.claimed":
        return (f"ResolutionFlow: {handoff.claimed_by.display_name} picked up this escalation "
                f"at {handoff.claimed_at:%Y-%m-%d %H:%M} UTC.\n{settings.SITE_URL}/pilot/{session.pk}")
    steps = "\n".join(f"- {s['action']} → {s.get('outcome', '')}" for s in handoff.steps_tried) or "- (none logged)"
    verb = "escalated" if handoff.intent == HandoffIntent.ESCALATE else "handed off"
    return (f"ResolutionFlow: {handoff.requested_by.display_name} {verb} this ticket.\n"
            f"Reason: {handoff.reason}\n\nSteps tried:\n{steps}\n\n"
            f"Handoff: {settings.SITE_URL}/pilot/{session.pk}?pickup=true")


# --- Hook handlers ----------------------------------------------------------------------------

def on_handoff_created(handoff) -> None:
    handoff = _load(handoff)
    # The same people as the in-app notifications the handoff manager just wrote.
    recipients = [n.user for n in handoff.notifications.select_related("user")
                  .filter(kind__in=[NotificationKind.ESCALATION, NotificationKind.HANDOFF])]
    ctx = chat_context(handoff, event="handoff.created")
    data = dict(handoff_created_frame(handoff)["handoff"])
    data["session"] = {"id": str(handoff.session_id), "title": handoff.session.title,
                       "client_name": handoff.session.client_name, "psa_ticket_id": handoff.session.psa_ticket_id}
    data["link"] = ctx["link"]
    outbox.save_and_dispatch(
        _chat(handoff, ctx, mention=recipients)
        + _emails(handoff, recipients, template="handoff_created", event="handoff.created", ctx=ctx)
        + _psa(handoff, event="handoff.created", text=_psa_note(handoff, event="handoff.created"))
        + _webhooks(account_id=handoff.account_id, event="handoff.created", data=data, handoff=handoff)
    )


def on_handoff_claimed(handoff) -> None:
    handoff = _load(handoff)
    ctx = chat_context(handoff, event="handoff.claimed")
    data = {"id": str(handoff.pk), "session_id": str(handoff.session_id),
            "claimed_by": _user_ref(handoff.claimed_by), "claimed_at": _iso(handoff.claimed_at)}
    outbox.save_and_dispatch(
        _chat(handoff, ctx)
        + _psa(handoff, event="handoff.claimed", text=_psa_note(handoff, event="handoff.claimed"))
        + _webhooks(account_id=handoff.account_id, event="handoff.claimed", data=data, handoff=handoff)
    )


def on_handoff_assessed(handoff) -> None:
    handoff = Handoff.objects.get(pk=handoff.pk)
    data = {"id": str(handoff.pk), "session_id": str(handoff.session_id),
            "assessment_status": handoff.assessment_status, "assessment": handoff.assessment}
    outbox.save_and_dispatch(_webhooks(account_id=handoff.account_id, event="handoff.assessed", data=data,
                                       handoff=handoff))


def on_session_resolved(session) -> None:
    data = {"id": str(session.pk), "title": session.title, "status": session.status,
            "resolution": session.resolution, "resolved_at": _iso(session.resolved_at),
            "client_name": session.client_name, "psa_ticket_id": session.psa_ticket_id,
            "owner": _user_ref(session.owner)}
    outbox.save_and_dispatch(_webhooks(account_id=session.account_id, event="session.resolved", data=data))


def waiting_emails(handoff, admins) -> None:
    """The renotify policy's emails to the account's admins (notifications.renotify)."""
    handoff = _load(handoff)
    ctx = chat_context(handoff, event="handoff.waiting")
    ctx["waiting_minutes"] = int((timezone.now() - handoff.created_at).total_seconds() // 60)
    outbox.save_and_dispatch(_emails(handoff, admins, template="handoff_waiting", event="handoff.waiting", ctx=ctx))
