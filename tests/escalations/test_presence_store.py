"""The presence store: one viewer per user, and entries of a process that died age out."""

import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from escalations import events, presence

pytestmark = pytest.mark.django_db


def _stores():
    return [presence.store_for(get_channel_layer()), presence.MemoryPresence()]


@pytest.mark.parametrize("store", _stores(), ids=["redis", "memory"])
def test_two_sockets_of_one_user_are_one_viewer_and_leaving_removes_the_handoff_from_the_index(store):
    account, handoff = "acct-1", "h-1"
    a = presence.Member(channel="c1", user_id="u1", name="Sam Senior")
    b = presence.Member(channel="c2", user_id="u1", name="Sam Senior")
    c = presence.Member(channel="c3", user_id="u2", name="Ada Admin")

    async def scenario():
        for m in (a, b, c):
            await store.join(account_id=account, handoff_id=handoff, member=m)
        both = await store.viewers(account_id=account, handoff_id=handoff)
        watched = await store.watched(account_id=account)
        for m in (a, b, c):
            await store.leave(account_id=account, handoff_id=handoff, member=m)
        return both, watched, await store.viewers(account_id=account, handoff_id=handoff), \
            await store.watched(account_id=account)

    both, watched, after, watched_after = async_to_sync(scenario)()
    assert [v["name"] for v in both] == ["Ada Admin", "Sam Senior"]
    assert watched == [handoff] and after == [] and watched_after == []


def test_entries_that_stopped_being_refreshed_age_out():
    store = presence.store_for(get_channel_layer())
    assert isinstance(store, presence.RedisPresence), "the suite runs on Redis (REDIS_URL)"
    account, handoff = "acct-2", "h-2"
    stale = presence.Member(channel="dead-process", user_id="u9", name="Gone Away")
    fresh = presence.Member(channel="alive", user_id="u1", name="Sam Senior")

    async def scenario():
        await store.join(account_id=account, handoff_id=handoff, member=fresh)
        conn = store._conn(account)
        await conn.zadd(events.presence_key(store.prefix, account, handoff),
                        {stale.key: time.time() - presence.TTL_SECONDS - 5})
        viewers = await store.viewers(account_id=account, handoff_id=handoff)
        await store.leave(account_id=account, handoff_id=handoff, member=fresh)
        return viewers

    assert [v["name"] for v in async_to_sync(scenario)()] == ["Sam Senior"]
