"""A websocket consumer's channel receive is cancelled when its socket closes (channels'
await_many_dispatch). Cancelled at any moment, it must end: one that swallowed the cancellation
went on polling Redis forever, a task leaked per unlucky disconnect, and an ASGI server that waits
for its tasks on shutdown never stopped. The cause was redis-py's asyncio client sending every
command through `asyncio.wait_for` when a socket timeout is set, which on Python 3.11 drops a
cancellation that arrives as the write completes (resolutionflow/settings.py, docs/realtime.md).
Real channels-redis on the real Redis, configured as in production."""

import asyncio

from channels.layers import get_channel_layer
from django.conf import settings

# Cancel points, in event-loop steps after the receive starts: together they cover a fresh
# connection's handshake, the cleanup script and the blocking pop, several times over.
STEPS = range(80)


def test_the_layer_connections_have_no_socket_timeout_and_detect_a_dead_peer_by_tcp():
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host["socket_timeout"] is None
    assert host["socket_keepalive"] is True and host["socket_keepalive_options"]


def test_a_receive_cancelled_at_any_moment_ends():
    async def run():
        layer = get_channel_layer()
        left_running = []
        for steps in STEPS:
            channel = await layer.new_channel()
            task = asyncio.ensure_future(layer.receive(channel))
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=3)
            if not done:
                left_running.append(steps)
                await layer.send(channel, {"type": "wake.up"})  # let it end before the next
                await asyncio.wait([task], timeout=6)
        return left_running

    assert asyncio.run(run()) == []
