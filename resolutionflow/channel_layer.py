"""The channel layer: channels-redis' `RedisChannelLayer`, with a connection pool that waits.

A web process holds hundreds of sockets, and they come and go together: a deploy or a network blip
drops them all at once and the browsers reconnect within seconds. Each connect and disconnect is a
group add or discard, all in the same instant. channels-redis gives redis-py's plain asyncio pool
the host dict, and that pool *raises* `MaxConnectionsError` for every command beyond its
`max_connections` (100 by default): a mass disconnect logged a traceback per socket and left its
memberships behind (until `group_expiry`), a mass reconnect closed sockets at `connect`.
redis-py's `BlockingConnectionPool` queues such a command until a connection is free (each is
held for a round trip of well under a millisecond) and fails it only after the host dict's
`timeout`. Everything else, the host dict included (settings.CHANNEL_LAYERS), is channels-redis'.
"""

from channels_redis.core import RedisChannelLayer as CoreRedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class RedisChannelLayer(CoreRedisChannelLayer):
    def create_pool(self, index):
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(host.pop("address"), **host)
