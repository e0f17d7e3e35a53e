"""Realtime events: the one module that owns group names and frame shapes.

Groups: `account.<id>.queue` (the account's engineers and admins: queue events) and `user.<id>`
(one member: their notifications). Frames follow API.md exactly; ids are normalised to strings
here. Everything is sent after the surrounding transaction commits (`send_on_commit`), so a
rolled-back escalation sends nothing.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def _iso(dt):
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def _id(value):
    return str(value) if value is not None else None


def queue_group(account_id) -> str:
    return f"account.{account_id}.queue"


def user_group(user_id) -> str:
    return f"user.{user_id}"


def presence_group(handoff_id) -> str:
    return f"handoff.{handoff_id}.presence"


def presence_key(prefix: str, account_id, handoff_id=None) -> str:
    """Redis keys of the presence store (`escalations.presence`), under the channel layer's
    prefix so parallel test workers and co-hosted installs never share them. Without
    `handoff_id`: the account's index of handoffs that have viewers."""
    base = f"{prefix}:presence:{account_id}"
    return base if handoff_id is None else f"{base}:{handoff_id}"


def _user_ref(user):
    if user is None:
        return None
    return {"id": _id(user.pk), "name": user.display_name, "email": user.email}


def handoff_created_frame(handoff) -> dict:
    return {
        "type": "handoff.created",
        "handoff": {
            "id": _id(handoff.pk),
            "session_id": _id(handoff.session_id),
            "intent": handoff.intent,
            "reason": handoff.reason,
            "requested_by": _user_ref(handoff.requested_by),
            "target_user": _user_ref(handoff.target_user),
            "created_at": _iso(handoff.created_at),
        },
    }


def handoff_updated_frame(handoff) -> dict:
    return {"type": "handoff.updated",
            "handoff": {"id": _id(handoff.pk), "assessment_status": handoff.assessment_status}}


def handoff_claimed_frame(handoff) -> dict:
    return {
        "type": "handoff.claimed",
        "handoff": {"id": _id(handoff.pk), "claimed_by": _user_ref(handoff.claimed_by),
                    "claimed_at": _iso(handoff.claimed_at)},
    }


def notification_created_frame(notification) -> dict:
    return {
        "type": "notification.created",
        "notification": {
            "id": _id(notification.pk),
            "kind": notification.kind,
            "title": notification.title,
            "link": notification.link,
            "created_at": _iso(notification.created_at),
        },
    }


def presence_frame(handoff_id, viewers) -> dict:
    """Who is looking at a handoff right now (its context screen or its session page).
    `viewers` are `{id, name}`, one per user however many tabs they have open. Sent to the
    account's queue group, so it reaches the account's engineers and admins only."""
    return {
        "type": "presence",
        "handoff_id": _id(handoff_id),
        "viewers": [{"id": _id(v["id"]), "name": v["name"]} for v in viewers],
    }


def error_frame(detail: str, *, about: str | None = None) -> dict:
    """The answer to a client frame the server refuses (e.g. presence on a foreign handoff)."""
    frame = {"type": "error", "detail": detail}
    if about:
        frame["about"] = about
    return frame


def send_now(group: str, frame: dict) -> None:
    """Send a frame to a group immediately. Callers inside a transaction use `send_on_commit`."""
    send_many_now([(group, frame)])


def send_many_now(messages: list[tuple[str, dict]]) -> None:
    """Send several frames in one event-loop hop (one escalation notifies many): the first frame
    alone (the queue card, which the latency is measured on), then the rest concurrently."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def _send(group, frame):
        try:
            await layer.group_send(group, {"type": "event.frame", "frame": frame})
        except Exception as exc:  # one group's failure must not stop the others
            logger.error("group_send to %s failed: %r", group, exc)

    async def _send_all():
        first, rest = messages[0], messages[1:]
        await _send(*first)
        if rest:
            await asyncio.gather(*(_send(group, frame) for group, frame in rest))

    try:
        async_to_sync(_send_all)()
    except Exception:  # a realtime hiccup must never fail the write that caused it
        logger.exception("group_send failed")


def send_on_commit(group: str, frame: dict) -> None:
    """Send a frame once the current transaction commits; nothing is sent on rollback."""
    transaction.on_commit(lambda: send_now(group, frame))


def send_many_on_commit(messages: list[tuple[str, dict]]) -> None:
    """Send frames together once the transaction commits, concurrently, in one callback."""
    messages = list(messages)
    transaction.on_commit(lambda: send_many_now(messages))


def handoff_created(handoff) -> None:
    send_on_commit(queue_group(handoff.account_id), handoff_created_frame(handoff))


def handoff_updated(handoff) -> None:
    send_on_commit(queue_group(handoff.account_id), handoff_updated_frame(handoff))


def handoff_claimed(handoff) -> None:
    send_on_commit(queue_group(handoff.account_id), handoff_claimed_frame(handoff))


def notification_created(notification) -> None:
    send_on_commit(user_group(notification.user_id), notification_created_frame(notification))


def handoff_created_with_notifications(handoff, notifications) -> None:
    """The queue card first, then each recipient's bell, all in one on-commit send."""
    send_many_on_commit(
        [(queue_group(handoff.account_id), handoff_created_frame(handoff))]
        + [(user_group(n.user_id), notification_created_frame(n)) for n in notifications]
    )


def handoff_cancelled(handoff) -> None:
    """The session was resolved before anyone claimed it: queues drop the card."""
    frame = handoff_updated_frame(handoff)
    frame["handoff"]["state"] = "cancelled"
    send_on_commit(queue_group(handoff.account_id), frame)
