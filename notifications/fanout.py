"""The fan-out: everything one escalation event means per recipient and per channel.

The escalation domain writes one `EscalationEvent` row in the transaction of the change
(escalations.hooks) and nothing per recipient. After commit a worker runs `fan_out(event_id)`
(notifications.tasks.fan_out_event, on its own `fanout` queue so it never waits behind
deliveries) in two phases, each ONE transaction holding the event row's lock: the in-app
notifications (`notify()`, their frames sent on commit as one message), then the outbox rows
of every channel (published on commit). Each phase marks the event (`notified_at`,
`fanned_out_at`). So:

- a worker killed mid-phase rolls that phase back (and releases the lock); the task message is
  redelivered (acks_late) or the sweeper (`sweep_events`) publishes it again: the next run
  does what is left, once;
- a fan-out run twice finds the event done (or locked by the other run: SKIP LOCKED) and does
  nothing; unique constraints (event, user) and (event, target) make a duplicate impossible
  even so;
- a rolled-back escalation has no event row: nothing is sent.

| event | bells | Slack/Teams | email | PSA note | webhooks |
|---|---|---|---|---|---|
| handoff.created | target, or staff* | enabled channels | bell recipients who want it | if ticket | subscribed |
| handoff.claimed | the requester; its escalation bells read† | enabled channels | — | if ticket | subscribed |
| handoff.assessed | — | — | — | — | subscribed |
| session.resolved | escalation bells of a handoff it cancelled read† | — | — | — | subscribed |
| handoff.waiting (renotify) | the account's admins | — | admins who want email | — | — |

* the target of a hand-off (or of a targeted escalation), else the account's active engineers and
  admins but the requester.
† once somebody has it (or nobody needs to), "X escalated Y" is no longer news: one UPDATE marks
  the unread ones read, and one `notifications.read` frame to the account's members group (sent
  after commit) lets every open bell drop them (`mark_escalation_bells_read`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from escalations import events, hooks
from escalations.handoffs import pickup_link
from escalations.models import EscalationEvent, EventType, Handoff, HandoffIntent, PilotSession
from notifications import outbox
from notifications.models import (
    ChatIdentity,
    DeliveryKind,
    Notification,
    NotificationChannel,
    NotificationKind,
    PSAConnection,
    WebhookEndpoint,
)
from notifications.services import compose_title, notify
from notifications.transports import email as email_transport
from notifications.transports import slack, teams

CHAT_BUILDERS = {"slack": slack.build, "teams": teams.build}
PROBLEM_EXCERPT = 500

logger = logging.getLogger(__name__)


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
                   payload=CHAT_BUILDERS[ch.kind](ctx), target=ch.name, handoff=handoff, channel=ch,
                   dedupe_key=f"{ch.kind}:{ch.pk}")
        for ch in channels
    ]


def _emails(handoff, users, *, template: str, event: str, ctx: dict) -> list:
    deliveries = []
    for user in users:
        if not (user.email_notifications and user.is_active and user.email):
            continue
        message = email_transport.build(template=template, context={**ctx, "user": user}, to=user.email)
        deliveries.append(outbox.new(account_id=handoff.account_id, kind=DeliveryKind.EMAIL, event_type=event,
                                     payload=message, target=user.email, handoff=handoff, recipient=user,
                                     dedupe_key=f"email:{user.pk}"))
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
                       handoff=handoff, psa_connection=connection, dedupe_key=f"psa:{connection.pk}")]


def _webhooks(*, account_id, event: str, data: dict, handoff=None) -> list:
    endpoints = [e for e in WebhookEndpoint.objects.filter(account_id=account_id, enabled=True) if event in e.events]
    if not endpoints:
        return []
    envelope = {"id": str(uuid.uuid4()), "type": event, "created_at": _iso(timezone.now()), "data": data}
    return [outbox.new(account_id=account_id, kind=DeliveryKind.WEBHOOK, event_type=event, payload=envelope,
                       target=f"endpoint {e.pk}", handoff=handoff, endpoint=e, dedupe_key=f"webhook:{e.pk}")
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


# --- The fan-out of each event type ------------------------------------------------------------

def _handoff_data(handoff) -> dict:
    """The webhook payload's view of a new handoff (its own shape, not the websocket frame's)."""
    return {
        "id": str(handoff.pk), "session_id": str(handoff.session_id), "intent": handoff.intent,
        "reason": handoff.reason, "requested_by": _user_ref(handoff.requested_by),
        "target_user": _user_ref(handoff.target_user), "created_at": _iso(handoff.created_at),
        "session": {"id": str(handoff.session_id), "title": handoff.session.title,
                    "client_name": handoff.session.client_name, "psa_ticket_id": handoff.session.psa_ticket_id},
    }


def _created_recipients(handoff):
    """Who gets a new handoff's bell, active users only (`staff()` is the active engineers and
    admins); a queryset: `notify` writes the bells from it in the database."""
    if handoff.target_user_id is not None:
        return User.objects.filter(pk=handoff.target_user_id, is_active=True)
    return User.objects.for_account(handoff.account).staff().exclude(pk=handoff.requested_by_id)


def _bell_recipients(event) -> list:
    """Who got this event's bells (phase 1): the email recipients of phase 2 are the same people."""
    return list(User.objects.filter(notifications__event=event).order_by("pk"))


def _lock_handoff(handoff) -> dict | None:
    """The handoff's row lock, for this phase's transaction: the escalation bells of one handoff
    are written (handoff.created) and marked read (its claim, its cancel) one run at a time, so a
    claim whose fan-out runs before, or alongside, the escalation's never leaves them unread."""
    return (Handoff.objects.select_for_update().filter(pk=handoff.pk)
            .values("claimed_at", "cancelled_at").first())


def _created_bells(event, handoff) -> None:
    state = _lock_handoff(handoff)
    who = handoff.requested_by.display_name
    if handoff.intent == HandoffIntent.ESCALATE:
        kind, title = NotificationKind.ESCALATION, compose_title("{who} escalated “{title}”", who=who,
                                                                 title=handoff.session.title)
    else:
        kind, title = NotificationKind.HANDOFF, compose_title("{who} handed off “{title}” to you", who=who,
                                                              title=handoff.session.title)
    notify(event=event, users=_created_recipients(handoff), kind=kind, title=title, body=handoff.reason,
           link=pickup_link(handoff.session_id), handoff=handoff)
    if state and (state["claimed_at"] or state["cancelled_at"]):  # its claim's fan-out ran first
        mark_escalation_bells_read(handoff)


def _created_deliveries(event, handoff) -> list:
    recipients = _bell_recipients(event)
    ctx = chat_context(handoff, event="handoff.created")
    data = {**_handoff_data(handoff), "link": ctx["link"]}
    return (_chat(handoff, ctx, mention=recipients)
            + _emails(handoff, recipients, template="handoff_created", event="handoff.created", ctx=ctx)
            + _psa(handoff, event="handoff.created", text=_psa_note(handoff, event="handoff.created"))
            + _webhooks(account_id=handoff.account_id, event="handoff.created", data=data, handoff=handoff))


def mark_escalation_bells_read(handoff) -> int:
    """Every recipient's unread escalation bell of `handoff` is marked read (it was claimed or
    cancelled: nobody else needs to act on it), in ONE UPDATE whatever the number of recipients,
    and the open bells are told after commit in ONE message to the account's members group.
    Idempotent: a second run finds nothing unread and sends nothing. Returns how many it marked.
    Runs inside a fan-out phase's transaction (it takes the handoff's row lock)."""
    now = timezone.now()
    _lock_handoff(handoff)
    unread = Notification.objects.filter(handoff_id=handoff.pk, kind=NotificationKind.ESCALATION,
                                         read_at__isnull=True)
    # Served by the handoff foreign key's index; one small row per recipient of one escalation.
    pairs = list(unread.values_list("user_id", "pk"))
    if not pairs:
        return 0
    marked = Notification.objects.filter(pk__in=[pk for _, pk in pairs], read_at__isnull=True).update(read_at=now)
    events.notifications_read(handoff, kind=NotificationKind.ESCALATION, read_at=now, notifications=pairs)
    return marked


def _claimed_bells(event, handoff) -> None:
    claimer = handoff.claimed_by.display_name
    notify(event=event, users=User.objects.filter(pk=handoff.requested_by_id), kind=NotificationKind.CLAIMED,
           title=compose_title("{who} picked up “{title}”", who=claimer, title=handoff.session.title),
           body=f"{claimer} is now working on it.", link=f"/pilot/{handoff.session_id}", handoff=handoff)
    mark_escalation_bells_read(handoff)


def _resolved_bells(event, session) -> None:
    """A session resolved while its escalation waited: the handoff was cancelled with it."""
    for handoff in Handoff.objects.filter(session_id=session.pk, cancelled_at__isnull=False,
                                          notifications__kind=NotificationKind.ESCALATION,
                                          notifications__read_at__isnull=True).distinct():
        mark_escalation_bells_read(handoff)


def _claimed_deliveries(event, handoff) -> list:
    ctx = chat_context(handoff, event="handoff.claimed")
    data = {"id": str(handoff.pk), "session_id": str(handoff.session_id),
            "claimed_by": _user_ref(handoff.claimed_by), "claimed_at": _iso(handoff.claimed_at)}
    return (_chat(handoff, ctx)
            + _psa(handoff, event="handoff.claimed", text=_psa_note(handoff, event="handoff.claimed"))
            + _webhooks(account_id=handoff.account_id, event="handoff.claimed", data=data, handoff=handoff))


def _assessed_deliveries(event, handoff) -> list:
    data = {"id": str(handoff.pk), "session_id": str(handoff.session_id),
            "assessment_status": handoff.assessment_status, "assessment": handoff.assessment}
    return _webhooks(account_id=handoff.account_id, event="handoff.assessed", data=data, handoff=handoff)


def _waited_minutes(event, handoff) -> int:
    return int((event.created_at - handoff.created_at).total_seconds() // 60)


def _waiting_bells(event, handoff) -> None:
    """The re-notify policy (notifications.renotify) decided this escalation waited too long."""
    admins = User.objects.for_account(handoff.account).filter(role=Role.ADMIN, is_active=True)
    notify(event=event, users=admins, kind=NotificationKind.WAITING,
           title=compose_title("“{title}” has waited {minutes} min unclaimed",
                               minutes=_waited_minutes(event, handoff), title=handoff.session.title),
           body=handoff.reason, link=pickup_link(handoff.session_id), handoff=handoff)


def _waiting_deliveries(event, handoff) -> list:
    ctx = chat_context(handoff, event="handoff.waiting")
    ctx["waiting_minutes"] = _waited_minutes(event, handoff)
    return _emails(handoff, _bell_recipients(event), template="handoff_waiting", event="handoff.waiting", ctx=ctx)


def _resolved_deliveries(event, session) -> list:
    data = {"id": str(session.pk), "title": session.title, "status": session.status,
            "resolution": session.resolution, "resolved_at": _iso(session.resolved_at),
            "client_name": session.client_name, "psa_ticket_id": session.psa_ticket_id,
            "owner": _user_ref(session.owner)}
    return _webhooks(account_id=session.account_id, event="session.resolved", data=data)


# Per event type: (write its bells, build its deliveries). Both take (event, subject), the subject
# being the handoff, or the session for session.resolved.
PHASES = {
    EventType.HANDOFF_CREATED: (_created_bells, _created_deliveries),
    EventType.HANDOFF_CLAIMED: (_claimed_bells, _claimed_deliveries),
    EventType.HANDOFF_ASSESSED: (None, _assessed_deliveries),
    EventType.HANDOFF_WAITING: (_waiting_bells, _waiting_deliveries),
    EventType.SESSION_RESOLVED: (_resolved_bells, _resolved_deliveries),
}


def _subject(event):
    if event.type == EventType.SESSION_RESOLVED:
        return (PilotSession.objects.select_related("owner").filter(pk=event.session_id).first()
                if event.session_id else None)
    return _load(event.handoff) if event.handoff_id else None


def _locked(event_id, **pending):
    """The event, locked for this transaction, if the phase is still to do and no other worker
    holds it (SKIP LOCKED: a concurrent run of the same fan-out returns at once)."""
    return (EscalationEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, **pending).first())


def fan_out(event_id) -> int | None:
    """Fan one event out, in two phases, each one transaction under the event's row lock:

    1. the bells (one INSERT for every recipient, `notified_at` set), sent on commit as one
       message: what people see first must not wait behind rendering hundreds of emails;
    then the worker-side subscribers of the event (`hooks.event_notified`: a new handoff's
    assessment is queued there, so the request publishes this task only);
    2. the outbox rows of every channel (`fanned_out_at` set), published on commit.

    A phase that was done is skipped on a rerun; a phase killed midway is rolled back whole.
    Returns how many deliveries phase 2 wrote, or None when there was nothing to do."""
    with transaction.atomic():
        event = _locked(event_id, notified_at__isnull=True, fanned_out_at__isnull=True)
        if event is not None:
            write_bells = PHASES[event.type][0]
            subject = _subject(event)
            if write_bells is not None and subject is not None:
                write_bells(event, subject)
            EscalationEvent.objects.filter(pk=event.pk).update(notified_at=timezone.now())
    if event is not None:  # this run sent the bells: the worker-side subscribers follow (the assessment)
        hooks.event_notified(event)
    with transaction.atomic():
        event = _locked(event_id, fanned_out_at__isnull=True)
        if event is None:
            return None
        subject = _subject(event)
        deliveries = PHASES[event.type][1](event, subject) if subject is not None else []
        for delivery in deliveries:
            delivery.event = event
        outbox.save_and_dispatch(deliveries, batch=False)
        EscalationEvent.objects.filter(pk=event.pk).update(fanned_out_at=timezone.now())
    return len(deliveries)


def schedule(event) -> None:
    """ON_EVENT_RECORDED handler: queue the event's fan-out once the escalation commits. A broker
    that is down loses nothing: the event stays pending and `sweep_events` publishes it."""
    event_id = str(event.pk)
    transaction.on_commit(lambda: publish(event_id), robust=True)


# The Celery task that runs `fan_out`. `notifications.tasks` imports this module, so this one does
# not import it back: NotificationsConfig.ready hands the task over with `use_tasks`.
_tasks: dict = {}


def use_tasks(*, fan_out_event) -> None:
    _tasks.update(fan_out_event=fan_out_event)


def publish(event_id: str) -> bool:
    try:
        _tasks["fan_out_event"].apply_async((event_id,))
    except Exception:  # kombu OperationalError, redis ConnectionError, socket errors...
        logger.warning("Could not queue the fan-out of event %s (broker unavailable?); the sweeper will.",
                       event_id, exc_info=True)
        return False
    return True


# Events whose fan-out has not run this long after they were recorded were lost (broker down at
# commit, worker killed before a redelivery): publish them again.
REDISPATCH_EVENTS_AFTER = timedelta(seconds=30)
SWEEP_EVENTS_BATCH = 500


def sweep_events(*, now=None) -> int:
    """Beat: publish again the fan-out of events still pending after REDISPATCH_EVENTS_AFTER.
    A duplicate message is harmless (`fan_out` runs each event once)."""
    now = now or timezone.now()
    stale = list(EscalationEvent.objects.filter(fanned_out_at__isnull=True,
                                                created_at__lt=now - REDISPATCH_EVENTS_AFTER)
                 .order_by("created_at").values_list("pk", flat=True)[:SWEEP_EVENTS_BATCH])
    published = 0
    for pk in stale:
        if not publish(str(pk)):
            break
        published += 1
    return published
