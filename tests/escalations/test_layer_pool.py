"""A web process holds hundreds of sockets, and they come and go together: a deploy or a network
blip drops them all at once, and the browsers reconnect within seconds. Each socket's connect and
disconnect is a group add or discard on the channel layer, all in the same instant. redis-py's
asyncio pool raised `MaxConnectionsError` for every command beyond its 100 connections, so a mass
disconnect logged hundreds of tracebacks and left the memberships behind, and a mass reconnect
closed sockets at `connect`. The layer's pool waits for a free connection instead
(resolutionflow/channel_layer.py). Real channels-redis on the real Redis, configured as in
production."""

import asyncio

from channels.layers import get_channel_layer
from django.conf import settings

SOCKETS = 300  # three times redis-py's default pool


def test_hundreds_of_sockets_joining_and_leaving_at_once_all_get_through():
    async def run():
        layer = get_channel_layer()
        group = "pool-burst"
        channels = [await layer.new_channel() for _ in range(SOCKETS)]
        await asyncio.gather(*(layer.group_add(group, channel) for channel in channels))
        connection = layer.connection(layer.consistent_hash(group))
        joined = await connection.zcard(layer._group_key(group))
        await asyncio.gather(*(layer.group_discard(group, channel) for channel in channels))
        left = await connection.zcard(layer._group_key(group))
        pool = connection.connection_pool
        opened = len(pool._available_connections) + len(getattr(pool, "_in_use_connections", ()))
        return joined, left, opened, pool.max_connections

    joined, left, opened, most = asyncio.run(run())
    assert (joined, left) == (SOCKETS, 0)
    assert opened <= most == settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["max_connections"]
