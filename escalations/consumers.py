"""The websocket endpoint `/ws/escalations/`.

Authenticate in `connect`, authorise before joining: every member joins their own
`user.<id>` group and their account's members group (bells: one message for many recipients,
filtered here to this socket's user); engineers and admins also join their account's queue
group. Every group, and the sessions a socket follows, is joined through this process's hub
(escalations.broadcast), which is the group's one member per process, writes each message to its
local sockets and keeps its memberships alive past channels-redis' `group_expiry`. A socket has no
channel-layer channel of its own: the consumer's only wait is its client's next message
(`__call__`).
Unauthenticated connections are accepted and closed with 4401 so clients can tell why.

A socket lasts as long as its authority (docs/security.md): a `session.revoke` control message
on the user's group (events.end_sessions, sent when the user is deactivated, their role, account
or password changes, their token is deleted or their session logs out) closes the sockets it
names with 4401 or 4403, and every ping re-reads the user, the token or the browser session from
the database (ws_auth.recheck), which catches what no signal reported; a socket that does not ping
(an API client) is re-checked every WEBSOCKET_RECHECK_SECONDS all the same, by the process's
`AuthorityWatch`. A closed socket leaves its groups first and sends nothing more.

Presence (who is viewing a handoff right now) rides on the same socket. Client frames:
`{"type": "presence.join", "handoff_id"}`, `{"type": "presence.leave", "handoff_id"}` and
`{"type": "presence.sync"}` (send me the viewers of every handoff that has some). Only staff of
the handoff's account may join, checked in the database. The server answers with
`{"type": "presence", "handoff_id", "viewers": [{id, name}]}` to the account's queue group (or
to this socket alone for a sync). State is in Redis (`escalations.presence`) so it is shared
across processes; this socket's entries are removed on disconnect and refreshed by its pings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
import weakref

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from escalations import broadcast, events, presence, selectors, ws_auth
from escalations.models import Handoff
from resolutionflow import metrics

logger = logging.getLogger(__name__)

# One socket may watch a few handoffs at once (a context screen and a session page are one each),
# and follow a few sessions (a page shows one).
MAX_PRESENCE_PER_SOCKET = 20
MAX_SESSIONS_PER_SOCKET = 20


@database_sync_to_async
def _handoff_in_account(account_id, handoff_id) -> bool:
    return Handoff.objects.filter(account_id=account_id, pk=handoff_id).exists()


@database_sync_to_async
def _session_visible(user, session_id) -> bool:
    return selectors.sessions_visible_to(user).filter(pk=session_id).exists()


def _handoff_id(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


class AuthorityWatch:
    """Re-checks the sockets of one event loop that have not been re-checked lately (those that
    do not ping: API clients): one task per process, waking every quarter of
    WEBSOCKET_RECHECK_SECONDS, rather than a sleeping task per socket. Each socket is due after
    its own share of the period, drawn at connect (half to three quarters of it), so sockets
    opened together are not checked together; with the sweep's quarter, none goes longer than
    the period unchecked."""

    _watches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def of_this_loop(cls) -> AuthorityWatch:
        loop = asyncio.get_running_loop()
        found = cls._watches.get(loop)
        if found is None:
            found = cls._watches[loop] = cls()
        return found

    def __init__(self):
        self.sockets: weakref.WeakSet = weakref.WeakSet()
        self.task: asyncio.Task | None = None
        self.checks: set[asyncio.Task] = set()

    def add(self, consumer) -> None:
        consumer.recheck_every = settings.WEBSOCKET_RECHECK_SECONDS * random.uniform(0.5, 0.75)
        self.sockets.add(consumer)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._sweep_periodically())

    def discard(self, consumer) -> None:
        self.sockets.discard(consumer)

    async def _sweep_periodically(self):
        while True:
            await asyncio.sleep(settings.WEBSOCKET_RECHECK_SECONDS / 4)
            try:
                self.sweep()
            except Exception:  # never stop watching over one socket's trouble
                logger.exception("re-checking websockets failed")

    def sweep(self) -> None:
        now = time.monotonic()
        for consumer in list(self.sockets):
            if not consumer.ended and now - consumer.checked_at >= consumer.recheck_every:
                consumer.checked_at = now
                check = asyncio.ensure_future(consumer._authority_ended())  # logs its own failures
                self.checks.add(check)  # referenced until it ends
                check.add_done_callback(self.checks.discard)


class EscalationConsumer(AsyncJsonWebsocketConsumer):
    groups = ()

    async def __call__(self, scope, receive, send):
        """Serve one socket: read the client's messages one at a time, until it disconnects.

        Replaces channels' loop, which waits on the client and on a channel-layer channel of the
        socket's own, with a task re-made at every message. Here the groups' messages come from the
        process's hub, which calls the handlers itself (escalations.broadcast), so the only wait is
        the client's next message. `channel_name` is only this socket's name (presence entries).
        Not done per message, unlike channels' `dispatch`: closing stale database connections;
        the handlers reach the database through `database_sync_to_async`, which does it."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = f"ws.{uuid.uuid4().hex}"
        self.base_send = send
        try:
            while True:
                message = await receive()
                handler = getattr(self, get_handler_name(message), None)
                if handler is None:
                    raise ValueError(f"No handler for message type {message['type']}")
                await handler(message)
        except StopConsumer:
            pass

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or not user.account_id:
            await self.accept()
            await self.close(code=events.CLOSE_SIGNED_OUT)
            return
        self.user = user
        self.authority = ws_auth.Authority.of(self.scope, user)
        self.ended = False
        self.presence = {}  # handoff id -> presence.Member
        self.sessions = set()  # session groups this socket follows (session.join)
        self.joined = [events.user_group(user.pk), events.members_group(user.account_id)]
        if user.is_staff_role:
            self.joined.append(events.queue_group(user.account_id))
        # Accepted first: the hub may write a frame to this socket the moment it has joined.
        await self.accept()
        for group in self.joined:
            await self._join(group)
        self.checked_at = time.monotonic()
        metrics.websocket_opened(self)
        AuthorityWatch.of_this_loop().add(self)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code):
        metrics.websocket_closed(self)
        AuthorityWatch.of_this_loop().discard(self)
        for handoff_id in list(getattr(self, "presence", {})):
            await self._presence_leave(handoff_id)
        for group in list(getattr(self, "joined", ())) + list(getattr(self, "sessions", ())):
            await self._leave(group)

    async def _join(self, group):
        await broadcast.hub().join(group, self)

    async def _leave(self, group):
        await broadcast.hub().leave(group, self)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not hasattr(self, "user") or self.ended:
            return
        kind = content.get("type")
        if kind == "ping":
            if await self._authority_ended():
                return
            await self._presence_touch()
            await self.send_json({"type": "pong"})
        elif kind == "session.join":
            await self._session_join(content.get("session_id"))
        elif kind == "session.leave":
            group = events.session_group(_handoff_id(content.get("session_id")))
            if group in self.sessions:
                self.sessions.discard(group)
                await self._leave(group)
        elif kind in ("presence.join", "presence.leave", "presence.sync"):
            try:
                if kind == "presence.join":
                    await self._presence_join(content.get("handoff_id"))
                elif kind == "presence.leave":
                    handoff_id = _handoff_id(content.get("handoff_id"))
                    if handoff_id in self.presence:
                        await self._presence_leave(handoff_id)
                else:
                    await self._presence_sync()
            except Exception:  # presence is a nicety: never drop the socket over it
                logger.exception("presence frame %s failed", kind)

    async def event_frame(self, event):
        if getattr(self, "ended", True):  # closed (session.revoke): nothing more reaches it
            return
        text = event.get("text")  # pre-encoded by events.send_now
        if text is None:
            text = json.dumps(event["frame"])
        await self.send(text_data=text)

    async def event_bells(self, event):
        """One event's bells for many members (events.notifications_created): this user's, if any."""
        if getattr(self, "ended", True):
            return
        note_id = event["ids"].get(str(self.user.pk))
        if note_id is None:
            return
        frame = event["frame"]
        await self.send_json({**frame, "notification": {"id": note_id, **frame["notification"]}})

    # --- The socket's authority ---------------------------------------------------------------

    async def session_revoke(self, event):
        """`session.revoke` on the user's group (events.end_sessions): close if it names this socket."""
        if getattr(self, "ended", True):
            return
        if events.session_revoke_applies(event, token_digest=self.authority.token_digest,
                                         session_fingerprint=self.authority.session_fingerprint):
            await self._end(event.get("code", events.CLOSE_SIGNED_OUT), event.get("reason", ""))

    async def _authority_ended(self) -> bool:
        """Re-read the user and the socket's credential (on a ping, or from the AuthorityWatch);
        close if they ended."""
        self.checked_at = time.monotonic()
        try:
            verdict = await ws_auth.recheck(self.authority)
        except Exception:  # a database hiccup keeps the socket; the next ping checks again
            logger.warning("re-checking the websocket of user %s failed", self.authority.user_id, exc_info=True)
            return False
        if verdict is None:
            return False
        await self._end(*verdict)
        return True

    async def _end(self, code: int, reason: str):
        if self.ended:  # a ping's and the watcher's checks may both find it
            return
        self.ended = True
        AuthorityWatch.of_this_loop().discard(self)
        logger.info("closing the websocket of user %s: %s (%s)", self.authority.user_id, reason, code)
        joined, self.joined = self.joined + list(self.sessions), []
        self.sessions = set()
        for group in joined:
            try:
                await self._leave(group)
            except Exception:  # the membership expires by itself (group_expiry); nothing is sent meanwhile
                logger.warning("leaving %s failed", group, exc_info=True)
        await self.close(code=code)

    # --- Following a session (its page) ------------------------------------------------------

    async def _session_join(self, raw_id):
        """Follow a session's page: who may see the session (selectors.sessions_visible_to, the
        page's own rule, checked in the database) gets its steps, messages and status live. The
        same answer for a malformed, missing or foreign id."""
        session_id = _handoff_id(raw_id)
        if session_id is None or not await _session_visible(self.user, session_id):
            await self.send_json(events.error_frame("Not found.", about="session.join"))
            return
        group = events.session_group(session_id)
        if group not in self.sessions and len(self.sessions) >= MAX_SESSIONS_PER_SOCKET:
            await self.send_json(events.error_frame("Too many sessions followed at once.", about="session.join"))
            return
        self.sessions.add(group)
        await self._join(group)
        await self.send_json({"type": "session.joined", "session_id": session_id})

    # --- Presence ----------------------------------------------------------------------------

    @property
    def _store(self):
        return presence.store_for(self.channel_layer)

    async def _broadcast_presence(self, handoff_id):
        viewers = await self._store.viewers(account_id=self.user.account_id, handoff_id=handoff_id)
        await events.group_send(self.channel_layer, events.queue_group(self.user.account_id),
                                events.frame_message(events.presence_frame(handoff_id, viewers)))

    async def _presence_join(self, raw_id):
        handoff_id = _handoff_id(raw_id)
        if not self.user.is_staff_role:
            await self.send_json(events.error_frame("Only engineers and admins share presence.",
                                                    about="presence.join"))
            return
        # Same answer for a malformed, missing or foreign id: nothing about other accounts leaks.
        if handoff_id is None or not await _handoff_in_account(self.user.account_id, handoff_id):
            await self.send_json(events.error_frame("Not found.", about="presence.join"))
            return
        if handoff_id not in self.presence and len(self.presence) >= MAX_PRESENCE_PER_SOCKET:
            await self.send_json(events.error_frame("Too many handoffs watched at once.", about="presence.join"))
            return
        member = presence.Member(channel=self.channel_name, user_id=str(self.user.pk), name=self.user.display_name)
        self.presence[handoff_id] = member
        await self._store.join(account_id=self.user.account_id, handoff_id=handoff_id, member=member)
        await self._broadcast_presence(handoff_id)

    async def _presence_leave(self, handoff_id):
        member = self.presence.pop(handoff_id, None)
        if member is None:
            return
        try:
            await self._store.leave(account_id=self.user.account_id, handoff_id=handoff_id, member=member)
            await self._broadcast_presence(handoff_id)
        except Exception:  # e.g. Redis gone during shutdown: the entry ages out (presence.TTL_SECONDS)
            logger.warning("presence cleanup for %s failed", handoff_id, exc_info=True)

    async def _presence_touch(self):
        for handoff_id, member in list(getattr(self, "presence", {}).items()):
            try:
                await self._store.touch(account_id=self.user.account_id, handoff_id=handoff_id, member=member)
            except Exception:
                logger.warning("presence refresh for %s failed", handoff_id, exc_info=True)

    async def _presence_sync(self):
        if not self.user.is_staff_role:
            return
        for handoff_id in await self._store.watched(account_id=self.user.account_id):
            viewers = await self._store.viewers(account_id=self.user.account_id, handoff_id=handoff_id)
            if viewers:
                await self.send_json(events.presence_frame(handoff_id, viewers))
