"""Writes of the notifications app (configuration by users and admins)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from escalations import events
from notifications.models import ChatIdentity, Notification, WebhookEndpoint

TITLE_MAX = Notification._meta.get_field("title").max_length


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def compose_title(template: str, *, title: str, **parts) -> str:
    """A notification title built from `template` around a session title: the session title is
    shortened so the whole always fits the column (a 200-character session title is valid, and
    so is a long display name), whatever the template adds around it."""
    frame = template.format(title="", **parts)
    room = max(TITLE_MAX - len(frame), 12)
    return shorten(template.format(title=shorten(title, room), **parts), TITLE_MAX)


def notify(*, event, users, kind: str, title: str, body: str, link: str, handoff=None) -> list[Notification]:
    """The one way in-app notifications (the bell) are written: one per user for `event`, in
    one INSERT, and their frames sent after commit as one message (events.notifications_created).
    Used by the fan-out of every event type, the re-notify policy included."""
    users = [u for u in users if u is not None]
    if not users:
        return []
    now = timezone.now()
    notes = Notification.objects.bulk_create([
        Notification(account_id=event.account_id, user=u, kind=kind, title=shorten(title, TITLE_MAX), body=body,
                     link=link, handoff=handoff, event=event, created_at=now)
        for u in users
    ])
    events.notifications_created(notes)
    return notes


@transaction.atomic
def webhook_endpoint_create(*, account, url: str, events: list[str]) -> WebhookEndpoint:
    """Register an integrator's endpoint. The caller has validated the URL (SSRF) and events;
    the generated secret is on the returned object: show it once."""
    return WebhookEndpoint.objects.create(account=account, url=url, events=list(events))


@transaction.atomic
def notification_preferences_update(*, user, email_notifications: bool, chat_mentions: bool,
                                    slack_member_id: str = "") -> None:
    """A user's own switches: email for escalations, @mentions in Slack/Teams."""
    user.email_notifications = email_notifications
    user.chat_mentions = chat_mentions
    user.save(update_fields=["email_notifications", "chat_mentions"])
    ChatIdentity.objects.update_or_create(user=user, defaults={"account_id": user.account_id,
                                                               "slack_member_id": slack_member_id})
