"""Writes of the notifications app (configuration by users and admins)."""

from __future__ import annotations

from django.db import transaction

from notifications.models import ChatIdentity, WebhookEndpoint


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
