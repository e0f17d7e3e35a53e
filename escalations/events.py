"""Realtime events: the one module that owns group names and frame shapes.

Groups: `account.<id>.queue` (the account's engineers and admins: queue events),
`account.<id>.members` (every member's socket: bells for many members at once, see
`notifications_created`) and `user.<id>` (one member: their own bell, and the control messages
that end their sockets). Frames follow API.md exactly; ids are normalised to strings here.
Everything is sent after the surrounding transaction commits (`send_on_commit`), so a
rolled-back escalation sends nothing.

Close codes of the socket (docs/realtime.md): `CLOSE_SIGNED_OUT` (4401) and `CLOSE_REAUTHORISE`
(4403). `end_sessions` sends the control message (`session.revoke`) that closes a user's sockets
when their authority ends (escalations/ws_revoke.py says when).
"""

from __future__ import annotations

import hashlib
import json
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


def members_group(account_id) -> str:
    return f"account.{account_id}.members"


def user_group(user_id) -> str:
    return f"user.{user_id}"


def session_group(session_id) -> str:
    """The sockets showing one session's page (joined with `session.join`, authorised like the
    page itself): its new steps, messages, status and owner, and the copilot's streamed answer."""
    return f"session.{session_id}"


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
    """`assessment_match` ("close" | "none") and `confidence_level` ("high" | "medium" | "low") say
    what the stored assessment found, so a screen can show "No close match" without a fetch; both
    are null without an assessment (pending, failed, timed out) or for one stored before them."""
    assessment = handoff.assessment if isinstance(handoff.assessment, dict) else {}
    return {"type": "handoff.updated",
            "handoff": {"id": _id(handoff.pk), "assessment_status": handoff.assessment_status,
                        "assessment_match": assessment.get("match"),
                        "confidence_level": assessment.get("confidence_level")}}


def handoff_claimed_frame(handoff) -> dict:
    return {
        "type": "handoff.claimed",
        "handoff": {"id": _id(handoff.pk), "claimed_by": _user_ref(handoff.claimed_by),
                    "claimed_at": _iso(handoff.claimed_at)},
    }


def notifications_read_frame(handoff, *, kind: str, read_at, notifications) -> dict:
    """Bells the server marked read (an escalation was claimed or cancelled: its bells are no
    longer news). `notifications` pairs (user id, notification id): each open bell finds its own
    user's, if any, and drops it from its unread count. Sent to the account's members group as one
    message; the ids are the account's own (its directory is visible to every member anyway)."""
    return {
        "type": "notifications.read",
        "kind": kind,
        "handoff_id": _id(handoff.pk),
        "read_at": _iso(read_at),
        "notifications": {_id(user_id): _id(note_id) for user_id, note_id in notifications},
    }


def session_step_frame(step) -> dict:
    return {
        "type": "session.step",
        "session_id": _id(step.session_id),
        "step": {"id": _id(step.pk), "action": step.action, "result": step.result, "outcome": step.outcome,
                 "author": _user_ref(step.author), "created_at": _iso(step.created_at)},
    }


def session_message_frame(message) -> dict:
    return {
        "type": "session.message",
        "session_id": _id(message.session_id),
        "message": {"id": _id(message.pk), "role": message.role, "body": message.body,
                    "author": _user_ref(message.author) if message.author_id else None,
                    "author_name": message.author_name, "created_at": _iso(message.created_at)},
    }


def session_updated_frame(session, owner) -> dict:
    return {"type": "session.updated", "session_id": _id(session.pk), "status": session.status,
            "owner": _user_ref(owner)}


def copilot_delta_frame(*, session_id, reply_id, text: str) -> dict:
    """The copilot's answer so far (the whole text, not the increment: a frame missed costs nothing)."""
    return {"type": "copilot.delta", "session_id": _id(session_id), "reply_id": _id(reply_id), "text": text}


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


def _count(frame_type: str, *, failed: bool) -> None:
    from resolutionflow import metrics

    counter = metrics.FRAMES_FAILED if failed else metrics.FRAMES_SENT
    counter.labels(type=frame_type).inc()


def send_now(group: str, frame: dict) -> None:
    """Send one frame to a group immediately (one group send, whatever the group's size).
    Callers inside a transaction use `send_on_commit`. A realtime hiccup never fails the write
    that caused it: the error is logged and counted, and clients re-sync by refetching when
    their socket comes back."""
    _send_message(group, frame_message(frame), frame_type=frame["type"])


def frame_message(frame: dict) -> dict:
    """The channel-layer message that carries `frame` to sockets (the consumers' `event_frame`),
    encoded once here, not once per receiving socket (500 sockets, one json.dumps)."""
    return {"type": "event.frame", "frame": frame, "text": json.dumps(frame)}


async def group_send(layer, group: str, message: dict) -> None:
    """Every message to a group goes through here: it names its group, which the hub of each
    web process uses to find the sockets to write it to (escalations.broadcast)."""
    await layer.group_send(group, {**message, "group": group})


def _send_message(group: str, message: dict, *, frame_type: str) -> None:
    _send_messages([(group, message, frame_type)])


def _send_messages(sends: list[tuple[str, dict, str]]) -> None:
    """(group, message, frame type) in order, in one hop to the event loop (from a request's
    thread each hop is a thread round trip): a failed send is logged and counted, the next ones
    still go."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all():
        failures = []
        for group, message, frame_type in sends:
            try:
                await group_send(layer, group, message)
            except Exception as exc:
                failures.append((group, frame_type, exc))
        return failures

    try:
        failures = async_to_sync(send_all)()
    except Exception as exc:  # no event loop to be had: every send failed
        failures = [(group, frame_type, exc) for group, _, frame_type in sends]
    failed = set()
    for group, frame_type, exc in failures:
        logger.error("group_send of %s to %s failed: %r", frame_type, group, exc)
        failed.add((group, frame_type))
    for group, _, frame_type in sends:
        _count(frame_type, failed=(group, frame_type) in failed)


def send_on_commit(group: str, frame: dict) -> None:
    """Send a frame once the current transaction commits; nothing is sent on rollback."""
    transaction.on_commit(lambda: send_now(group, frame))


def send_all_on_commit(frames: list[tuple[str, dict]]) -> None:
    """Send (group, frame) pairs, in order, once the current transaction commits, in one hop to
    the event loop; nothing is sent on rollback."""
    sends = [(group, frame_message(frame), frame["type"]) for group, frame in frames]
    transaction.on_commit(lambda: _send_messages(sends))


def notifications_created(*, account_id, kind: str, title: str, link: str, created_at, notifications) -> None:
    """The bells of one event, sent after commit as ONE message, however many recipients: to the
    recipient's own group for one, else to the account's members group carrying each recipient's
    notification id, which every consumer filters down to its own user (STYLE: one send, not N
    concurrent sends that exhaust the Redis pool and drop frames). The notifications of one
    event share kind, title, link and time; only their ids differ: `notifications` pairs
    (user id, notification id)."""
    notifications = list(notifications)
    if not notifications:
        return
    frame = {"type": "notification.created",
             "notification": {"kind": kind, "title": title, "link": link, "created_at": _iso(created_at)}}
    if len(notifications) == 1:
        [(user_id, note_id)] = notifications
        frame["notification"] = {"id": _id(note_id), **frame["notification"]}
        send_on_commit(user_group(user_id), frame)
        return
    message = {"type": "event.bells", "frame": frame,
               "ids": {_id(user_id): _id(note_id) for user_id, note_id in notifications}}
    group = members_group(account_id)
    transaction.on_commit(lambda: _send_message(group, message, frame_type="notification.created"))


def handoff_created(handoff, *, session=None, owner=None) -> None:
    """The queue card and, with `session`, the session's `session.updated` (its new status), sent
    together after commit."""
    frames = [(queue_group(handoff.account_id), handoff_created_frame(handoff))]
    if session is not None:
        frames.append((session_group(session.pk), session_updated_frame(session, owner)))
    send_all_on_commit(frames)


def handoff_updated(handoff) -> None:
    send_on_commit(queue_group(handoff.account_id), handoff_updated_frame(handoff))


def handoff_claimed(handoff, *, session=None, owner=None) -> None:
    """The claim for the queues and, with `session`, the session's new owner and status, sent
    together after commit."""
    frames = [(queue_group(handoff.account_id), handoff_claimed_frame(handoff))]
    if session is not None:
        frames.append((session_group(session.pk), session_updated_frame(session, owner)))
    send_all_on_commit(frames)


def notifications_read(handoff, *, kind: str, read_at, notifications) -> None:
    """After commit, one `notifications.read` frame to the account's members group."""
    send_on_commit(members_group(handoff.account_id),
                   notifications_read_frame(handoff, kind=kind, read_at=read_at, notifications=notifications))


def session_step(step) -> None:
    send_on_commit(session_group(step.session_id), session_step_frame(step))


def session_message(message) -> None:
    send_on_commit(session_group(message.session_id), session_message_frame(message))


def session_updated(session, *, owner) -> None:
    send_on_commit(session_group(session.pk), session_updated_frame(session, owner))


def handoff_cancelled(handoff) -> None:
    """The session was resolved before anyone claimed it: queues drop the card."""
    frame = handoff_updated_frame(handoff)
    frame["handoff"]["state"] = "cancelled"
    send_on_commit(queue_group(handoff.account_id), frame)


# --- Ending sockets ---------------------------------------------------------------------------

# Not (or no longer) authenticated: at connect, or the account was deactivated, the socket's API
# token deleted, its browser session logged out. Clients do not reconnect; a person logs in again.
CLOSE_SIGNED_OUT = 4401
# What the socket was authorised with changed (the role or account, the password, the browser
# session): reconnect. The new connection is authenticated and authorised afresh, so it gets the
# rights the user has now, or 4401.
CLOSE_REAUTHORISE = 4403
SESSION_REVOKE = "session.revoke"


def session_fingerprint(session_key: str) -> str:
    """A browser session key is a credential: control messages carry its hash, never the key."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def session_revoke_message(reason: str, *, code: int = CLOSE_SIGNED_OUT, auth: str | None = None,
                           token_digest: str | None = None, session_key: str | None = None) -> dict:
    """The control message to `user.<id>` that closes sockets of that user with `code`: all of
    them, only those authenticated by a browser session (`auth="session"`), only the one(s)
    authenticated by one API token (`token_digest`, knox's digest) or by one browser session
    (`session_key`)."""
    return {
        "type": SESSION_REVOKE,
        "reason": reason,
        "code": code,
        "auth": "token" if token_digest else "session" if session_key else auth,
        "token": token_digest,
        "session": session_fingerprint(session_key) if session_key else None,
    }


def session_revoke_applies(message: dict, *, token_digest: str | None, session_fingerprint: str | None) -> bool:
    """Whether a socket authenticated by this token digest, or this browser session (its
    fingerprint), is one the message closes."""
    if message.get("token"):
        return token_digest == message["token"]
    if message.get("session"):
        return session_fingerprint == message["session"]
    if message.get("auth") == "session":
        return session_fingerprint is not None
    if message.get("auth") == "token":
        return token_digest is not None
    return True


def end_sessions(user_id, reason: str, **which) -> None:
    """Close the user's sockets (see `session_revoke_message` for which, and with what code)
    once the current transaction commits: a rolled-back deactivation closes nothing."""
    group, message = user_group(user_id), session_revoke_message(reason, **which)
    transaction.on_commit(lambda: _send_message(group, message, frame_type=SESSION_REVOKE))
