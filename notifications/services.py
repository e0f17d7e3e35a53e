"""Writes of the notifications app (configuration by users and admins)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from escalations import events
from escalations.errors import Conflict
from notifications import outbox
from notifications.models import (
    PING_EVENT,
    TEST_EVENT,
    ChannelKind,
    ChatIdentity,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Notification,
    NotificationChannel,
    PSAConnection,
    WebhookEndpoint,
    new_webhook_secret,
)
from notifications.transports import slack, teams

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


def notify(*, event, users, kind: str, title: str, body: str, link: str, handoff=None) -> list[tuple]:
    """The one way in-app notifications (the bell) are written: one per user of `users` (a User
    queryset) for `event`, and their frames sent after commit as one message
    (events.notifications_created). Used by the fan-out of every event type, the re-notify policy
    included. Returns the (user id, notification id) pairs.

    ONE statement whatever the number of recipients, and no Python per recipient: the database
    makes the rows from the recipients' query (INSERT … SELECT … RETURNING). Built as model
    instances and `bulk_create`d, 500 recipients took ~41 ms (loading the users, then building and
    compiling 500 rows) against ~10 ms for this (tests/load/bench_bells.py), most of it the
    worker's CPU, spent right while the web processes write the queue card to every socket."""
    now = timezone.now()
    values = {"account": event.account_id, "kind": kind, "title": shorten(title, TITLE_MAX), "body": body,
              "link": link, "handoff": handoff.pk if handoff is not None else None, "event": event.pk,
              "created_at": now}
    pairs = _insert_notifications(users, values)
    if pairs:
        events.notifications_created(account_id=event.account_id, kind=kind, title=values["title"], link=link,
                                     created_at=now, notifications=pairs)
    return pairs


def _insert_notifications(users, values: dict) -> list[tuple]:
    """INSERT INTO notification (id, user, <values>) SELECT a new UUID, user.id, <values> FROM
    (`users`' ids) RETURNING (user id, id). The columns not given (`read_at`) are NULL. The new
    ids come from `gen_random_uuid()`: PostgreSQL's own (13+), and on SQLite (embedded mode) the
    function `register_sqlite_functions` adds to each connection."""
    connection = connections[Notification.objects.db]
    qn = connection.ops.quote_name
    meta = Notification._meta
    fields = [meta.get_field(name) for name in values]
    recipients_sql, recipients_params = users.order_by().values(recipient_id=F("pk")).query.sql_with_params()
    columns = ", ".join(qn(f.column) for f in [meta.pk, meta.get_field("user"), *fields])
    sql = (f"INSERT INTO {qn(meta.db_table)} ({columns}) "
           f"SELECT gen_random_uuid(), recipient.recipient_id, {', '.join(['%s'] * len(fields))} "
           f"FROM ({recipients_sql}) AS recipient "
           f"RETURNING {qn(meta.get_field('user').column)}, {qn(meta.pk.column)}")
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields] + list(recipients_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(_uuid(user_id), _uuid(note_id)) for user_id, note_id in cursor.fetchall()]


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created: give SQLite (embedded mode) PostgreSQL's `gen_random_uuid()`, in the
    form Django stores a UUIDField there (32 hex digits), for `_insert_notifications`."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("gen_random_uuid", 0, lambda: uuid.uuid4().hex)


@transaction.atomic
def webhook_endpoint_create(*, account, url: str, events: list[str]) -> WebhookEndpoint:
    """Register an integrator's endpoint. The caller has validated the URL (SSRF) and events;
    the generated secret is on the returned object: show it once."""
    return WebhookEndpoint.objects.create(account=account, url=url, events=list(events))


# Why a paused endpoint gets nothing: the reason shown with it (the API's `disabled_reason`).
PAUSED_REASON = "Paused by an admin."


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, url: str | None = None, events: list[str] | None = None,
                            enabled: bool | None = None) -> WebhookEndpoint:
    """Change an endpoint's URL, events, or pause (`enabled=False`) / resume it; None leaves a
    field as it is. The caller has validated the values (the URL against the SSRF rule). A paused
    endpoint is left out of every new fan-out and test; deliveries already queued for it fail
    ("The target is disabled.") when their turn comes and can be retried once it is resumed.
    Resuming also undoes a 410 Gone that disabled it."""
    endpoint = _locked(endpoint)
    if url is not None:
        endpoint.url = url
    if events is not None:
        endpoint.events = list(events)
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.disabled_at = None if enabled else timezone.now()
        endpoint.disabled_reason = "" if enabled else PAUSED_REASON
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret (on the returned object: show it once). The secret it replaces keeps
    signing, beside the new one, for WEBHOOK_SECRET_ROTATION_GRACE_HOURS.

    Rotating again during a grace period: the secret being replaced now (the newest one the
    integrator was given) becomes the old one, with a fresh grace period, and the one before it
    is dropped at once. Only one old secret is ever kept: a rotation is usually because a secret
    leaked, and the oldest one is the likeliest to have. A grace of 0 keeps none."""
    endpoint = _locked(endpoint)
    grace = timedelta(hours=settings.WEBHOOK_SECRET_ROTATION_GRACE_HOURS)
    if grace:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + grace
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


def _iso_now() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint) -> Delivery:
    """Queue a `ping` event for one endpoint through the outbox (a Delivery row, its task
    published after commit): signed and recorded like every other delivery. 409 when the
    endpoint is paused (it would only fail)."""
    endpoint = _locked(endpoint)
    if not endpoint.enabled:
        raise Conflict("This endpoint is paused (enabled is false): resume it to send a test.")
    envelope = {"id": str(uuid.uuid4()), "type": PING_EVENT, "created_at": _iso_now(),
                "data": {"webhook_id": str(endpoint.pk), "message": "A test delivery from ResolutionFlow."}}
    [delivery] = outbox.save_and_dispatch([outbox.new(
        account_id=endpoint.account_id, kind=DeliveryKind.WEBHOOK, event_type=PING_EVENT, payload=envelope,
        target=f"endpoint {endpoint.pk}", endpoint=endpoint)])
    return delivery


# The Integrations page's "Send a test" per channel kind (a Slack or Teams message).
_TEST_MESSAGES = {ChannelKind.SLACK: slack.build_test, ChannelKind.TEAMS: teams.build_test}


@transaction.atomic
def channel_test(*, channel: NotificationChannel, actor) -> Delivery:
    """Queue a short "ResolutionFlow test message" to a Slack/Teams channel through the outbox
    (sent by a worker after commit, through the channel's normal transport)."""
    if not channel.enabled:
        raise Conflict("This channel is disabled: enable it in the admin to send a test.")
    payload = _TEST_MESSAGES[channel.kind](channel_name=channel.name, requested_by=actor.display_name)
    [delivery] = outbox.save_and_dispatch([outbox.new(
        account_id=channel.account_id, kind=channel.kind, event_type=TEST_EVENT, payload=payload, target=channel.name,
        channel=channel)])
    return delivery


@transaction.atomic
def psa_test(*, connection: PSAConnection) -> Delivery:
    """Queue a read of the connection's test ticket through the outbox (the `psa` queue): the
    vendor's answer proves the URL and credentials work, and nothing is written on any ticket."""
    if not connection.enabled:
        raise Conflict("The PSA connection is disabled: enable it in the admin to send a test.")
    if not connection.test_ticket_id:
        raise Conflict("Set a test ticket on the PSA connection (in the admin) first: the test reads it.")
    [delivery] = outbox.save_and_dispatch([outbox.new(
        account_id=connection.account_id, kind=DeliveryKind.PSA, event_type=TEST_EVENT,
        payload={"ticket_id": connection.test_ticket_id, "read": True},
        target=f"{connection.get_kind_display()} ticket {connection.test_ticket_id}", psa_connection=connection)])
    return delivery


RETRYABLE_BY_HAND = (DeliveryStatus.FAILED, DeliveryStatus.DEAD)


@transaction.atomic
def webhook_delivery_retry(*, endpoint: WebhookEndpoint, delivery: Delivery) -> Delivery:
    """Send a failed or dead delivery again: pending and due now, its task published after
    commit; the attempt is recorded as the next of its attempts. 409 for a delivery that is
    pending, sending or delivered, or an endpoint that is paused. The state check is the UPDATE's
    condition, so of two retries at once exactly one re-queues it."""
    endpoint = _locked(endpoint)
    if not endpoint.enabled:
        raise Conflict("This endpoint is paused (enabled is false): resume it to retry its deliveries.")
    if not outbox.requeue(Delivery.objects.filter(pk=delivery.pk), statuses=RETRYABLE_BY_HAND):
        current = Delivery.objects.get(pk=delivery.pk).get_status_display().lower()
        raise Conflict(f"Only a failed or dead delivery can be retried; this one is {current}.")
    return Delivery.objects.get(pk=delivery.pk)


@transaction.atomic
def notification_preferences_update(*, user, email_notifications: bool, chat_mentions: bool,
                                    slack_member_id: str = "") -> None:
    """A user's own switches: email for escalations, @mentions in Slack/Teams."""
    user.email_notifications = email_notifications
    user.chat_mentions = chat_mentions
    user.save(update_fields=["email_notifications", "chat_mentions"])
    ChatIdentity.objects.update_or_create(user=user, defaults={"account_id": user.account_id,
                                                               "slack_member_id": slack_member_id})
