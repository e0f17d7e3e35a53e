"""Presence: which engineers are looking at a handoff right now (its context screen or session page).

State lives in Redis, through the channel layer's own connection, so every web process sees the
same viewers (`RedisChannelLayer`). Each open websocket that joined a handoff is one member of a
sorted set keyed by the layer's prefix (`events.presence_key`), scored with the time it was last
seen. The consumer removes its members on disconnect; a process that dies without disconnecting
leaves members that stop being refreshed (clients ping every ~25 s) and age out after
`TTL_SECONDS`, pruned on every read. An account index lists the handoffs that have viewers, for
a client that asks what it missed (`presence.sync`).

With the in-memory channel layer (the embedded single-process mode) the same structure is kept
in a process-local dict: that layer cannot carry events between processes either.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from escalations import events

logger = logging.getLogger(__name__)

TTL_SECONDS = 90
MAX_WATCHED = 200


@dataclass(frozen=True)
class Member:
    """One websocket viewing one handoff. `key` is what is stored (the channel makes it unique)."""

    channel: str
    user_id: str
    name: str

    @property
    def key(self) -> str:
        return json.dumps({"c": self.channel, "id": self.user_id, "name": self.name}, sort_keys=True)


def _viewers(raw_members) -> list[dict]:
    """One entry per user (two tabs are one viewer), sorted by name for a stable display."""
    seen = {}
    for raw in raw_members:
        try:
            data = json.loads(raw)
            seen.setdefault(str(data["id"]), {"id": str(data["id"]), "name": str(data["name"])})
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(seen.values(), key=lambda v: (v["name"].lower(), v["id"]))


class RedisPresence:
    def __init__(self, layer):
        self.layer = layer
        self.prefix = layer.prefix

    def _conn(self, account_id):
        # One shard per account: the index and the handoff sets live together.
        return self.layer.connection(self.layer.consistent_hash(str(account_id)))

    async def join(self, *, account_id, handoff_id, member: Member) -> None:
        now = time.time()
        key, index = events.presence_key(self.prefix, account_id, handoff_id), events.presence_key(
            self.prefix, account_id)
        async with self._conn(account_id).pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member.key: now})
            pipe.expire(key, TTL_SECONDS * 2)
            pipe.zadd(index, {str(handoff_id): now})
            pipe.expire(index, TTL_SECONDS * 2)
            await pipe.execute()

    touch = join

    async def leave(self, *, account_id, handoff_id, member: Member) -> None:
        key = events.presence_key(self.prefix, account_id, handoff_id)
        conn = self._conn(account_id)
        await conn.zrem(key, member.key)
        if not await conn.zcard(key):
            await conn.zrem(events.presence_key(self.prefix, account_id), str(handoff_id))

    async def viewers(self, *, account_id, handoff_id) -> list[dict]:
        key = events.presence_key(self.prefix, account_id, handoff_id)
        conn = self._conn(account_id)
        await conn.zremrangebyscore(key, "-inf", time.time() - TTL_SECONDS)
        return _viewers(await conn.zrange(key, 0, -1))

    async def watched(self, *, account_id) -> list[str]:
        index = events.presence_key(self.prefix, account_id)
        conn = self._conn(account_id)
        await conn.zremrangebyscore(index, "-inf", time.time() - TTL_SECONDS)
        raw = await conn.zrevrange(index, 0, MAX_WATCHED - 1)
        return [r.decode() if isinstance(r, bytes) else str(r) for r in raw]


class MemoryPresence:
    """The same structure for the in-memory channel layer (one process)."""

    def __init__(self):
        self.sets: dict[tuple[str, str], dict[str, float]] = {}

    async def join(self, *, account_id, handoff_id, member: Member) -> None:
        self.sets.setdefault((str(account_id), str(handoff_id)), {})[member.key] = time.time()

    touch = join

    async def leave(self, *, account_id, handoff_id, member: Member) -> None:
        key = (str(account_id), str(handoff_id))
        self.sets.get(key, {}).pop(member.key, None)
        if not self.sets.get(key):
            self.sets.pop(key, None)

    def _prune(self, key):
        cutoff = time.time() - TTL_SECONDS
        members = self.sets.get(key, {})
        for k in [k for k, seen in members.items() if seen < cutoff]:
            del members[k]
        if not members:
            self.sets.pop(key, None)
        return members

    async def viewers(self, *, account_id, handoff_id) -> list[dict]:
        return _viewers(self._prune((str(account_id), str(handoff_id))))

    async def watched(self, *, account_id) -> list[str]:
        keys = [k for k in list(self.sets) if k[0] == str(account_id)]
        return [k[1] for k in keys if self._prune(k)][:MAX_WATCHED]


_memory = MemoryPresence()


def store_for(layer):
    """Redis when the channel layer is channels-redis' `RedisChannelLayer`, else process-local."""
    if layer is not None and hasattr(layer, "connection") and hasattr(layer, "consistent_hash"):
        return RedisPresence(layer)
    return _memory
