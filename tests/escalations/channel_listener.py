"""Listen to a Channels group the way a consumer would, to assert the frames sent to it."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


class GroupListener:
    def __init__(self, group: str):
        self.layer = get_channel_layer()
        self.group = group
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)

    def receive(self, timeout: float = 2.0) -> dict:
        async def _receive():
            return await asyncio.wait_for(self.layer.receive(self.channel), timeout)

        return async_to_sync(_receive)()["frame"]

    def receive_type(self, frame_type: str, timeout: float = 2.0) -> dict:
        """The next frame of `frame_type`, skipping others (e.g. the `handoff.created` card)."""
        while True:
            frame = self.receive(timeout)
            if frame["type"] == frame_type:
                return frame

    def close(self):
        async_to_sync(self.layer.group_discard)(self.group, self.channel)
