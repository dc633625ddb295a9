"""Live activity: pushes the caller's newly visible audit events to the home page."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from secretariat.audit.live import ACTIVITY_GROUP


class ActivityConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.channel_layer.group_add(ACTIVITY_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "username": user.username})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(ACTIVITY_GROUP, self.channel_name)

    async def activity_event(self, message: dict[str, Any]) -> None:
        # Re-check visibility for every event: a broadcast is never trusted to be in scope.
        from channels.db import database_sync_to_async

        from secretariat.audit.selectors import events_visible_to

        user = self.scope["user"]
        visible = await database_sync_to_async(
            lambda: events_visible_to(user=user).filter(seq=message["seq"]).exists()
        )()
        if visible:
            await self.send_json(
                {"type": "event", "seq": message["seq"], "action": message["action"]}
            )
