"""The websocket endpoint `/ws/escalations/`.

Authenticate in `connect`, authorise before `group_add`: every member joins their own
`user.<id>` group (notifications); engineers and admins also join their account's queue group.
Unauthenticated connections are accepted and closed with 4401 so clients can tell why.
"""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from escalations import events


class EscalationConsumer(AsyncJsonWebsocketConsumer):
    groups = ()

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or not user.account_id:
            await self.accept()
            await self.close(code=4401)
            return
        self.user = user
        self.joined = [events.user_group(user.pk)]
        if user.is_staff_role:
            self.joined.append(events.queue_group(user.account_id))
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "ready"})

    async def disconnect(self, code):
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def event_frame(self, event):
        await self.send_json(event["frame"])
