"""The websocket endpoint `/ws/escalations/`.

Authenticate in `connect`, authorise before `group_add`: every member joins their own
`user.<id>` group and their account's members group (bells: one message for many recipients,
filtered here to this socket's user); engineers and admins also join their account's queue
group. channels-redis forgets a group membership after `group_expiry` (a day): the pings of a
page left open re-join every group well before that (`REJOIN_SECONDS`).
Unauthenticated connections are accepted and closed with 4401 so clients can tell why.

Presence (who is viewing a handoff right now) rides on the same socket. Client frames:
`{"type": "presence.join", "handoff_id"}`, `{"type": "presence.leave", "handoff_id"}` and
`{"type": "presence.sync"}` (send me the viewers of every handoff that has some). Only staff of
the handoff's account may join, checked in the database. The server answers with
`{"type": "presence", "handoff_id", "viewers": [{id, name}]}` to the account's queue group (or
to this socket alone for a sync). State is in Redis (`escalations.presence`) so it is shared
across processes; this socket's entries are removed on disconnect and refreshed by its pings.
"""

import logging
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from escalations import events, presence
from escalations.models import Handoff
from resolutionflow import metrics

logger = logging.getLogger(__name__)

# One socket may watch a few handoffs at once (a context screen and a session page are one each).
MAX_PRESENCE_PER_SOCKET = 20
# Re-join the groups this often (on a ping), far inside channels-redis' group_expiry.
REJOIN_SECONDS = 3600


@database_sync_to_async
def _handoff_in_account(account_id, handoff_id) -> bool:
    return Handoff.objects.filter(account_id=account_id, pk=handoff_id).exists()


def _handoff_id(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


class EscalationConsumer(AsyncJsonWebsocketConsumer):
    groups = ()

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or not user.account_id:
            await self.accept()
            await self.close(code=4401)
            return
        self.user = user
        self.presence = {}  # handoff id -> presence.Member
        self.joined = [events.user_group(user.pk), events.members_group(user.account_id)]
        if user.is_staff_role:
            self.joined.append(events.queue_group(user.account_id))
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined_at = time.monotonic()
        await self.accept()
        metrics.websocket_opened(self)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code):
        metrics.websocket_closed(self)
        for handoff_id in list(getattr(self, "presence", {})):
            await self._presence_leave(handoff_id)
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not hasattr(self, "user"):
            return
        kind = content.get("type")
        if kind == "ping":
            if time.monotonic() - self.joined_at > REJOIN_SECONDS:
                await self._rejoin()
            await self._presence_touch()
            await self.send_json({"type": "pong"})
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
        await self.send_json(event["frame"])

    async def event_bells(self, event):
        """One event's bells for many members (events.notifications_created): this user's, if any."""
        note_id = event["ids"].get(str(self.user.pk))
        if note_id is None:
            return
        frame = event["frame"]
        await self.send_json({**frame, "notification": {"id": note_id, **frame["notification"]}})

    async def _rejoin(self):
        self.joined_at = time.monotonic()
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)

    # --- Presence ----------------------------------------------------------------------------

    @property
    def _store(self):
        return presence.store_for(self.channel_layer)

    async def _broadcast_presence(self, handoff_id):
        viewers = await self._store.viewers(account_id=self.user.account_id, handoff_id=handoff_id)
        await self.channel_layer.group_send(
            events.queue_group(self.user.account_id),
            {"type": "event.frame", "frame": events.presence_frame(handoff_id, viewers)},
        )

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
